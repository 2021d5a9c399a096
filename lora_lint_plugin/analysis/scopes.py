"""Scopes and name bindings of an ``ast`` module, in one iterative pass.

What the resolver and the extractor need from "which assignment does this name refer to":
for every scope (module, function, lambda, class, comprehension) the bindings of each name,
each with its kind:

* ``SIMPLE``: ``x = ...``, ``x: T = ...`` or a name inside a tuple/list target of ``=``;
  the only kind whose value the resolver may read;
* ``IMPORT``: an import, with the qualified name it binds (``from peft import LoraConfig as
  LC`` binds ``LC`` to ``peft.LoraConfig``);
* ``OTHER``: anything else that rebinds the name (parameters, loop and ``with`` targets,
  augmented assignment, ``def``, ``class``, ``except ... as``, ``:=``, ``match`` captures).

Lookup follows Python's rules as LibCST's ``ScopeProvider`` models them: a name is looked up in
the nearest enclosing scope that binds it, class bodies are invisible to the functions inside
them, ``global``/``nonlocal`` declarations send bindings to the declaring scope. Like LibCST,
bindings are flow-insensitive (every binding in a scope counts); the resolver adds the order
and dominance checks.

The traversal is iterative (an explicit stack), so deeply nested code that Python itself
parsed never meets the recursion limit here.
"""

from __future__ import annotations

import ast
import weakref
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Set, Tuple

from .nodes import REVERSED_FIELDS, child_nodes, reversed_node_fields

SIMPLE = "simple"
IMPORT = "import"
OTHER = "other"

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
# Nodes that open a scope: a dominance or loop walk from a use stops at them.
SCOPE_NODES = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
LOOPS = (ast.For, ast.AsyncFor, ast.While)
_SCOPE_OPENERS = (*_FUNCTIONS, ast.Lambda, ast.ClassDef, *_COMPREHENSIONS)
_SCOPE_OPENER_TYPES = frozenset(_SCOPE_OPENERS)
_MATCH_CAPTURES = tuple(getattr(ast, name) for name in ("MatchAs", "MatchStar", "MatchMapping")
                        if hasattr(ast, name))
# The node classes ``ScopeIndex.of_kind`` lists.
INDEXED_KINDS = (ast.Name, ast.FunctionDef, ast.ClassDef, ast.Attribute, ast.Subscript, ast.Call,
                 ast.If)


class Scope:
    """One scope: its node (module, def, lambda, class, comprehension), the scope around it,
    and the bindings of each name in it. A plain class: thousands are made per file."""

    __slots__ = ("node", "parent", "is_class", "bindings", "globals", "nonlocals", "reference",
                 "__weakref__")

    def __init__(self, node: ast.AST, parent: Optional["Scope"], is_class: bool = False) -> None:
        self.node = node
        self.parent = parent
        self.is_class = is_class
        self.bindings: Dict[str, List["Binding"]] = {}
        self.globals: Set[str] = set()
        self.nonlocals: Set[str] = set()
        # What its bindings hold: a strong reference back would make a reference cycle per
        # scope, freed only by the cyclic collector (the index keeps every scope alive).
        self.reference = weakref.ref(self)


class Binding:
    """One binding of a name in a scope (see the module docstring for ``kind``). A plain
    class with slots: a file of tests makes tens of thousands."""

    __slots__ = ("name", "kind", "node", "_scope", "statement", "qualified_name")

    def __init__(self, name: str, kind: str, node: ast.AST, scope: Scope,
                 statement: Optional[ast.AST] = None, qualified_name: str = "") -> None:
        self.name = name
        self.kind = kind
        self.node = node                      # the target Name, the import statement, the def, ...
        self._scope = scope.reference   # ``Scope.reference``: no reference cycle
        self.statement = statement            # SIMPLE: the Assign / AnnAssign
        self.qualified_name = qualified_name  # IMPORT: what the name stands for

    @property
    def scope(self) -> Scope:
        """The scope that holds the binding (alive as long as its ``ScopeIndex``)."""
        return self._scope()   # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"Binding({self.name!r}, {self.kind!r}, line {getattr(self.node, 'lineno', '?')})"


def _push_all(node: ast.AST, children: Sequence[ast.AST], push: Callable[[Any], None],
              parents: Dict[ast.AST, ast.AST]) -> None:
    for child in children[::-1]:
        parents[child] = node
        push(child)


def _push_dict(node: ast.Dict, push: Callable[[Any], None],
               parents: Dict[ast.AST, ast.AST]) -> None:
    """A dict display's children (``{**a}`` has a None key, which is no node)."""
    for child in reversed([*node.keys, *node.values]):
        if child is not None:
            parents[child] = node
            push(child)


def import_binding(alias: ast.alias, module: str = "") -> Tuple[str, str]:
    """(local name, qualified name) one import alias binds. ``import a.b`` binds ``a`` to
    ``a``; ``import a.b as c`` binds ``c`` to ``a.b``; with ``module`` (``from m import x as
    y``), ``y`` to ``m.x``."""
    if module:
        return alias.asname or alias.name, f"{module}.{alias.name}"
    if alias.asname:
        return alias.asname, alias.name
    root = alias.name.split(".")[0]
    return root, root


class ScopeIndex:
    """One module's parents of nodes, the scope of every name, the bindings of every scope, and
    the nodes of a few kinds in pre-order."""

    def __init__(self, tree: ast.Module) -> None:
        self.module_scope = Scope(tree, None)
        self._inner_scopes: List[Scope] = []   # every scope lives as long as the index
        self.parents: Dict[ast.AST, ast.AST] = {}   # node -> parent (nodes hash by identity)
        # ast.Name -> the scope it is read in, when not the module's (nodes hash by identity)
        self.scopes: Dict[ast.AST, Scope] = {}
        # The nodes of the kinds whole-file queries look for, each list in pre-order (children
        # in field order): those queries read a few lists instead of every node of the module.
        self._of_kind: Dict[type, List[ast.AST]] = {kind: [] for kind in INDEXED_KINDS}
        # Calls, constants and imports, in pre-order: what the extractor visits.
        self.calls_constants_imports: List[ast.AST] = []
        self.imported_locals: Set[str] = set()   # every name an import of a library binds
        self.imported_qualified: Set[str] = set()   # what those names stand for (``os.environ``)
        # every name any import binds, relative ones too (``from .config import MODEL``)
        self.import_bound: Set[str] = set()
        self._imported: Dict[int, List[str]] = {}   # imported_names, once per node
        self._qualified: Dict[Tuple[int, str], List[str]] = {}   # ... per bindings and suffix
        self._lookups: Dict[Tuple[Scope, str], Tuple[List[Binding], Optional[Scope]]] = {}
        self._walk(tree)

    # -- queries ---------------------------------------------------------------------------
    def of_kind(self, kind: type) -> List[Any]:
        """Every node of class ``kind`` (one of ``INDEXED_KINDS``), in pre-order."""
        return self._of_kind[kind]

    def parent(self, node: ast.AST) -> Optional[ast.AST]:
        return self.parents.get(node)

    def scope_of(self, node: ast.AST) -> Scope:
        return self.scopes.get(node, self.module_scope)

    def ancestors(self, node: ast.AST) -> Iterator[ast.AST]:
        current = self.parents.get(node)
        while current is not None:
            yield current
            current = self.parents.get(current)

    def lookup(self, scope: Scope, name: str) -> Tuple[List[Binding], Optional[Scope]]:
        """The bindings ``name`` refers to from ``scope``, and the scope that holds them (once
        per scope and name: the index does not change after the walk)."""
        key = (scope, name)
        found = self._lookups.get(key)
        if found is None:
            found = self._lookups[key] = self._lookup(scope, name)
        return found

    def _lookup(self, scope: Scope, name: str) -> Tuple[List[Binding], Optional[Scope]]:
        current: Optional[Scope] = scope
        from_inner_function = False
        while current is not None:
            if name in current.globals:
                found = self.module_scope.bindings.get(name, [])
                return found, self.module_scope
            skip = current.is_class and from_inner_function
            if not skip and name in current.bindings:
                return current.bindings[name], current
            if not current.is_class:
                from_inner_function = True
            current = current.parent
        return [], None

    def sole_binding(self, expression: ast.AST) -> Optional[Binding]:
        """The binding a name refers to when there is exactly one; None for any other
        expression and for a name bound several times or not at all."""
        if not isinstance(expression, ast.Name):
            return None
        bindings, _ = self.lookup(self.scope_of(expression), expression.id)
        return bindings[0] if len(bindings) == 1 else None

    def imported_names(self, expression: ast.AST) -> Sequence[str]:
        """Qualified names of ``a.b.c`` when ``a`` is bound by an import (sorted). One list is
        shared by every caller asking about the same chain: read-only (``Sequence``)."""
        # exact classes: ``ast.parse`` makes no others
        kind = type(expression)
        if kind is ast.Name:   # most callees: a name or ``a.b``, no loop
            root: Any = expression
        elif kind is ast.Attribute and type(expression.value) is ast.Name:  # type: ignore[attr-defined]
            root = expression.value  # type: ignore[attr-defined]
        else:
            root = expression
            while type(root) is ast.Attribute:
                root = root.value
            if type(root) is not ast.Name:
                return []
        if root.id not in self.imported_locals:
            return []   # most callees: no list built, nothing looked up
        key = id(expression)   # the whole chain: one root may start several (made) chains
        found = self._imported.get(key)
        if found is None:   # asked again and again about the same callee (extractor, resolver)
            if root is expression:
                suffix = ""
            elif root is expression.value:  # type: ignore[attr-defined]
                suffix = "." + expression.attr  # type: ignore[attr-defined]
            else:
                attributes: List[str] = []
                while isinstance(expression, ast.Attribute):
                    attributes.append(expression.attr)
                    expression = expression.value
                suffix = "".join("." + part for part in reversed(attributes))
            bindings, _ = self.lookup(self.scopes.get(root, self.module_scope), root.id)
            # the same bindings and attributes (``torch.nn.Linear`` in every test): one answer
            shared = (id(bindings), suffix)
            found = self._qualified.get(shared) if bindings else None
            if found is None:
                found = sorted({b.qualified_name + suffix for b in bindings if b.kind == IMPORT})
                if bindings:   # (a binding list lives as long as the index: its id is its own)
                    self._qualified[shared] = found
            self._imported[key] = found
        return found

    # -- building --------------------------------------------------------------------------
    def _bind(self, scope: Scope, name: str, kind: str, node: ast.AST,
              statement: Optional[ast.AST] = None, qualified_name: str = "") -> None:
        target = scope
        if name in scope.globals:
            target = self.module_scope
        elif name in scope.nonlocals:
            outer = scope.parent
            while outer is not None and (outer.is_class or name not in outer.bindings) \
                    and outer.parent is not None:
                outer = outer.parent
            target = outer or scope
        target.bindings.setdefault(name, []).append(
            Binding(name, kind, node, target, statement, qualified_name))
        if kind == IMPORT:
            self.imported_locals.add(name)
            self.imported_qualified.add(qualified_name)
            self.import_bound.add(name)

    def _walk(self, tree: ast.Module) -> None:
        parents, scopes = self.parents, self.scopes
        module_scope = scope = self.module_scope
        names = self._of_kind[ast.Name].append
        attributes = self._of_kind[ast.Attribute].append
        calls = self._of_kind[ast.Call].append
        collected = self.calls_constants_imports.append
        # the other listed kinds, and imports (the extractor's pre-order list)
        listed_kinds: Dict[type, Callable[[ast.AST], None]] = {
            kind: self._of_kind[kind].append for kind in (ast.FunctionDef, ast.ClassDef,
                                                          ast.Subscript, ast.If)}
        listed_kinds[ast.Import] = listed_kinds[ast.ImportFrom] = collected
        listed = listed_kinds.get
        notes = _BINDING_NOTES.get
        fields_of = REVERSED_FIELDS.get
        name_class, constant_class, attribute_class, call_class = \
            ast.Name, ast.Constant, ast.Attribute, ast.Call
        keyword_class, expr_class, scope_class = ast.keyword, ast.Expr, Scope
        # A stack of nodes, each one's children pushed last first so they pop in
        # ``child_nodes`` order (field order, without the shared Load/Add/... singletons); a
        # child's parent is noted as it is pushed, and a ``Scope`` entry (the scope itself)
        # changes the scope where a scope's body starts and ends: no tuple per node.
        # Dispatch on the exact class: ``ast.parse`` builds no subclasses of its node types;
        # ``type(node)`` rather than ``node.__class__``, which Python 3.11 looks up through the
        # generic attribute path (~25 M instructions over PEFT's 57 analysed files). Lists are
        # pushed reversed by slicing: a ``reversed`` iterator per list cost ~30 M there.
        stack: List[Any] = [tree]
        pop, push, extend = stack.pop, stack.append, stack.extend
        while stack:
            node = pop()
            kind = type(node)
            if kind is name_class:
                if scope is not module_scope:   # ``scope_of`` answers the module by default
                    scopes[node] = scope
                names(node)
                continue
            if kind is constant_class:
                collected(node)
                continue   # no children, binds nothing
            if kind is attribute_class:   # the most common inner nodes: their fields inline
                attributes(node)
                child = node.value
                parents[child] = node
                push(child)
                continue
            if kind is call_class:
                calls(node)
                collected(node)
                children = node.keywords
                if children:
                    for child in children:
                        parents[child] = node
                    extend(children[::-1])
                children = node.args
                if children:
                    for child in children:
                        parents[child] = node
                    extend(children[::-1])
                child = node.func
                parents[child] = node
                push(child)
                continue
            if kind is keyword_class or kind is expr_class:   # one field, ``value``
                child = node.value
                parents[child] = node
                push(child)
                continue
            if kind is scope_class:   # where a scope's body starts or ends
                scope = node
                continue
            add = listed(kind)
            if add is not None:
                add(node)
            if kind in _SCOPE_OPENER_TYPES:
                scope = self._enter_scope(node, scope, push, parents)
                continue
            note = notes(kind)
            if note is not None:
                note(self, node, scope)
            if kind is ast.Dict:
                _push_dict(node, push, parents)
                continue
            for name in fields_of(kind) or reversed_node_fields(kind):
                value = getattr(node, name, None)
                if value is None:
                    continue
                if type(value) is list:
                    if value:
                        for child in value:
                            parents[child] = node
                        if len(value) == 1:   # most lists of targets, bodies of tests
                            push(value[0])
                        else:
                            extend(value[::-1])
                else:
                    parents[value] = node
                    push(value)

    def _enter_scope(self, node: ast.AST, scope: Scope, push: Callable[[Any], None],
                     parents: Dict[ast.AST, ast.AST]) -> Scope:
        """Push the children of a scope's node and return the scope the walk goes on in.

        The parts evaluated outside (decorators, bases, defaults, annotations) come first in
        the enclosing scope; the new scope itself, pushed between them and the body, enters it,
        and the enclosing scope pushed under the body returns to it (no marker object made)."""
        outer: List[ast.AST]
        body: Sequence[ast.AST]
        if type(node) is ast.ClassDef:
            inner = Scope(node, scope, is_class=True)
            self._bind(scope, node.name, OTHER, node)
            outer, body = [*node.decorator_list, *node.bases, *node.keywords], node.body
        elif isinstance(node, _COMPREHENSIONS):
            inner, outer, body = Scope(node, scope), [], child_nodes(node)
        else:
            inner = Scope(node, scope)
            outer = self._enter_function(node, scope, inner)
            function_body = node.body   # type: ignore[attr-defined]
            # a lambda's body is one expression
            body = function_body if type(function_body) is list else [function_body]
        self._inner_scopes.append(inner)
        push(scope)   # the body's end: back to the enclosing scope
        _push_all(node, body, push, parents)
        if not outer:
            return inner
        push(inner)   # the body's start
        _push_all(node, outer, push, parents)
        return scope

    def _enter_function(self, node: ast.AST, scope: Scope, inner: Scope) -> List[ast.AST]:
        """Bind a function's (or lambda's) name and parameters; the parts of it that are
        evaluated in the enclosing scope, in the order the walk visits them."""
        args: ast.arguments = node.args  # type: ignore[attr-defined]
        outer_parts: List[ast.AST] = []
        if type(node) is not ast.Lambda:
            self._bind(scope, node.name, OTHER, node)  # type: ignore[attr-defined]
            outer_parts.extend(node.decorator_list)  # type: ignore[attr-defined]
            if node.returns is not None:  # type: ignore[attr-defined]
                outer_parts.append(node.returns)  # type: ignore[attr-defined]
        outer_parts.extend(args.defaults)
        outer_parts.extend(d for d in args.kw_defaults if d is not None)
        every = [*getattr(args, "posonlyargs", []), *args.args, *args.kwonlyargs]
        every.extend(a for a in (args.vararg, args.kwarg) if a is not None)
        for argument in every:
            self._bind(inner, argument.arg, OTHER, argument)
            if argument.annotation is not None:
                outer_parts.append(argument.annotation)
        # ``global``/``nonlocal`` statements are noted as the walk reaches them: Python rejects
        # a name bound or used in a scope before its declaration there.
        return outer_parts

    def _note_assign(self, node: ast.Assign, scope: Scope) -> None:
        for target in node.targets:
            self._bind_target(target, scope, node, simple=True)

    def _note_annotated(self, node: ast.AnnAssign, scope: Scope) -> None:
        self._bind_target(node.target, scope, node, simple=node.value is not None)

    def _note_rebinding(self, node: ast.AST, scope: Scope) -> None:
        """``x += 1``, ``for x in ...``, comprehension targets: bound, value unknown."""
        self._bind_target(node.target, scope, node, simple=False)  # type: ignore[attr-defined]

    def _note_with(self, node: ast.withitem, scope: Scope) -> None:
        if node.optional_vars is not None:
            self._bind_target(node.optional_vars, scope, node, simple=False)

    def _note_except(self, node: ast.ExceptHandler, scope: Scope) -> None:
        if node.name:
            self._bind(scope, node.name, OTHER, node)

    def _note_walrus(self, node: ast.NamedExpr, scope: Scope) -> None:
        owner = scope   # ``:=`` in a comprehension binds in the enclosing function
        while isinstance(owner.node, _COMPREHENSIONS) and owner.parent is not None:
            owner = owner.parent
        self._bind_target(node.target, owner, node, simple=False)

    def _note_import(self, node: ast.Import, scope: Scope) -> None:
        for alias in node.names:
            local, qualified = import_binding(alias)
            self._bind(scope, local, IMPORT, node, qualified_name=qualified)

    def _note_import_from(self, node: ast.ImportFrom, scope: Scope) -> None:
        # relative imports bind the project's own modules: bound, but not to a library
        module = node.module if not node.level and node.module else ""
        for alias in node.names:
            if alias.name == "*":
                continue  # names we cannot see (LibCST does not resolve them either)
            local, qualified = import_binding(alias, module)
            if module:
                self._bind(scope, local, IMPORT, node, qualified_name=qualified)
            else:
                self._bind(scope, local, OTHER, node)
                self.import_bound.add(local)

    def _note_global(self, node: ast.Global, scope: Scope) -> None:
        scope.globals.update(node.names)

    def _note_nonlocal(self, node: ast.Nonlocal, scope: Scope) -> None:
        scope.nonlocals.update(node.names)

    def _note_match_capture(self, node: ast.AST, scope: Scope) -> None:
        name = getattr(node, "name", None) or getattr(node, "rest", None)
        if name:
            self._bind(scope, name, OTHER, node)

    def _bind_target(self, target: ast.AST, scope: Scope, statement: ast.AST,
                     simple: bool) -> None:
        # (node, still simple): names under a Starred are not simple bindings
        if type(target) is ast.Name:   # most targets: no list of pending parts
            self._bind(scope, target.id, SIMPLE if simple else OTHER, target,
                       statement if simple else None)
            return
        pending: List[Tuple[ast.AST, bool]] = [(target, simple)]
        while pending:
            node, is_simple = pending.pop()
            if isinstance(node, ast.Name):
                self._bind(scope, node.id, SIMPLE if is_simple else OTHER, node,
                           statement if is_simple else None)
            elif isinstance(node, (ast.Tuple, ast.List)):
                pending.extend((element, is_simple) for element in node.elts)
            elif isinstance(node, ast.Starred):
                pending.append((node.value, False))


# What each binding statement binds (one small method per node kind), by exact class.
_BINDING_NOTES: Dict[type, Callable[[ScopeIndex, Any, Scope], None]] = {
    ast.Assign: ScopeIndex._note_assign,
    ast.AnnAssign: ScopeIndex._note_annotated,
    ast.AugAssign: ScopeIndex._note_rebinding,
    ast.For: ScopeIndex._note_rebinding,
    ast.AsyncFor: ScopeIndex._note_rebinding,
    ast.comprehension: ScopeIndex._note_rebinding,
    ast.withitem: ScopeIndex._note_with,
    ast.ExceptHandler: ScopeIndex._note_except,
    ast.NamedExpr: ScopeIndex._note_walrus,
    ast.Import: ScopeIndex._note_import,
    ast.ImportFrom: ScopeIndex._note_import_from,
    ast.Global: ScopeIndex._note_global,
    ast.Nonlocal: ScopeIndex._note_nonlocal,
    **{kind: ScopeIndex._note_match_capture for kind in _MATCH_CAPTURES},
}


def assigned_expression(target: ast.AST, statement: Any) -> Optional[ast.expr]:
    """The expression ``statement`` assigns to the name ``target`` (``a = X``, ``a: T = X``,
    ``a, b = X, Y``), or None."""
    if isinstance(statement, ast.AnnAssign):
        return statement.value if statement.target is target else None
    if not isinstance(statement, ast.Assign):
        return None
    for assigned in statement.targets:
        if assigned is target:
            return statement.value
        value = statement.value
        if not isinstance(assigned, (ast.Tuple, ast.List)) or \
                not isinstance(value, (ast.Tuple, ast.List)) or len(assigned.elts) != len(value.elts):
            continue
        if any(isinstance(part, ast.Starred) for part in assigned.elts + value.elts):
            continue
        for element, element_value in zip(assigned.elts, value.elts):
            if element is target:
                return element_value
    return None
