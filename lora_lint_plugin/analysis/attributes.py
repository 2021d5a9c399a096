"""Attributes of ``self``: ``self.model = AutoModelForCausalLM.from_pretrained(...)`` in one
method, ``get_peft_model(self.model, config)`` in the same or another method of the class.

``self.x`` read in a plain method (``self`` its first parameter, no decorator) of a class is
known when

* the same method assigns ``self.x`` before the read, on every path to it (the assignment's
  block encloses the read), the read is not inside a loop, and nothing between them may
  reassign it behind our back: a call of a method of ``self`` (``self.setup()``) or a call
  that is given ``self``;
* or else the whole file stores an attribute named ``x`` exactly once, in a method of this
  class, the class has no base class (a base such as ``Trainer`` sets ``self.model``
  itself) and no decorator, and nothing writes attributes by name (``setattr``,
  ``__dict__``): the read then sees that value or raises ``AttributeError``.

Anything else is unknown. The stores of an attribute name are indexed once per file, the first
time a ``self`` attribute of that name is read.
"""

from __future__ import annotations

import ast
import bisect
from collections import defaultdict
from typing import TYPE_CHECKING, Dict, List, Optional, Set, Tuple

from .scopes import LOOPS, SCOPE_NODES
from .values import UNKNOWN, Resolved

if TYPE_CHECKING:  # pragma: no cover
    from .resolve import Resolver

# A store: (the ``self.x`` target, the statement that assigns it, the method it is in).
Store = Tuple[ast.Attribute, ast.stmt, ast.FunctionDef]


class SelfAttributes:
    """The stores to attributes of one module, and the reads of ``self.x`` they answer."""

    def __init__(self, resolver: "Resolver") -> None:
        self.resolver = resolver
        self.index = resolver.index
        # attr -> the stores to an attribute of that name, on anything (pre-order)
        self._targets: Optional[Dict[str, List[ast.Attribute]]] = None
        self._stores: Dict[Tuple[int, str], List[Store]] = defaultdict(list)   # (class, attr)
        self._noted: Set[str] = set()   # the attribute names whose stores are in ``_stores``
        self._dynamic = False
        self._changing: Dict[int, List[Tuple[int, int]]] = {}

    def value(self, node: ast.Attribute, depth: int) -> Optional[Resolved]:
        """The value of ``self.x``; None when ``node`` is not an attribute of ``self``."""
        method = self._method_of_self(node.value)
        if method is None:
            return None
        cls = self.index.parent(method)
        if not isinstance(cls, ast.ClassDef):
            return None
        stores = self.stores(cls, node.attr)
        if self._dynamic or _class_binds(cls, node.attr):
            return UNKNOWN   # a class attribute, method or property of that name
        local = self._local_store(node, method, stores)
        if local is not None:
            return self._value_of(local, depth) if self._undisturbed(local, node, method) \
                else UNKNOWN
        if len(stores) == 1 and len(self._targets_of(node.attr)) == 1 and not cls.bases \
                and not cls.keywords and not cls.decorator_list:
            return self._value_of(stores[0], depth)
        return UNKNOWN

    # -- facts -----------------------------------------------------------------------------
    def stores(self, cls: ast.ClassDef, attr: str) -> List[Store]:
        """The ``=`` stores to ``self.attr`` in plain methods of ``cls``, in pre-order."""
        if attr not in self._noted:
            self._noted.add(attr)
            for node in self._targets_of(attr):
                self._note_store(node, self._stores)
        return self._stores.get((id(cls), attr), [])

    def _targets_of(self, attr: str) -> List[ast.Attribute]:
        """Every store to an attribute named ``attr``, on anything (``x.attr = ...``, ``del``)."""
        if self._targets is None:
            self._targets = self._gather()
        return self._targets.get(attr, [])

    def _gather(self) -> Dict[str, List[ast.Attribute]]:
        targets: Dict[str, List[ast.Attribute]] = {}
        stored, reads_dict = self.resolver.functions.attribute_stores()
        for node in stored:
            targets.setdefault(node.attr, []).append(node)
        if reads_dict:
            self._dynamic = True
        for node in self.index.of_kind(ast.Call):
            func = node.func
            if type(func) is ast.Name and func.id in ("setattr", "delattr"):
                self._dynamic = True
                break
        return targets

    def _note_store(self, target: ast.Attribute,
                    stores: Dict[Tuple[int, str], List[Store]]) -> None:
        method = self._method_of_self(target.value)
        statement = self._statement_of(target)
        cls = self.index.parent(method) if method is not None else None
        if method is not None and isinstance(cls, ast.ClassDef) and statement is not None:
            stores[(id(cls), target.attr)].append((target, statement, method))

    def _statement_of(self, target: ast.Attribute) -> Optional[ast.stmt]:
        """The ``=`` statement that binds ``target`` directly or in a tuple; None for any
        other store (``+=``, ``for self.x in``, ``with ... as self.x``, ``del``)."""
        node: Optional[ast.AST] = self.index.parent(target)
        while isinstance(node, (ast.Tuple, ast.List)):
            node = self.index.parent(node)
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(target.ctx, ast.Store):
            return node
        return None

    # -- reads -----------------------------------------------------------------------------
    def _method_of_self(self, expression: ast.AST) -> Optional[ast.FunctionDef]:
        """The method whose first parameter ``expression`` (a name) certainly is."""
        binding = self.index.sole_binding(expression)
        if binding is None or not isinstance(binding.node, ast.arg):
            return None
        function = binding.scope.node
        if not isinstance(function, ast.FunctionDef) or function.decorator_list:
            return None
        positional = [*function.args.posonlyargs, *function.args.args]
        if not positional or positional[0] is not binding.node:
            return None
        return function if isinstance(self.index.parent(function), ast.ClassDef) else None

    def _local_store(self, use: ast.Attribute, method: ast.FunctionDef,
                     stores: List[Store]) -> Optional[Store]:
        """The last store in ``method`` that ends before ``use``."""
        position = (use.lineno, use.col_offset)
        before = [store for store in stores if store[2] is method
                  and (store[1].end_lineno, store[1].end_col_offset) <= position]
        if not before:
            return None
        return max(before, key=lambda store: (store[1].lineno, store[1].col_offset))

    def _undisturbed(self, store: Store, use: ast.Attribute, method: ast.FunctionDef) -> bool:
        """The store runs on every path to ``use``, no loop may run it out of order, and no
        call between them is given ``self`` or calls one of its methods."""
        _, statement, _ = store
        if not self.resolver.dominates(statement, use):
            return False
        for ancestor in self.index.ancestors(use):
            if isinstance(ancestor, SCOPE_NODES):
                break
            if isinstance(ancestor, LOOPS):
                return False
        calls = self._changing_calls(method)
        start = bisect.bisect_left(calls, (statement.end_lineno, statement.end_col_offset))
        return start == len(calls) or calls[start] >= (use.lineno, use.col_offset)

    def _changing_calls(self, method: ast.FunctionDef) -> List[Tuple[int, int]]:
        """Where the calls in ``method`` that may change ``self`` start, sorted (once each)."""
        found = self._changing.get(id(method))
        if found is None:
            positional = [*method.args.posonlyargs, *method.args.args]
            self_name = positional[0].arg
            found = sorted((node.lineno, node.col_offset) for node in ast.walk(method)
                           if isinstance(node, ast.Call) and _may_change_self(node, self_name))
            self._changing[id(method)] = found
        return found

    def _value_of(self, store: Store, depth: int) -> Resolved:
        target, statement, _ = store
        return self.resolver.value_of_store(target, statement, depth)


def _class_binds(cls: ast.ClassDef, attr: str) -> bool:
    for statement in cls.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                and statement.name == attr:
            return True
        targets = statement.targets if isinstance(statement, ast.Assign) else \
            [statement.target] if isinstance(statement, (ast.AnnAssign, ast.AugAssign)) else []
        if any(isinstance(target, ast.Name) and target.id == attr for target in targets):
            return True
    return False


def _may_change_self(call: ast.Call, self_name: str) -> bool:
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
            and func.value.id == self_name:
        return True
    given = [*call.args, *(keyword.value for keyword in call.keywords)]
    return any(isinstance(argument, ast.Name) and argument.id == self_name
               or isinstance(argument, ast.Starred) for argument in given)
