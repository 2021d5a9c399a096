"""Where the small local functions of a module are called, what each call gives their
parameters and what they return (``functions.py`` finds which ``def`` a called name is).

Indexed when the resolver first follows a function into its calls (a third of the real-world
training files call one): a flake8 process started per save pays for every module it loads.
"""

from __future__ import annotations

import ast
import itertools
import operator
from typing import Dict, List, Optional, Tuple

from .functions import is_static
from .scopes import ScopeIndex

_NESTED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_name_id = operator.attrgetter("id")


class FunctionUses:
    """The direct calls of the ``def``s of one module, the arguments they pass and the values
    the functions return."""

    def __init__(self, index: ScopeIndex) -> None:
        self.index = index
        # name -> the ``Name`` nodes spelt so, in pre-order, for the names of ``def``s and classes
        self._named: Optional[Dict[str, List[ast.Name]]] = None
        # id(def) -> (its direct calls, used another way, handed to ``fire.Fire``)
        self._uses: Dict[int, Tuple[List[ast.Call], bool, bool]] = {}
        self._constructors: Dict[int, Optional[ast.FunctionDef]] = {}   # per class
        self._returns: Dict[int, Optional[List[ast.expr]]] = {}

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
        if method and not is_static(function):
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
