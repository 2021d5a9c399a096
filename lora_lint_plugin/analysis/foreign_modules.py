"""A module of the project read from disk (``modules.py`` finds it): parsed and indexed once
per process, with its own resolver, and what it exports (the value, class or plain function
it binds a name to at its top level).

Apart from ``modules.py`` because few training scripts import a value from their project
(18 % of the real-world files read a module), and a flake8 process started per save pays for
every module it loads: ``modules.py`` imports this one when it first reads a module.
"""

from __future__ import annotations

import ast
import functools
import io
import tokenize
import warnings
from typing import Callable, Dict, List, Optional, Set, Tuple, TypeVar

from .modules import MAX_MODULE_BYTES, ImportedNames, ProjectModules, holds_object, stamp
from .positions import SourceLines
from .resolve import Resolver
from .scopes import Binding, Scope, ScopeIndex
from .values import OBJECT, UNKNOWN, CallResult, Resolved, Value

T = TypeVar("T")


def read_module(path: str, project: ProjectModules) -> Optional["ForeignModule"]:
    """The module in the file at ``path`` (a real path), seen from ``project``; None when it
    cannot be read or parsed, or is too large."""
    indexed = _indexed(path, *stamp(path))
    return ForeignModule(path, indexed, project) if indexed is not None else None


class ForeignModule:
    """One module of the project, parsed, with its own resolver."""

    def __init__(self, path: str, indexed: "_Indexed", project: "ProjectModules") -> None:
        self.path = path
        self.tree = indexed.tree
        self.index = indexed.index
        self.project = project.for_module(path)
        self.resolver: "Resolver" = Resolver(indexed.lines, self.index,
                                             project.resolve_defaults, modules=self.project)
        self._reads = indexed.reads
        self._attribute_reads = indexed.attribute_reads
        self._made = indexed.made

    def top_level(self, name: str) -> List[Binding]:
        """The bindings of ``name`` in the module's top-level scope."""
        return list(self.index.module_scope.bindings.get(name, []))

    def read_of(self, name: str) -> ast.Name:
        """A ``Name`` reading ``name`` as a function of the module would (after the module
        ran): its top-level assignments must agree. Made once per name; it belongs to no
        statement, so the resolver looks it up from the module scope."""
        if name not in self._reads:
            read = ast.Name(id=name, ctx=ast.Load())
            end = len(self.resolver.lines.lines) + 1
            read.lineno, read.col_offset, read.end_lineno, read.end_col_offset = end, 0, end, 0
            # read from a scope inside the module (as a function would), after it ran
            self.index.scopes[read] = Scope(self.tree, self.index.module_scope)
            self._reads[name] = read
        return self._reads[name]

    def attribute_read(self, name: str, attr: str) -> ast.Attribute:
        """``name.attr`` read as ``read_of`` reads ``name``."""
        key = f"{name}.{attr}"
        read = self._attribute_reads.get(key)
        if read is None:
            owner = self.read_of(name)
            read = ast.Attribute(value=owner, attr=attr, ctx=ast.Load())
            read.lineno, read.col_offset = owner.lineno, owner.col_offset
            read.end_lineno, read.end_col_offset = owner.end_lineno, owner.end_col_offset
            self._attribute_reads[key] = read
        return read

    def attribute_of(self, node: ast.expr, attr: str) -> ast.Attribute:
        """``node.attr`` for an expression ``node`` of this module, made once and kept with the
        module's index (its resolvers cache by node), located at ``node``."""
        key = (id(node), attr)
        made = self._made.get(key)
        if made is None:
            made = ast.Attribute(value=node, attr=attr, ctx=ast.Load())
            made.lineno, made.col_offset = node.lineno, node.col_offset
            made.end_lineno, made.end_col_offset = node.end_lineno, node.end_col_offset
            self._made[key] = made
        return made


class _Indexed:
    """A module parsed and indexed, shared by every analysed file that reads it (none of it
    changes once built; the resolvers keep their values apart)."""

    def __init__(self, tree: ast.Module, source: str) -> None:
        self.tree = tree
        self.lines = SourceLines(source)
        self.index = ScopeIndex(tree)
        self.reads: Dict[str, ast.Name] = {}
        self.attribute_reads: Dict[str, ast.Attribute] = {}
        self.made: Dict[Tuple[int, str], ast.Attribute] = {}


@functools.lru_cache(maxsize=32)
def _indexed(path: str, size: int, modified: int) -> Optional[_Indexed]:
    """The module at ``path`` parsed and indexed (once per process and version of the file);
    None when it cannot be read or parsed, or is too large."""
    parsed = _parsed(path, size, modified)
    return _Indexed(*parsed) if parsed is not None else None


def _parsed(path: str, size: int, modified: int) -> Optional[Tuple[ast.Module, str]]:
    if size < 0 or size > MAX_MODULE_BYTES:
        return None
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        source = data.decode(encoding)
        with warnings.catch_warnings():   # the user's invalid escapes are not ours to report
            warnings.simplefilter("ignore")
            return ast.parse(source), source
    except (SyntaxError, ValueError, LookupError, MemoryError, RecursionError):
        return None


def exported_value(module: ForeignModule, name: str, depth: int) -> Resolved:
    """What ``module`` binds to ``name`` at its top level once it has run: one assignment, or
    assignments that agree, or a name it imports in turn; unknown for anything else."""
    def compute() -> Resolved:
        if not module.top_level(name):
            return UNKNOWN
        return module.resolver.resolve(module.read_of(name), depth + 1)
    result = module.project.following((module.path, name), compute)
    return result if isinstance(result, Value) else UNKNOWN


def exported_class(module: ForeignModule, name: str) -> Optional[Tuple[ast.ClassDef, ForeignModule]]:
    """The ``class`` statement ``module`` binds ``name`` to (through names it imports in turn)."""
    def compute() -> Optional[Tuple[ast.ClassDef, ForeignModule]]:
        bindings = module.index.module_scope.bindings.get(name, [])
        if len(bindings) != 1:
            return None
        node = bindings[0].node
        if isinstance(node, ast.ClassDef):
            return node, module
        if isinstance(node, ast.ImportFrom):
            alias = next((a for a in node.names if (a.asname or a.name) == name), None)
            found = module.resolver.imports.imported_from(node, alias) if alias else None
            return exported_class(found[0], found[1]) if found else None
        return None
    result = module.project.following((module.path, "class " + name), compute)
    return result if isinstance(result, tuple) else None


def exported_function(module: ForeignModule,
                      name: str) -> Optional[Tuple[ForeignModule, ast.FunctionDef]]:
    """The plain ``def`` (no decorator) ``module`` binds ``name`` to, once, with the module
    that defines it (through names it imports in turn)."""
    def compute() -> Optional[Tuple[ForeignModule, ast.FunctionDef]]:
        bindings = module.top_level(name)
        if len(bindings) != 1:
            return None
        node = bindings[0].node
        if isinstance(node, ast.FunctionDef) and not node.decorator_list:
            return module, node
        if isinstance(node, ast.ImportFrom):
            alias = next((a for a in node.names if (a.asname or a.name) == name), None)
            found = module.resolver.imports.imported_from(node, alias) if alias else None
            return exported_function(*found) if found else None
        return None
    result = module.project.following((module.path, "def " + name), compute)
    return result if isinstance(result, tuple) else None


def value_returned(imports: ImportedNames, node: ast.Call, module: ForeignModule,
                   definition: ast.FunctionDef, depth: int) -> Optional[Resolved]:
    """``ImportedNames.call`` of the function ``definition`` of ``module``, found: what it
    returns with its parameters bound to the arguments of ``node``, located at ``node``; None
    for an object or something unknown."""
    values = _parameter_values(imports, node, module, definition, depth)
    result = module.project.following(
        (module.path, f"{definition.name}()"),
        lambda: module.resolver.returned_given(definition, values, depth + 1))
    if not isinstance(result, Value) or holds_object(result):
        return None   # an object (a model), or unknown: the call's result, as any other
    return imports.here(result, node)


def call_returned(imports: ImportedNames, node: ast.Call, index: Optional[int],
                  read: Callable[[ForeignModule, ast.Call, Optional[int]], Optional[T]],
                  module: ForeignModule, definition: ast.FunctionDef) -> Optional[T]:
    """``ImportedNames.returned_call`` of the function ``definition`` of ``module``, found."""
    values = _parameter_values(imports, node, module, definition, 0)

    def compute() -> Optional[T]:
        returned = module.resolver.returned_given(definition, values, 1)
        if not isinstance(returned, Value):
            return None
        if index is not None and returned.is_sequence:
            if not 0 <= index < len(returned.items):
                return None
            returned, index_in_call = returned.items[index], None
        else:
            index_in_call = index
        if returned.kind != OBJECT:
            return None
        result: CallResult = returned.python
        if result.index is not None:
            if index_in_call is not None:
                return None
            index_in_call = result.index
        return read(module, result.call, index_in_call)
    found = module.project.following(
        (module.path, f"{definition.name}() returns"),
        lambda: module.resolver.within_given(definition, values, compute))
    return found  # type: ignore[return-value]


def _parameter_values(imports: ImportedNames, node: ast.Call, module: ForeignModule,
                      definition: ast.FunctionDef, depth: int) -> Dict[str, Resolved]:
    """What each parameter of ``definition`` holds in the call ``node`` of the module of
    ``imports``:
    an argument read here, a default read in the function's module."""
    arguments = _call_arguments(node)
    values: Dict[str, Resolved] = {}
    for parameter in _parameters(definition):
        given = module.resolver.functions.uses.argument(definition, parameter, node)
        reader = imports.resolver if id(given) in arguments else module.resolver
        values[parameter.arg] = reader.resolve(given, depth + 1) if given is not None \
            else UNKNOWN
    return values


def _parameters(function: ast.FunctionDef) -> List[ast.arg]:
    arguments = function.args
    return [*getattr(arguments, "posonlyargs", []), *arguments.args, *arguments.kwonlyargs]


def _call_arguments(call: ast.Call) -> Set[int]:
    """ids of the expressions a call passes (what its caller's module resolves)."""
    return {id(argument) for argument in call.args} | \
        {id(keyword.value) for keyword in call.keywords}
