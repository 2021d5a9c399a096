"""What a rule is: a code, a name, its documentation and examples, and a pure check function.

A rule's docstring is its documentation page (Markdown, sections "What it does", "Why is this
bad?", "Example", "How to fix"); ``VALID`` and ``INVALID`` hold example programs. Every line
of an ``INVALID`` example that must be reported ends with ``# expect: LORnnn``. A rule with a
fix states, for each INVALID example, the source its fix must produce (``Invalid(source,
fixed=...)``; ``fixed=None``: this example gets no automatic fix). The test-suite runs all
examples through flake8 and the engine, applies the fixes through the fix path and compares,
and ``docs/rules/`` is generated from them.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, ClassVar, Dict, Iterable, List, Mapping, Optional, Tuple, Type, TypeVar, \
    Union

from ..analysis.diagnostics import Diagnostic, Fix, Span
from ..config.settings import Settings

if TYPE_CHECKING:  # pragma: no cover
    from typing_extensions import TypeAlias

    from ..analysis.diagnostics import SafetyLabel
    from ..catalog import Architecture, ModelMatch
    from ..catalog.hf_config import Identification
    from ..catalog.identify import ModelIdentity
    from ..analysis.model import FileModel, TrainingSetup

DOCS_URL = "https://github.com/lora-lint/lora-lint/blob/main/docs/rules/{code}.md"


class RuleContext:
    """What a rule may consult besides the file model: settings and the model catalog."""

    __slots__ = ("settings", "consulted")

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # setups whose model the running rule looked up (their diagnostics rest on the model id)
        self.consulted: List["TrainingSetup"] = []

    def model_identity(self, setup: "TrainingSetup") -> Optional["ModelIdentity"]:
        """What the setup's model id is: the catalog entry, else its family by name (the
        model_type and module names, without sizes); None when unknown."""
        identification = self.identification(setup)  # config.json on disk, else the catalog
        if identification is None or setup.model_id is None:
            return None
        from ..catalog.identify import identify, identity_of_match, identity_of_names

        model_id = setup.model_id.python
        if identification.match is not None:
            return identity_of_match(model_id, identification.match)
        if identification.names_only is not None:
            return identity_of_names(model_id, identification.names_only)
        return identify(model_id)

    def model_match(self, setup: "TrainingSetup") -> Optional["ModelMatch"]:
        """What is known of the setup's model (its config.json on disk, else the catalog)."""
        identification = self.identification(setup)
        return identification.match if identification is not None else None

    def model_architecture(self, setup: "TrainingSetup") -> Optional["Architecture"]:
        """The module names of the setup's model, also when its sizes are not known."""
        identification = self.identification(setup)
        return identification.architecture if identification is not None else None

    def identification(self, setup: "TrainingSetup") -> Optional["Identification"]:
        """The setup's model and the source of its facts; None when the id is not resolved."""
        if setup.model_id is None:
            return None
        if setup.model_id.origin is not None and setup not in self.consulted:
            self.consulted.append(setup)
        if not isinstance(setup.model_id.python, str):
            return None
        from ..catalog.hf_config import identify  # memoised per process

        return identify(setup.model_id.python, setup.model_revision, self.settings.hf_cache,
                        self.settings.hub)


PYTHON = "python"
YAML = "yaml"


# The examples are plain classes, not data classes: every rule module builds its examples when
# it is imported, on every run that loads it, and a data class's first instance pays for its
# generated methods (~0.7 M instructions for the ~50 examples of a typical script's rules).
class Invalid:
    """An INVALID example of a fixable rule and the source its fix must produce (None: the
    example is reported but gets no automatic fix). ``language`` ``"yaml"``: the example is a
    YAML trainer config, not Python."""

    __slots__ = ("source", "fixed", "language")

    def __init__(self, source: str, fixed: Optional[str], language: str = PYTHON) -> None:
        self.source = source
        self.fixed = fixed
        self.language = language


class YamlConfig:
    """A VALID or INVALID example (of a rule without a fix) that is a YAML trainer config."""

    __slots__ = ("source",)

    def __init__(self, source: str) -> None:
        self.source = source


Example: TypeAlias = "Union[str, Invalid, YamlConfig]"


def example_source(example: Example) -> str:
    return example if isinstance(example, str) else example.source


def example_language(example: Example) -> str:
    """``"python"`` or ``"yaml"``: how the example is analysed and which file suffix it gets."""
    if isinstance(example, YamlConfig):
        return YAML
    return example.language if isinstance(example, Invalid) else PYTHON


def expected_fix(example: Example) -> Optional[str]:
    """What fixing the example must produce; None when it must stay as it is."""
    return example.fixed if isinstance(example, Invalid) else None


class Rule:
    """Base class of every rule; subclasses are registered by ``@register``."""

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    default_enabled: ClassVar[bool] = True
    fix_safety: ClassVar[Optional[SafetyLabel]] = None
    VALID: ClassVar[Tuple[Union[str, YamlConfig], ...]] = ()
    INVALID: ClassVar[Tuple[Example, ...]] = ()
    # Settings the examples are checked with (e.g. a GPU budget for LOR403); keys of Settings.
    EXAMPLE_SETTINGS: ClassVar[Mapping[str, Any]] = {}
    # What a Python file must have before the rule can report on it, any one of them
    # (rules/triggers.py: kinds); a run imports the rule's module only for files that have one.
    # Empty: every file.
    TRIGGERS: ClassVar[Mapping[str, Tuple[str, ...]]] = {}

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
if TYPE_CHECKING:  # pragma: no cover
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


def registered_rule(code: str) -> Type[Rule]:
    """The rule class registered for ``code`` (its module has run)."""
    return _REGISTRY[code]
