"""Small local functions: which ``def`` a called name is, and (``function_uses.py``) where
each is called and what its parameters receive.

``def load_model(name): ...; return model`` called as ``load_model("org/x")``: the resolver
binds ``name`` to what every call passes (the same value in all of them, else unknown) and
reads the call's result from the ``return`` statements. Only plain module- or function-level
``def``s referred to by name are followed, and only while the function is used by direct calls
alone: one passed elsewhere (``dataset.map(f)``) may be called with anything, so its
parameters stay unknown. A function only handed to ``fire.Fire(f)`` is a command line: its
parameters' defaults are command-line defaults (the resolver's second tier).

The uses of a function are found when it is first asked about (``LocalFunctions.uses``),
among the ``Name`` nodes spelt like it (grouped once per file by name, among the names of the
file's ``def``s and classes).
"""

from __future__ import annotations

import ast
import functools
import itertools
import operator
from functools import cached_property
from typing import TYPE_CHECKING, Dict, List, Optional, Set, Tuple

from .scopes import ScopeIndex

if TYPE_CHECKING:  # pragma: no cover
    from .function_uses import FunctionUses

# A function called more often than this is not worth comparing argument by argument.
MAX_CALLS = 8

_context_class = operator.attrgetter("ctx.__class__")
_attribute_name = operator.attrgetter("attr")


class LocalFunctions:
    """The ``def``s of one module, and (``uses``) the direct calls of each."""

    def __init__(self, index: ScopeIndex) -> None:
        self.index = index
        self._bound_in_class: Dict[int, Dict[str, List[ast.stmt]]] = {}   # ``_class_bindings``
        self._methods: Dict[Tuple[int, str], Optional[ast.FunctionDef]] = {}
        # id(class) -> the attribute names stored in it (``_stored_attributes``)
        self._stored: Optional[Dict[int, Set[str]]] = None
        self._attribute_stores: Optional[Tuple[List[ast.Attribute], bool]] = None

    @cached_property
    def uses(self) -> "FunctionUses":
        """Where the functions are called, what they are given and return (``function_uses``),
        indexed when first asked (a third of the training scripts call a function followed)."""
        from .function_uses import FunctionUses

        return FunctionUses(self.index)

    def definition(self, func: ast.AST) -> Optional[ast.FunctionDef]:
        """The ``def`` a called name certainly refers to (bound once, by that ``def``), or the
        method ``self.m`` certainly is (``method``)."""
        if isinstance(func, ast.Attribute):
            return self.method(func)
        binding = self.index.sole_binding(func)
        return binding.node if binding is not None and isinstance(binding.node, ast.FunctionDef) else None

    def method(self, func: ast.Attribute) -> Optional[ast.FunctionDef]:
        """``self.m`` read in a plain method (``self`` its first parameter, no decorator) of a
        class with no base class, keyword or decorator that defines ``m`` once, as a plain
        ``def`` or a ``@staticmethod``, and never stores an attribute named ``m``: that
        ``def``. As for ``self.x`` (``attributes.py``), the class is taken as written."""
        key = (id(func.value), func.attr)
        if key not in self._methods:
            self._methods[key] = self._find_method(func)
        return self._methods[key]

    def _find_method(self, func: ast.Attribute) -> Optional[ast.FunctionDef]:
        binding = self.index.sole_binding(func.value)
        caller = binding.scope.node if binding is not None else None
        if binding is None or not isinstance(binding.node, ast.arg) \
                or not isinstance(caller, ast.FunctionDef) or caller.decorator_list:
            return None
        positional = [*getattr(caller.args, "posonlyargs", []), *caller.args.args]
        cls = self.index.parent(caller)
        if not positional or positional[0] is not binding.node or not isinstance(cls, ast.ClassDef) \
                or cls.bases or cls.keywords or cls.decorator_list:
            return None
        found = self._class_bindings(cls).get(func.attr, [])
        if len(found) != 1 or not isinstance(found[0], ast.FunctionDef) \
                or found[0].decorator_list and not is_static(found[0]):
            return None
        if func.attr in self._stored_attributes(cls):
            return None   # ``self.m = ...`` somewhere: the method may be replaced
        return found[0]

    def _class_bindings(self, cls: ast.ClassDef) -> Dict[str, List[ast.stmt]]:
        """The statements of a class body that bind each name (``_binds_name``), in order:
        indexed once per class (a test class's helpers are called hundreds of times)."""
        found = self._bound_in_class.get(id(cls))
        if found is None:
            found = self._bound_in_class[id(cls)] = {}
            for statement in cls.body:
                for name in _bound_names(statement):
                    found.setdefault(name, []).append(statement)
        return found

    def _stored_attributes(self, cls: ast.ClassDef) -> Set[str]:
        """The attribute names stored or deleted anywhere in ``cls``. Gathered once per file
        from the stores the scope walk listed (a test class calls its helpers hundreds of
        times: walking the class at each call was quadratic)."""
        if self._stored is None:
            self._stored = {}
            for node in self.attribute_stores()[0]:
                for ancestor in self.index.ancestors(node):
                    if type(ancestor) is ast.ClassDef:
                        self._stored.setdefault(id(ancestor), set()).add(node.attr)
        return self._stored.get(id(cls), set())

    def attribute_stores(self) -> Tuple[List[ast.Attribute], bool]:
        """The attributes the module stores or deletes (``x.a = ...``, ``del x.a``), in
        pre-order, and whether it reads some ``__dict__``: listed in one pass over its
        attributes for the three whole-file questions about them (``_stored_attributes``,
        ``attributes.py``'s stores, ``defaults.py``'s facts)."""
        if self._attribute_stores is None:
            attributes = self.index.of_kind(ast.Attribute)
            # iterated in C: a test file has tens of thousands of attributes, few of them stores
            loaded = map(functools.partial(operator.is_not, ast.Load),
                         map(_context_class, attributes))
            stores = list(itertools.compress(attributes, loaded))
            reads_dict = "__dict__" in map(_attribute_name, attributes) and any(
                node.attr == "__dict__" and type(node.ctx) is ast.Load for node in attributes)
            self._attribute_stores = (stores, reads_dict)
        return self._attribute_stores


def is_static(function: ast.FunctionDef) -> bool:
    """A ``@staticmethod`` (its first parameter is no ``self``)."""
    return len(function.decorator_list) == 1 and isinstance(function.decorator_list[0], ast.Name) \
        and function.decorator_list[0].id == "staticmethod"


def _bound_names(statement: ast.stmt) -> Set[str]:
    """The names a class-body statement binds (a ``def``, a class, an assignment)."""
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {statement.name}
    targets: List[ast.AST] = []
    if isinstance(statement, ast.Assign):
        targets = list(statement.targets)
    elif isinstance(statement, (ast.AnnAssign, ast.AugAssign)):
        targets = [statement.target]
    return {node.id for target in targets for node in ast.walk(target) if isinstance(node, ast.Name)}
