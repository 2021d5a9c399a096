"""The project's own modules: values a file imports from them, read on disk and never imported.

``from config import MODEL_NAME``, ``from .args import ModelArguments``, ``import settings``
then ``settings.LORA_R``: when a value the analysis asks for comes from a module of the same
project, that module is found as Python would find it, parsed with ``ast`` and its name resolved
with the same resolver (constants, dataclass and argparse defaults, config classes):

* a relative import (``from .x import y``, level ``n``) is looked for in the file's package,
  ``n - 1`` directories up; an absolute one in the file's directory and the directories above
  it up to the repository root (``sources/project.py``): ``x.py`` or ``x/__init__.py``. When
  several of those directories hold a module of that name, which one runs depends on how the
  program is started: unknown. A name no directory holds is a library's: unknown;
* the name's value is what the module binds at its top level (one assignment, or assignments
  that all agree, as for a global read inside a function), a class (its attributes and field
  defaults), a plain function (``functions.py``: what it returns, its parameters holding the
  arguments of the call here), or a name the module imports in turn (followed up to
  ``MAX_CHAIN`` modules deep; an import cycle is unknown);
* a value from another module is reported where this file uses it and is never rewritten
  by a fix (``values.anchored``). Objects are not carried over as values: a model loader an
  imported function returns is handed to the extractor (``returned_call``), which links a
  loader standing at the call here with the model id as its one known argument.

A module that cannot be found, read or parsed, or is larger than ``MAX_MODULE_BYTES`` (a
library's internals, not a config module), gives unknown. Nothing is read until a value of a
file that passed both prefilter gates asks for an imported name; each module is parsed and
indexed once per process (keyed by its size and modification time), and resolved apart for
each analysed file.
"""

from __future__ import annotations

import ast
import os
from typing import (TYPE_CHECKING, Callable, Dict, FrozenSet, Iterator, List, Optional, Sequence, Tuple,
                    TypeVar)

from ..sources.project import directories_up_to_root, is_file
from .scopes import SIMPLE, Binding
from .values import OBJECT, UNKNOWN, Resolved, Value, anchored

if TYPE_CHECKING:  # pragma: no cover
    from .foreign_modules import ForeignModule
    from .resolve import Resolver

    T = TypeVar("T")

__all__ = ["ProjectModules", "MAX_CHAIN", "MAX_MODULE_BYTES"]

MAX_MODULE_BYTES = 256_000
# Modules followed through imports of imports, at most (the file's own import is the first).
MAX_CHAIN = 3
# Directories above the file's own searched for an absolute import's module.
MAX_PARENT_LEVELS = 4
# Modules indexed for one analysed file, at most.
MAX_MODULES = 16


class ProjectModules:
    """The modules one analysed file may import from its project; one per analysed file,
    shared by the resolvers of the modules it reads (which look up their imports from their
    own directories)."""

    def __init__(self, path: Optional[str], resolve_defaults: bool = True,
                 shared: Optional["_Session"] = None) -> None:
        self.path = os.path.abspath(path) if path else None
        self._directory = os.path.dirname(self.path) if self.path else ""
        self.resolve_defaults = resolve_defaults
        self._real_path: Optional[str] = None   # os.path.realpath(path), on first need
        self._session = shared if shared is not None else _Session()

    def for_module(self, path: str) -> "ProjectModules":
        """The same project seen from another of its modules."""
        return ProjectModules(path, self.resolve_defaults, self._session)

    def module(self, dotted: str, level: int) -> Optional[ForeignModule]:
        """The module ``dotted`` (relative ``level``) names for this file, when exactly one
        file of the project is that module; None otherwise."""
        path = self.module_path(dotted, level)
        return self._session.load(path, self) if path is not None else None

    def module_path(self, dotted: str, level: int) -> Optional[str]:
        """The real path of the one file ``dotted`` (relative ``level``) names for this file,
        read from the disk but not parsed; None when no file or several are that module."""
        if self.path is None or not dotted:
            return None
        key = (self._directory, dotted, level)
        if key not in self._session.found:
            bases = self._session.bases(self._directory) if not level else None
            self._session.found[key] = frozenset(
                os.path.realpath(file) for file in _candidates(self.path, dotted, level, bases))
        found = self._session.found[key]
        if not found:   # most imported names are a library's: no file, and no ``realpath`` asked
            return None
        # the directory's candidates, less this file itself (a module importing a namesake
        # further up): two files of one directory may get different answers
        found = found - {self.real_path()}
        return next(iter(found)) if len(found) == 1 else None

    def real_path(self) -> str:
        """This file's real path, resolved once: ``module_path`` is asked for every imported
        callee (and the callers in other modules for it), and each ``realpath`` is a system
        call per directory of the path."""
        if self._real_path is None:
            self._real_path = os.path.realpath(self.path or "")
        return self._real_path

    def module_at(self, path: str) -> Optional[ForeignModule]:
        """The project module in the file at ``path`` (parsed once per process); None when it
        cannot be read or parsed, is too large, or too many modules were read already."""
        return self._session.load(os.path.realpath(path), self)

    def following(self, key: Tuple[str, str], compute: Callable[[], object]) -> object:
        """``compute()`` for the imported name ``key`` (module path, name), or None when it is
        already being followed (an import cycle) or the chain of modules is too long."""
        return self._session.following(key, compute)

    @property
    def is_following(self) -> bool:
        """Some imported name is being followed (an answer now may be a cycle's None)."""
        return bool(self._session.active)


class _Session:
    """What the modules read for one analysed file share: the modules indexed so far and the
    chain of imported names being followed."""

    def __init__(self) -> None:
        self.modules: Dict[str, Optional[ForeignModule]] = {}
        # (importing directory, dotted name, level) -> the files that module may be
        self.found: Dict[Tuple[str, str, int], FrozenSet[str]] = {}
        self.active: List[Tuple[str, str]] = []
        # directory -> it and the directories above it an absolute import is looked for in
        self._bases: Dict[str, Tuple[str, ...]] = {}

    def bases(self, directory: str) -> Tuple[str, ...]:
        """``directories_up_to_root`` of ``directory`` (once: each module name the file
        imports is looked for in the same directories)."""
        found = self._bases.get(directory)
        if found is None:
            found = self._bases[directory] = tuple(
                directories_up_to_root(directory, MAX_PARENT_LEVELS))
        return found

    def load(self, path: str, project: ProjectModules) -> Optional[ForeignModule]:
        if path not in self.modules:
            if len(self.modules) >= MAX_MODULES:
                return None
            # (few scripts import a value from their project: its reading is loaded then)
            from .foreign_modules import read_module

            self.modules[path] = None   # while indexing: a cycle through here sees unknown
            self.modules[path] = read_module(path, project)
        return self.modules[path]

    def following(self, key: Tuple[str, str], compute: Callable[[], object]) -> object:
        if key in self.active or len(self.active) >= MAX_CHAIN:
            return None
        self.active.append(key)
        try:
            return compute()
        finally:
            self.active.pop()


def _only_import(bindings: List[Binding], name: str) -> Tuple[Optional[ast.stmt], Optional[ast.alias]]:
    """(statement, alias) when ``bindings`` (of ``name``) is one import's; else (None, None)."""
    if len(bindings) != 1 or not isinstance(bindings[0].node, (ast.Import, ast.ImportFrom)):
        return None, None
    statement = bindings[0].node
    for alias in statement.names:
        bound = alias.asname or (alias.name.split(".")[0]
                                 if isinstance(statement, ast.Import) else alias.name)
        if bound == name:
            return statement, alias
    return None, None


def _candidates(path: str, dotted: str, level: int,
                bases: Optional[Sequence[str]] = None) -> Iterator[str]:
    """The files that may be module ``dotted`` imported from the file at ``path`` (``bases``:
    the directories an absolute import is looked for in, when known)."""
    directory = os.path.dirname(path)
    if level:
        for _ in range(level - 1):
            directory = os.path.dirname(directory)
        bases = [directory]
    elif bases is None:
        bases = tuple(directories_up_to_root(directory, MAX_PARENT_LEVELS))
    parts = dotted.split(".")
    for base in bases:
        relative = os.path.join(base, *parts)
        for candidate in (relative + ".py", os.path.join(relative, "__init__.py")):
            if is_file(candidate):
                yield candidate


def stamp(path: str) -> Tuple[int, int]:
    """(size, modification time) of the file at ``path``; (-1, -1) when it cannot be read."""
    try:
        status = os.stat(path)
    except OSError:
        return -1, -1
    return status.st_size, status.st_mtime_ns


class ImportedNames:
    """What the names a module imports from its project stand for, on behalf of its resolver."""

    def __init__(self, resolver: "Resolver", project: Optional[ProjectModules]) -> None:
        self.resolver = resolver
        self.project = project
        # Answers per import (id of its alias) and per exported name: a test file calls the
        # classes it imports hundreds of times, and each call asked the project again.
        self._targets: Dict[int, Optional[Tuple[ForeignModule, str]]] = {}
        self._functions: Dict[Tuple[int, str], Optional[Tuple[ForeignModule, ast.FunctionDef]]] = {}
        # (id(scope), name) and (id(bindings), name) -> ``_only_import`` (scopes and their
        # binding lists live as long as the resolver's index)
        self._only_imports: Dict[Tuple[int, str], Tuple[Optional[ast.stmt], Optional[ast.alias]]] = {}

    # -- what a local name refers to -------------------------------------------------------
    def target(self, name: ast.AST) -> Optional[Tuple[ForeignModule, str]]:
        """(module, name in it) when ``name`` is bound, and only bound, by ``from m import x``
        (``as name``) of a project module; None otherwise."""
        statement, alias = self._only_import(name)
        if not isinstance(statement, ast.ImportFrom) or alias is None:
            return None
        key = id(alias)
        if key not in self._targets:
            self._targets[key] = self.imported_from(statement, alias)
        return self._targets[key]

    def imported_from(self, statement: ast.ImportFrom,
                      alias: ast.alias) -> Optional[Tuple[ForeignModule, str]]:
        if alias.name == "*" or self.project is None:
            return None
        module = self.project.module(statement.module or "", statement.level)
        return (module, alias.name) if module is not None else None

    def module_of(self, name: ast.AST) -> Optional[ForeignModule]:
        """The project module ``name`` is: ``import m``, ``import a.b as m``, ``from pkg
        import m`` (a submodule the package does not bind otherwise)."""
        statement, alias = self._only_import(name)
        if statement is None or alias is None or self.project is None:
            return None
        if isinstance(statement, ast.Import):
            if alias.asname is None and "." in alias.name:
                return None   # ``import a.b`` binds ``a``: a package, read through ``a.b.x``
            return self.project.module(alias.name, 0)
        package = getattr(statement, "module", None) or ""
        level = getattr(statement, "level", 0) or 0
        owner = self.project.module(package, level) if package or level else None
        if owner is not None and owner.top_level(alias.name):
            return None   # a name the package binds, not (only) its submodule
        return self.project.module(f"{package}.{alias.name}" if package else alias.name, level)

    def _only_import(self, name: ast.AST) -> Tuple[Optional[ast.stmt], Optional[ast.alias]]:
        """(the import statement, its alias) when ``name`` is bound, and only bound, by an
        import; answered once per scope and name (a test file calls the classes it imports
        hundreds of times, and one ``from ... import (...)`` may bind dozens of names)."""
        if not isinstance(name, ast.Name) or self.project is None:
            return None, None
        index = self.resolver.index
        scope = index.scope_of(name)
        key = (id(scope), name.id)
        found = self._only_imports.get(key)
        if found is None:
            bindings, _ = index.lookup(scope, name.id)
            # the one binding of a module-level import, seen from every function
            shared = (id(bindings), name.id) if len(bindings) == 1 else None
            found = self._only_imports.get(shared) if shared is not None else None
            if found is None:
                found = _only_import(bindings, name.id)
                if shared is not None:   # (a scope's own list: its id is its own)
                    self._only_imports[shared] = found
            self._only_imports[key] = found
        return found

    # -- values ----------------------------------------------------------------------------
    def value(self, name: ast.Name, depth: int) -> Resolved:
        """The value of a name imported from a project module, located at ``name``."""
        found = self.target(name)
        if found is None:
            return UNKNOWN
        from .foreign_modules import exported_value   # (loaded with the module read)

        return self.here(exported_value(found[0], found[1], depth), name)

    def attribute(self, node: ast.Attribute, depth: int) -> Optional[Resolved]:
        """``m.x`` where ``m`` is a project module (None when it is not one)."""
        module = self.module_of(node.value)
        if module is None:
            return None
        if node.attr in self.resolver.defaults.facts().assigned_attributes:
            return UNKNOWN   # ``config.MODEL = ...`` somewhere in this file
        from .foreign_modules import exported_value   # (loaded with the module read)

        return self.here(exported_value(module, node.attr, depth), node)

    def instance_attribute(self, node: ast.Attribute, depth: int) -> Optional[Resolved]:
        """``cfg.x`` where ``cfg`` is imported from a project module that assigns it (``cfg =
        Config()``, ``args = parser.parse_args()``): what that module's resolver says about
        ``cfg.x`` after it ran; None when ``cfg`` is not such a name."""
        found = self.target(node.value)
        if found is None:
            return None
        module, exported = found
        bindings = module.top_level(exported)
        if not bindings or any(binding.kind != SIMPLE for binding in bindings):
            return None
        if node.attr in self.resolver.defaults.facts().assigned_attributes:
            return UNKNOWN   # ``cfg.x = ...`` somewhere in this file
        read = module.attribute_read(exported, node.attr)
        value = module.project.following(
            (module.path, f"{exported}.{node.attr}"),
            lambda: module.resolver.defaults.attribute(read, depth + 1, allow_none=True))
        return self.here(value if isinstance(value, Value) else UNKNOWN, node)

    def class_definition(self, name: ast.AST) -> Optional[Tuple[ast.ClassDef, ForeignModule]]:
        """The ``class`` a name imported from a project module is, with its module."""
        found = self.target(name)
        if found is None:
            return None
        from .foreign_modules import exported_class   # (loaded with the module read)

        return exported_class(found[0], found[1])

    def call(self, node: ast.Call, depth: int) -> Optional[Resolved]:
        """``f(...)`` where ``f`` is a plain function imported from a project module: what it
        returns (``functions.py``) with its parameters bound to this call's arguments (read
        here; a default is read there); None when ``f`` is not such a function or returns
        an object or something unknown (the call's result then links like any other's)."""
        function = self._imported_function(node)
        if function is None:
            return None
        from .foreign_modules import value_returned   # (loaded with the module read)

        return value_returned(self, node, *function, depth)

    def returned_call(self, node: ast.Call, index: Optional[int],
                      read: Callable[[ForeignModule, ast.Call, Optional[int]], Optional[T]]
                      ) -> Optional[T]:
        """``model = load(...)`` / ``model, tokenizer = load(...)`` where ``load`` is a plain
        function imported from a project module that returns (element ``index`` of) the
        result of a call there: ``read(module, that call, its element)``, run with the
        function's parameters bound to this call's arguments; None otherwise."""
        function = self._imported_function(node)
        if function is None:
            return None
        from .foreign_modules import call_returned   # (loaded with the module read)

        return call_returned(self, node, index, read, *function)

    def _imported_function(self, node: ast.Call) -> Optional[Tuple[ForeignModule, ast.FunctionDef]]:
        found = self.target(node.func)
        if found is None:
            return None
        key = (id(found[0]), found[1])
        if key in self._functions:
            return self._functions[key]
        from .foreign_modules import exported_function   # (loaded with the module read)

        function = exported_function(*found)
        if not found[0].project.is_following:   # (inside a chain, a cycle may answer None)
            self._functions[key] = function
        return function

    def here(self, value: Resolved, use: ast.AST) -> Resolved:
        """A value read in another module, as this module sees it: located at its use here
        (never rewritten by a fix); objects of the other module are not carried over."""
        if not isinstance(value, Value):
            return UNKNOWN
        if self.resolver.index.parent(value.node) is not None:
            return value   # read in this module after all
        if holds_object(value):
            return UNKNOWN
        return anchored(value, use, self.resolver.span(use))


def holds_object(value: Value) -> bool:
    """``value`` is an object or holds one (a model): never carried from one module to another."""
    if value.kind == OBJECT:
        return True
    return any(holds_object(item) for item in value.items) or \
        any(holds_object(entry) for _, entry in value.entries)
