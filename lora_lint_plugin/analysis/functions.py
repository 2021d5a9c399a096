"""Small local functions: where they are called and what their parameters receive.

``def load_model(name): ...; return model`` called as ``load_model("org/x")``: the resolver
binds ``name`` to what every call passes (the same value in all of them, else unknown) and
reads the call's result from the ``return`` statements. Only plain module- or function-level
``def``s referred to by name are followed, and only while the function is used by direct calls
alone: one passed elsewhere (``dataset.map(f)``) may be called with anything, so its
parameters stay unknown. A function only handed to ``fire.Fire(f)`` is a command line: its
parameters' defaults are command-line defaults (the resolver's second tier).

The call index is built lazily, once per file, in one pass over the ``Name`` nodes whose text
is the name of some ``def``.
"""

from __future__ import annotations

import ast
from typing import Dict, List, Optional, Set, Tuple

from .scopes import ScopeIndex

# A function called more often than this is not worth comparing argument by argument.
MAX_CALLS = 8

_NESTED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


class LocalFunctions:
    """The ``def``s of one module and the direct calls of each."""

    def __init__(self, index: ScopeIndex) -> None:
        self.index = index
        self._calls: Optional[Dict[int, List[ast.Call]]] = None
        self._escaping: Set[int] = set()
        self._fired: Set[int] = set()
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
        found = [statement for statement in cls.body if _binds_name(statement, func.attr)]
        if len(found) != 1 or not isinstance(found[0], ast.FunctionDef) \
                or found[0].decorator_list and not _is_static(found[0]):
            return None
        if func.attr in self._stored_attributes(cls):
            return None   # ``self.m = ...`` somewhere: the method may be replaced
        return found[0]

    def _stored_attributes(self, cls: ast.ClassDef) -> Set[str]:
        """The attribute names stored or deleted anywhere in ``cls``. Gathered once per file
        from the stores the scope walk listed (a test class calls its helpers hundreds of
        times: walking the class at each call was quadratic)."""
        if self._stored is None:
            self._stored = {}
            for node in self.attribute_stores()[0]:
                for ancestor in self.index.ancestors(node):
                    if ancestor.__class__ is ast.ClassDef:
                        self._stored.setdefault(id(ancestor), set()).add(node.attr)
        return self._stored.get(id(cls), set())

    def attribute_stores(self) -> Tuple[List[ast.Attribute], bool]:
        """The attributes the module stores or deletes (``x.a = ...``, ``del x.a``), in
        pre-order, and whether it reads some ``__dict__``: listed in one pass over its
        attributes for the three whole-file questions about them (``_stored_attributes``,
        ``attributes.py``'s stores, ``defaults.py``'s facts)."""
        if self._attribute_stores is None:
            stores: List[ast.Attribute] = []
            reads_dict = False
            load = ast.Load
            for node in self.index.of_kind(ast.Attribute):
                if node.ctx.__class__ is not load:
                    stores.append(node)
                elif node.attr == "__dict__":
                    reads_dict = True
            self._attribute_stores = (stores, reads_dict)
        return self._attribute_stores

    def calls(self, function: ast.FunctionDef) -> Optional[List[ast.Call]]:
        """Every direct call of ``function``; None when it is also used another way."""
        if self._calls is None:
            self._index_calls()
        if id(function) in self._escaping:
            return None
        return (self._calls or {}).get(id(function), [])

    def is_command_line(self, function: ast.FunctionDef) -> bool:
        """True when ``function`` is only handed to ``fire.Fire`` (never called directly)."""
        if self._calls is None:
            self._index_calls()
        return id(function) in self._fired and id(function) not in self._escaping \
            and not (self._calls or {}).get(id(function))

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

    def _index_calls(self) -> None:
        calls: Dict[int, List[ast.Call]] = {}
        names = {node.name for node in self.index.of_kind(ast.FunctionDef)}
        names.update(node.name for node in self.index.of_kind(ast.ClassDef))
        constructors: Dict[int, Optional[ast.FunctionDef]] = {}   # per class: used many times
        for node in [name for name in self.index.of_kind(ast.Name) if name.id in names]:
            # a name bound once, by a ``def`` (``definition``) or by a class (its constructor)
            binding = self.index.sole_binding(node)
            bound = binding.node if binding is not None else None
            if isinstance(bound, ast.FunctionDef):
                function: Optional[ast.FunctionDef] = bound
            elif isinstance(bound, ast.ClassDef):
                if id(bound) not in constructors:
                    constructors[id(bound)] = _constructor(bound)
                function = constructors[id(bound)]
            else:
                continue
            if function is None:
                continue
            parent = self.index.parent(node)
            if isinstance(parent, ast.Call) and parent.func is node:
                calls.setdefault(id(function), []).append(parent)
            elif isinstance(parent, ast.Call) and parent.args and parent.args[0] is node \
                    and "fire.Fire" in self.index.imported_names(parent.func):
                self._fired.add(id(function))
            elif isinstance(node.ctx, ast.Load):
                self._escaping.add(id(function))
        self._calls = calls


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
