"""What a rule is: a code, a name, its documentation and examples, and a pure check function.

A rule's docstring is its documentation page (Markdown, sections "What it does", "Why is this
bad?", "Example", "How to fix"); ``VALID`` and ``INVALID`` hold example programs. Every line
of an ``INVALID`` example that must be reported ends with ``# expect: LORnnn``; the test-suite
runs all examples through flake8 and the engine, and ``docs/rules/`` is generated from them.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Dict, Iterable, List, Mapping, Optional, Tuple, Type, TypeVar

from ..analysis.diagnostics import Diagnostic, Fix, FixSafety, Span
from ..config.settings import Settings

if TYPE_CHECKING:  # pragma: no cover
    from ..catalog import ModelMatch
    from ..analysis.model import FileModel, TrainingSetup

DOCS_URL = "https://github.com/lora-lint/lora-lint/blob/main/docs/rules/{code}.md"


@dataclass
class RuleContext:
    """What a rule may consult besides the file model: settings and the model catalog."""

    settings: Settings
    _matches: Dict[str, Optional["ModelMatch"]]
    # setups whose model the running rule looked up (their diagnostics rest on the model id)
    consulted: List["TrainingSetup"]

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._matches = {}
        self.consulted = []

    def model_match(self, setup: "TrainingSetup") -> Optional["ModelMatch"]:
        """The catalog entry of the setup's model id, if it is known."""
        if setup.model_id is None:
            return None
        if setup.model_id.origin is not None and setup not in self.consulted:
            self.consulted.append(setup)
        model_id = setup.model_id.python
        if model_id not in self._matches:
            from ..catalog import lookup

            self._matches[model_id] = lookup(model_id)
        return self._matches[model_id]


class Rule:
    """Base class of every rule; subclasses are registered by ``@register``."""

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    default_enabled: ClassVar[bool] = True
    fix_safety: ClassVar[Optional[FixSafety]] = None
    VALID: ClassVar[Tuple[str, ...]] = ()
    INVALID: ClassVar[Tuple[str, ...]] = ()
    # Settings the examples are checked with (e.g. a GPU budget for LOR403); keys of Settings.
    EXAMPLE_SETTINGS: ClassVar[Mapping[str, Any]] = {}

    def check(self, file: "FileModel", context: RuleContext) -> Iterable[Diagnostic]:
        raise NotImplementedError

    def diagnostic(self, span: Span, message: str, fix: Optional[Fix] = None) -> Diagnostic:
        return Diagnostic(span=span, code=self.code, message=message, fix=fix)

    @classmethod
    def documentation(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def url(cls) -> str:
        return DOCS_URL.format(code=cls.code)


_REGISTRY: Dict[str, Type[Rule]] = {}
RuleClass = TypeVar("RuleClass", bound=Type[Rule])


def register(rule_class: RuleClass) -> RuleClass:
    """Class decorator: add a rule to the registry (codes must be unique)."""
    code = rule_class.code
    if code in _REGISTRY and _REGISTRY[code] is not rule_class:
        raise ValueError(f"two rules share the code {code}")
    _REGISTRY[code] = rule_class
    return rule_class


def registered_rules() -> List[Type[Rule]]:
    return [_REGISTRY[code] for code in sorted(_REGISTRY)]
