"""Static evaluation of expressions: what an argument is known to be, or ``UNKNOWN``.

First tier (exact, always on):

* literals; tuples, lists, sets, dicts (``**`` of resolvable dicts), ``dict(...)``; ``+`` of
  sequences and strings; arithmetic on numbers; comparisons and ``and``/``or``/``not``;
  ``"a,b".split(",")``; f-strings whose parts resolve; subscripts of resolved containers;
  ``.copy()`` of a resolved dict or list; ``Path("/models/x")`` (and its ``.expanduser()``
  without ``~``) as its text;
* names, through the bindings that reach the use: the last assignment before it when it runs
  on every path, or the assignments at the ends of the branches of an ``if``/``elif``/``else``
  before it: the branch the condition selects when the condition resolves (a module constant,
  a literal), else all branches, and then only when they all give the same value. ``a if c
  else b`` likewise. A value written in several places is not ``literal`` (no fix rewrites one
  of them);
* small local functions (``functions.py``): a parameter is what every direct call passes (or
  its default), when all agree; ``f(...)`` is what ``f`` returns when its ``return``
  statements agree (a call's result, ``model``, or a tuple of them, links like a direct call);
* ``snapshot_download("org/name")`` (huggingface_hub, ModelScope) is ``"org/name"``, and
  ``kagglehub.model_download(handle)`` its Kaggle handle: the local copy of that model;
* names imported from the project's own modules (``from config import MODEL_NAME``,
  ``config.MODEL_NAME``): read from that module's source by its own resolver (``modules.py``)
  and located at their use here.

Second tier (defaults, ``defaults.py``; off with ``resolve_defaults=False``): argparse and
dataclass defaults, class attributes, ``os.environ.get`` fallbacks. Their values carry
``Value.origin``.

Every other call is a ``CallResult`` (the extractor links objects through them); everything
else is ``UNKNOWN``. API: ``Resolver(lines, index, resolve_defaults=True)``,
``resolve(node)`` (the one value, or UNKNOWN), ``possible_values(node)`` (one value per branch
that may have bound a name, e.g. the two loaders of ``if quantize: model = A.from_pretrained(x)
else: model = B.from_pretrained(x)``; None when any is unknown), ``reaching(name)`` (the
bindings a ``Name`` may refer to), ``agreed(values)``, ``condition(test)`` (True/False when a
condition is known from first-tier values, else None).

Cost: expressions deeper than ``MAX_DEPTH`` are unknown; the value of each binding, the
bindings after each ``if`` and the return value of each function are computed once per file,
and a binding that depends on itself (recursion) is unknown, so no input loops or nests deeply.
"""

from __future__ import annotations

import ast
import bisect
import functools
import operator
import weakref
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Set, Tuple, TypeVar

from ..fast_dataclass import replace
from .diagnostics import Span
from .functions import MAX_CALLS, LocalFunctions
from .modules import ImportedNames, ProjectModules
from .positions import SourceLines
from .scopes import LOOPS, SCOPE_NODES, SIMPLE, Binding, ScopeIndex
from .second_tier_calls import ENVIRONMENT_GETTERS, is_file_value, is_launched, is_os_path_function, loader_kind
from .values import (
    MAPPING,
    OBJECT,
    SEQUENCE,
    UNKNOWN,
    CallResult,
    Resolved,
    Value,
    anchored,
    first_origin,
    is_number,
    not_rewritable,
    same_value,
    with_origin,
)

if TYPE_CHECKING:  # pragma: no cover
    from typing_extensions import TypeAlias

    from .attributes import SelfAttributes
    from .config_files import ConfigReads
    from .defaults import Defaults
    from .file_paths import FilePaths
    from .launchers import LauncherOptions

# Deeper expressions are not worth following; also keeps pathological input (2,000-term sums)
# far from Python's recursion limit.
MAX_DEPTH = 40
# Bindings on the other branch of an ``if`` skipped while looking for the one that reaches a
# use, at most (a name rebound on hundreds of branches is left unknown).
MAX_SKIPPED_BRANCHES = 32

_COMPARISONS: Dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda left, right: left in right,
    ast.NotIn: lambda left, right: left not in right,
    ast.Is: lambda left, right: left is right,
    ast.IsNot: lambda left, right: left is not right,
}

_STATEMENT_LISTS = ("body", "orelse", "finalbody")
_TRIES: Tuple[type, ...] = tuple(getattr(ast, name) for name in ("Try", "TryStar")
                                 if hasattr(ast, name))
# Statements whose exits the resolver follows to the code after them.
_BRANCHING: Tuple[type, ...] = (ast.If, *_TRIES)
_WITHS = (ast.With, ast.AsyncWith)
# Nodes with more than one statement list (``body`` and ``orelse``, ``finalbody``).
_SEVERAL_BLOCKS = frozenset((ast.If, ast.For, ast.AsyncFor, ast.While, *_TRIES))
# The exact classes of ``SCOPE_NODES`` (``ast.parse`` makes no subclasses).
_SCOPE_NODE_TYPES = frozenset(SCOPE_NODES)
_first = operator.itemgetter(0)
# Context managers that swallow the exceptions raised in their body.
_SUPPRESSING = ("contextlib.suppress", "pytest.raises")
# Statements after which a branch does not reach the code below its ``if``.
_JUMPS = (ast.Return, ast.Raise, ast.Continue, ast.Break)
# The builtins a call of which ``_resolve_call`` reads: ``dict``, and the conversions
# (``computed_values.CONVERSIONS``).
_BUILTIN_CALLS = frozenset(("dict", "int", "float", "str"))
# The methods whose result ``_resolve_call`` reads from their receiver (``_receiver_method``).
_RECEIVER_METHODS = frozenset(("split", "resolve", "expanduser", "copy", "get"))
_SNAPSHOT_PACKAGES = ("huggingface_hub", "modelscope")
_PATH_CLASSES = ("pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "pathlib.PurePosixPath")
_SNAPSHOT_REPOSITORY = ("repo_id", "model_id")

# Marks "no binding reaches here on this path" in a set of reaching bindings.
_UNBOUND: Any = object()

BindingOrder: TypeAlias = "Tuple[List[Tuple[int, int]], List[Binding]]"
# The parameters a resolver reads in and its caches (``Resolver._state``).
_ResolverState: TypeAlias = """Tuple[Dict[int, ast.Call], Dict[int, Dict[str, Resolved]], Dict[int, Resolved],
                                 Dict[int, Resolved], Dict[Tuple[int, int], Resolved],
                                 Dict[Tuple[int, int], Optional[List[Any]]],
                                 Dict[Tuple[int, int], Optional[List[Value]]]]"""
if TYPE_CHECKING:  # pragma: no cover
    T = TypeVar("T")


class Resolver:
    """Evaluates expressions of one parsed module (see the module docstring)."""

    def __init__(self, lines: SourceLines, index: ScopeIndex, resolve_defaults: bool = True,
                 launchers: Optional[Callable[[], LauncherOptions]] = None,
                 modules: Optional[ProjectModules] = None) -> None:
        self.lines = lines
        # where a node is written (the lines' own method: one call less per value)
        self.span: Callable[[ast.AST], Span] = lines.span
        self.index = index
        self.resolve_defaults = resolve_defaults
        self.launchers = launchers   # what the project's launcher scripts pass (second tier)
        self.functions = LocalFunctions(index)
        # The helpers reach the resolver through a weak proxy: no reference cycle, so a file's
        # analysis is freed when it is dropped, not by the cyclic collector.
        owner: Any = weakref.proxy(self)
        self._owner = owner
        self.imports = ImportedNames(owner, modules)   # names imported from project modules
        self._module_path = modules.path if modules is not None else None   # the second tier's
        self._orders: Dict[Tuple[int, str], BindingOrder] = {}
        self._blocks: Dict[int, Tuple[int, str]] = {}
        self._values: Dict[int, Resolved] = {}          # id(binding) -> its value
        self._returns: Dict[int, Resolved] = {}         # id(def) -> what it returns
        self._elements: Dict[Tuple[int, int], Resolved] = {}   # (id(def), i) -> element i of it
        self._after_if: Dict[Tuple[int, int], Optional[List[Any]]] = {}
        self._chains: Dict[ast.AST, List[ast.AST]] = {}   # ``_enclosing``
        self._in_ifs: Dict[ast.AST, bool] = {}   # ``_in_if``
        self._outside: Dict[ast.AST, ast.AST] = {}   # ``_outside_with``
        self._in_progress: Set[Any] = set()
        # id(def) -> the call whose arguments its parameters hold (``resolve_in_calls``)
        self._context: Dict[int, ast.Call] = {}
        # id(def) -> its parameters' values, given by a call in another module (``returned_given``)
        self._given: Dict[int, Dict[str, Resolved]] = {}
        # (id(parameter binding), id(call read in)) -> what the parameter may be
        self._possible: Dict[Tuple[int, int], Optional[List[Value]]] = {}
        # the states ``resolve_in_calls`` and ``within_given`` left, outermost first
        self._outer: List[_ResolverState] = []

    # The second-tier parts, built (and their modules imported) when a value first needs one.
    @cached_property
    def defaults(self) -> "Defaults":
        from .defaults import Defaults

        return Defaults(self._owner)

    @cached_property
    def attributes(self) -> "SelfAttributes":
        from .attributes import SelfAttributes

        return SelfAttributes(self._owner)

    @cached_property
    def config_files(self) -> "ConfigReads":
        from .config_files import ConfigReads

        return ConfigReads(self._owner, self._module_path)

    @cached_property
    def file_paths(self) -> "FilePaths":
        from .file_paths import FilePaths

        return FilePaths(self._owner, self._module_path)

    # -- evaluation ------------------------------------------------------------------------
    def resolve(self, node: Optional[ast.AST], depth: int = 0) -> Resolved:
        if node is None or depth > MAX_DEPTH:
            return UNKNOWN
        resolve_kind = _RESOLVERS.get(type(node))
        if resolve_kind is None:
            return UNKNOWN
        try:
            return resolve_kind(self, node, depth)
        except (ArithmeticError, ValueError, TypeError, OverflowError, KeyError):
            return UNKNOWN

    def _resolve_constant(self, node: ast.Constant, depth: int) -> Resolved:
        python = node.value
        if isinstance(python, (bytes, complex)) or python is Ellipsis:
            return UNKNOWN
        span = self.span(node)
        raw = self.lines.segment(span) if isinstance(python, str) else None
        return Value(python, node, span, literal=True, raw=raw)

    def _resolve_attribute(self, node: ast.Attribute, depth: int) -> Resolved:
        """``self.x`` (``attributes.py``), else a second-tier value (``args.x``, ...)."""
        if node.attr == "parent":
            from .path_values import parent as parent_of  # few scripts build a path: loaded then

            parent = parent_of(self, node.value, depth)
            if parent is not None:
                return parent
        value = self.attributes.value(node, depth)
        if value is not None:
            return value
        value = self.imports.attribute(node, depth)   # ``config.MODEL`` of a project module
        if value is not None:
            return value
        return self.defaults.attribute(node, depth) if self.resolve_defaults else UNKNOWN

    def _resolve_unary(self, node: ast.UnaryOp, depth: int) -> Resolved:
        operand = self.resolve(node.operand, depth + 1)
        if not isinstance(operand, Value) or not is_number(operand.python):
            if isinstance(node.op, ast.Not) and isinstance(operand, Value) \
                    and operand.kind != OBJECT:
                return Value(not operand.python, node, self.span(node), origin=operand.origin)
            return UNKNOWN
        if isinstance(node.op, ast.USub):
            # "-1" is written as one literal as far as a user is concerned.
            return Value(-operand.python, node, self.span(node), literal=operand.literal,
                         origin=operand.origin)
        if isinstance(node.op, ast.UAdd):
            return Value(+operand.python, node, self.span(node), literal=operand.literal,
                         origin=operand.origin)
        return UNKNOWN

    def _resolve_comparison(self, node: ast.Compare, depth: int) -> Resolved:
        left = self.resolve(node.left, depth + 1)
        values = [left]
        outcome = True
        for op, right_node in zip(node.ops, node.comparators):
            right = self.resolve(right_node, depth + 1)
            if not isinstance(left, Value) or not isinstance(right, Value) \
                    or OBJECT in (left.kind, right.kind):
                return UNKNOWN
            if isinstance(op, (ast.Is, ast.IsNot)) and not (
                    right.python is None or left.python is None
                    or isinstance(right.python, bool) and isinstance(left.python, bool)):
                return UNKNOWN  # identity of other objects is not a static fact
            values.append(right)
            if not _COMPARISONS[type(op)](left.python, right.python):
                outcome = False
            left = right
        return Value(outcome, node, self.span(node), origin=first_origin(*values))

    def _resolve_boolean(self, node: ast.BoolOp, depth: int) -> Resolved:
        """``a or b`` / ``a and b``: the operand Python returns, when the ones before resolve.
        ``args.model or MODEL`` reads a ``None`` default (and then rests on it)."""
        wants_true = isinstance(node.op, ast.Or)
        value: Resolved = UNKNOWN
        passed: List[Value] = []
        for operand in node.values:
            value = self.resolve(operand, depth + 1)
            if not isinstance(value, Value) and self.resolve_defaults:
                value = self._none_default(operand, depth + 1)
            if not isinstance(value, Value) or value.kind == OBJECT:
                return UNKNOWN
            if bool(value.python) == wants_true:
                break
            passed.append(value)
        if isinstance(value, Value):
            return with_origin(value, first_origin(*passed))
        return value

    def _none_default(self, node: ast.AST, depth: int) -> Resolved:
        """A second-tier ``None`` default (``args.x`` without one, ``os.environ.get("X")``)."""
        if isinstance(node, ast.Attribute):
            value = self.defaults.attribute(node, depth, allow_none=True)
        elif isinstance(node, ast.Call) and any(
                name in ENVIRONMENT_GETTERS for name in self.index.imported_names(node.func)):
            value = self.defaults.environment(node, depth, allow_none=True)
        else:
            return UNKNOWN
        return value if isinstance(value, Value) and value.python is None else UNKNOWN

    def _resolve_if_expression(self, node: ast.IfExp, depth: int) -> Resolved:
        chosen = self.condition(node.test, depth)
        if chosen is True:
            return self.resolve(node.body, depth + 1)
        if chosen is False:
            return self.resolve(node.orelse, depth + 1)
        return self.agreed([self.resolve(node.body, depth + 1),
                            self.resolve(node.orelse, depth + 1)], node)

    def condition(self, test: ast.AST, depth: int = 0) -> Optional[bool]:
        """The truth of a condition when it is known exactly: first-tier values, or a value
        every launcher of the script passes (the run's own value); never a default (a branch
        chosen by a default would be a guess about the command line)."""
        value = self.resolve(test, depth + 1)
        if not isinstance(value, Value) or value.kind == OBJECT \
                or value.origin is not None and not is_launched(value.origin):
            return None
        return bool(value.python)

    def _resolve_sequence(self, node: ast.AST, depth: int) -> Resolved:
        items: List[Value] = []
        for element in node.elts:  # type: ignore[attr-defined]
            if isinstance(element, ast.Starred):
                inner = self.resolve(element.value, depth + 1)
                if not isinstance(inner, Value) or not inner.is_sequence:
                    return UNKNOWN
                items.extend(inner.items)
                continue
            value = self.resolve(element, depth + 1)
            if not isinstance(value, Value):
                return UNKNOWN
            items.append(value)
        python: Any = [i.python for i in items]
        if isinstance(node, ast.Tuple):
            python = tuple(python)
        elif isinstance(node, ast.Set):
            try:
                python = set(python)
            except TypeError:
                return UNKNOWN
        return Value(python, node, self.span(node), kind=SEQUENCE, items=tuple(items),
                     origin=first_origin(*items))

    def _resolve_dict(self, node: ast.Dict, depth: int) -> Resolved:
        entries: Dict[str, Value] = {}
        for key_node, value_node in zip(node.keys, node.values):
            if key_node is None:  # ``**other``
                inner = self.resolve(value_node, depth + 1)
                if not isinstance(inner, Value) or not inner.is_mapping:
                    return UNKNOWN
                entries.update(inner.entries)
                continue
            key = self.resolve(key_node, depth + 1)
            if not isinstance(key, Value) or not isinstance(key.python, str):
                return UNKNOWN
            value = self.resolve(value_node, depth + 1)
            if not isinstance(value, Value):
                return UNKNOWN
            entries[key.python] = value
        return self._mapping(node, entries)

    def _mapping(self, node: ast.AST, entries: Dict[str, Value]) -> Value:
        python = {key: value.python for key, value in entries.items()}
        return Value(python, node, self.span(node), kind=MAPPING,
                     entries=tuple(entries.items()), origin=first_origin(*entries.values()))

    def _resolve_subscript(self, node: ast.Subscript, depth: int) -> Resolved:
        index_node = node.slice
        if isinstance(index_node, (ast.Slice, ast.Tuple)):
            return UNKNOWN
        if isinstance(node.value, ast.Attribute) and node.value.attr == "parents":
            level = self.resolve(index_node, depth + 1)
            if not isinstance(level, Value) or type(level.python) is not int or level.python < 0:
                return UNKNOWN
            from .path_values import ancestor  # few scripts build a path: loaded then

            return ancestor(self, node.value.value, level.python, depth)
        container = self.resolve(node.value, depth + 1)
        key = self.resolve(index_node, depth + 1)
        if not isinstance(container, Value) or not isinstance(key, Value):
            return UNKNOWN
        if container.is_mapping and isinstance(key.python, str):
            found = container.entry(key.python)
            if found is not None and is_file_value(container):   # ``cfg["model"]`` of a file
                read = self.config_files.item(container, found, node)
                return with_origin(read, key.origin) if isinstance(read, Value) else UNKNOWN
            # ``PRESETS[args.size]``: the entry a default chose rests on that default
            return with_origin(found, key.origin) if found is not None else UNKNOWN
        is_index = isinstance(key.python, int) and not isinstance(key.python, bool)
        if container.kind == OBJECT and is_index and key.python >= 0 \
                and container.python.index is None:
            # ``f()[0]``: the first element of whatever the call returns
            return Value(CallResult(container.python.call, key.python, container.python.via),
                         container.node,
                         container.span, kind=OBJECT)
        if container.is_sequence and is_index and isinstance(container.python, (list, tuple)):
            if -len(container.items) <= key.python < len(container.items):
                return with_origin(container.items[key.python], key.origin)
        return UNKNOWN

    def _resolve_call(self, node: ast.Call, depth: int) -> Resolved:
        func = node.func
        kind = type(func)   # exact classes: ``ast.parse`` makes no others
        if kind is ast.Attribute and func.attr in _RECEIVER_METHODS:  # type: ignore[attr-defined]
            found = self._receiver_method(node, func, depth)  # type: ignore[arg-type]
            if found is not None:
                return found
        elif kind is ast.Name and func.id in _BUILTIN_CALLS:  # type: ignore[attr-defined]
            # dict(a=1, **other), int("8"), ...
            if func.id == "dict" and self.is_builtin(func):  # type: ignore[attr-defined, arg-type]
                return self._resolve_dict_call(node, depth)
            if self.is_builtin(func):  # type: ignore[arg-type]
                from .computed_values import conversion  # rare (3 % of scripts): loaded then

                return conversion(self, node, func.id, depth)  # type: ignore[attr-defined]
        function = self.functions.definition(func)
        if function is not None:
            returned = self._returned(function, depth)
            if isinstance(returned, Value):
                return _returned_by(returned, node)
        elif kind is ast.Attribute or kind is ast.Name:
            found = self._library_call(node, depth)
            if found is None and kind is ast.Name and func.id in self.index.import_bound:  # type: ignore[attr-defined]
                found = self.imports.call(node, depth)   # a function of a project module
            if found is not None:
                return found
        return Value(CallResult(node), node, self.span(node), kind=OBJECT)

    def _receiver_method(self, node: ast.Call, func: ast.Attribute, depth: int) -> Optional[Resolved]:
        """``x.split(...)``, ``x.resolve()``, ``x.expanduser()``, ``x.copy()``, ``x.get(...)``
        of a value they apply to; None otherwise."""
        attr = func.attr
        # "a,b".split(",") / "a b".split()
        if attr == "split":
            if len(node.args) + len(node.keywords) <= 1:
                from .computed_values import split  # rare (6 % of scripts): loaded then

                return split(self, node, func, depth)
            return None
        if attr == "get":
            # cfg.get("model", "x") of a mapping read from a config file
            if self.resolve_defaults and not self.index.imported_names(func):
                return self.config_files.get(node, func, depth)
            return None
        if node.args or node.keywords:
            return None
        # Path(__file__).resolve(): an absolute path, normalised (``..`` folded)
        if attr == "resolve":
            from .path_values import absolute  # few scripts build a path: loaded then

            return absolute(self, func.value, depth)
        # Path(x).expanduser() of a path without "~": the same path
        if attr == "expanduser":
            from .path_values import expanded

            return expanded(self, func.value, depth)
        # PRESETS[name].copy(): the same contents (a dict or list)
        copied = self.resolve(func.value, depth + 1)
        if isinstance(copied, Value) and (copied.is_mapping or copied.is_sequence
                                          and isinstance(copied.python, list)):
            return copied
        return None

    def is_path(self, expression: ast.AST) -> bool:
        """``expression`` is a ``Path(...)`` call."""
        return isinstance(expression, ast.Call) and any(
            name in _PATH_CLASSES for name in self.index.imported_names(expression.func))

    def _library_call(self, node: ast.Call, depth: int) -> Optional[Resolved]:
        """``snapshot_download(...)`` and ``os.environ.get``/``os.getenv``; None otherwise."""
        names = self.index.imported_names(node.func)
        if not names or not any(map(_may_be_library_value, names)):
            return None   # most calls of a library (``torch.manual_seed``, ``LoraConfig``)
        # (paths and downloads: few scripts, ``path_values`` loaded then)
        if any(name.split(".")[0] in _SNAPSHOT_PACKAGES and name.endswith(".snapshot_download")
               for name in names):
            from .path_values import snapshot_repository

            return snapshot_repository(self, node, depth, _SNAPSHOT_REPOSITORY)
        if "kagglehub.model_download" in names:
            from .path_values import snapshot_repository

            return snapshot_repository(self, node, depth, ("handle",))
        if any(name in ENVIRONMENT_GETTERS for name in names):
            return self.defaults.environment(node, depth) if self.resolve_defaults else UNKNOWN
        loader = loader_kind(names)
        if loader is not None:   # json.load(f), yaml.safe_load(f), OmegaConf.load(path)
            return self.config_files.load(node, loader, depth) if self.resolve_defaults \
                else UNKNOWN
        if any(name in _PATH_CLASSES for name in names):
            from .path_values import path_text

            return path_text(self, node, depth)
        if "os.path.join" in names:
            from .path_values import joined

            return joined(self, node, depth)
        os_path = is_os_path_function(names)
        if os_path is not None:
            return self.file_paths.os_path(node, os_path, depth) if self.resolve_defaults \
                else UNKNOWN
        return None

    def _resolve_dict_call(self, node: ast.Call, depth: int) -> Resolved:
        entries: Dict[str, Value] = {}
        if node.args:
            if len(node.args) != 1 or node.keywords or isinstance(node.args[0], ast.Starred):
                return UNKNOWN
            inner = self.resolve(node.args[0], depth + 1)
            if not isinstance(inner, Value) or not inner.is_mapping:
                return UNKNOWN
            entries.update(inner.entries)
        for keyword in node.keywords:
            if keyword.arg is None:
                inner = self.resolve(keyword.value, depth + 1)
                if not isinstance(inner, Value) or not inner.is_mapping:
                    return UNKNOWN
                entries.update(inner.entries)
            else:
                value = self.resolve(keyword.value, depth + 1)
                if not isinstance(value, Value):
                    return UNKNOWN
                entries[keyword.arg] = value
        return self._mapping(node, entries)

    def is_builtin(self, name: ast.Name) -> bool:
        bindings, _ = self.index.lookup(self.index.scope_of(name), name.id)
        return not bindings

    # -- agreement -------------------------------------------------------------------------
    def agreed(self, values: List[Resolved], where: Optional[ast.AST] = None) -> Resolved:
        """The one value all of ``values`` are, else UNKNOWN. When they come from several
        places, the value is not rewritable and, given ``where`` (the expression that reads
        them), located there."""
        if not values or not isinstance(values[0], Value):
            return UNKNOWN
        first = values[0]
        for other in values[1:]:
            if not isinstance(other, Value) or not same_value(first, other):
                return UNKNOWN
        if len(values) == 1 or all(other.node is first.node for other in values):  # type: ignore[union-attr]
            return first   # one place, reached along several paths
        merged = anchored(first, where, self.span(where)) if where is not None \
            else not_rewritable(first)
        return with_origin(merged, first_origin(*values))

    def possible_values(self, node: ast.AST, depth: int = 0) -> Optional[List[Value]]:
        """What ``node`` may be: one value per binding that reaches a name (the branches of an
        ``if``) and per side of a conditional expression whose condition is not known
        (``LoraConfig(...) if use_lora else None``), else its value; None when any of them is
        unknown."""
        if depth > MAX_DEPTH:
            return None
        if isinstance(node, ast.IfExp):
            return self._possible_sides(node, depth)
        if not isinstance(node, ast.Name) or node.id in ("True", "False", "None"):
            value = self.resolve(node, depth)
            return [value] if isinstance(value, Value) else None
        bindings = self.reaching(node, depth)
        if not bindings:
            return None
        values: List[Value] = []
        for binding in bindings:
            value = self._value_of_binding(binding, depth)
            if isinstance(value, Value):
                values.append(value)
                continue
            if _is_parameter(binding):
                passed = self._possible_arguments(binding, depth)
                if passed is None:
                    return None
                values.extend(value for value in passed if value not in values)
                continue
            assigned = _assigned_conditional(binding)
            sides = self._possible_sides(assigned, depth) if assigned is not None else None
            if sides is None:
                return None
            values.extend(sides)
        return values

    def _possible_arguments(self, binding: Binding, depth: int) -> Optional[List[Value]]:
        """What a parameter of a local function may be: what the call it is read in passes
        (``resolve_in_calls``), else what any of its direct calls passes (``def
        build(model_args)`` called as ``build(model_args)`` where ``model_args`` comes from
        either branch of an ``if``); None when unknown."""
        function: ast.FunctionDef = binding.scope.node  # type: ignore[assignment]
        parameter: ast.arg = binding.node  # type: ignore[assignment]
        if id(function) in self._given:
            return None
        call = self._context.get(id(function))
        key = (id(binding), id(call))   # the call it is read in, if any
        if key in self._possible:
            return self._possible[key]
        if key in self._in_progress:
            return None   # a function passing its parameter to itself, directly or not
        calls = [call] if call is not None else self.functions.uses.calls(function)
        if not calls or len(calls) > MAX_CALLS or self.functions.uses.is_command_line(function):
            return None
        self._in_progress.add(key)
        values: Optional[List[Value]] = []
        try:
            for each in calls:
                expression = self.functions.uses.argument(function, parameter, each)
                passed = self.possible_values(expression, depth + 1) \
                    if expression is not None else None
                if passed is None or values is None:
                    values = None
                    break
                values.extend(value for value in passed if value not in values)
        finally:
            self._in_progress.discard(key)
        self._possible[key] = values   # once per parameter and call: no fan of calls repeats
        return values

    def _possible_sides(self, node: ast.IfExp, depth: int) -> Optional[List[Value]]:
        chosen = self.condition(node.test, depth)
        if chosen is not None:
            return self.possible_values(node.body if chosen else node.orelse, depth + 1)
        body = self.possible_values(node.body, depth + 1)
        orelse = self.possible_values(node.orelse, depth + 1)
        return body + orelse if body is not None and orelse is not None else None

    # -- local functions -------------------------------------------------------------------
    def _once(self, key: Any, cache: Dict[Any, Resolved], compute: Callable[[], Resolved]) -> Resolved:
        """``compute()`` once per key; UNKNOWN while it is being computed (recursion)."""
        if key in cache:
            return cache[key]
        if key in self._in_progress:
            return UNKNOWN
        self._in_progress.add(key)
        try:
            value = compute()
        finally:
            self._in_progress.discard(key)
        cache[key] = value
        return value

    def _returned(self, function: ast.FunctionDef, depth: int) -> Resolved:
        def compute() -> Resolved:
            expressions = self.functions.uses.returned(function)
            if not expressions or len(expressions) > MAX_CALLS:
                return UNKNOWN
            return self.agreed([self.resolve(e, depth + 1) for e in expressions])
        return self._once(id(function), self._returns, compute)

    def resolve_in_calls(self, calls: Sequence[ast.Call], compute: Callable[[], T]) -> Optional[T]:
        """``compute()`` with the parameters of the local functions ``calls`` call bound to
        those calls' arguments (the chain of ``CallResult.via``), however else the functions
        are called; None when a call is not of a plain local function or one repeats. The
        values computed here are cached apart from the others and forgotten afterwards."""
        context: Dict[int, ast.Call] = {}
        for call in calls:
            function = self.functions.definition(call.func)
            if function is None or id(function) in context:
                return None
            context[id(function)] = call
        saved = self._state()
        self._outer.append(saved)
        self._context, self._values, self._returns, self._elements, self._after_if, \
            self._possible = context, {}, {}, {}, {}, {}
        try:
            return compute()
        finally:
            self._restore(saved)
            self._outer.pop()

    def returned_given(self, function: ast.FunctionDef, values: Dict[str, Resolved],
                       depth: int) -> Resolved:
        """What ``function`` returns when its parameters hold ``values`` (a call from another
        module, whose arguments that module resolved)."""
        return self.within_given(function, values, lambda: self._returned(function, depth))

    def within_given(self, function: ast.FunctionDef, values: Dict[str, Resolved],
                     compute: Callable[[], T]) -> T:
        """``compute()`` with the parameters of ``function`` holding ``values``; the values
        computed here are cached apart from the others and forgotten afterwards."""
        saved = self._state()
        self._outer.append(saved)
        self._given, self._values, self._returns, self._elements, self._after_if, \
            self._possible = {id(function): values}, {}, {}, {}, {}, {}
        try:
            return compute()
        finally:
            self._restore(saved)
            self._outer.pop()

    def outside_contexts(self, compute: Callable[[], T]) -> T:
        """``compute()`` outside the contexts ``resolve_in_calls`` and ``within_given`` entered
        (with the parameters and caches of the file as it is): what holds for the whole file
        (``defaults.facts``) is gathered when first asked for, wherever that is."""
        if not self._outer:
            return compute()
        current, outer = self._state(), self._outer
        self._restore(outer[0])
        self._outer = []
        try:
            return compute()
        finally:
            self._outer = outer
            self._restore(current)

    def _state(self) -> "_ResolverState":
        return (self._context, self._given, self._values, self._returns, self._elements,
                self._after_if, self._possible)

    def _restore(self, state: "_ResolverState") -> None:
        self._context, self._given, self._values, self._returns, self._elements, \
            self._after_if, self._possible = state

    def _returned_element(self, node: ast.AST, index: int, depth: int) -> Resolved:
        """``model, name = load(...)`` where every ``return`` of the local function ``load``
        is a tuple written out (``return model, name``): element ``index`` of them, when they
        agree, even if another element is unknown."""
        if not isinstance(node, ast.Call):
            return UNKNOWN
        function = self.functions.definition(node.func)
        if function is None:
            return UNKNOWN
        key = (id(function), index)

        def compute() -> Resolved:
            expressions = self.functions.uses.returned(function)
            if not expressions or len(expressions) > MAX_CALLS:
                return UNKNOWN
            elements = [_element(expression, index) for expression in expressions]
            if any(element is None for element in elements):
                return UNKNOWN
            return self.agreed([self.resolve(element, depth + 1) for element in elements])
        element = self._once(key, self._elements, compute)
        return _returned_by(element, node) if isinstance(element, Value) else UNKNOWN

    def _parameter_value(self, binding: Binding, depth: int) -> Resolved:
        function: ast.FunctionDef = binding.scope.node  # type: ignore[assignment]
        parameter: ast.arg = binding.node  # type: ignore[assignment]
        given = self._given.get(id(function))
        if given is not None:
            return given.get(parameter.arg, UNKNOWN)
        call = self._context.get(id(function))
        if call is not None:
            return self.resolve(self.functions.uses.argument(function, parameter, call), depth + 1)
        if self.functions.uses.is_command_line(function):
            if not self.resolve_defaults:
                return UNKNOWN
            default = self.resolve(self.functions.uses.default(function, parameter), depth + 1)
            value = self.defaults.known_default(default, f"default of --{parameter.arg}")
            return value if isinstance(value, Value) and value.python is not None else UNKNOWN
        calls = self.functions.uses.calls(function)
        if not calls or len(calls) > MAX_CALLS:
            return UNKNOWN
        values: List[Resolved] = []
        for call in calls:
            expression = self.functions.uses.argument(function, parameter, call)
            value = self.resolve(expression, depth + 1)
            if not isinstance(value, Value):
                return UNKNOWN
            values.append(value)
        return self.agreed(values)

    # -- names -----------------------------------------------------------------------------
    def _resolve_name(self, name: ast.Name, depth: int) -> Resolved:
        if name.id in ("True", "False", "None"):  # Python 2-style names never parse as these
            return UNKNOWN
        bindings = self.reaching(name, depth)
        if not bindings and name.id == "__file__" and name.id not in self.index.import_bound:
            from .path_values import script_path  # rare: loaded then

            return script_path(self, name)
        if not bindings:   # ``from config import MODEL`` (no import binds it: unknown)
            return self.imports.value(name, depth) if name.id in self.index.import_bound \
                else UNKNOWN
        values: List[Resolved] = []
        for binding in bindings:
            value = self._value_of_binding(binding, depth)
            if not isinstance(value, Value):
                return UNKNOWN
            values.append(value)
        return self.agreed(values, name)

    def _value_of_binding(self, binding: Binding, depth: int) -> Resolved:
        if binding is _UNBOUND:
            return UNKNOWN
        key, values = id(binding), self._values
        if key in values:   # (``_once``'s answer, without making the closure)
            return values[key]
        if type(binding.node) is ast.arg and _is_parameter(binding):
            return self._once(key, values, lambda: self._parameter_value(binding, depth))
        return self._once(key, values,
                          lambda: self._value_of_target(binding.node, binding.statement, depth))

    def binding_for(self, name: ast.Name) -> Optional[Binding]:
        """The simple binding ``name`` certainly refers to where it is used, if there is one."""
        bindings = self.reaching(name)
        if bindings is None or len(bindings) != 1 or bindings[0].kind != SIMPLE:
            return None
        return bindings[0]

    def reaching(self, name: ast.Name, depth: int = 0) -> Optional[List[Binding]]:
        """The bindings ``name`` may refer to where it is read: one when it is certain, several
        when branches of an ``if`` bind it (their values must agree); None when unknown
        (a loop, ``try``, import, augmented assignment, ... may have bound it)."""
        index = self.index
        scope = index.scopes.get(name, index.module_scope)   # (``scope_of``)
        bindings, holder = index.lookup(scope, name.id)
        if not bindings:
            return None
        if holder is not scope:
            return self._reaching_from_inner_scope(bindings, depth)
        starts, ordered = self._in_order(holder, name.id, bindings)
        position = (name.lineno, name.col_offset)
        if len(starts) == 1:   # one binding in the scope (most names)
            if starts[0] < position:
                return self._reaching_one(name, position, starts, ordered, depth)
            return None   # bound only after the use (or at it): unbound here, or rebound
        if bisect.bisect_right(starts, position) < len(starts) \
                and self._rebound_later_in_enclosing_loop(name, starts):   # (a binding follows)
            return None
        found = self._reaching_before(name, position, starts, ordered, depth)
        if found is None or _UNBOUND in found:
            return None
        return found

    def _reaching_one(self, anchor: ast.Name, position: Tuple[int, int],
                      starts: List[Tuple[int, int]], ordered: List[Binding],
                      depth: int) -> Optional[List[Binding]]:
        """``reaching`` of a name whose scope binds it once, before ``position``: what
        ``_reaching_before`` finds then, without its search among several bindings."""
        binding = ordered[0]
        simple = binding.kind == SIMPLE
        place = binding.statement if simple and binding.statement else binding.node
        if self._in_if(place):
            sides = self._branch_sides(anchor)
            if sides and self._on_other_branch(place, sides):
                return None   # it never runs before the use: unbound here
        if not simple:
            return [binding] if _is_parameter(binding) else None
        statement: Any = binding.statement   # SIMPLE: always set
        if (statement.end_lineno, statement.end_col_offset) > position:
            return None   # ``x = f(x)``: the use is inside the statement that binds
        if self._dominates(statement, anchor):
            return [binding]
        branch = self._enclosing_if(statement, anchor, position)
        if branch is None or depth > MAX_DEPTH:
            return None
        found = self._after(branch, starts, ordered, depth + 1)
        return None if found is None or _UNBOUND in found else found

    def _reaching_from_inner_scope(self, bindings: List[Binding],
                                   depth: int) -> Optional[List[Binding]]:
        """A global (or enclosing) name read inside a function, which may run at any time: its
        bindings must all be simple and agree, or all sit in one ``if`` whose exits agree."""
        if len(bindings) > MAX_CALLS or any(binding.kind != SIMPLE for binding in bindings):
            return None   # (a name rebound thousands of times: not compared at every read)
        if len(bindings) == 1:
            return list(bindings)
        tops = {id(self._top_statement(binding.statement)) for binding in bindings}
        if len(tops) == 1:
            top = self._top_statement(bindings[0].statement)
            if isinstance(top, ast.If):
                starts, ordered = self._in_order(bindings[0].scope, bindings[0].name, bindings)
                exits = self._exits_of_if(top, starts, ordered, depth)
                if exits is not None and _UNBOUND not in exits:
                    return exits
        return list(bindings)

    def _top_statement(self, statement: Any) -> Any:
        """The statement of the holder's own body that contains ``statement``."""
        current = statement
        for ancestor in self.index.ancestors(statement):
            if isinstance(ancestor, SCOPE_NODES):
                return current
            if isinstance(ancestor, ast.stmt):
                current = ancestor
        return current

    def _reaching_before(self, anchor: ast.AST, position: Tuple[int, int], starts: List[Tuple[int, int]],
                         ordered: List[Binding], depth: int) -> Optional[List[Any]]:
        """The bindings that reach ``anchor`` (a use, or an ``if`` statement) at ``position``;
        ``[_UNBOUND]`` when none does."""
        index = bisect.bisect_left(starts, position) - 1
        sides: Optional[Dict[int, Optional[str]]] = None
        skipped = 0
        while index >= 0:
            binding = ordered[index]
            place = binding.statement if binding.kind == SIMPLE and binding.statement else binding.node
            if self._in_if(place):   # (else it is on no branch the anchor is not on)
                if sides is None:
                    sides = self._branch_sides(anchor)
                on_other_branch = bool(sides) and self._on_other_branch(place, sides)
            else:
                on_other_branch = False
            if on_other_branch:
                skipped += 1
                if skipped > MAX_SKIPPED_BRANCHES:
                    return None
                index -= 1
                continue
            if binding.kind != SIMPLE:
                return [binding] if _is_parameter(binding) else None
            bound: Any = binding.statement   # SIMPLE: always set
            if (bound.end_lineno, bound.end_col_offset) <= position:
                break
            index -= 1  # ``x = f(x)``: the use is inside the statement that binds
        if index < 0:
            return [_UNBOUND]
        last = ordered[index]
        statement: ast.AST = last.statement  # type: ignore[assignment]  # SIMPLE: always set
        if self._dominates(statement, anchor):
            return [last]
        branch = self._enclosing_if(statement, anchor, position)
        if branch is None or depth > MAX_DEPTH:
            return None
        return self._after(branch, starts, ordered, depth + 1)

    def _branch_sides(self, anchor: ast.AST) -> Dict[int, Optional[str]]:
        """id of every ``if`` around ``anchor`` (in its scope) -> the branch holding it
        (``"body"``, ``"orelse"``; None for the condition)."""
        sides: Dict[int, Optional[str]] = {}
        child = anchor
        if_class = ast.If
        for ancestor in self._enclosing(anchor):
            if type(ancestor) is if_class:
                sides[id(ancestor)] = _side_of(ancestor, child)
            child = ancestor
        return sides

    def _in_if(self, node: ast.AST) -> bool:
        """Some ``if`` of its scope holds ``node`` (once per node: a binding's statement is
        asked about at every use of the name)."""
        found = self._in_ifs.get(node)
        if found is None:
            if_class = ast.If
            found = self._in_ifs[node] = if_class in map(type, self._enclosing(node))
        return found

    def _enclosing(self, node: ast.AST) -> List[ast.AST]:
        """The ancestors of ``node`` up to the function, lambda, class or module that holds it
        (included), once per node: finding what reaches a name use asks for them up to three
        times (the branches around it, the statements that dominate it, the loops)."""
        chain = self._chains.get(node)
        if chain is None:
            chain = []
            parents = self.index.parents
            current = parents.get(node)
            while current is not None:
                chain.append(current)
                if type(current) in _SCOPE_NODE_TYPES:
                    break
                current = parents.get(current)
            self._chains[node] = chain
        return chain

    def _on_other_branch(self, node: ast.AST, anchor_sides: Dict[int, Optional[str]]) -> bool:
        """``node`` sits in one branch of an ``if`` and the anchor (whose ``_branch_sides``
        are given) in the other, and no loop around that ``if`` can carry it back: it never
        runs before the anchor. ``if resume: model = PeftModel...`` / ``else: ... use(model)``."""
        child = node
        separating: Optional[ast.If] = None
        for ancestor in self.index.ancestors(node):
            if isinstance(ancestor, SCOPE_NODES):
                return separating is not None
            if separating is not None:
                if isinstance(ancestor, LOOPS):
                    return False
            elif isinstance(ancestor, ast.If) and id(ancestor) in anchor_sides:
                side = _side_of(ancestor, child)
                if side is None or anchor_sides[id(ancestor)] in (None, side):
                    return False
                separating = ancestor
            child = ancestor
        return separating is not None

    def _enclosing_if(self, statement: ast.AST, anchor: ast.AST,
                      position: Tuple[int, int]) -> Optional[ast.stmt]:
        """The ``if`` or ``try`` around ``statement`` that runs on every path to ``anchor``
        and ends before it; None when something else (a loop, ``with``) is in the way."""
        for ancestor in self.index.ancestors(statement):
            if isinstance(ancestor, SCOPE_NODES):
                return None
            if not isinstance(ancestor, ast.stmt):
                continue
            if self._dominates(ancestor, anchor):
                if isinstance(ancestor, _BRANCHING) and _end(ancestor) <= position:
                    return ancestor
                return None
        return None

    def _after(self, branch: ast.stmt, starts: List[Tuple[int, int]], ordered: List[Binding],
               depth: int) -> Optional[List[Any]]:
        """The bindings that reach the end of the ``if`` or ``try`` statement ``branch``
        (computed once)."""
        key = (id(branch), id(ordered))
        if key in self._after_if:
            return self._after_if[key]
        self._after_if[key] = None   # re-entered (cannot happen in valid code): unknown
        incoming = self._reaching_before(branch, _start(branch), starts, ordered, depth + 1)
        result = None
        if incoming is not None and isinstance(branch, ast.If):
            result = self._exits_of_if(branch, starts, ordered, depth, incoming)
        elif incoming is not None:
            result = self._exits_of_try(branch, starts, ordered, depth, incoming)
        self._after_if[key] = result
        return result

    def _exits_of_if(self, branch: ast.If, starts: List[Tuple[int, int]], ordered: List[Binding],
                     depth: int, incoming: Optional[List[Any]] = None) -> Optional[List[Any]]:
        if depth > MAX_DEPTH:
            return None
        incoming = incoming if incoming is not None else [_UNBOUND]
        chosen = self.condition(branch.test, depth)
        blocks = [branch.body, branch.orelse]
        if chosen is not None:
            blocks = [branch.body] if chosen else [branch.orelse]
        result: List[Any] = []
        for block in blocks:
            exits = self._exits_of_block(block, incoming, starts, ordered, depth)
            if exits is None:
                return None
            result.extend(b for b in exits if b not in result)
        return result or None

    def _exits_of_block(self, block: List[ast.stmt], incoming: List[Any],
                        starts: List[Tuple[int, int]], ordered: List[Binding],
                        depth: int) -> Optional[List[Any]]:
        current = incoming
        for statement in block:
            if isinstance(statement, _JUMPS):
                return []   # this path does not reach the code after the ``if``
            first = bisect.bisect_left(starts, _start(statement))
            last = bisect.bisect_right(starts, _end(statement))
            inside = ordered[first:last]
            if not inside:
                continue
            if any(binding.kind != SIMPLE for binding in inside):
                return None
            if isinstance(statement, (ast.Assign, ast.AnnAssign)) \
                    and all(binding.statement is statement for binding in inside):
                current = [inside[-1]]
            elif isinstance(statement, ast.If):
                nested = self._exits_of_if(statement, starts, ordered, depth + 1, current)
                if nested is None:
                    return None
                current = nested
            elif isinstance(statement, _TRIES):
                nested = self._exits_of_try(statement, starts, ordered, depth + 1, current)
                if nested is None:
                    return None
                current = nested
            else:
                return None
        return current

    def _exits_of_try(self, branch: Any, starts: List[Tuple[int, int]], ordered: List[Binding],
                      depth: int, incoming: List[Any]) -> Optional[List[Any]]:
        """What reaches the end of a ``try``: the body run through (then ``else``), or a
        handler entered from any point of the body (so the bindings before the ``try`` and
        every binding in the body may reach it). A binding in ``finally``: unknown."""
        if depth > MAX_DEPTH or self._bindings_in(branch.finalbody, starts, ordered):
            return None
        result = self._exits_of_block(branch.body + branch.orelse, incoming, starts, ordered,
                                      depth)
        in_body = self._bindings_in(branch.body, starts, ordered)
        if result is None or any(binding.kind != SIMPLE for binding in in_body):
            return None
        entering = list(incoming) + [binding for binding in in_body if binding not in incoming]
        for handler in branch.handlers:
            exits = self._exits_of_block(handler.body, entering, starts, ordered, depth)
            if exits is None or handler.name == ordered[0].name:   # ``except E as model``
                return None
            result.extend(binding for binding in exits if binding not in result)
        return result or None

    def _bindings_in(self, block: List[Any], starts: List[Tuple[int, int]],
                     ordered: List[Binding]) -> List[Binding]:
        """The bindings of the name that start inside the statements ``block``."""
        if not block:
            return []
        first = bisect.bisect_left(starts, _start(block[0]))
        last = bisect.bisect_right(starts, _end(block[-1]))
        return ordered[first:last]

    def _in_order(self, holder: Any, name: str, bindings: List[Binding]) -> BindingOrder:
        """A scope's bindings of ``name`` sorted by where they start, and those starts
        (computed once per name: a script may rebind ``model`` thousands of times)."""
        key = (id(holder), name)
        cached = self._orders.get(key)
        if cached is None and len(bindings) == 1:   # most names: nothing to sort
            cached = self._orders[key] = ([_binding_start(bindings[0])], list(bindings))
        elif cached is None:
            keyed = sorted([(_binding_start(binding), binding) for binding in bindings],
                           key=_first)   # (stable: equal starts keep their order)
            cached = self._orders[key] = ([start for start, _ in keyed],
                                          [binding for _, binding in keyed])
        return cached

    def dominates(self, statement: ast.AST, use: ast.AST) -> bool:
        return self._dominates(statement, use)

    def value_of_store(self, target: ast.AST, statement: ast.stmt, depth: int) -> Resolved:
        """What the assignment ``statement`` stores into ``target`` (``self.x = ...``), once."""
        return self._once(id(target), self._values,
                          lambda: self._value_of_target(target, statement, depth))

    def _dominates(self, statement: ast.AST, use: ast.AST) -> bool:
        """True when ``statement`` runs on every path to ``use`` (its block encloses the use;
        the body of a ``with`` runs whenever the ``with`` does)."""
        outside = self._outside.get(statement)
        if outside is None:   # (once per statement: each use of a name asks about its binding)
            outside = self._outside[statement] = self._outside_with(statement)
        statement = outside
        parents = self.index.parents
        holder = parents.get(statement)
        if holder is None:
            return False
        # the use, or the one of its ancestors, that sits directly in the statement's holder:
        # the one before the holder in the use's chain of ancestors (searched in C; nodes
        # compare by identity), or the chain's last, a scope's node, when the holder holds it
        chain = self._enclosing(use)
        if holder in chain:
            place = chain.index(holder)
            below: ast.AST = chain[place - 1] if place else use
        elif chain and parents.get(chain[-1]) is holder:
            below = chain[-1]
        else:
            return False
        if not isinstance(below, ast.stmt):
            return False
        # two statements of a node with one statement list (a body) are in the same block
        return below is statement or type(holder) not in _SEVERAL_BLOCKS \
            and isinstance(statement, ast.stmt) or self._block_of(below) == self._block_of(statement)

    def _outside_with(self, statement: ast.AST) -> ast.AST:
        """The outermost ``with`` whose body holds ``statement`` directly (``with open(p) as
        f: cfg = json.load(f)``), else ``statement``; not past a context manager that swallows
        exceptions (``suppress``, ``pytest.raises``, ``self.assertRaises``): the rest of its
        body may not run."""
        parent = self.index.parent(statement)
        while isinstance(parent, _WITHS) and any(child is statement for child in parent.body) \
                and not any(self._suppresses(item.context_expr) for item in parent.items):
            statement = parent
            parent = self.index.parent(statement)
        return statement

    def _suppresses(self, manager: ast.expr) -> bool:
        func = manager.func if isinstance(manager, ast.Call) else manager
        if isinstance(func, ast.Attribute) and func.attr.startswith("assertRaises"):
            return True
        return any(name in _SUPPRESSING for name in self.index.imported_names(func))

    def _block_of(self, statement: ast.AST) -> Optional[Tuple[int, str]]:
        """(id of the node holding the statement list, the list's field name)."""
        block = self._blocks.get(id(statement))
        if block is not None:
            return block
        parent = self.index.parent(statement)
        if parent is None:
            return None
        for field_name in _STATEMENT_LISTS:  # index the parent's lists once
            statements = getattr(parent, field_name, None)
            if isinstance(statements, list):
                for child in statements:
                    self._blocks[id(child)] = (id(parent), field_name)
        return self._blocks.setdefault(id(statement), (id(parent), ""))

    def _rebound_later_in_enclosing_loop(self, use: ast.Name,
                                         starts: List[Tuple[int, int]]) -> bool:
        """A binding after the use but inside a loop around it runs before the next use."""
        use_start = (use.lineno, use.col_offset)
        following = bisect.bisect_right(starts, use_start)
        if following == len(starts):
            return False
        for ancestor in self._enclosing(use):
            if isinstance(ancestor, LOOPS) and \
                    starts[following] <= (ancestor.end_lineno, ancestor.end_col_offset):
                return True
        return False

    def _value_of_target(self, target: ast.AST, statement: Any, depth: int) -> Resolved:
        value_node = statement.value
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        for assigned in targets:
            if assigned is target:
                return self.resolve(value_node, depth + 1)
            if isinstance(assigned, (ast.Tuple, ast.List)):
                index = _index_in(assigned, target)
                if index is None:
                    continue
                element = self._returned_element(value_node, index, depth)
                if isinstance(element, Value):
                    return element
                whole = self.resolve(_sliced_from_start(value_node, index), depth + 1)
                if isinstance(whole, Value) and whole.kind == OBJECT \
                        and whole.python.index is None:
                    return Value(CallResult(whole.python.call, index, whole.python.via),
                                 whole.node, whole.span,
                                 kind=OBJECT)
                if isinstance(whole, Value) and whole.is_sequence and index < len(whole.items):
                    return whole.items[index]
                return UNKNOWN
        return UNKNOWN


def _resolve_binary(resolver: Resolver, node: ast.BinOp, depth: int) -> Resolved:
    from .computed_values import binary  # few scripts compute an argument (3 %): loaded then

    return binary(resolver, node, depth)


def _resolve_fstring(resolver: Resolver, node: ast.JoinedStr, depth: int) -> Resolved:
    from .computed_values import formatted  # few scripts format an argument (3 %): loaded then

    return formatted(resolver, node, depth)


# The evaluation of each kind of expression node; any other kind is unknown.
_RESOLVERS: Dict[type, Callable[[Resolver, Any, int], Resolved]] = {
    ast.Constant: Resolver._resolve_constant,
    ast.Name: Resolver._resolve_name,
    ast.UnaryOp: Resolver._resolve_unary,
    ast.BinOp: _resolve_binary,
    ast.List: Resolver._resolve_sequence,
    ast.Tuple: Resolver._resolve_sequence,
    ast.Set: Resolver._resolve_sequence,
    ast.Dict: Resolver._resolve_dict,
    ast.Subscript: Resolver._resolve_subscript,
    ast.Call: Resolver._resolve_call,
    ast.IfExp: Resolver._resolve_if_expression,
    ast.Compare: Resolver._resolve_comparison,
    ast.BoolOp: Resolver._resolve_boolean,
    ast.JoinedStr: _resolve_fstring,
    ast.Attribute: Resolver._resolve_attribute,
}


@functools.lru_cache(maxsize=4096)
def _may_be_library_value(name: str) -> bool:
    """A qualified callee name ``_library_call`` reads a value from (a download, an environment
    getter, a config-file loader, a path); False for all the others, answered once per name."""
    return name.split(".")[0] in _SNAPSHOT_PACKAGES and name.endswith(".snapshot_download") \
        or name == "kagglehub.model_download" or name in ENVIRONMENT_GETTERS \
        or loader_kind((name,)) is not None or name in _PATH_CLASSES or name == "os.path.join" \
        or is_os_path_function((name,)) is not None


def _sliced_from_start(value: ast.expr, index: int) -> ast.expr:
    """``parse_args_into_dataclasses(return_remaining_strings=True)[:4]`` unpacked: element
    ``index`` of a ``[:n]`` (or ``[0:n]``) slice, with ``index < n``, is the sliced value's own
    element ``index``, so the sliced expression is what to read; ``value`` otherwise."""
    if not isinstance(value, ast.Subscript) or not isinstance(value.slice, ast.Slice):
        return value
    lower, upper, step = value.slice.lower, value.slice.upper, value.slice.step
    if step is not None or lower is not None and not _is_literal(lower, 0) \
            or not isinstance(upper, ast.Constant) or type(upper.value) is not int \
            or not 0 <= index < upper.value:
        return value
    return value.value


def _is_literal(node: ast.expr, expected: int) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int and node.value == expected


def _assigned_conditional(binding: Binding) -> Optional[ast.IfExp]:
    """The conditional expression ``name = a if c else b`` assigns to the binding's name."""
    statement = binding.statement
    if binding.kind != SIMPLE or not isinstance(statement, (ast.Assign, ast.AnnAssign)) \
            or not isinstance(statement.value, ast.IfExp):
        return None
    targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
    return statement.value if any(target is binding.node for target in targets) else None


def _element(expression: ast.expr, index: int) -> Optional[ast.expr]:
    """Element ``index`` of a tuple written out (``return model, tokenizer``), else None."""
    if not isinstance(expression, ast.Tuple) or index >= len(expression.elts) \
            or any(isinstance(element, ast.Starred) for element in expression.elts):
        return None
    return expression.elts[index]


def _returned_by(value: Value, call: ast.Call) -> Value:
    """``value`` as the local function ``call`` calls returns it: the objects in it remember
    the call (``CallResult.via``), so a parameter can later be read from this call's arguments."""
    if value.kind == OBJECT:
        result: CallResult = value.python
        return replace(value, python=CallResult(result.call, result.index, (call, *result.via)))
    if value.kind != SEQUENCE or not any(item.kind in (OBJECT, SEQUENCE) for item in value.items):
        return value
    items = tuple(_returned_by(item, call) for item in value.items)
    python = type(value.python)(item.python for item in items) \
        if isinstance(value.python, (list, tuple)) else value.python
    return replace(value, python=python, items=items)


def _side_of(branch: ast.If, child: ast.AST) -> Optional[str]:
    if any(statement is child for statement in branch.body):
        return "body"
    if any(statement is child for statement in branch.orelse):
        return "orelse"
    return None


def _is_parameter(binding: Any) -> bool:
    return binding is not _UNBOUND and isinstance(binding.node, ast.arg) \
        and isinstance(binding.scope.node, ast.FunctionDef)


def _start(node: Any) -> Tuple[int, int]:
    return node.lineno, node.col_offset


def _end(node: Any) -> Tuple[int, int]:
    return node.end_lineno, node.end_col_offset


def _binding_start(binding: Binding) -> Tuple[int, int]:
    """Where a binding takes effect in source order: its statement for ``x = ...``, else the
    bound name (or import, parameter, ...)."""
    return _start(binding.statement if binding.kind == SIMPLE else binding.node)


def _index_in(sequence: ast.AST, target: ast.AST) -> Optional[int]:
    for index, element in enumerate(sequence.elts):  # type: ignore[attr-defined]
        if isinstance(element, ast.Starred):
            return None
        if element is target:
            return index
    return None
