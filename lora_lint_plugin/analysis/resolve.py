"""Static evaluation of expressions, as specified in rules.md ("Resolved").

Resolved: literals; names bound once (or last bound before the use on every path) in the
module or the enclosing function; tuples, lists and sets; ``+`` of sequences; arithmetic on
numbers; ``"a,b".split(",")``; ``dict(...)`` / ``{...}`` (with ``**`` of resolvable dicts).
Calls evaluate to a ``CallResult`` so the extractor can link objects through variables.
Everything else is ``UNKNOWN``.

Works on the ``ast`` tree with the bindings of ``scopes.ScopeIndex``.
"""

from __future__ import annotations

import ast
import bisect
import operator
from typing import Any, Callable, Dict, List, Optional, Tuple

from .diagnostics import Span
from .positions import SourceLines
from .scopes import LOOPS, SCOPE_NODES, SIMPLE, Binding, ScopeIndex
from .values import (
    MAPPING,
    OBJECT,
    SCALAR,
    SEQUENCE,
    UNKNOWN,
    CallResult,
    Resolved,
    Value,
    is_number,
)

# Deeper expressions are not worth following; also keeps pathological input (2,000-term sums)
# far from Python's recursion limit.
MAX_DEPTH = 40

_ARITHMETIC: Dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}

_STATEMENT_LISTS = ("body", "orelse", "finalbody")


class Resolver:
    """Evaluates expressions of one parsed module."""

    def __init__(self, lines: SourceLines, index: ScopeIndex) -> None:
        self.lines = lines
        self.index = index
        self._orders: Dict[Tuple[int, str], Tuple[List[Tuple[int, int]], List[Binding]]] = {}
        self._blocks: Dict[int, Tuple[int, str]] = {}

    def span(self, node: ast.AST) -> Span:
        return self.lines.span(node)

    # -- evaluation ------------------------------------------------------------------------
    def resolve(self, node: Optional[ast.AST], depth: int = 0) -> Resolved:
        if node is None or depth > MAX_DEPTH:
            return UNKNOWN
        try:
            return self._resolve(node, depth)
        except (ArithmeticError, ValueError, TypeError, OverflowError, KeyError):
            return UNKNOWN

    def _resolve(self, node: ast.AST, depth: int) -> Resolved:
        if isinstance(node, ast.Constant):
            python = node.value
            if isinstance(python, (bytes, complex)) or python is Ellipsis:
                return UNKNOWN
            span = self.span(node)
            raw = self.lines.segment(span) if isinstance(python, str) else None
            return Value(python, node, span, literal=True, raw=raw)
        if isinstance(node, ast.Name):
            return self._resolve_name(node, depth)
        if isinstance(node, ast.UnaryOp):
            return self._resolve_unary(node, depth)
        if isinstance(node, ast.BinOp):
            return self._resolve_binary(node, depth)
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            return self._resolve_sequence(node, depth)
        if isinstance(node, ast.Dict):
            return self._resolve_dict(node, depth)
        if isinstance(node, ast.Subscript):
            return self._resolve_subscript(node, depth)
        if isinstance(node, ast.Call):
            return self._resolve_call(node, depth)
        return UNKNOWN

    def _resolve_unary(self, node: ast.UnaryOp, depth: int) -> Resolved:
        operand = self.resolve(node.operand, depth + 1)
        if not isinstance(operand, Value) or not is_number(operand.python):
            if isinstance(node.op, ast.Not) and isinstance(operand, Value) \
                    and operand.kind == SCALAR:
                return Value(not operand.python, node, self.span(node))
            return UNKNOWN
        if isinstance(node.op, ast.USub):
            # "-1" is written as one literal as far as a user is concerned.
            return Value(-operand.python, node, self.span(node), literal=operand.literal)
        if isinstance(node.op, ast.UAdd):
            return Value(+operand.python, node, self.span(node), literal=operand.literal)
        return UNKNOWN

    def _resolve_binary(self, node: ast.BinOp, depth: int) -> Resolved:
        apply = _ARITHMETIC.get(type(node.op))
        if apply is None:
            return UNKNOWN
        left = self.resolve(node.left, depth + 1)
        if not isinstance(left, Value):
            return UNKNOWN
        right = self.resolve(node.right, depth + 1)
        if not isinstance(right, Value):
            return UNKNOWN
        if is_number(left.python) and is_number(right.python):
            if isinstance(node.op, ast.Pow) and abs(right.python) > 64:
                return UNKNOWN  # no giant integers from hostile input
            return Value(apply(left.python, right.python), node, self.span(node))
        if isinstance(node.op, ast.Add) and left.is_sequence and right.is_sequence \
                and type(left.python) is type(right.python):
            items = left.items + right.items
            return Value(type(left.python)(i.python for i in items), node, self.span(node),
                         kind=SEQUENCE, items=items)
        if isinstance(node.op, ast.Add) and isinstance(left.python, str) \
                and isinstance(right.python, str):
            return Value(left.python + right.python, node, self.span(node))
        return UNKNOWN

    def _resolve_sequence(self, node: ast.AST, depth: int) -> Resolved:
        items: List[Value] = []
        for element in node.elts:  # type: ignore[attr-defined]
            if isinstance(element, ast.Starred):
                inner = self.resolve(element.value, depth + 1)
                if not isinstance(inner, Value) or not inner.is_sequence:
                    return UNKNOWN
                items.extend(inner.items)
                continue
            value = self.resolve(element, depth + 1)
            if not isinstance(value, Value):
                return UNKNOWN
            items.append(value)
        python: Any = [i.python for i in items]
        if isinstance(node, ast.Tuple):
            python = tuple(python)
        elif isinstance(node, ast.Set):
            try:
                python = set(python)
            except TypeError:
                return UNKNOWN
        return Value(python, node, self.span(node), kind=SEQUENCE, items=tuple(items))

    def _resolve_dict(self, node: ast.Dict, depth: int) -> Resolved:
        entries: Dict[str, Value] = {}
        for key_node, value_node in zip(node.keys, node.values):
            if key_node is None:  # ``**other``
                inner = self.resolve(value_node, depth + 1)
                if not isinstance(inner, Value) or not inner.is_mapping:
                    return UNKNOWN
                entries.update(inner.entries)
                continue
            key = self.resolve(key_node, depth + 1)
            if not isinstance(key, Value) or not isinstance(key.python, str):
                return UNKNOWN
            value = self.resolve(value_node, depth + 1)
            if not isinstance(value, Value):
                return UNKNOWN
            entries[key.python] = value
        return self._mapping(node, entries)

    def _mapping(self, node: ast.AST, entries: Dict[str, Value]) -> Value:
        python = {key: value.python for key, value in entries.items()}
        return Value(python, node, self.span(node), kind=MAPPING,
                     entries=tuple(entries.items()))

    def _resolve_subscript(self, node: ast.Subscript, depth: int) -> Resolved:
        index_node: ast.AST = node.slice
        if type(index_node).__name__ == "Index":  # Python 3.8 wraps plain subscripts
            index_node = index_node.value  # type: ignore[attr-defined]
        if isinstance(index_node, (ast.Slice, ast.Tuple)) or type(index_node).__name__ == "ExtSlice":
            return UNKNOWN
        container = self.resolve(node.value, depth + 1)
        key = self.resolve(index_node, depth + 1)
        if not isinstance(container, Value) or not isinstance(key, Value):
            return UNKNOWN
        if container.is_mapping and isinstance(key.python, str):
            found = container.entry(key.python)
            return found if found is not None else UNKNOWN
        if container.is_sequence and isinstance(key.python, int) \
                and not isinstance(key.python, bool) and isinstance(container.python, (list, tuple)):
            if -len(container.items) <= key.python < len(container.items):
                return container.items[key.python]
        return UNKNOWN

    def _resolve_call(self, node: ast.Call, depth: int) -> Resolved:
        func = node.func
        # "a,b".split(",") / "a b".split()
        if isinstance(func, ast.Attribute) and func.attr == "split" \
                and len(node.args) + len(node.keywords) <= 1:
            text = self.resolve(func.value, depth + 1)
            if isinstance(text, Value) and isinstance(text.python, str):
                separator: Optional[str] = None
                if node.keywords or (node.args and isinstance(node.args[0], ast.Starred)):
                    return UNKNOWN
                if node.args:
                    sep_value = self.resolve(node.args[0], depth + 1)
                    if not isinstance(sep_value, Value) or not isinstance(sep_value.python, str) \
                            or not sep_value.python:
                        return UNKNOWN
                    separator = sep_value.python
                parts = [part.strip() for part in text.python.split(separator)]
                items = tuple(Value(part, text.node, text.span) for part in parts)
                return Value([i.python for i in items], node, self.span(node),
                             kind=SEQUENCE, items=items)
            return UNKNOWN
        # dict(a=1, **other)
        if isinstance(func, ast.Name) and func.id == "dict" and self._is_builtin(func):
            return self._resolve_dict_call(node, depth)
        return Value(CallResult(node), node, self.span(node), kind=OBJECT)

    def _resolve_dict_call(self, node: ast.Call, depth: int) -> Resolved:
        entries: Dict[str, Value] = {}
        if node.args:
            if len(node.args) != 1 or node.keywords or isinstance(node.args[0], ast.Starred):
                return UNKNOWN
            inner = self.resolve(node.args[0], depth + 1)
            if not isinstance(inner, Value) or not inner.is_mapping:
                return UNKNOWN
            entries.update(inner.entries)
        for keyword in node.keywords:
            if keyword.arg is None:
                inner = self.resolve(keyword.value, depth + 1)
                if not isinstance(inner, Value) or not inner.is_mapping:
                    return UNKNOWN
                entries.update(inner.entries)
            else:
                value = self.resolve(keyword.value, depth + 1)
                if not isinstance(value, Value):
                    return UNKNOWN
                entries[keyword.arg] = value
        return self._mapping(node, entries)

    def _is_builtin(self, name: ast.Name) -> bool:
        bindings, _ = self.index.lookup(self.index.scope_of(name), name.id)
        return not bindings

    # -- names -----------------------------------------------------------------------------
    def _resolve_name(self, name: ast.Name, depth: int) -> Resolved:
        if name.id in ("True", "False", "None"):  # Python 2-style names never parse as these
            return UNKNOWN
        binding = self.binding_for(name)
        if binding is None:
            return UNKNOWN
        return self._value_of_target(binding.node, binding.statement, depth)

    def binding_for(self, name: ast.Name) -> Optional[Binding]:
        """The simple binding ``name`` certainly refers to where it is used, if there is one."""
        scope = self.index.scope_of(name)
        bindings, holder = self.index.lookup(scope, name.id)
        if not bindings:
            return None
        if holder is not scope:
            # A global read from inside a function: certain only if bound exactly once.
            if len(bindings) != 1 or bindings[0].kind != SIMPLE:
                return None
            return bindings[0]
        use_start = (name.lineno, name.col_offset)
        starts, ordered = self._in_order(holder, name.id, bindings)
        # The binding that starts last before the use and is complete there. Parameters,
        # imports, loop targets, augmented assignments...: bound, but not to a constant.
        position = bisect.bisect_left(starts, use_start) - 1
        while position >= 0:
            binding = ordered[position]
            if binding.kind != SIMPLE:
                return None
            if _end(binding.statement) <= use_start:
                break
            position -= 1  # ``x = f(x)``: the use is inside the statement that binds
        if position < 0:
            return None
        last = ordered[position]
        if last.statement is None or not self._dominates(last.statement, name):
            return None
        if self._rebound_later_in_enclosing_loop(name, starts):
            return None
        return last

    def _in_order(self, holder: Any, name: str,
                  bindings: List[Binding]) -> Tuple[List[Tuple[int, int]], List[Binding]]:
        """A scope's bindings of ``name`` sorted by where they start, and those starts
        (computed once per name: a script may rebind ``model`` thousands of times)."""
        key = (id(holder), name)
        cached = self._orders.get(key)
        if cached is None:
            ordered = sorted(bindings, key=_binding_start)
            cached = self._orders[key] = ([_binding_start(b) for b in ordered], ordered)
        return cached

    def _dominates(self, statement: ast.AST, use: ast.AST) -> bool:
        """True when ``statement`` runs on every path to ``use`` (its block encloses the use)."""
        block = self._block_of(statement)
        if block is None:
            return False
        for ancestor in self.index.ancestors(use):
            if isinstance(ancestor, ast.stmt) and self._block_of(ancestor) == block:
                return True
            if isinstance(ancestor, SCOPE_NODES):
                return False
        return False

    def _block_of(self, statement: ast.AST) -> Optional[Tuple[int, str]]:
        """(id of the node holding the statement list, the list's field name)."""
        block = self._blocks.get(id(statement))
        if block is not None:
            return block
        parent = self.index.parent(statement)
        if parent is None:
            return None
        for field_name in _STATEMENT_LISTS:  # index the parent's lists once
            statements = getattr(parent, field_name, None)
            if isinstance(statements, list):
                for child in statements:
                    self._blocks[id(child)] = (id(parent), field_name)
        return self._blocks.setdefault(id(statement), (id(parent), ""))

    def _rebound_later_in_enclosing_loop(self, use: ast.Name,
                                         starts: List[Tuple[int, int]]) -> bool:
        """A binding after the use but inside a loop around it runs before the next use."""
        use_start = (use.lineno, use.col_offset)
        following = bisect.bisect_right(starts, use_start)
        if following == len(starts):
            return False
        for ancestor in self.index.ancestors(use):
            if isinstance(ancestor, SCOPE_NODES):
                return False
            if isinstance(ancestor, LOOPS) and \
                    starts[following] <= (ancestor.end_lineno, ancestor.end_col_offset):
                return True
        return False

    def _value_of_target(self, target: ast.AST, statement: Any, depth: int) -> Resolved:
        value_node = statement.value
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        for assigned in targets:
            if assigned is target:
                return self.resolve(value_node, depth + 1)
            if isinstance(assigned, (ast.Tuple, ast.List)):
                index = _index_in(assigned, target)
                if index is None:
                    continue
                whole = self.resolve(value_node, depth + 1)
                if isinstance(whole, Value) and whole.kind == OBJECT:
                    return Value(CallResult(whole.python.call, index), whole.node, whole.span,
                                 kind=OBJECT)
                if isinstance(whole, Value) and whole.is_sequence and index < len(whole.items):
                    return whole.items[index]
                return UNKNOWN
        return UNKNOWN


def _start(node: Any) -> Tuple[int, int]:
    return node.lineno, node.col_offset


def _end(node: Any) -> Tuple[int, int]:
    return node.end_lineno, node.end_col_offset


def _binding_start(binding: Binding) -> Tuple[int, int]:
    """Where a binding takes effect in source order: its statement for ``x = ...``, else the
    bound name (or import, parameter, ...)."""
    return _start(binding.statement if binding.kind == SIMPLE else binding.node)


def _index_in(sequence: ast.AST, target: ast.AST) -> Optional[int]:
    for index, element in enumerate(sequence.elts):  # type: ignore[attr-defined]
        if isinstance(element, ast.Starred):
            return None
        if element is target:
            return index
    return None
