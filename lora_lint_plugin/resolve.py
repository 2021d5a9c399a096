"""Static evaluation of expressions, as specified in rules.md ("Resolved").

Resolved: literals; names bound once (or last bound before the use on every path) in the
module or the enclosing function; tuples, lists and sets; ``+`` of sequences; arithmetic on
numbers; ``"a,b".split(",")``; ``dict(...)`` / ``{...}`` (with ``**`` of resolvable dicts).
Calls evaluate to a ``CallResult`` so the extractor can link objects through variables.
Everything else is ``UNKNOWN``.
"""

from __future__ import annotations

import operator
from typing import Any, Callable, Dict, List, Optional, Tuple

import libcst as cst
from libcst.metadata import (
    Assignment,
    ParentNodeProvider,
    PositionProvider,
    Scope,
    ScopeProvider,
)

from .diagnostics import Span
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
    cst.Add: operator.add,
    cst.Subtract: operator.sub,
    cst.Multiply: operator.mul,
    cst.Divide: operator.truediv,
    cst.FloorDivide: operator.floordiv,
    cst.Modulo: operator.mod,
    cst.Power: operator.pow,
}

_SCOPE_NODES = (cst.Module, cst.FunctionDef, cst.ClassDef, cst.Lambda)

MetadataGetter = Callable[[Any, cst.CSTNode], Any]


class Resolver:
    """Evaluates expressions of one parsed module, using the visitor's resolved metadata."""

    def __init__(self, get_metadata: MetadataGetter) -> None:
        self._get = get_metadata

    # -- positions -------------------------------------------------------------------------
    def span(self, node: cst.CSTNode) -> Span:
        rng = self._get(PositionProvider, node)
        return Span(rng.start.line, rng.start.column, rng.end.line, rng.end.column)

    def parent(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        try:
            return self._get(ParentNodeProvider, node)
        except KeyError:
            return None

    # -- evaluation ------------------------------------------------------------------------
    def resolve(self, node: Optional[cst.CSTNode], depth: int = 0) -> Resolved:
        if node is None or depth > MAX_DEPTH:
            return UNKNOWN
        try:
            return self._resolve(node, depth)
        except (ArithmeticError, ValueError, TypeError, OverflowError, KeyError):
            return UNKNOWN

    def _resolve(self, node: cst.CSTNode, depth: int) -> Resolved:
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            text = node.evaluated_value
            if not isinstance(text, str):  # bytes, or an f-string part
                return UNKNOWN
            return Value(text, node, self.span(node), literal=True)
        if isinstance(node, (cst.Integer, cst.Float)):
            return Value(node.evaluated_value, node, self.span(node), literal=True)
        if isinstance(node, cst.Name):
            if node.value in ("True", "False", "None"):
                constant = {"True": True, "False": False, "None": None}[node.value]
                return Value(constant, node, self.span(node), literal=True)
            return self._resolve_name(node, depth)
        if isinstance(node, cst.UnaryOperation):
            return self._resolve_unary(node, depth)
        if isinstance(node, cst.BinaryOperation):
            return self._resolve_binary(node, depth)
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            return self._resolve_sequence(node, depth)
        if isinstance(node, cst.Dict):
            return self._resolve_dict(node, depth)
        if isinstance(node, cst.Subscript):
            return self._resolve_subscript(node, depth)
        if isinstance(node, cst.Call):
            return self._resolve_call(node, depth)
        return UNKNOWN

    def _resolve_unary(self, node: cst.UnaryOperation, depth: int) -> Resolved:
        operand = self.resolve(node.expression, depth + 1)
        if not isinstance(operand, Value) or not is_number(operand.python):
            if isinstance(node.operator, cst.Not) and isinstance(operand, Value) \
                    and operand.kind == SCALAR:
                return Value(not operand.python, node, self.span(node))
            return UNKNOWN
        if isinstance(node.operator, cst.Minus):
            # "-1" is written as one literal as far as a user is concerned.
            return Value(-operand.python, node, self.span(node), literal=operand.literal)
        if isinstance(node.operator, cst.Plus):
            return Value(+operand.python, node, self.span(node), literal=operand.literal)
        return UNKNOWN

    def _resolve_binary(self, node: cst.BinaryOperation, depth: int) -> Resolved:
        apply = _ARITHMETIC.get(type(node.operator))
        if apply is None:
            return UNKNOWN
        left = self.resolve(node.left, depth + 1)
        if not isinstance(left, Value):
            return UNKNOWN
        right = self.resolve(node.right, depth + 1)
        if not isinstance(right, Value):
            return UNKNOWN
        if is_number(left.python) and is_number(right.python):
            if isinstance(node.operator, cst.Power) and abs(right.python) > 64:
                return UNKNOWN  # no giant integers from hostile input
            return Value(apply(left.python, right.python), node, self.span(node))
        if isinstance(node.operator, cst.Add) and left.is_sequence and right.is_sequence \
                and type(left.python) is type(right.python):
            items = left.items + right.items
            return Value(type(left.python)(i.python for i in items), node, self.span(node),
                         kind=SEQUENCE, items=items)
        if isinstance(node.operator, cst.Add) and isinstance(left.python, str) \
                and isinstance(right.python, str):
            return Value(left.python + right.python, node, self.span(node))
        return UNKNOWN

    def _resolve_sequence(self, node: cst.CSTNode, depth: int) -> Resolved:
        items: List[Value] = []
        for element in node.elements:
            if isinstance(element, cst.StarredElement):
                inner = self.resolve(element.value, depth + 1)
                if not isinstance(inner, Value) or not inner.is_sequence:
                    return UNKNOWN
                items.extend(inner.items)
                continue
            value = self.resolve(element.value, depth + 1)
            if not isinstance(value, Value):
                return UNKNOWN
            items.append(value)
        container = {cst.List: list, cst.Tuple: tuple, cst.Set: list}[type(node)]
        python = container(i.python for i in items)
        if isinstance(node, cst.Set):
            try:
                python = set(python)
            except TypeError:
                return UNKNOWN
        return Value(python, node, self.span(node), kind=SEQUENCE, items=tuple(items))

    def _resolve_dict(self, node: cst.Dict, depth: int) -> Resolved:
        entries: Dict[str, Value] = {}
        for element in node.elements:
            if isinstance(element, cst.StarredDictElement):
                inner = self.resolve(element.value, depth + 1)
                if not isinstance(inner, Value) or not inner.is_mapping:
                    return UNKNOWN
                entries.update(inner.entries)
                continue
            key = self.resolve(element.key, depth + 1)
            if not isinstance(key, Value) or not isinstance(key.python, str):
                return UNKNOWN
            value = self.resolve(element.value, depth + 1)
            if not isinstance(value, Value):
                return UNKNOWN
            entries[key.python] = value
        return self._mapping(node, entries)

    def _mapping(self, node: cst.CSTNode, entries: Dict[str, Value]) -> Value:
        python = {key: value.python for key, value in entries.items()}
        return Value(python, node, self.span(node), kind=MAPPING,
                     entries=tuple(entries.items()))

    def _resolve_subscript(self, node: cst.Subscript, depth: int) -> Resolved:
        if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
            return UNKNOWN
        container = self.resolve(node.value, depth + 1)
        key = self.resolve(node.slice[0].slice.value, depth + 1)
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

    def _resolve_call(self, node: cst.Call, depth: int) -> Resolved:
        func = node.func
        # "a,b".split(",") / "a b".split()
        if isinstance(func, cst.Attribute) and func.attr.value == "split" and len(node.args) <= 1:
            text = self.resolve(func.value, depth + 1)
            if isinstance(text, Value) and isinstance(text.python, str):
                separator: Optional[str] = None
                if node.args:
                    arg = node.args[0]
                    if arg.keyword is not None or arg.star:
                        return UNKNOWN
                    sep_value = self.resolve(arg.value, depth + 1)
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
        if isinstance(func, cst.Name) and func.value == "dict" and self._is_builtin(func):
            return self._resolve_dict_call(node, depth)
        return Value(CallResult(node), node, self.span(node), kind=OBJECT)

    def _resolve_dict_call(self, node: cst.Call, depth: int) -> Resolved:
        entries: Dict[str, Value] = {}
        for arg in node.args:
            if arg.star == "**" or (arg.keyword is None and not arg.star and len(node.args) == 1):
                inner = self.resolve(arg.value, depth + 1)
                if not isinstance(inner, Value) or not inner.is_mapping:
                    return UNKNOWN
                entries.update(inner.entries)
            elif arg.keyword is not None:
                value = self.resolve(arg.value, depth + 1)
                if not isinstance(value, Value):
                    return UNKNOWN
                entries[arg.keyword.value] = value
            else:
                return UNKNOWN
        return self._mapping(node, entries)

    def _is_builtin(self, name: cst.Name) -> bool:
        scope = self._scope(name)
        if scope is None:
            return False
        return all(not isinstance(a, Assignment) for a in scope[name.value])

    # -- names -----------------------------------------------------------------------------
    def _scope(self, node: cst.CSTNode) -> Optional[Scope]:
        try:
            return self._get(ScopeProvider, node)
        except KeyError:
            return None

    def _resolve_name(self, name: cst.Name, depth: int) -> Resolved:
        binding = self.binding_for(name)
        if binding is None:
            return UNKNOWN
        target, statement = binding
        return self._value_of_target(target, statement, depth)

    def binding_for(self, name: cst.Name) -> Optional[Tuple[cst.CSTNode, cst.CSTNode]]:
        """The (target node, statement) that bound ``name`` where it is used, if certain."""
        scope = self._scope(name)
        if scope is None:
            return None
        assignments = [a for a in scope[name.value] if isinstance(a, Assignment)]
        if not assignments:
            return None
        use_span = self.span(name)
        same_scope = [a for a in assignments if a.scope is scope]
        if not same_scope:
            # A global read from inside a function: certain only if bound exactly once.
            if len(assignments) != 1:
                return None
            return self._simple_binding(assignments[0].node)
        candidates = []
        for assignment in same_scope:
            bound = self._simple_binding(assignment.node)
            if bound is None:
                # Parameters, imports, loop targets, augmented assignments...: not a constant.
                if self.span(assignment.node) < use_span:
                    candidates.append((self.span(assignment.node), None))
                continue
            statement_span = self.span(bound[1])
            if (statement_span.end_line, statement_span.end_col) <= (use_span.line, use_span.col):
                candidates.append((statement_span, bound))
        if not candidates:
            return None
        candidates.sort(key=lambda item: item[0])
        last = candidates[-1][1]
        if last is None:
            return None
        if not self._dominates(last[1], name, scope):
            return None
        if self._rebound_later_in_enclosing_loop(name, same_scope, use_span):
            return None
        return last

    def _simple_binding(self, target: cst.CSTNode) -> Optional[Tuple[cst.CSTNode, cst.CSTNode]]:
        """(target, statement) for ``x = ...``, ``x: T = ...`` and ``a, b = ...`` targets."""
        node: Optional[cst.CSTNode] = target
        while node is not None:
            parent = self.parent(node)
            if isinstance(parent, cst.AssignTarget) and parent.target is node:
                statement = self.parent(parent)
                return (target, statement) if isinstance(statement, cst.Assign) else None
            if isinstance(parent, cst.AnnAssign) and parent.target is node:
                return (target, parent) if parent.value is not None else None
            if isinstance(parent, (cst.Tuple, cst.List, cst.Element)):
                node = parent
                continue
            return None
        return None

    def _dominates(self, statement: cst.CSTNode, use: cst.CSTNode, scope: Scope) -> bool:
        """True when ``statement`` runs on every path to ``use`` (its block encloses the use)."""
        block = self._enclosing_block(statement)
        node: Optional[cst.CSTNode] = use
        while node is not None:
            if node is block:
                return True
            if isinstance(node, _SCOPE_NODES):
                return False
            node = self.parent(node)
        return False

    def _enclosing_block(self, statement: cst.CSTNode) -> Optional[cst.CSTNode]:
        node = self.parent(statement)
        while node is not None and not isinstance(node, (cst.IndentedBlock, cst.Module,
                                                         cst.SimpleStatementSuite)):
            node = self.parent(node)
        if isinstance(node, cst.SimpleStatementSuite):
            return self.parent(node)
        return node

    def _rebound_later_in_enclosing_loop(self, use: cst.Name, assignments: List[Assignment],
                                         use_span: Span) -> bool:
        node: Optional[cst.CSTNode] = self.parent(use)
        while node is not None and not isinstance(node, _SCOPE_NODES):
            if isinstance(node, (cst.For, cst.While)):
                loop_span = self.span(node)
                for assignment in assignments:
                    span = self.span(assignment.node)
                    if use_span < span and span <= Span(loop_span.end_line, loop_span.end_col,
                                                        loop_span.end_line, loop_span.end_col):
                        return True
            node = self.parent(node)
        return False

    def _value_of_target(self, target: cst.CSTNode, statement: cst.CSTNode,
                         depth: int) -> Resolved:
        value_node = statement.value
        if isinstance(statement, cst.Assign):
            targets = [t.target for t in statement.targets]
        else:
            targets = [statement.target]
        for assigned in targets:
            if assigned is target:
                return self.resolve(value_node, depth + 1)
            if isinstance(assigned, (cst.Tuple, cst.List)):
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


def _index_in(sequence: cst.CSTNode, target: cst.CSTNode) -> Optional[int]:
    for index, element in enumerate(sequence.elements):
        if isinstance(element, cst.StarredElement):
            return None
        if element.value is target:
            return index
    return None
