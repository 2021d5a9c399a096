"""Small local functions: where they are called and what their parameters receive.

``def load_model(name): ...; return model`` called as ``load_model("org/x")``: the resolver
binds ``name`` to what every call passes (the same value in all of them, else unknown) and
reads the call's result from the ``return`` statements. Only plain module- or function-level
``def``s referred to by name are followed, and only while the function is used by direct calls
alone: one passed elsewhere (``dataset.map(f)``) may be called with anything, so its
parameters stay unknown. A function only handed to ``fire.Fire(f)`` is a command line: its
parameters' defaults are command-line defaults (the resolver's second tier).

The uses of a function are found when it is first asked about, among the ``Name`` nodes spelt
like it (grouped once per file by name, among the names of the file's ``def``s and classes).
"""

from __future__ import annotations

import ast
import functools
import itertools
import operator
from typing import Dict, List, Optional, Set, Tuple

from .scopes import ScopeIndex

# A function called more often than this is not worth comparing argument by argument.
MAX_CALLS = 8

_NESTED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_context_class = operator.attrgetter("ctx.__class__")
_attribute_name = operator.attrgetter("attr")
_name_id = operator.attrgetter("id")


class LocalFunctions:
    """The ``def``s of one module and the direct calls of each."""

    def __init__(self, index: ScopeIndex) -> None:
        self.index = index
        # name -> the ``Name`` nodes spelt so, in pre-order, for the names of ``def``s and classes
        self._named: Optional[Dict[str, List[ast.Name]]] = None
        # id(def) -> (its direct calls, used another way, handed to ``fire.Fire``)
        self._uses: Dict[int, Tuple[List[ast.Call], bool, bool]] = {}
        self._constructors: Dict[int, Optional[ast.FunctionDef]] = {}   # per class
        self._bound_in_class: Dict[int, Dict[str, List[ast.stmt]]] = {}   # ``_class_bindings``
        self._returns: Dict[int, Optional[List[ast.expr]]] = {}
        self._methods: Dict[Tuple[int, str], Optional[ast.FunctionDef]] = {}
        # id(class) -> the attribute names stored in it (``_stored_attributes``)
        self._stored: Optional[Dict[int, Set[str]]] = None
        self._attribute_stores: Optional[Tuple[List[ast.Attribute], bool]] = None

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
                or found[0].decorator_list and not _is_static(found[0]):
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

    def calls(self, function: ast.FunctionDef) -> Optional[List[ast.Call]]:
        """Every direct call of ``function``; None when it is also used another way."""
        calls, escaping, _ = self._uses_of(function)
        return None if escaping else calls

    def is_command_line(self, function: ast.FunctionDef) -> bool:
        """True when ``function`` is only handed to ``fire.Fire`` (never called directly)."""
        calls, escaping, fired = self._uses_of(function)
        return fired and not escaping and not calls

    @staticmethod
    def default(function: ast.FunctionDef, parameter: ast.arg) -> Optional[ast.expr]:
        """The default expression of ``parameter``, if it has one."""
        arguments = function.args
        positional = [*getattr(arguments, "posonlyargs", []), *arguments.args]
        if parameter in positional:
            place = positional.index(parameter) - (len(positional) - len(arguments.defaults))
            return arguments.defaults[place] if place >= 0 else None
        if parameter in arguments.kwonlyargs:
            return arguments.kw_defaults[arguments.kwonlyargs.index(parameter)]
        return None

    def argument(self, function: ast.FunctionDef, parameter: ast.arg, call: ast.Call,
                 method: Optional[bool] = None) -> Optional[ast.expr]:
        """The expression ``call`` gives ``parameter`` (its default when the call omits it);
        None when that cannot be told (``*args``, ``**kwargs``, no default). ``method``: the
        call passes ``self`` first (by default: when it calls an attribute, ``self.m(...)``;
        a module's function called as ``module.f(...)`` does not)."""
        arguments = function.args
        positional = [*getattr(arguments, "posonlyargs", []), *arguments.args]
        if parameter in (arguments.vararg, arguments.kwarg):
            return None
        if method is None:   # ``Cls(...)`` runs ``__init__(self, ...)``
            method = isinstance(call.func, ast.Attribute) or function.name == "__init__"
        if method and not _is_static(function):
            if positional and parameter is positional[0]:
                return None   # ``self``: the object the method is called on
            positional = positional[1:]
        if any(isinstance(given, ast.Starred) for given in call.args) or \
                any(keyword.arg is None for keyword in call.keywords) or \
                len(call.args) > len(positional):
            return None
        if parameter in positional and positional.index(parameter) < len(call.args):
            return call.args[positional.index(parameter)]
        for keyword in call.keywords:
            if keyword.arg == parameter.arg:
                return keyword.value
        return self.default(function, parameter)

    def returned(self, function: ast.FunctionDef) -> Optional[List[ast.expr]]:
        """The expressions of the ``return`` statements when every path ends in one (the body
        ends with ``return``); None for generators, bare returns or a possible fall-through."""
        key = id(function)
        if key not in self._returns:
            self._returns[key] = _returned(function)
        return self._returns[key]

    def _uses_of(self, function: ast.FunctionDef) -> Tuple[List[ast.Call], bool, bool]:
        """(the direct calls of ``function``, whether it is used another way, whether it is
        handed to ``fire.Fire``): from the names that refer to it, its own (bound once, by the
        ``def``) and, for a constructor, its class's. Once per function."""
        key = id(function)
        found = self._uses.get(key)
        if found is None:
            found = self._uses[key] = self._find_uses(function)
        return found

    def _find_uses(self, function: ast.FunctionDef) -> Tuple[List[ast.Call], bool, bool]:
        named = self._names_of_definitions()
        candidates = named.get(function.name, [])
        cls = self.index.parent(function)
        if isinstance(cls, ast.ClassDef) and cls.name != function.name and cls.name in named \
                and self._constructor(cls) is function:   # both spellings, in pre-order
            spellings = (function.name, cls.name)
            candidates = [node for node in named[""] if node.id in spellings]
        calls: List[ast.Call] = []
        escaping = fired = False
        for node in candidates:
            # a name bound once, by a ``def`` (``definition``) or by a class (its constructor)
            binding = self.index.sole_binding(node)
            bound = binding.node if binding is not None else None
            if isinstance(bound, ast.FunctionDef):
                if bound is not function:
                    continue
            elif not isinstance(bound, ast.ClassDef) or self._constructor(bound) is not function:
                continue
            parent = self.index.parent(node)
            if isinstance(parent, ast.Call) and parent.func is node:
                calls.append(parent)
            elif isinstance(parent, ast.Call) and parent.args and parent.args[0] is node \
                    and "fire.Fire" in self.index.imported_names(parent.func):
                fired = True
            elif isinstance(node.ctx, ast.Load):
                escaping = True
        return calls, escaping, fired

    def _constructor(self, cls: ast.ClassDef) -> Optional[ast.FunctionDef]:
        key = id(cls)
        if key not in self._constructors:   # a class is used many times
            self._constructors[key] = _constructor(cls)
        return self._constructors[key]

    def _names_of_definitions(self) -> Dict[str, List[ast.Name]]:
        """The ``Name`` nodes spelt like a ``def`` or a class of the file, by name, in
        pre-order (one pass over the file's names); all of them under ``""``."""
        if self._named is None:
            names = {node.name for node in self.index.of_kind(ast.FunctionDef)}
            names.update(node.name for node in self.index.of_kind(ast.ClassDef))
            every = self.index.of_kind(ast.Name)
            # iterated in C: a test file has tens of thousands of names
            spelt = list(itertools.compress(every, map(names.__contains__, map(_name_id, every))))
            named: Dict[str, List[ast.Name]] = {"": spelt}
            for node in spelt:
                named.setdefault(node.id, []).append(node)
            self._named = named
        return self._named


def _constructor(cls: ast.ClassDef) -> Optional[ast.FunctionDef]:
    """The ``__init__`` a class runs when its name is called: the class has no base class,
    keyword or decorator (nothing else may construct it), and defines ``__init__`` once, as a
    plain ``def``, and no ``__new__``."""
    if cls.bases or cls.keywords or cls.decorator_list \
            or any(_binds_name(statement, "__new__") for statement in cls.body):
        return None
    found = [statement for statement in cls.body if _binds_name(statement, "__init__")]
    if len(found) != 1 or not isinstance(found[0], ast.FunctionDef) or found[0].decorator_list:
        return None
    return found[0]


def _returned(function: ast.FunctionDef) -> Optional[List[ast.expr]]:
    if not _ends_in_return(function.body):
        return None
    values: List[ast.expr] = []
    stack: List[ast.AST] = list(function.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Yield, ast.YieldFrom, ast.Await)):
            return None
        if isinstance(node, ast.Return):
            if node.value is None:
                return None
            values.append(node.value)
        if isinstance(node, _NESTED_SCOPES):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return values or None


def _ends_in_return(body: List[ast.stmt]) -> bool:
    """The block's last statement returns or raises, also at the end of a ``with`` block
    (``with trace("load"): ...; return model``: the value returned when the block runs
    through; a context manager that swallows an exception makes the call return None, which
    is no other value)."""
    while body and isinstance(body[-1], (ast.With, ast.AsyncWith)):
        body = body[-1].body
    return bool(body) and isinstance(body[-1], (ast.Return, ast.Raise))


def _is_static(function: ast.FunctionDef) -> bool:
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


def _binds_name(statement: ast.stmt, name: str) -> bool:
    """A class-body statement that binds ``name`` (a ``def``, a class, an assignment)."""
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return statement.name == name
    targets: List[ast.AST] = []
    if isinstance(statement, ast.Assign):
        targets = list(statement.targets)
    elif isinstance(statement, (ast.AnnAssign, ast.AugAssign)):
        targets = [statement.target]
    return any(isinstance(node, ast.Name) and node.id == name
               for target in targets for node in ast.walk(target))
