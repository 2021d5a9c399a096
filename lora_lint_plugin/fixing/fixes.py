"""Fixes: realising rules' ``edits.Edit``s on a LibCST tree, and applying them.

Rules describe changes as spans of the analysed text (``edits.py``). Here the text is parsed
with LibCST (only for files that get fixed, or whose fix edits a report shows), each edit is
found by its span (``PositionProvider``) and turned into a node replacement. A replacement
is a function of the node *after* the changes inside it, so edits nested in one another (an
argument moved into a call that sits inside the call it leaves) compose. The new text of each
outermost replaced node is spliced into the source, checked to replace exactly the old node's
text, so every other byte (formatting, comments) is kept; LibCST's whole-module transform is
the fallback and the tests' reference. Output must parse before it is accepted, and the whole
cycle repeats until no fix applies (fixes touching the same text are applied in later rounds),
so the result is idempotent: a second run changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional, Sequence, Set, Tuple

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from ..analysis.diagnostics import Diagnostic, Fix, FixSafety, Span
from ..analysis.ast_parsing import parse_quietly
from ..fast_dataclass import dataclass

if TYPE_CHECKING:
    from ..analysis.engine import Analysis
from .rounds import FixOutcome, fix_in_rounds
from .edits import (
    AddImportedName,
    AddKeyword,
    MoveStatementUp,
    RemoveArguments,
    RemoveElements,
    ReplaceExpression,
)


@dataclass(frozen=True)
class Replacement:
    """Replace ``old`` (by identity) with ``build(old as updated by nested replacements)``.

    ``span`` is the text ``old``'s code occupies (what a reported edit replaces).
    """

    old: cst.CSTNode
    build: Callable[[Any], cst.CSTNode]
    span: Span


class CstIndex:
    """A LibCST module of the analysed text with its nodes found by span."""

    def __init__(self, source: str) -> None:
        from .parsing import parse_module
        from ..analysis.positions import SourceLines

        self.lines = SourceLines(source)
        self.module = parse_module(source)
        positions = MetadataWrapper(self.module, unsafe_skip_copy=True).resolve(PositionProvider)
        self._by_span: Dict[Span, List[cst.CSTNode]] = {}
        for node, where in positions.items():
            start, end = where.start, where.end
            self._add(Span(start.line, start.column, end.line, end.column), node)
            if isinstance(node, cst.Tuple) and node.lpar and node.rpar:
                # ``ast`` spans a parenthesised tuple with its own (innermost) pair of
                # parentheses; LibCST leaves them out. ``((a, b))`` has two pairs.
                start, end = positions[node.lpar[-1]].start, positions[node.rpar[0]].end
                self._add(Span(start.line, start.column, end.line, end.column), node)
        self._line_of: Dict[int, cst.SimpleStatementLine] = {
            id(line.body[0]): line for line in self.module.body
            if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1}

    def _add(self, span: Span, node: cst.CSTNode) -> None:
        self._by_span.setdefault(span, []).append(node)

    def nodes_at(self, span: Span) -> Sequence[cst.CSTNode]:
        """Every node written exactly at ``span``."""
        return self._by_span.get(span, ())

    def find(self, span: Span, *types: type) -> Optional[Any]:
        """A node of one of ``types`` written exactly at ``span``."""
        for node in self.nodes_at(span):
            if isinstance(node, types):
                return node
        return None

    def code_of(self, node: cst.CSTNode, indent: str = "") -> str:
        """``node``'s code with line breaks as ``\n`` (as ``SourceLines.segment`` gives)."""
        return self.code_in_block(node, indent).replace("\r\n", "\n").replace("\r", "\n")

    def code_in_block(self, node: cst.CSTNode, indent: str) -> str:
        """``node``'s code as written in a block indented by ``indent``: lines continued inside
        brackets may carry the block's indentation, which ``Module.code_for_node`` leaves out.
        Generated with public API only: the expression as the statement of an ``if`` block."""
        if not indent or not isinstance(node, cst.BaseExpression):
            return self.module.code_for_node(node)
        newline = self.module.default_newline
        holder = cst.Module(
            body=[cst.If(test=cst.Name("x"), body=cst.IndentedBlock(
                body=[cst.SimpleStatementLine([cst.Expr(node)])], indent=indent))],
            default_indent=self.module.default_indent, default_newline=newline)
        code = holder.code
        return code[len("if x:" + newline + indent):len(code) - len(newline)]

    def indents_around(self, span: Span) -> Iterator[str]:
        """Candidate block indentations for a node starting at ``span``: none, then the
        leading whitespace of its line and of the lines above, up to the first unindented one."""
        yield ""
        seen = {""}
        for number in range(span.line, max(0, span.line - 500), -1):
            text = self.lines.line(number)
            stripped = text.lstrip(" \t\f")
            if not stripped:
                continue
            lead = text[:len(text) - len(stripped)]
            if lead not in seen:
                seen.add(lead)
                yield lead
            if not lead:
                return

    def line_span(self, line: cst.SimpleStatementLine, statement: Span) -> Span:
        """The text a module-level statement line occupies: its leading comment and blank
        lines, the statement at ``statement``, its end-of-line comment and newline."""
        code = self.code_of(line)
        start = statement.line - len(line.leading_lines)
        end_line = start + code.count("\n")
        return Span(start, 0, end_line, len(code) - (code.rfind("\n") + 1))

    def statement_line(self, span: Span) -> Optional[cst.SimpleStatementLine]:
        """The module-level line holding only the small statement at ``span``."""
        node = self.find(span, cst.BaseSmallStatement)
        return self._line_of.get(id(node)) if node is not None else None


# -- realising edits ---------------------------------------------------------------------------

Realised = Optional[List[Replacement]]


def _replace_expression(edit: ReplaceExpression, index: CstIndex) -> Realised:
    node = index.find(edit.span, cst.BaseExpression)
    if node is None:
        return None
    try:
        new = cst.parse_expression(edit.code)
    except cst.ParserSyntaxError:
        return None
    return [Replacement(node, lambda updated: new.with_changes(
        lpar=updated.lpar, rpar=updated.rpar), edit.span)]


def _remove_elements(edit: RemoveElements, index: CstIndex) -> Realised:
    node = index.find(edit.span, cst.List, cst.Tuple, cst.Set)
    if node is None:
        return None
    doomed = _positions(node.elements, edit.element_spans, index, lambda element: element.value)
    if doomed is None or len(doomed) >= len(node.elements):
        return None
    removed: Set[int] = doomed
    return [Replacement(node, lambda updated: sequence_without(updated, removed), edit.span)]


def _add_keyword(edit: AddKeyword, index: CstIndex) -> Realised:
    node = index.find(edit.span, cst.Call)
    if node is None:
        return None
    return [Replacement(node, lambda updated: call_with_keyword(updated, edit.keyword, edit.code),
                        edit.span)]


def _remove_arguments(edit: RemoveArguments, index: CstIndex) -> Realised:
    node = index.find(edit.span, cst.Call)
    if node is None:
        return None
    doomed = _positions(node.args, edit.argument_spans, index, lambda arg: arg)
    if doomed is None:
        return None
    removed: Set[int] = doomed
    return [Replacement(node, lambda updated: call_without_arguments(updated, removed), edit.span)]


def _add_imported_name(edit: AddImportedName, index: CstIndex) -> Realised:
    node = index.find(edit.span, cst.ImportFrom)
    if node is None or isinstance(node.names, cst.ImportStar):
        return None
    return [Replacement(node, lambda updated: import_with_name(updated, edit.name), edit.span)]


def _move_statement_up(edit: MoveStatementUp, index: CstIndex) -> Realised:
    found = [index.statement_line(span) for span in edit.statement_spans]
    lines = [line for line in found if line is not None]
    if len(lines) != len(found):
        return None
    return [Replacement(old, _constant_builder(new), index.line_span(old, span))
            for old, new, span in zip(lines, rotated_lines(lines), edit.statement_spans)]


# How each kind of edit becomes node replacements (the edit kinds are ``edits.Edit``).
_REALISERS: Dict[type, Callable[[Any, CstIndex], Realised]] = {
    ReplaceExpression: _replace_expression,
    RemoveElements: _remove_elements,
    AddKeyword: _add_keyword,
    RemoveArguments: _remove_arguments,
    AddImportedName: _add_imported_name,
    MoveStatementUp: _move_statement_up,
}


def realise(edit: Any, index: CstIndex) -> Realised:
    """The node replacements that make ``edit``; None when its nodes are not found."""
    realiser = _REALISERS.get(type(edit))
    return realiser(edit, index) if realiser is not None else None


def _positions(children: Sequence[Any], spans: Sequence[Span], index: CstIndex,
               part: Callable[[Any], Any]) -> Optional[Set[int]]:
    """Positions in ``children`` of the ones written at ``spans`` (None if one is missing)."""
    wanted = {id(node) for span in spans for node in index.nodes_at(span)}
    found = {position for position, child in enumerate(children) if id(part(child)) in wanted}
    return found if len(found) == len(set(spans)) else None


def sequence_without(node: Any, doomed: Set[int]) -> Any:
    """A list/tuple/set display without the elements at positions ``doomed``."""
    elements = list(node.elements)
    kept: List[cst.BaseElement] = []
    for position, element in enumerate(elements):
        if position in doomed:
            if kept and position == len(elements) - 1:
                # keep the layout of the closing line: the last kept element takes this comma
                kept[-1] = kept[-1].with_changes(comma=element.comma)
            continue
        kept.append(element)
    if isinstance(node, cst.Tuple) and len(kept) == 1 and kept[0].comma == cst.MaybeSentinel.DEFAULT:
        kept[0] = kept[0].with_changes(comma=cst.Comma())
    return node.with_changes(elements=kept)


# -- LibCST layout helpers ------------------------------------------------------------------

def call_with_keyword(call_node: cst.Call, keyword: str, value_code: str) -> cst.Call:
    """Append ``keyword=value`` to a call, indented like the other arguments.

    Multi-line calls get the new argument on its own line at the arguments' indentation;
    end-of-line comments stay on the line they were on.
    """
    new_arg = cst.Arg(value=cst.parse_expression(value_code), keyword=cst.Name(keyword),
                      equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                            whitespace_after=cst.SimpleWhitespace("")))
    args = list(call_node.args)
    if not args:
        return call_node.with_changes(args=[new_arg])

    def line_break_before_an_argument() -> Optional[Any]:
        """The whitespace that starts a new argument line (no comment, no blank lines)."""
        if len(args) >= 2 and isinstance(args[-2].comma, cst.Comma) and \
                isinstance(args[-2].comma.whitespace_after, cst.ParenthesizedWhitespace):
            return args[-2].comma.whitespace_after
        if isinstance(call_node.whitespace_before_args, cst.ParenthesizedWhitespace):
            return call_node.whitespace_before_args
        return None

    last = args[-1]
    one_line = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    if isinstance(last.comma, cst.Comma):
        closing = last.comma.whitespace_after
        line_break = line_break_before_an_argument()
        if isinstance(closing, cst.ParenthesizedWhitespace) and line_break is not None:
            # ``last,  # comment`` keeps its comment; the new argument ends the list
            between = cst.Comma(whitespace_after=line_break.with_changes(
                first_line=closing.first_line, empty_lines=[]))
            end = last.comma.with_changes(
                whitespace_after=closing.with_changes(first_line=cst.TrailingWhitespace()))
            args[-1] = last.with_changes(comma=between)
            args.append(new_arg.with_changes(comma=end))
        else:
            args[-1] = last.with_changes(comma=one_line)
            args.append(new_arg.with_changes(comma=last.comma))
    else:
        line_break = line_break_before_an_argument()
        between = one_line
        if line_break is not None and len(args) >= 2:
            between = cst.Comma(whitespace_after=line_break.with_changes(
                first_line=cst.TrailingWhitespace(), empty_lines=[]))
        args[-1] = last.with_changes(comma=between, whitespace_after_arg=cst.SimpleWhitespace(""))
        args.append(new_arg.with_changes(whitespace_after_arg=last.whitespace_after_arg))
    return call_node.with_changes(args=args)


def call_without_arguments(call_node: cst.Call, doomed: Set[int]) -> cst.Call:
    """``call_node`` without the arguments at positions ``doomed``, keeping the layout (and
    end-of-line comments) of what remains."""
    args = list(call_node.args)
    kept: List[Any] = []
    for position, arg in enumerate(args):
        if position not in doomed:
            kept.append(arg)
            continue
        if arg is args[-1] and kept:
            # The last argument goes: the previous one takes over the closing layout (its
            # own end-of-line comment kept when both commas end their lines).
            previous = kept[-1]
            if isinstance(arg.comma, cst.Comma):
                comma = arg.comma
                if isinstance(previous.comma, cst.Comma) and isinstance(
                        previous.comma.whitespace_after, cst.ParenthesizedWhitespace) and \
                        isinstance(comma.whitespace_after, cst.ParenthesizedWhitespace):
                    comma = comma.with_changes(whitespace_after=comma.whitespace_after.with_changes(
                        first_line=previous.comma.whitespace_after.first_line,
                        empty_lines=previous.comma.whitespace_after.empty_lines))
                kept[-1] = previous.with_changes(comma=comma)
            else:
                kept[-1] = previous.with_changes(comma=cst.MaybeSentinel.DEFAULT,
                                                 whitespace_after_arg=arg.whitespace_after_arg)
    return call_node.with_changes(args=kept)


def import_with_name(node: cst.ImportFrom, name: str) -> cst.ImportFrom:
    """``from m import a, b`` -> ``from m import a, b, name``, keeping the layout."""
    names: List[cst.ImportAlias] = list(node.names)  # type: ignore[arg-type]
    last = names[-1]
    if isinstance(last.comma, cst.Comma):
        names.append(cst.ImportAlias(name=cst.Name(name), comma=last.comma))
    else:
        names[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        names.append(cst.ImportAlias(name=cst.Name(name)))
    return node.with_changes(names=names)


def _is_cell_delimiter(line: cst.EmptyLine) -> bool:
    """``# %%`` lines separate cells (Jupytext/VS Code scripts, notebooks joined by lora-lint)."""
    return line.comment is not None and line.comment.value.startswith("# %%")


def rotated_lines(statements: List[Any]) -> List[Any]:
    """The last statement line moved up to the first's place, the others shifted down.

    Each line keeps its own comments; the block's leading lines (blank lines, a header
    comment) stay at the top. Across notebook / ``# %%`` cells every comment line stays where
    it is, so each cell keeps its place and the statements rotate under them.
    """
    moved = statements[-1]
    if any(_is_cell_delimiter(line) for statement in statements[1:]
           for line in statement.leading_lines):
        return [statement.with_changes(leading_lines=slot.leading_lines)
                for statement, slot in zip([moved] + statements[:-1], statements)]
    own_comments = [line for line in moved.leading_lines if line.comment is not None]
    new_lines = [moved.with_changes(leading_lines=list(statements[0].leading_lines) + own_comments),
                 statements[0].with_changes(leading_lines=())]
    new_lines.extend(statements[1:-1])
    return new_lines


# -- applying fixes ---------------------------------------------------------------------------

class _ReplaceNodes(cst.CSTTransformer):
    def __init__(self, replacements: Sequence[Replacement]) -> None:
        super().__init__()
        self.builders: Dict[int, List[Callable[[Any], cst.CSTNode]]] = {}
        for replacement in replacements:
            self.builders.setdefault(id(replacement.old), []).append(replacement.build)

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode):
        for build in self.builders.get(id(original_node), ()):
            updated_node = build(updated_node)
        return updated_node


def realise_fix(fix: Fix, index: CstIndex) -> Optional[List[Replacement]]:
    """All replacements of ``fix``, or None when one of its edits cannot be realised."""
    return fix.realised(lambda edit: realise(edit, index))


def reported_edits(fix: Fix, index: CstIndex) -> Optional[List[Tuple[Span, str]]]:
    """``fix`` as non-overlapping (span, new text) pairs, for reports (JSON, SARIF).

    Each pair replaces exactly the text the old node's code occupies; that is checked against
    the source, so a report never carries an edit that would not reproduce the fix.
    """
    replacements = realise_fix(fix, index)
    return text_edits(replacements, index) if replacements is not None else None


def text_edits(replacements: Sequence[Replacement],
               index: CstIndex) -> Optional[List[Tuple[Span, str]]]:
    """Replacements as (span, new text) pairs: one per outermost replaced node, its text
    generated with the replacements nested inside it; None if one cannot be placed."""
    outermost = [r for r in replacements
                 if not any(other is not r and other.span.contains(r.span)
                            and other.span != r.span for other in replacements)]
    edits = []
    transformer = _ReplaceNodes(replacements)
    done: Set[int] = set()
    for replacement in outermost:
        if id(replacement.old) in done:
            continue
        done.add(id(replacement.old))
        old, new = replacement.old, replacement.old.visit(transformer)
        if not isinstance(new, cst.CSTNode):  # the builders never remove a node
            return None
        written = index.lines.segment(replacement.span)
        text = _text_in_place(index, old, new, written, replacement.span)
        if text is None:
            return None
        edits.append((replacement.span, text))
    return edits


def apply_fixes(index: CstIndex, fixes: Sequence[Fix], splice: bool = True) -> Tuple[str, Set[int]]:
    """The text of ``index`` with ``fixes`` (not overlapping each other) applied, and the
    ids of the fixes that could be applied.

    Splicing the rewritten nodes' text into the source avoids transforming and regenerating
    the whole module; when a node's text cannot be placed exactly, the whole-module
    transform (``splice=False``) is used instead. Both give the same text.
    """
    replacements: List[Replacement] = []
    applied: Set[int] = set()
    edits: Optional[List[Tuple[Span, str]]] = [] if splice else None
    for fix in fixes:
        made = realise_fix(fix, index)
        if made is None:
            continue
        replacements.extend(made)
        applied.add(id(fix))
        if edits is not None:
            placed = text_edits(made, index)
            edits = edits + placed if placed is not None else None
    if not replacements:
        return index.lines.source, applied
    if edits is not None:
        return index.lines.replaced(edits), applied
    return index.module.visit(_ReplaceNodes(replacements)).code, applied


def _constant_builder(new: cst.CSTNode) -> Callable[[Any], cst.CSTNode]:
    return lambda _updated: new


def _without_outer_parentheses(node: cst.CSTNode) -> cst.CSTNode:
    if not isinstance(node, cst.BaseExpression):
        return node
    return node.with_changes(lpar=node.lpar[1:], rpar=node.rpar[:-1])


def _text_in_place(index: CstIndex, old: cst.CSTNode, new: cst.CSTNode, written: str,
                   span: Span) -> Optional[str]:
    """The text of ``new`` to put where ``old`` is ``written``; None if ``old``'s code cannot
    be matched to that text (then no edit is reported rather than a wrong one).

    The span may leave out parentheses around the node (``ast`` spans a tuple with its own
    pair, other expressions without any): those stay in place, out of the edit. Inside an
    indented block, continuation lines carry the block's indentation.
    """
    parentheses = len(old.lpar) if isinstance(old, cst.BaseExpression) else 0
    for outer in range(parentheses + 1):
        if outer:
            old, new = _without_outer_parentheses(old), _without_outer_parentheses(new)
        for indent in index.indents_around(span) if "\n" in written else ("",):
            if index.code_of(old, indent) == written:
                return index.code_in_block(new, indent)
    return None


def plan_round(diagnostics: Sequence[Diagnostic],
               unsafe: bool) -> List[Tuple[Fix, List[Diagnostic]]]:
    """Fixes to apply in one round, each with the diagnostics it resolves: eligible and not
    overlapping an earlier one. Removals from the same list literal (LOR109's repeats,
    LOR101's embeddings) merge into one fix while an element stays, so a list with many
    repeats is cleaned in one round instead of one repeat per round."""
    planned: List[Tuple[Fix, List[Diagnostic]]] = []
    taken: List[Span] = []
    removals: Dict[Span, int] = {}  # list span -> its merged removal in ``planned``
    for diagnostic in diagnostics:
        fix = diagnostic.fix
        if fix is None or (fix.safety == FixSafety.UNSAFE and not unsafe):
            continue
        if len(fix.edits) == 1 and isinstance(fix.edits[0], RemoveElements) \
                and fix.edits[0].span in removals:
            position = removals[fix.edits[0].span]
            merged, resolved = planned[position]
            done, more = merged.edits[0], fix.edits[0]
            union = tuple(dict.fromkeys(done.element_spans + more.element_spans))
            if len(union) < done.element_count:
                edit = RemoveElements(done.span, union, done.element_count)
                planned[position] = (Fix(merged.safety if fix.safety == merged.safety
                                         else FixSafety.UNSAFE,
                                         merged.description, (edit,)), resolved + [diagnostic])
            continue
        spans = [edit.span for edit in fix.edits]
        if any(a.overlaps(b) for a in spans for b in taken):
            continue
        if len(fix.edits) == 1 and isinstance(fix.edits[0], RemoveElements):
            removals[fix.edits[0].span] = len(planned)
        planned.append((fix, [diagnostic]))
        taken.extend(spans)
    return planned


def fix_source(source: str, analyse: Callable[[str], Analysis], unsafe: bool = False) -> FixOutcome:
    """Apply fixes to ``source`` until none applies.

    ``analyse`` maps source text to an ``engine.Analysis`` (the caller decides settings and
    rule selection). Each round's output must parse; otherwise nothing is written. LibCST
    work runs with a deep stack (deeply nested code must not crash the process).
    """
    from ..analysis.deep_stack import AnalysisError, call_with_deep_stack

    try:
        return call_with_deep_stack(lambda: _fix_rounds(source, analyse, unsafe))
    except AnalysisError as error:
        return FixOutcome(source, [], [], error=str(error))


def _fix_rounds(source: str, analyse: Callable[[str], Analysis], unsafe: bool) -> FixOutcome:
    def fix_round(current: str, diagnostics: Sequence[Diagnostic]) -> Optional[Tuple[str, List[Diagnostic]]]:
        plan = plan_round(diagnostics, unsafe)
        if not plan:
            return None
        candidate, fixed_ids = apply_fixes(CstIndex(current), [fix for fix, _ in plan])
        if not fixed_ids:
            return None
        return candidate, [d for fix, resolved in plan if id(fix) in fixed_ids for d in resolved]

    return fix_in_rounds(source, analyse, fix_round, _invalid_code)


def _invalid_code(candidate: str) -> Optional[str]:
    try:
        parse_quietly(candidate)
    except (SyntaxError, ValueError) as error:  # a bug in a fix: refuse rather than corrupt
        return f"a fix produced invalid code ({error}); nothing written"
    return None
