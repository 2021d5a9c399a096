"""Values a program reads from a JSON or YAML file it names (second resolution tier).

``json.load(open(P))``, ``with open(P) as f: cfg = yaml.safe_load(f)`` (``yaml.load``,
``json.load(f)``, ``f.read()`` given to ``json.loads``/``yaml.safe_load``),
``OmegaConf.load(P)``, and ``HfArgumentParser(...).parse_json_file(P)`` /
``parse_yaml_file(P)`` (``defaults.py``) resolve to the file's contents when ``P`` resolves
to a path (a literal, an argparse default, a launcher's argument, an f-string).

Python opens a relative path from the working directory, which the code does not say: the
file is looked for in the directory of the module that opens it and the directories above
it, up to the project root (a directory holding ``.git``, ``pyproject.toml``, ``setup.py``
or ``setup.cfg``). When no candidate exists, or several exist with different contents, the
value is unknown. A file larger than ``MAX_CONFIG_BYTES``, one that does not parse (YAML is
read with PyYAML's safe loader only), whose top level is not a mapping, or that holds
anything but mappings with string keys, lists, strings, numbers, booleans and nulls (a
date, an OmegaConf interpolation ``${...}``) is unknown as a whole: a partly known mapping
would turn a missing key into a guess.

Each value carries ``origin`` ``"value of model.name in configs/train.yaml"`` (with the
origin of the path appended when the path itself rests on a default), so a diagnostic that
rests on it says so. Files are parsed once per process and version (size, modification time).
"""

from __future__ import annotations

import ast
import os
from typing import Any, Dict, List, Optional, Tuple

from .diagnostics import Span
from .second_tier_calls import HANDLE, JSON, LOADER_CALLS, OMEGACONF, PATH, TEXT, YAML, is_file_value
from .values import MAPPING, SEQUENCE, UNKNOWN, Resolved, Value, anchored, with_origin

MAX_CONFIG_BYTES = 256_000
# Directories above the opening module's own searched for a relative path, at most.
MAX_PARENT_LEVELS = 4
_PROJECT_MARKERS = (".git", "pyproject.toml", "setup.py", "setup.cfg")
MAX_NESTING = 32
MAX_ITEMS = 20_000
_SCALARS = (str, int, float, bool, type(None))

# (real path, size, mtime, format) -> the parsed contents, or None when unusable
_PARSED: Dict[Tuple[str, int, int, str], Optional[Any]] = {}
_MISSING: Any = object()


def candidates(path: str, module_path: Optional[str]) -> List[str]:
    """The files a program in ``module_path`` may mean by ``path``."""
    if os.path.isabs(path):
        return [path]
    if module_path is None:
        return []
    found: List[str] = []
    directory = os.path.dirname(os.path.abspath(module_path))
    for _ in range(MAX_PARENT_LEVELS + 1):
        found.append(os.path.normpath(os.path.join(directory, path)))
        parent = os.path.dirname(directory)
        if parent == directory or any(os.path.exists(os.path.join(directory, marker))
                                      for marker in _PROJECT_MARKERS):
            break
        directory = parent
    return found


def file_contents(path: str, module_path: Optional[str], kind: str) -> Any:
    """The parsed contents of the one file ``path`` names (see the module docstring);
    ``_MISSING`` when unknown."""
    contents: Any = _MISSING
    for candidate in candidates(path, module_path):
        if not os.path.isfile(candidate):
            continue
        parsed = _parsed(candidate, kind)
        if parsed is None or (contents is not _MISSING and parsed != contents):
            return _MISSING   # unusable, or candidates that disagree: which one runs is unknown
        contents = parsed
    return contents


def loaded_value(path: Value, module_path: Optional[str], kind: str, node: Any,
                 span: Span) -> Resolved:
    """The contents of the file ``path`` (a resolved string) names, as a value located at
    ``node``; UNKNOWN when the file is not known (see the module docstring)."""
    if not isinstance(path.python, str) or not path.python:
        return UNKNOWN
    contents = file_contents(path.python, module_path, kind)
    if not isinstance(contents, dict):
        return UNKNOWN
    shown = _shown(path.python, module_path)
    suffix = f", {path.origin}" if path.origin else ""
    return _as_value(contents, node, span, (), shown, suffix)


def _shown(path: str, module_path: Optional[str]) -> str:
    """An absolute path inside the module's project as relative to the project root (the
    last directory ``candidates`` looks in), else as written."""
    if not os.path.isabs(path) or module_path is None:
        return path
    root = os.path.dirname(candidates("x", module_path)[-1])
    inside = os.path.relpath(os.path.normpath(path), root)
    return inside if not inside.startswith("..") else path


def _as_value(python: Any, node: Any, span: Span, keys: Tuple[str, ...], shown: str,
              suffix: str) -> Value:
    origin = f"value of key {'.'.join(keys)} in {shown}{suffix}" if keys \
        else f"contents of {shown}{suffix}"
    if isinstance(python, dict):
        entries = tuple((key, _as_value(item, node, span, keys + (key,), shown, suffix))
                        for key, item in python.items())
        return Value(python, node, span, kind=MAPPING, entries=entries, origin=origin)
    if isinstance(python, list):
        items = tuple(_as_value(item, node, span, keys, shown, suffix) for item in python)
        return Value(python, node, span, kind=SEQUENCE, items=items, origin=origin)
    return Value(python, node, span, origin=origin)


def _parsed(path: str, kind: str) -> Optional[Any]:
    try:
        status = os.stat(path)
    except OSError:
        return None
    key = (os.path.realpath(path), status.st_size, status.st_mtime_ns, kind)
    if key not in _PARSED:
        _PARSED[key] = _read(path, kind) if status.st_size <= MAX_CONFIG_BYTES else None
    return _PARSED[key]


def _read(path: str, kind: str) -> Optional[Any]:
    try:
        with open(path, "rb") as handle:
            text = handle.read(MAX_CONFIG_BYTES + 1).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    import json  # parsing modules load only for a program that reads a config file

    try:
        contents = json.loads(text) if kind == JSON else _yaml(text, kind == OMEGACONF)
    except Exception:  # noqa: BLE001 - any parse failure (also deep nesting): unknown
        return None
    return contents if isinstance(contents, dict) and _plain(contents, kind == OMEGACONF) else None


def _plain(python: Any, omegaconf: bool) -> bool:
    """Only what a ``Value`` holds exactly: string-keyed mappings, lists and scalars (no
    OmegaConf interpolations when read by OmegaConf), at most ``MAX_NESTING`` deep and
    ``MAX_ITEMS`` items counted with repeats (YAML aliases can make a small file huge)."""
    stack = [(python, 0)]
    seen = 0
    while stack:
        item, depth = stack.pop()
        seen += 1
        if seen > MAX_ITEMS or depth > MAX_NESTING:
            return False
        if isinstance(item, dict):
            if not all(isinstance(key, str) for key in item):
                return False
            stack.extend((value, depth + 1) for value in item.values())
        elif isinstance(item, list):
            stack.extend((value, depth + 1) for value in item)
        elif not isinstance(item, _SCALARS) or isinstance(item, float) and item != item:
            return False
        elif omegaconf and isinstance(item, str) and "${" in item:
            return False
    return True


# YAML 1.1 (PyYAML) reads ``1e-4`` as a string; OmegaConf's loader adds a float form with an
# exponent and no dot (digit groups joined by single underscores), keeps dates as strings and
# refuses a mapping that repeats a key. Compiled only when such a file is read.
_OMEGACONF_EXTRA_FLOAT = (
    r"^(?:[-+]?[0-9]+(?:_[0-9]+)*\.[0-9_]*(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?[0-9]+(?:_[0-9]+)*(?:[eE][-+]?[0-9]+)"
    r"|\.[0-9]+(?:_[0-9]+)*(?:[eE][-+][0-9]+)?"
    r"|[-+]?[0-9]+(?:_[0-9]+)*(?::[0-5]?[0-9])+\.[0-9_]*"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


def _yaml(text: str, omegaconf: bool) -> Any:
    import yaml  # only for files that name a YAML config

    loader = _omegaconf_loader(yaml) if omegaconf else getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader (no Python objects)


_LOADERS: Dict[str, Any] = {}


def _omegaconf_loader(yaml: Any) -> Any:
    import re

    if "omegaconf" not in _LOADERS:
        class _OmegaConfLoader(yaml.SafeLoader):
            def construct_mapping(self, node: Any, deep: bool = False) -> Any:
                keys = [key.value for key, _ in node.value
                        if key.tag == yaml.resolver.BaseResolver.DEFAULT_SCALAR_TAG]
                if len(keys) != len(set(keys)):   # OmegaConf.load raises: the program stops
                    raise yaml.constructor.ConstructorError(None, None, "a repeated key", node.start_mark)
                return super().construct_mapping(node, deep=deep)

        # PyYAML's resolvers are tried first (they stay), the extra float form after them
        _OmegaConfLoader.yaml_implicit_resolvers = {
            first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
            for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
        _OmegaConfLoader.add_implicit_resolver("tag:yaml.org,2002:float",
                                               re.compile(_OMEGACONF_EXTRA_FLOAT),
                                               list("-+0123456789."))
        _LOADERS["omegaconf"] = _OmegaConfLoader
    return _LOADERS["omegaconf"]


# -- where a program reads a config file (the resolver's side) -----------------------------
# The loaders themselves (``LOADER_CALLS``) are in ``second_tier_calls.py``.
_YAML_LOADER_KEYWORDS = ("Loader",)
_READ_MODES = ("r", "rt", "rb", "tr", "br")
_MUTATORS = ("update", "setdefault", "pop", "popitem", "clear", "__setitem__", "__delitem__",
             "merge_with", "merge_with_cli", "merge_with_dotlist")
# Callees that read a mapping handed to them and never change it.
_READING_BUILTINS = ("print", "len", "str", "repr", "bool", "int", "float", "isinstance", "type",
                     "sorted", "list", "tuple", "dict", "set", "any", "all", "hasattr", "format",
                     "enumerate", "zip", "iter", "id", "hash")
_READING_METHODS = ("debug", "info", "warning", "warn", "error", "exception", "critical", "log",
                    "print", "write", "format", "dump", "dumps", "join")
_CHANGING_LIBRARY_CALLS = ("omegaconf.OmegaConf.update", "omegaconf.OmegaConf.resolve",
                           "omegaconf.OmegaConf.unsafe_merge")


class ConfigReads:
    """The config files one module reads, on behalf of its resolver."""

    def __init__(self, resolver: Any, module_path: Optional[str]) -> None:
        self.resolver = resolver
        self.module_path = module_path
        self._mutated: Optional[Dict[str, List[ast.AST]]] = None
        # ids of the mappings whose keys are also attributes (OmegaConf's DictConfig)
        self._attribute_mappings: Dict[int, Value] = {}

    def get(self, node: ast.Call, func: ast.Attribute, depth: int) -> Optional[Resolved]:
        """``cfg.get("k")`` / ``cfg.get("k", default)`` where ``cfg`` is a mapping read from a
        config file (complete: a missing key is absent); None for any other receiver."""
        if node.keywords or not 1 <= len(node.args) <= 2 \
                or any(isinstance(given, ast.Starred) for given in node.args):
            return None
        resolver = self.resolver
        container = resolver.resolve(func.value, depth + 1)
        if not isinstance(container, Value) or not container.is_mapping \
                or not is_file_value(container):
            return None
        key = resolver.resolve(node.args[0], depth + 1)
        if not isinstance(key, Value) or not isinstance(key.python, str):
            return UNKNOWN
        found = container.entry(key.python)
        if found is not None:
            read = self.item(container, found, node)
            return with_origin(read, key.origin) if isinstance(read, Value) else UNKNOWN
        if self.item(container, container, node) is UNKNOWN:
            return UNKNOWN   # changed in place somewhere: the key may have been added
        if len(node.args) == 1:
            return Value(None, node, resolver.span(node), origin=container.origin)
        default = resolver.resolve(node.args[1], depth + 1)
        return with_origin(default, container.origin) if isinstance(default, Value) else UNKNOWN

    def load(self, node: Any, loader: str, depth: int) -> Resolved:
        """``json.load(...)``, ``yaml.safe_load(...)``, ``OmegaConf.load(...)``: the file's
        contents when the file it reads is known."""
        kind, accepted = LOADER_CALLS[loader]
        given = node.args[0] if node.args else None
        extra = node.args[1:]
        for keyword in node.keywords:
            if kind == YAML and keyword.arg in _YAML_LOADER_KEYWORDS:
                continue
            if keyword.arg in ("stream", "fp", "s", "file_") and given is None:
                given = keyword.value
                continue
            return UNKNOWN   # ``object_hook=``, ``parse_float=``: other values
        if given is None or isinstance(given, ast.Starred) or (extra and not (
                kind == YAML and len(extra) == 1)):
            return UNKNOWN
        path = self._path_read(given, accepted, depth)
        if path is None or self._assigned_to_mutated(node):
            return UNKNOWN
        value = loaded_value(path, self.module_path, kind, node, self.resolver.span(node))
        if isinstance(value, Value) and kind == OMEGACONF:
            self._register_attributes(value)
        return value

    def _path_read(self, given: Any, accepted: Tuple[str, ...], depth: int) -> Optional[Value]:
        path: Optional[Value] = None
        if HANDLE in accepted:
            path = self.opened(given, depth)
        if path is None and TEXT in accepted and isinstance(given, ast.Call) \
                and isinstance(given.func, ast.Attribute) and not given.args and not given.keywords:
            if given.func.attr == "read":
                path = self.opened(given.func.value, depth)
            elif given.func.attr == "read_text" and self.resolver.is_path(given.func.value):
                path = self._string(given.func.value, depth)
        if path is None and PATH in accepted:
            path = self._string(given, depth)
        return path

    def opened(self, expression: Any, depth: int) -> Optional[Value]:
        """The path of the file ``expression`` is open on, for reading: ``open(P)``,
        ``Path(P).open()``, or ``f`` of the ``with open(P) as f:`` around it."""
        if isinstance(expression, ast.Name):
            return self._with_target(expression, depth)
        if not isinstance(expression, ast.Call) or any(isinstance(a, ast.Starred) for a in expression.args):
            return None
        func = expression.func
        arguments = list(expression.args)
        keywords = {keyword.arg: keyword.value for keyword in expression.keywords}
        if isinstance(func, ast.Name) and func.id == "open" and self.resolver.is_builtin(func):
            file = arguments.pop(0) if arguments else keywords.get("file")
        elif isinstance(func, ast.Attribute) and func.attr == "open" and self.resolver.is_path(func.value):
            file = func.value
        else:
            return None
        mode = arguments[0] if arguments else keywords.get("mode")
        if mode is not None:
            text = self.resolver.resolve(mode, depth + 1)
            if not isinstance(text, Value) or text.python not in _READ_MODES:
                return None
        if None in keywords or file is None:
            return None
        return self._string(file, depth)

    def _string(self, expression: Any, depth: int) -> Optional[Value]:
        value = self.resolver.resolve(expression, depth + 1)
        return value if isinstance(value, Value) and isinstance(value.python, str) else None

    def _with_target(self, name: Any, depth: int) -> Optional[Value]:
        """``f`` inside ``with open(P) as f:``: the nearest ``with`` around the use that binds
        it, and no other binding of ``f`` in its scope between that ``with`` and the use."""
        index = self.resolver.index
        for ancestor in index.ancestors(name):
            if isinstance(ancestor, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda,
                                     ast.ClassDef, ast.Module)):
                return None
            if not isinstance(ancestor, (ast.With, ast.AsyncWith)):
                continue
            for item in ancestor.items:
                target = item.optional_vars
                if isinstance(target, ast.Name) and target.id == name.id:
                    bindings, _ = index.lookup(index.scope_of(name), name.id)
                    start = (ancestor.lineno, ancestor.col_offset)
                    use = (name.lineno, name.col_offset)
                    if any(binding.node is not target and start <= _position(binding.node) < use
                           for binding in bindings):
                        return None
                    return self.opened(item.context_expr, depth)
        return None

    # -- reading the loaded contents -------------------------------------------------------
    def item(self, container: Value, found: Value, read: Any) -> Resolved:
        """``found`` (an entry of the file mapping ``container``) as read by ``read``
        (``cfg["k"]``, ``cfg.get("k")``, ``cfg.k``): located there; unknown when the
        mapping may have been changed in between (``cfg["k"] = ...`` anywhere in the module)."""
        if self._root_mutated(read):
            return UNKNOWN
        located = anchored(found, read, self.resolver.span(read))
        if id(container) in self._attribute_mappings:
            self._register_attributes(located)
        return located

    def reads_attributes(self, container: Value) -> bool:
        return id(container) in self._attribute_mappings

    def _register_attributes(self, value: Value) -> None:
        if value.kind == MAPPING:
            self._attribute_mappings[id(value)] = value   # (kept alive: the id stays its own)

    def _root_mutated(self, read: Any) -> bool:
        root = read
        while isinstance(root, (ast.Subscript, ast.Attribute, ast.Call)):
            root = root.func if isinstance(root, ast.Call) else root.value
        return isinstance(root, ast.Name) and self._changed(root.id, root, before=True)

    def _assigned_to_mutated(self, load: Any) -> bool:
        parent = self.resolver.index.parent(load)
        if isinstance(parent, ast.Assign):
            return any(isinstance(target, ast.Name) and self._changed(target.id, target, before=False)
                       for target in parent.targets)
        return False

    def _changed(self, name: str, place: ast.AST, before: bool) -> bool:
        """The mapping ``name`` holds at ``place`` may be changed in place: by a change in the
        same scope before ``place`` (``before``; else after it, for the binding made there)
        or in a loop, or, for a module-level name, by a function that does not bind it."""
        index = self.resolver.index
        scope = index.scope_of(place)
        _, holder = index.lookup(scope, name)
        position = _position(place)
        for change in self.mutated().get(name, ()):
            where = index.scope_of(change)
            if where is not scope:
                if holder is index.module_scope and name not in where.bindings:
                    return True
                continue
            if self._in_loop(change) or (_position(change) < position) == before:
                return True
        return False

    def _in_loop(self, node: ast.AST) -> bool:
        for ancestor in self.resolver.index.ancestors(node):
            if isinstance(ancestor, (ast.For, ast.AsyncFor, ast.While)):
                return True
            if isinstance(ancestor, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda,
                                     ast.ClassDef, ast.Module)):
                return False
        return False

    def mutated(self) -> Dict[str, List[ast.AST]]:
        """Where the module may change a mapping in place, by the name it goes by: ``x[k] =
        ...``, ``del x[k]``, ``x.a = ...``, ``x.update(...)``, ``x`` handed to a callee that may
        change it (``apply_overrides(x, args)``, ``OmegaConf.update(x, ...)``) (gathered once)."""
        if self._mutated is not None:
            return self._mutated
        found: Dict[str, List[ast.AST]] = {}

        def note(expression: Any, node: ast.AST) -> None:
            while isinstance(expression, (ast.Subscript, ast.Attribute)):
                expression = expression.value
            if isinstance(expression, ast.Name):   # (its scope and place: the change's)
                found.setdefault(expression.id, []).append(expression)
        index = self.resolver.index
        for kind in (ast.Subscript, ast.Attribute):
            for node in index.of_kind(kind):
                if not isinstance(node.ctx, ast.Load):
                    note(node.value, node)
        for node in index.of_kind(ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in _MUTATORS:
                note(func.value, node)
            if not self._only_reads(func):   # ``apply_overrides(cfg, args)`` may change ``cfg``
                for given in [*node.args, *(keyword.value for keyword in node.keywords
                                            if keyword.arg is not None)]:
                    note(given, node)
        self._mutated = found
        return found

    def _only_reads(self, func: Any) -> bool:
        """A callee taken not to change a mapping handed to it: a builtin (``print``,
        ``len``, ...), a logging or printing method, or a library's function (``LoraConfig``,
        ``json.dumps``) other than OmegaConf's in-place ones. A function of the program (in
        this module or a project module) or a method of one of its objects may change it."""
        if isinstance(func, ast.Name) and func.id in _READING_BUILTINS:
            return self.resolver.is_builtin(func)
        if isinstance(func, ast.Attribute) and func.attr in _READING_METHODS:
            return True
        names = self.resolver.index.imported_names(func)
        if not names:
            return False
        if any(name.startswith(_CHANGING_LIBRARY_CALLS) for name in names):
            return False
        root = func
        while isinstance(root, ast.Attribute):
            root = root.value
        imports = self.resolver.imports   # not a project module's function
        return imports.target(root) is None and imports.module_of(root) is None


def _position(node: Any) -> Tuple[int, int]:
    return getattr(node, "lineno", 0), getattr(node, "col_offset", 0)
