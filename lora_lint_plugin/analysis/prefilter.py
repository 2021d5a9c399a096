"""Cheap tests that decide whether a file is worth analysing at all.

flake8 runs every installed plugin on every file, so lora-lint must cost next to nothing on
code that never fine-tunes a model. Two gates, cheapest first:

1. ``might_contain_training_code(source)``: a file can only hold a training setup if it
   imports one of the LoRA libraries *and* names one of the calls the rules look at; both
   tests are substring or line-anchored regex searches on the text.
2. ``has_candidate_call(tree)``: on the ``ast`` tree (flake8 has already built it; the CLI
   pays one ``ast.parse``), is there at least one call whose callee, followed through the
   file's imports, is one the extractor recognises? Every rule reports about a recognised
   call, so a file without one has nothing to report, and the scope analysis and extraction
   are skipped. The test
   over-approximates the extractor's name resolution (imports in any scope count everywhere,
   ``*`` imports count as a candidate), so it never hides a call the full analysis would see.
"""

from __future__ import annotations

import ast
import functools
import re
import sys
import warnings
from typing import Dict, FrozenSet, List, Optional, Set, Tuple, Union, cast

from ..fast_dataclass import dataclass
from .callees import LOADER_METHODS, classify, linking_facts
from .nodes import REVERSED_FIELDS, reversed_node_fields
from .scopes import import_binding

# The file must import one of the LoRA libraries (a plain transformers file has no adapter).
_LIBRARY_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+(?:peft|unsloth|trl)\b|import[ \t][^\n#]*\b(?:peft|unsloth|trl)\b)",
    re.MULTILINE)

# ...and at least one of the calls or names the extractor and rules look at.
_CALL_MARKERS = (
    "LoraConfig",
    "get_peft_model",
    "FastLanguageModel",
    "FastModel",
    "FastVisionModel",
    "SFTTrainer",
    "SFTConfig",
    "UnslothTrainer",
    "PeftModel",
    "DPOTrainer",
    "DPOConfig",
    "ORPOTrainer",
    "ORPOConfig",
    "KTOTrainer",
    "KTOConfig",
    "CPOTrainer",
    "CPOConfig",
    "GRPOTrainer",
    "GRPOConfig",
    "RewardTrainer",
    "RewardConfig",
    "PPOTrainer",
    "GKDTrainer",
    "RLOOTrainer",
)
# Every import the regex accepts names one of these: three substring tests reject almost every
# file before the markers are searched at all.
_LIBRARY_NAMES = ("peft", "trl", "unsloth")

# Top-level packages whose calls ``callees.classify`` can recognise.
_RECOGNISED_ROOTS = frozenset(("peft", "trl", "unsloth", "transformers"))


def might_contain_training_code(source: str) -> bool:
    """True when ``source`` may contain a LoRA training setup; False means: certainly not."""
    if not any(library in source for library in _LIBRARY_NAMES):
        return False
    if not any(marker in source for marker in _CALL_MARKERS):
        return False
    return _LIBRARY_IMPORT.search(source) is not None


def _note_recognised_imports(node: Union[ast.Import, ast.ImportFrom],
                             bindings: Dict[str, Set[str]]) -> bool:
    """Add the names ``node`` binds to a recognised library; True for ``from lib import *``."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name.split(".")[0] in _RECOGNISED_ROOTS:
                local, target = import_binding(alias)
                bindings.setdefault(local, set()).add(target)
        return False
    if node.level or not node.module or node.module.split(".")[0] not in _RECOGNISED_ROOTS:
        return False
    for alias in node.names:
        if alias.name == "*":
            return True
        local, target = import_binding(alias, node.module)
        bindings.setdefault(local, set()).add(target)
    return False


def has_candidate_call(tree: ast.AST) -> bool:
    """False only when no call in ``tree`` can be one the extractor recognises.

    ``tree`` is the module's ``ast``. Nodes are visited in source order, so a call after the
    imports it needs answers at once; calls seen before a (late) import are checked at the end.
    """
    bindings: Dict[str, Set[str]] = {}
    deferred: List[ast.expr] = []
    last_names = _recognisable_last_names()
    pending: List[ast.AST] = [tree]
    pop, push, extend = pending.pop, pending.append, pending.extend
    fields_of = REVERSED_FIELDS.get
    name_class, constant_class, attribute_class, call_class = \
        ast.Name, ast.Constant, ast.Attribute, ast.Call
    keyword_class = ast.keyword
    while pending:  # the exact class: ``ast.parse`` builds no subclasses of its node types
        node = pop()
        kind = node.__class__
        if kind is name_class or kind is constant_class or node is None:
            continue   # leaves (and the ``None`` of ``{**a}`` keys, keyword-only defaults)
        if kind is attribute_class or kind is keyword_class:   # one field: inline
            value = node.value   # type: ignore[attr-defined]
            if value.__class__ is not name_class:   # ``self.x``: nothing below
                push(value)
            continue
        if kind is call_class:
            callee = node.func   # type: ignore[attr-defined]
            extend(reversed(node.keywords))   # type: ignore[attr-defined]
            extend(reversed(node.args))   # type: ignore[attr-defined]
            push(callee)
            # Only a call of an imported name, or of an attribute named like a modelled
            # callee (``peft.LoraConfig``, ``Loader.from_pretrained``), can be recognised:
            # the others are never looked up (most calls).
            callee_class = callee.__class__
            if callee_class is name_class:
                if callee.id in bindings and _may_be_recognised(callee, bindings):
                    return True
                deferred.append(callee)   # bound by a later import?
            elif callee_class is attribute_class and callee.attr in last_names:
                if _may_be_recognised(callee, bindings):
                    return True
                deferred.append(callee)
            continue
        for name in fields_of(kind) or reversed_node_fields(kind):  # popped in field order
            value = getattr(node, name, None)
            if value.__class__ is list:
                extend(reversed(value))
            elif value is not None:
                push(value)
        if kind is ast.Import or kind is ast.ImportFrom:
            if _note_recognised_imports(cast(Union[ast.Import, ast.ImportFrom], node), bindings):
                return True  # names we cannot see: let the full analysis decide
    return bool(bindings) and any(_may_be_recognised(callee, bindings) for callee in deferred
                                  if callee.__class__ is not name_class or callee.id in bindings)


@functools.lru_cache(maxsize=1)
def _recognisable_last_names() -> FrozenSet[str]:
    """The last name of every callee ``callees.classify`` can recognise through an attribute
    (``peft.LoraConfig``, ``AutoModelForCausalLM.from_pretrained``)."""
    return frozenset(name for _, name in linking_facts().modelled_calls) | frozenset(LOADER_METHODS)


def _may_be_recognised(callee: ast.expr, bindings: Dict[str, Set[str]]) -> bool:
    """Can a call of ``callee`` be one ``callees.classify`` recognises, given the imports?"""
    if not bindings:
        return False
    attributes: List[str] = []
    while isinstance(callee, ast.Attribute):
        attributes.append(callee.attr)
        callee = callee.value
    if not isinstance(callee, ast.Name):
        return False
    if callee.id not in bindings:
        # ``model_class.from_pretrained()``: may hold an imported loader
        return len(attributes) == 1 and attributes[0] in LOADER_METHODS
    suffix = "".join("." + name for name in reversed(attributes))
    return any(classify(target + suffix) is not None for target in bindings[callee.id])


# How CPython's parser says "nested too deeply" (3.9-3.13).
_TOO_DEEP_MESSAGES = ("too many nested", "too complex", "too many levels of indentation",
                      "stack overflow")


TOO_DEEP = "the code is nested too deeply to analyse"


@dataclass(frozen=True)
class ParseFailure:
    """Why the running Python cannot parse a text, and where (1-based; 1:1 when unknown)."""

    reason: str  # without the position, e.g. "syntax error: invalid syntax (Python 3.11)"
    line: int = 1
    column: int = 1
    located: bool = False  # the parser named the position
    # Set when the error comes from syntax a newer Python accepts (``syntax_versions``): the
    # code is not broken, only unreadable here. E.g. "f-string syntax of Python 3.12 (PEP 701)".
    newer_syntax: Optional[str] = None

    def describe(self) -> str:
        """The reason with its line, for a message about a whole file."""
        if not self.located:
            return self.reason
        head, _, rest = self.reason.partition(": ")
        return f"{head} at line {self.line}: {rest}" if rest else self.reason


def parse_quietly(source: str) -> ast.Module:
    """``ast.parse`` that prints nothing.

    Python reports questionable user code while parsing it (``SyntaxWarning: invalid escape
    sequence '\\{'`` on 3.12+, a ``DeprecationWarning`` before): warnings about strings in the
    user's file, shown as ``<unknown>:LINE`` without a file name, are noise in a linter's
    output, and ``-W error`` would turn them into a SyntaxError. The user's own Python shows
    them when it runs the code.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(source)


def parse_python(source: str) -> Tuple[Optional[ast.Module], Optional[str]]:
    """(``ast`` tree, None), or (None, why the running Python cannot parse ``source``)."""
    tree, failure = parse_located(source)
    return tree, failure.describe() if failure is not None else None


def parse_located(source: str) -> Tuple[Optional[ast.Module], Optional[ParseFailure]]:
    """(``ast`` tree, None), or (None, why and where the running Python cannot parse it)."""
    try:
        return parse_quietly(source), None
    except RecursionError:
        # Legal but deep (a 3,000-term sum): Python builds the tree with more stack.
        from .deep_stack import AnalysisError, call_with_deep_stack

        try:
            return call_with_deep_stack(lambda: parse_quietly(source)), None
        except (AnalysisError, RecursionError, MemoryError, SyntaxError, ValueError):
            return None, ParseFailure(TOO_DEEP)
    except MemoryError:
        return None, ParseFailure(TOO_DEEP)
    except SyntaxError as error:
        if any(text in str(error.msg) for text in _TOO_DEEP_MESSAGES):
            return None, ParseFailure(TOO_DEEP)
        reason = f"syntax error: {error.msg} (Python {sys.version_info[0]}.{sys.version_info[1]})"
        if not error.lineno:
            return None, ParseFailure(reason)
        from .syntax_versions import newer_python_syntax

        lines = source.splitlines()
        line = lines[error.lineno - 1] if 0 < error.lineno <= len(lines) else ""
        return None, ParseFailure(reason, error.lineno, max(error.offset or 1, 1), located=True,
                                  newer_syntax=newer_python_syntax(str(error.msg), line))
    except (ValueError, OverflowError) as error:  # NUL bytes (Python < 3.12), huge literals
        return None, ParseFailure(f"cannot parse: {error}")
