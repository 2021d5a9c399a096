"""Fixes: building LibCST node replacements (used by rules) and applying them (CLI, codemods).

A fix is a set of node replacements on the module the diagnostics were computed from. They
are applied by one identity-based transformer, so only the replaced nodes change and every
other byte (formatting, comments) is kept. Output is re-parsed before it is accepted, and the
whole cycle repeats until no fix applies (fixes touching the same node are applied in later
rounds), so the result is idempotent: a second run changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence

import libcst as cst

from .diagnostics import Diagnostic, Fix, FixSafety, NodeReplacement, Span
from .values import Value

MAX_ROUNDS = 10


# -- building fixes (called by rules) --------------------------------------------------------

def string_literal(template: cst.CSTNode, text: str) -> Optional[cst.SimpleString]:
    """A string literal holding ``text`` written like ``template`` (same prefix and quotes)."""
    if not isinstance(template, cst.SimpleString):
        return None
    prefix, quote = template.prefix, template.quote
    if "b" in prefix.lower() or "\\" in text or quote[0] in text or "\n" in text:
        return None  # escaping would be needed; such ids do not exist anyway
    return cst.SimpleString(f"{prefix}{quote}{text}{quote}")


def replace_string(value: Value, text: str) -> Optional[NodeReplacement]:
    """Rewrite the literal behind ``value`` to hold ``text``."""
    if not value.literal:
        return None
    new = string_literal(value.node, text)
    if new is None:
        return None
    return NodeReplacement(value.node, new, value.span)


def replace_node(old_value: Value, new: cst.CSTNode) -> NodeReplacement:
    return NodeReplacement(old_value.node, new, old_value.span)


def remove_elements(sequence: Value, remove: Sequence[Value]) -> Optional[NodeReplacement]:
    """Drop some elements of a list/tuple/set literal, keeping the others' formatting."""
    node = sequence.node
    if not isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        return None
    doomed = {id(item.node) for item in remove}
    elements = list(node.elements)
    if not doomed <= {id(element.value) for element in elements}:
        return None  # an element comes from elsewhere (a name, a starred list)
    kept: List[cst.BaseElement] = []
    for element in elements:
        if id(element.value) in doomed:
            if kept and element is elements[-1]:
                # keep the layout of the closing line: the last kept element takes this comma
                kept[-1] = kept[-1].with_changes(comma=element.comma)
            continue
        kept.append(element)
    if not kept:
        return None
    if isinstance(node, cst.Tuple) and len(kept) == 1 and kept[0].comma == cst.MaybeSentinel.DEFAULT:
        kept[0] = kept[0].with_changes(comma=cst.Comma())
    return NodeReplacement(node, node.with_changes(elements=kept), sequence.span)


def add_keyword(call_node: cst.Call, call_span: Span, keyword: str,
                value_code: str) -> NodeReplacement:
    """Append ``keyword=value`` to a call, indented like the other arguments.

    Multi-line calls get the new argument on its own line at the arguments' indentation;
    end-of-line comments stay on the line they were on.
    """
    new_arg = cst.Arg(value=cst.parse_expression(value_code), keyword=cst.Name(keyword),
                      equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                            whitespace_after=cst.SimpleWhitespace("")))
    args = list(call_node.args)
    if not args:
        return NodeReplacement(call_node, call_node.with_changes(args=[new_arg]), call_span)

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
    return NodeReplacement(call_node, call_node.with_changes(args=args), call_span)


def rename_keyword(argument: Any, new_name: str) -> Optional[NodeReplacement]:
    """Rename a keyword argument written in the call (``max_seq_length=`` -> ``max_length=``).

    None when the argument comes through ``**`` or is positional (nothing to rename in place).
    """
    node = argument.node
    if not isinstance(node, cst.Arg) or node.keyword is None or node.star:
        return None
    old = node.keyword
    span = Span(argument.span.line, argument.span.col, argument.span.line,
                argument.span.col + len(old.value))
    return NodeReplacement(old, cst.Name(new_name), span)


def call_without_arguments(call_node: Any, doomed: List[Any]) -> Optional[Any]:
    """``call_node`` (a libcst.Call) with the ``Arg`` nodes in ``doomed`` removed, keeping
    the layout (and end-of-line comments) of what remains; None if one is not in the call."""
    args = list(call_node.args)
    doomed_ids = {id(node) for node in doomed}
    if not doomed_ids <= {id(arg) for arg in args}:
        return None
    kept: List[Any] = []
    for arg in args:
        if id(arg) not in doomed_ids:
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


def make_fix(safety: FixSafety, description: str,
             *replacements: Optional[NodeReplacement]) -> Optional[Fix]:
    """A Fix, or None when any replacement could not be built."""
    if not replacements or any(r is None for r in replacements):
        return None
    return Fix(safety=safety, description=description, replacements=tuple(replacements))


# -- applying fixes ---------------------------------------------------------------------------

class _ReplaceNodes(cst.CSTTransformer):
    def __init__(self, replacements: Dict[int, cst.CSTNode]) -> None:
        super().__init__()
        self.replacements = replacements

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode):  # type: ignore[override]
        return self.replacements.get(id(original_node), updated_node)


def choose_fixes(diagnostics: Sequence[Diagnostic], unsafe: bool) -> List[Fix]:
    """Fixes to apply in one round: eligible and not overlapping an earlier one."""
    chosen: List[Fix] = []
    taken: List[Span] = []
    for diagnostic in diagnostics:
        fix = diagnostic.fix
        if fix is None or (fix.safety is FixSafety.UNSAFE and not unsafe):
            continue
        spans = [r.span for r in fix.replacements]
        if any(_overlaps(a, b) for a in spans for b in taken):
            continue
        chosen.append(fix)
        taken.extend(spans)
    return chosen


def _overlaps(a: Span, b: Span) -> bool:
    return (a.line, a.col) < (b.end_line, b.end_col) and (b.line, b.col) < (a.end_line, a.end_col)


def apply_to_module(module: cst.Module, fixes: Sequence[Fix]) -> str:
    replacements = {id(r.old): r.new for fix in fixes for r in fix.replacements}
    return module.visit(_ReplaceNodes(replacements)).code


@dataclass
class FixOutcome:
    source: str
    applied: List[Diagnostic]
    remaining: List[Diagnostic]
    error: Optional[str] = None

    @property
    def changed(self) -> bool:
        return bool(self.applied)


def fix_source(source: str, analyse: Callable[[str], "object"], unsafe: bool = False) -> FixOutcome:
    """Apply fixes to ``source`` until none applies.

    ``analyse`` maps source text to an ``engine.Analysis`` (the caller decides settings and
    rule selection). Each round's output must parse; otherwise the round is dropped. LibCST
    work runs with a deep stack, as the analysis does (deeply nested code must not crash).
    """
    from .parsing import AnalysisError, call_with_deep_stack

    try:
        return call_with_deep_stack(lambda: _fix_rounds(source, analyse, unsafe))
    except AnalysisError as error:
        return FixOutcome(source, [], [], error=str(error))


def _fix_rounds(source: str, analyse: Callable[[str], "object"], unsafe: bool) -> FixOutcome:
    applied: List[Diagnostic] = []
    current = source
    analysis = analyse(current)
    for _ in range(MAX_ROUNDS):
        if analysis.error is not None or analysis.module is None:
            break
        fixes = choose_fixes(analysis.diagnostics, unsafe)
        if not fixes:
            break
        fixed_ids = {id(fix) for fix in fixes}
        candidate = apply_to_module(analysis.module, fixes)
        if candidate == current:
            break
        try:
            cst.parse_module(candidate)
        except cst.ParserSyntaxError as error:  # a bug in a fix: refuse rather than corrupt
            return FixOutcome(source, [], list(analysis.diagnostics),
                              error=f"a fix produced invalid code ({error.message}); nothing written")
        applied.extend(d for d in analysis.diagnostics if d.fix is not None and id(d.fix) in fixed_ids)
        current = candidate
        analysis = analyse(current)
    remaining = list(analysis.diagnostics) if analysis.error is None else []
    return FixOutcome(current, applied, remaining, error=analysis.error if not applied else None)
