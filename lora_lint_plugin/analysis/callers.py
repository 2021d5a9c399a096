"""Callers in the project's other modules: what a parameter holds when its function is called
from other modules only.

``def load_model_lora(model_name): ... FastLanguageModel.from_pretrained(model_name)`` in
``training/model.py``, called only as ``load_model_lora(args.model)`` by ``training/grpo.py``
(``from training.model import load_model_lora``): ``model_name`` is what ``args.model`` is
there. ``def setup_peft(model): get_peft_model(model, ...)`` called as ``setup_peft(model)``
where the caller loaded ``model``: that loader. Asked only for a LoRA setup that is otherwise
without a model id, about a plain module-level ``def`` (no decorator, bound once) whose
parameter the model id (``name``, or ``args.x.y`` of it) or the model comes from, and that its
own module never calls or hands elsewhere:

* the callers are looked for in the ``.py`` files of the function's directory and of the
  directories above it up to the repository root (not below them): at most ``MAX_FILES``
  files, and only those whose text names both the function and its module (a substring test
  before anything is parsed);
* a file calls the function when it imports it (``from training.model import f``, ``from
  .model import f as g``; the module found as Python would find it, ``modules.py``) or imports
  its module (``import training.model as m``, then ``m.f(...)``). Every use of the imported
  name must be a direct call; a ``from ... import *`` of the module, a file that mentions the
  function but cannot be read, or more than ``MAX_CALLS`` calls make the callers unknown;
* the parameter is read at each call, in the caller's module with its own resolver (a default
  of the function is read here); the calls must agree (the same value; for a model, the same
  loader class and model id), else unknown; no caller: unknown. The callers of the callers in
  other modules are not followed (one level).

A value read there is located where this file uses it, is never rewritten by a fix, and says
where it came from (``passed by grpo.py line 130``, after a default's origin when it has one).
"""

from __future__ import annotations

import ast
import os
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Set, Tuple, TypeVar

from ..fast_dataclass import replace
from ..sources.project import directories_up_to_root
from .foreign_modules import ForeignModule
from .modules import MAX_MODULE_BYTES, MAX_PARENT_LEVELS, ProjectModules
from .values import OBJECT, UNKNOWN, CallResult, Resolved, Value, anchored, same_value

if TYPE_CHECKING:  # pragma: no cover
    from .resolve import Resolver

T = TypeVar("T")

__all__ = ["ForeignCallers", "loader_behind", "MAX_FILES", "MAX_CALLS"]

# Files read (as text) when looking for the callers of one function, at most.
MAX_FILES = 64
# Calls of one function compared, at most.
MAX_CALLS = 8
# Attributes read from a parameter (``args.model.name``), at most.
MAX_CHAIN = 4

# A call in another module, with that module.
ForeignCall = Tuple[ForeignModule, ast.Call]
# (what a loader is, its model id): ``extract._foreign_loader``.
LoaderReader = Callable[[ForeignModule, ast.Call, Optional[int]], Optional[Tuple[T, Resolved]]]


class ForeignCallers:
    """The callers, in other modules of the project, of the functions of one analysed file."""

    def __init__(self, path: str, resolver: "Resolver", project: ProjectModules) -> None:
        # (the project's own file, whose real path it has resolved already, or another)
        self.path = project.real_path() if project.path == os.path.abspath(path) \
            else os.path.realpath(path)
        self.resolver = resolver
        self.project = project
        self._calls: Dict[int, Optional[List[ForeignCall]]] = {}
        # ``default.attr`` nodes made to read a default of this file, kept alive while its
        # resolver may cache them by node
        self._made: List[ast.AST] = []

    # -- what a parameter holds ------------------------------------------------------------
    def value(self, expression: ast.expr) -> Resolved:
        """The value of ``expression`` (``name`` or ``args.x.y`` where ``name``/``args`` is a
        parameter of a function called from other modules only) when every call agrees."""
        found = self._parameter_chain(expression)
        if found is None:
            return UNKNOWN
        function, parameter, chain = found
        calls = self.calls(function)
        if not calls:
            return UNKNOWN
        values: List[Value] = []
        for module, call in calls:
            given = self.resolver.functions.uses.argument(function, parameter, call, method=False)
            if given is None:
                return UNKNOWN
            if _passes(call, given):
                value = module.resolver.resolve(_chained(given, chain, module.attribute_of))
            else:   # the function's default, read here
                value = self.resolver.resolve(_chained(given, chain, self._attribute_here))
            if not isinstance(value, Value) or value.kind == OBJECT \
                    or values and not same_value(values[0], value):
                return UNKNOWN
            values.append(value)
        return self._here(values[0], expression, self._place(calls))

    def loader(self, expression: ast.expr, read: LoaderReader[T]) -> Optional[Tuple[T, Value]]:
        """(what the loader is, its model id) for ``expression``, a parameter of a function
        called from other modules only, when every call passes the result of a model loader
        of the same class and model id (in the caller, or returned by a function the caller
        imports); None otherwise."""
        found = self._parameter_chain(expression)
        if found is None or found[2]:
            return None
        function, parameter, _ = found
        calls = self.calls(function)
        if not calls:
            return None
        loaded: List[Tuple[T, Value]] = []
        for module, call in calls:
            given = self.resolver.functions.uses.argument(function, parameter, call, method=False)
            value = module.resolver.resolve(given) if given is not None and _passes(call, given) \
                else UNKNOWN
            if not isinstance(value, Value) or value.kind != OBJECT:
                return None
            found_loader = loader_behind(module, value.python, read)
            if found_loader is None:
                return None
            kind, model_id = found_loader
            if not isinstance(model_id, Value) or not isinstance(model_id.python, str):
                return None
            if loaded and (loaded[0][0] != kind or not same_value(loaded[0][1], model_id)):
                return None
            loaded.append((kind, model_id))
        return loaded[0][0], self._here(loaded[0][1], expression, "model " + self._place(calls))

    # -- the calls -------------------------------------------------------------------------
    def calls(self, function: ast.FunctionDef) -> Optional[List[ForeignCall]]:
        """The calls of ``function`` in the other modules of the project; None when they cannot
        all be seen or the function is not one whose callers decide (module docstring)."""
        key = id(function)
        if key not in self._calls:
            self._calls[key] = self._find_calls(function) if self._followable(function) else None
        return self._calls[key]

    def _followable(self, function: ast.FunctionDef) -> bool:
        index = self.resolver.index
        if function.decorator_list or index.parent(function) is not index.module_scope.node:
            return False
        bindings = index.module_scope.bindings.get(function.name, [])
        if len(bindings) != 1 or bindings[0].node is not function:
            return False
        functions = self.resolver.functions
        return functions.uses.calls(function) == [] and not functions.uses.is_command_line(function)

    def _find_calls(self, function: ast.FunctionDef) -> Optional[List[ForeignCall]]:
        found: List[ForeignCall] = []
        name, module_name = function.name.encode(), _module_name(self.path).encode()
        for path in _project_files(self.path):
            mention = _mentions(path, name, module_name)
            if mention is False:
                continue
            module = self.project.module_at(path) if mention else None
            calls = _calls_in(module, function.name, self.path) if module is not None else None
            if calls is None:
                return None   # a caller we cannot see may pass anything
            found.extend((module, call) for call in calls)   # type: ignore[misc]
            if len(found) > MAX_CALLS:
                return None
        return found

    # -- reading there, reporting here -----------------------------------------------------
    def _parameter_chain(self, expression: ast.expr
                         ) -> Optional[Tuple[ast.FunctionDef, ast.arg, List[str]]]:
        """(function, parameter, attributes) when ``expression`` is ``p`` or ``p.a.b`` and
        ``p`` is certainly the parameter of a module-level function where it is read (no
        other binding reaches it, and no attribute of the chain is assigned in this file)."""
        chain: List[str] = []
        root = expression
        while isinstance(root, ast.Attribute) and len(chain) < MAX_CHAIN:
            chain.insert(0, root.attr)
            root = root.value
        if not isinstance(root, ast.Name):
            return None
        bindings = self.resolver.reaching(root)
        if not bindings or len(bindings) != 1 or not isinstance(bindings[0].node, ast.arg):
            return None
        function = bindings[0].scope.node
        if not isinstance(function, ast.FunctionDef):
            return None
        if chain:
            facts = self.resolver.defaults.facts()
            if not facts.ready or facts.dynamic_attributes \
                    or any(attr in facts.assigned_attributes for attr in chain):
                return None   # ``args.model = ...`` somewhere here
        return function, bindings[0].node, chain

    def _attribute_here(self, node: ast.expr, attr: str) -> ast.Attribute:
        made = ast.Attribute(value=node, attr=attr, ctx=ast.Load())
        made.lineno, made.col_offset = node.lineno, node.col_offset
        made.end_lineno, made.end_col_offset = node.end_lineno, node.end_col_offset
        self._made.append(made)   # kept while this file's resolver may cache it
        return made

    def _place(self, calls: List[ForeignCall]) -> str:
        module, call = calls[0]
        where = os.path.relpath(module.path, os.path.dirname(self.path))
        more = f" and {len(calls) - 1} more" if len(calls) > 1 else ""
        return f"passed by {where.replace(os.sep, '/')} line {call.lineno}{more}"

    def _here(self, value: Value, use: ast.expr, place: str) -> Value:
        """``value`` located at ``use`` in this file (never rewritten) and marked with where it
        came from, after a default's origin when it has one."""
        if self.resolver.index.parent(value.node) is None:
            value = anchored(value, use, self.resolver.span(use))
        else:
            value = anchored(value, value.node, value.span)   # a default here: not rewritten
        return _marked(value, f"{value.origin}, {place}" if value.origin else place)


def _chained(given: ast.expr, chain: List[str],
             attribute: Callable[[ast.expr, str], ast.Attribute]) -> ast.expr:
    """``given.a.b`` for the chain ``[a, b]`` (made by ``attribute``)."""
    node = given
    for attr in chain:
        node = attribute(node, attr)
    return node


def loader_behind(module: ForeignModule, result: CallResult,
                  read: LoaderReader[T]) -> Optional[Tuple[T, Resolved]]:
    """The loader behind the object a call in ``module`` returned: the call itself, or the
    loader a function it imports from the project returns; read with the parameters of the
    module's local functions it came through bound to those calls' arguments."""
    def direct() -> Optional[Tuple[T, Resolved]]:
        return read(module, result.call, result.index)
    found = module.resolver.resolve_in_calls(result.via, direct) if result.via else direct()
    if found is None and not result.via:
        found = module.resolver.imports.returned_call(result.call, result.index, read)
    return found


def _marked(value: Value, origin: str) -> Value:
    return replace(value, origin=origin,
                   items=tuple(_marked(item, origin) for item in value.items),
                   entries=tuple((key, _marked(entry, origin)) for key, entry in value.entries))


def _passes(call: ast.Call, given: ast.expr) -> bool:
    """``given`` is written in the call (not the function's default)."""
    return any(given is argument for argument in call.args) or \
        any(given is keyword.value for keyword in call.keywords)


def _module_name(path: str) -> str:
    """The last part of the dotted name a file is imported by (its package's for ``__init__``)."""
    stem = os.path.splitext(os.path.basename(path))[0]
    return os.path.basename(os.path.dirname(path)) if stem == "__init__" else stem


def _project_files(path: str) -> List[str]:
    """The ``.py`` files of ``path``'s directory and the directories above it up to the
    repository root, ``path`` itself left out; at most ``MAX_FILES`` (more: cut, with an
    empty string at the end, which no file mentions: unknown)."""
    files: List[str] = []
    for directory in directories_up_to_root(os.path.dirname(path), MAX_PARENT_LEVELS):
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            continue
        for name in names:
            candidate = os.path.join(directory, name)
            if not name.endswith(".py") or os.path.realpath(candidate) == path \
                    or not os.path.isfile(candidate):
                continue
            if len(files) >= MAX_FILES:
                return files + [""]
            files.append(candidate)
    return files


def _mentions(path: str, function: bytes, module: bytes) -> Optional[bool]:
    """Whether the file's text names the module and the function (or imports ``*``); None
    when it cannot be read or is larger than a module is read (a caller there could not be
    seen)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    if module not in data or function not in data and b"*" not in data:
        return False
    return True if len(data) <= MAX_MODULE_BYTES else None


def _calls_in(module: ForeignModule, name: str, target: str) -> Optional[List[ast.Call]]:
    """The calls of function ``name`` of the module at ``target`` in ``module``; None when a
    use of it is not a direct call or its names cannot all be seen."""
    imports: Set[int] = set()
    local_names: Set[str] = set()
    module_names: Dict[str, int] = {}   # local name of the target module -> its import
    for node in module.index.calls_constants_imports:
        if isinstance(node, ast.ImportFrom):
            dotted, level = node.module or "", node.level or 0
            for alias in node.names:
                if alias.name == "*":
                    if module.project.module_path(dotted, level) == target:
                        return None
                elif alias.name == name and module.project.module_path(dotted, level) == target:
                    imports.add(id(node))
                    local_names.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if (alias.asname or "." not in alias.name) \
                        and module.project.module_path(alias.name, 0) == target:
                    module_names[alias.asname or alias.name] = id(node)
    if not local_names and not module_names:
        return []
    calls: List[ast.Call] = []
    index = module.index
    for use in index.of_kind(ast.Name):
        if use.id not in local_names and use.id not in module_names:
            continue
        bindings, _ = index.lookup(index.scope_of(use), use.id)
        bound_here = [binding for binding in bindings
                      if id(binding.node) in imports or id(binding.node) == module_names.get(use.id)]
        if not bound_here:
            continue   # another name of that spelling
        if len(bindings) != 1:
            return None   # rebound somewhere: which calls are its own is not certain
        parent = index.parent(use)
        if use.id in module_names:
            if not isinstance(parent, ast.Attribute) or parent.attr != name:
                continue   # another name of the module
            use, parent = parent, index.parent(parent)
        if isinstance(parent, ast.Call) and parent.func is use:
            calls.append(parent)
        elif isinstance(getattr(use, "ctx", None), ast.Load):
            return None   # handed elsewhere: may be called with anything
    return calls
