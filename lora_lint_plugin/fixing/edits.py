"""What a fix changes, described by rules without LibCST: source spans and new code.

Rules run on the ``ast`` model and describe each change as an ``Edit`` (plain, picklable
data). ``fixes.py`` realises edits on a LibCST tree of the same text, only for files that
get fixed (or whose fix edits a report shows), so the check path never pays for LibCST.
Each builder returns None when the change cannot be made safely in place; a rule then
reports the diagnostic without a fix.
"""

from __future__ import annotations

import ast
import io
import tokenize
from typing import TYPE_CHECKING, Any, Optional, Sequence, Tuple, Union

from ..analysis.diagnostics import Fix, Span
from ..analysis.model import Argument
from ..analysis.values import Value
from ..fast_dataclass import dataclass

if TYPE_CHECKING:  # imported when a YAML config is fixed, never for Python code
    from ..analysis.diagnostics import SafetyLabel
    from .yaml_edits import YamlRemoveItems, YamlReplace


@dataclass(frozen=True)
class ReplaceExpression:
    """Replace the expression written at ``span`` with ``code`` (its parentheses are kept)."""

    span: Span
    code: str


@dataclass(frozen=True)
class RemoveElements:
    """Drop the elements at ``element_spans`` from the list/tuple/set literal at ``span``,
    which has ``element_count`` elements (at least one must stay)."""

    span: Span
    element_spans: Tuple[Span, ...]
    element_count: int


@dataclass(frozen=True)
class AddKeyword:
    """Append ``keyword=code`` to the call at ``span``, laid out like its other arguments."""

    span: Span
    keyword: str
    code: str


@dataclass(frozen=True)
class RemoveArguments:
    """Drop the arguments at ``argument_spans`` from the call at ``span``."""

    span: Span
    argument_spans: Tuple[Span, ...]


@dataclass(frozen=True)
class AddImportedName:
    """Add ``name`` to the ``from module import ...`` statement at ``span``."""

    span: Span
    name: str


@dataclass(frozen=True)
class MoveStatementUp:
    """Move the last of the consecutive module-level statements at ``statement_spans`` up to
    the place of the first; the ones in between shift down, comments stay with the layout."""

    span: Span
    statement_spans: Tuple[Span, ...]


Edit = Union[ReplaceExpression, RemoveElements, AddKeyword, RemoveArguments, AddImportedName,
             MoveStatementUp]


# A change on a YAML config (``yaml_edits``): realised as text edits, never by LibCST.
AnyEdit = Union[Edit, "YamlReplace", "YamlRemoveItems"]


def make_fix(safety: SafetyLabel, description: str, *edits: Optional[AnyEdit]) -> Optional[Fix]:
    """A Fix, or None when any edit could not be built."""
    present = tuple(edit for edit in edits if edit is not None)
    if not edits or len(present) != len(edits):
        return None
    return Fix(safety=safety, description=description, edits=present)


# -- builders --------------------------------------------------------------------------------

_QUOTES = ('"""', "'''", '"', "'")


def string_code(template: Optional[str], text: str) -> Optional[str]:
    """A string literal holding ``text``, written like the literal ``template`` (its source
    text: same prefix and quotes); None if ``template`` is not one plain string token or
    ``text`` would need escaping (model ids and module names never do)."""
    if template is None or not _single_string_token(template):
        return None
    prefix_length = len(template) - len(template.lstrip("rRuUbBfF"))
    prefix, rest = template[:prefix_length], template[prefix_length:]
    quote = next((q for q in _QUOTES if rest.startswith(q)), None)
    if quote is None or "b" in prefix.lower() or "f" in prefix.lower():
        return None
    if "\\" in text or quote[0] in text or "\n" in text or "\r" in text:
        return None
    return f"{prefix}{quote}{text}{quote}"


def _single_string_token(code: str) -> bool:
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(code).readline)
                  if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER)]
    except (tokenize.TokenError, SyntaxError):
        return False
    return len(tokens) == 1 and tokens[0].type == tokenize.STRING


def _from_yaml(value: Any) -> bool:
    """``value`` was read from a YAML config: its node is not Python's (``yaml_edits`` is
    imported only then)."""
    node = getattr(value, "node", None)
    if node is None or isinstance(node, ast.AST):
        return False
    from .yaml_edits import is_yaml_value

    return is_yaml_value(value)


def replace_string(value: Value, text: str) -> Optional[Union[ReplaceExpression, "YamlReplace"]]:
    """Rewrite the string literal behind ``value`` to hold ``text`` (a YAML scalar too)."""
    if _from_yaml(value):
        from .yaml_edits import replace_scalar

        return replace_scalar(value, text)
    if not value.literal:
        return None
    code = string_code(value.raw, text)
    return ReplaceExpression(value.span, code) if code is not None else None


def replace_with_code(value: Value, code: str) -> ReplaceExpression:
    """Replace the expression behind ``value`` (the caller made sure it is written where the
    fix means it: a literal, or a display in the call itself) with ``code``."""
    return ReplaceExpression(value.span, code)


def is_written_sequence(value: Value) -> bool:
    """``value`` is a list, tuple or set display written in the source (not computed)."""
    return isinstance(value.node, (ast.List, ast.Tuple, ast.Set))


def remove_elements(sequence: Value, remove: Sequence[Value]
                    ) -> Optional[Union[RemoveElements, "YamlRemoveItems"]]:
    """Drop some elements of a list/tuple/set literal (or a YAML list), keeping the others'
    formatting; at least one must stay."""
    if _from_yaml(sequence):
        from .yaml_edits import remove_items

        return remove_items(sequence, remove)
    node = sequence.node
    if not is_written_sequence(sequence):
        return None
    elements = node.elts
    doomed = {id(item.node) for item in remove}
    if not doomed <= {id(element) for element in elements}:
        return None  # an element comes from elsewhere (a name, a starred list)
    if len(doomed) >= len(elements):
        return None
    return RemoveElements(sequence.span, tuple(item.span for item in remove), len(elements))


def add_keyword(call_span: Span, keyword: str, code: str) -> AddKeyword:
    return AddKeyword(call_span, keyword, code)


def rename_keyword(argument: Argument, new_name: str) -> Optional[Union[ReplaceExpression, "YamlReplace"]]:
    """Rename a keyword argument written in the call (``max_seq_length=`` -> ``max_length=``).

    None when the argument comes through ``**`` or is positional (nothing to rename in place).
    A YAML config's setting (no Python node) is its key, renamed in place.
    """
    node = argument.node
    if node is None:
        from .yaml_edits import rename_key

        return rename_key(argument.span, argument.name, new_name)
    if not isinstance(node, ast.keyword) or node.arg is None:
        return None
    span = Span(argument.span.line, argument.span.col, argument.span.line,
                argument.span.col + len(node.arg))
    return ReplaceExpression(span, new_name)


def is_written_keyword(argument: Argument) -> bool:
    """The argument is ``name=value`` written in the call (not positional, not ``**``)."""
    node = argument.node
    return isinstance(node, ast.keyword) and node.arg is not None


def remove_arguments(call_span: Span, argument_spans: Sequence[Span]) -> RemoveArguments:
    return RemoveArguments(call_span, tuple(argument_spans))


def add_imported_name(import_span: Span, name: str) -> AddImportedName:
    return AddImportedName(import_span, name)


def move_statement_up(statement_spans: Sequence[Span]) -> MoveStatementUp:
    first, last = statement_spans[0], statement_spans[-1]
    return MoveStatementUp(Span(first.line, first.col, last.end_line, last.end_col),
                           tuple(statement_spans))
