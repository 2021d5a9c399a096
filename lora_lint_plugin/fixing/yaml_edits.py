"""Fixes on YAML trainer configs: plain text edits that keep everything else byte for byte.

Rules describe a change on a config's values (which carry their PyYAML node and span) with the
builders here; ``realise`` turns it into text replacements on the file as read, so comments,
quoting, indentation, key order and line endings outside the edit stay as they are. Three
kinds of change:

* ``YamlReplace``: a scalar or a key rewritten (a model id, a renamed key);
* ``YamlRemoveItems``: items dropped from a block (``- item``) or flow (``[a, b]``) list, or
  pieces from a comma-separated string (LLaMA-Factory's ``additional_target: a,b``); when
  every item goes (and the rule allows it), the whole ``key: value`` entry goes;
* nothing else: a change that cannot be placed exactly is no fix (``None``).

``fix_config_source`` applies fixes in rounds like the Python path, re-parses every result with
the YAML reader the analysis uses and refuses a text that does not read back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, List, Optional, Sequence, Tuple

from ..analysis.diagnostics import Diagnostic, Fix, FixSafety, Span
from ..analysis.values import Value
from ..fast_dataclass import dataclass

if TYPE_CHECKING:  # pragma: no cover
    from .rounds import FixOutcome

TextEdit = Tuple[int, int, str]   # [start, end) offsets in the text, replacement
_PLAIN_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-")


@dataclass(frozen=True)
class YamlReplace:
    """Replace the text at ``span`` (one line), which must read ``old``, with ``new``."""

    span: Span
    old: str
    new: str


@dataclass(frozen=True)
class YamlRemoveItems:
    """Drop the items at ``item_spans`` from the list at ``span`` (items in order at
    ``all_item_spans``). ``style``: ``block``, ``flow`` or ``comma`` (pieces of a string).
    ``entry_span`` (from the key to the end of the value) is removed instead when every item
    goes; None: at least one item must stay."""

    span: Span
    item_spans: Tuple[Span, ...]
    all_item_spans: Tuple[Span, ...]
    style: str
    entry_span: Optional[Span]


YamlEdit = (YamlReplace, YamlRemoveItems)


def is_yaml_value(value: Any) -> bool:
    """The value was read from a YAML config (its node is a PyYAML node)."""
    node = getattr(value, "node", None)
    return node is not None and type(node).__module__.split(".")[0] == "yaml"


def is_yaml_fix(fix: Optional[Fix]) -> bool:
    return fix is not None and bool(fix.edits) and all(isinstance(e, YamlEdit) for e in fix.edits)


# -- builders (None: no exact change possible) ----------------------------------------------------

def yaml_scalar(raw: Optional[str], text: str) -> Optional[str]:
    """``text`` written like the scalar ``raw`` (same quotes); None if that needs escaping."""
    if raw is None or not text:
        return None
    if raw[:1] in ("'", '"'):
        quote = raw[0]
        return None if quote in text or "\\" in text else f"{quote}{text}{quote}"
    return text if set(text) <= _PLAIN_SAFE and not text.startswith(("-", ".")) else None


def replace_scalar(value: Value, text: str) -> Optional[YamlReplace]:
    """Rewrite a YAML scalar (e.g. a model id) to hold ``text``, quoted as it was."""
    if not is_yaml_value(value) or not value.literal or value.raw is None:
        return None
    new = yaml_scalar(value.raw, text)
    return YamlReplace(value.span, value.raw, new) if new is not None else None


def rename_key(key_span: Span, old: str, new: str) -> Optional[YamlReplace]:
    """Rename a plain key written at ``key_span`` (its text must be ``old``)."""
    if set(new) - _PLAIN_SAFE:
        return None
    span = Span(key_span.line, key_span.col, key_span.line, key_span.col + len(old))
    return YamlReplace(span, old, new)


def remove_items(sequence: Value, remove: Sequence[Value], entry_span: Optional[Span] = None
                 ) -> Optional[YamlRemoveItems]:
    """Drop ``remove`` from a YAML list (or comma-separated string); ``entry_span``: the
    ``key: value`` entry to delete when no item would stay (else one must stay)."""
    if not is_yaml_value(sequence) or not sequence.items:
        return None
    items = sequence.items
    doomed = [item for item in items if any(item is other for other in remove)]
    if len(doomed) != len(remove) or not doomed:
        return None
    if len(doomed) == len(items) and entry_span is None:
        return None
    node = sequence.node
    kind = type(node).__name__
    if kind == "ScalarNode":
        style = "comma"
        if any(item.span == sequence.span for item in items) and len(items) > 1:
            return None  # pieces not located inside the string
    elif kind == "SequenceNode":
        style = "flow" if node.flow_style else "block"
    else:
        return None
    return YamlRemoveItems(sequence.span, tuple(item.span for item in doomed),
                           tuple(item.span for item in items), style, entry_span)


# -- realisation -----------------------------------------------------------------------------------

class _Text:
    """Offsets of (line, column) positions in a text (lines as the YAML reader counts them)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        for index, char in enumerate(text):
            if char == "\n":
                self.starts.append(index + 1)

    def offset(self, line: int, col: int) -> int:
        return self.starts[line - 1] + col

    def line_text(self, line: int) -> str:
        start = self.starts[line - 1]
        end = self.starts[line] if line < len(self.starts) else len(self.text)
        return self.text[start:end]

    def line_range(self, first: int, last: int) -> Tuple[int, int]:
        """Offsets of whole lines ``first..last`` with the last line's newline."""
        end = self.starts[last] if last < len(self.starts) else len(self.text)
        return self.starts[first - 1], end


def realise(text: str, edit: Any) -> Optional[List[TextEdit]]:
    """The text replacements of one edit; None when it cannot be placed exactly."""
    index = _Text(text)
    try:
        if isinstance(edit, YamlReplace):
            start = index.offset(edit.span.line, edit.span.col)
            end = index.offset(edit.span.end_line, edit.span.end_col)
            return [(start, end, edit.new)] if text[start:end] == edit.old else None
        if isinstance(edit, YamlRemoveItems):
            return _remove(index, edit)
    except IndexError:
        return None
    return None


def _remove(index: _Text, edit: YamlRemoveItems) -> Optional[List[TextEdit]]:
    doomed = set(edit.item_spans)
    if doomed >= set(edit.all_item_spans):
        return _remove_entry(index, edit.entry_span) if edit.entry_span is not None else None
    if edit.style == "block":
        return _remove_block_items(index, edit, doomed)
    return _remove_inline_items(index, edit, doomed)


def _remove_block_items(index: _Text, edit: YamlRemoveItems, doomed: set) -> Optional[List[TextEdit]]:
    """Each doomed item is a line ``<indent>- item [# comment]``: the line goes."""
    edits = []
    for span in edit.item_spans:
        if span.line != span.end_line:
            return None
        line = index.line_text(span.line)
        before = line[:span.col]
        after = line[span.end_col:].strip()
        if before.strip() != "-" or (after and not after.startswith("#")):
            return None
        start, end = index.line_range(span.line, span.line)
        edits.append((start, end, ""))
    return edits


def _remove_inline_items(index: _Text, edit: YamlRemoveItems, doomed: set) -> Optional[List[TextEdit]]:
    """Flow items and comma pieces: a run of doomed items goes with the separator after it
    (up to the next kept item), or, at the end, with the separator before it."""
    spans = list(edit.all_item_spans)
    edits = []
    position = 0
    while position < len(spans):
        if spans[position] not in doomed:
            position += 1
            continue
        run_end = position
        while run_end + 1 < len(spans) and spans[run_end + 1] in doomed:
            run_end += 1
        first, last = spans[position], spans[run_end]
        if run_end + 1 < len(spans):
            following = spans[run_end + 1]
            edits.append((index.offset(first.line, first.col),
                          index.offset(following.line, following.col), ""))
        else:
            previous = spans[position - 1]
            edits.append((index.offset(previous.end_line, previous.end_col),
                          index.offset(last.end_line, last.end_col), ""))
        position = run_end + 1
    return edits


def _remove_entry(index: _Text, entry: Span) -> Optional[List[TextEdit]]:
    """A top-level ``key: value`` entry: its lines go (the key must start its line, and the
    value must end its last line, comments aside)."""
    if index.line_text(entry.line)[:entry.col].strip():
        return None
    last = entry.end_line
    if entry.end_col == 0 and last > entry.line:
        last -= 1  # a block value ends at the start of the next line
    elif index.line_text(last)[entry.end_col:].strip() and \
            not index.line_text(last)[entry.end_col:].strip().startswith("#"):
        return None
    start, end = index.line_range(entry.line, last)
    return [(start, end, "")]


def apply_text_edits(text: str, edits: Sequence[TextEdit]) -> Optional[str]:
    ordered = sorted(edits)
    for (_, end, _), (start, _, _) in zip(ordered, ordered[1:]):
        if end > start:
            return None
    for start, end, new in reversed(ordered):
        text = text[:start] + new + text[end:]
    return text


def fix_text_edits(text: str, fix: Fix) -> Optional[List[TextEdit]]:
    """All replacements of a YAML fix; None if one edit cannot be placed."""
    return fix.realised(lambda edit: realise(text, edit))


def reported_yaml_edits(text: str, fix: Fix) -> Optional[List[Tuple[Span, str]]]:
    """A YAML fix as (span, new text) pairs for reports (JSON, SARIF)."""
    edits = fix_text_edits(text, fix)
    if edits is None:
        return None
    index = _Text(text)

    def position(offset: int) -> Tuple[int, int]:
        line = max(number for number, start in enumerate(index.starts, 1) if start <= offset)
        return line, offset - index.starts[line - 1]

    return [(Span(*position(start), *position(end)), new) for start, end, new in sorted(edits)]


# -- applying fixes to a file ----------------------------------------------------------------------

def fix_config_source(source: str, analyse: Callable[[str], Any], unsafe: bool = False) -> FixOutcome:
    """Apply YAML fixes to ``source`` until none applies; every result must read back as the
    same kind of config, else nothing is written."""
    from .rounds import fix_in_rounds  # the fix path only: checking builds edits, never applies them

    def fix_round(current: str, diagnostics: Sequence[Diagnostic]) -> Optional[Tuple[str, List[Diagnostic]]]:
        edits, fixed = _plan(current, diagnostics, unsafe)
        candidate = apply_text_edits(current, edits) if edits else None
        return (candidate, fixed) if candidate is not None else None

    return fix_in_rounds(source, analyse, fix_round, _refusal)


def _plan(text: str, diagnostics: Sequence[Diagnostic], unsafe: bool) -> Tuple[List[TextEdit], List[Diagnostic]]:
    """Non-overlapping edits of the eligible fixes of one round, and what they fix."""
    edits: List[TextEdit] = []
    fixed: List[Diagnostic] = []
    for diagnostic in diagnostics:
        fix = diagnostic.fix
        if fix is None or not is_yaml_fix(fix) or (fix.safety == FixSafety.UNSAFE and not unsafe):
            continue
        found = fix_text_edits(text, fix)
        if not found:
            continue
        if set(found) <= set(edits):  # the same change as a fix already planned
            fixed.append(diagnostic)
            continue
        if any(a < d and c < b for a, b, _ in found for c, d, _ in edits):
            continue
        edits.extend(found)
        fixed.append(diagnostic)
    return edits, fixed


def _refusal(candidate: str) -> Optional[str]:
    """Why a fixed config cannot be written: it no longer reads as a config (None: it does)."""
    from ..analysis.yaml_document import YamlError, parse_config

    try:
        document = parse_config(candidate)
    except YamlError as error:
        problem = error.describe()
    else:
        if document is not None:
            return None
        problem = "no longer a mapping of settings"
    return f"a fix produced a config that does not read back ({problem}); nothing written"
