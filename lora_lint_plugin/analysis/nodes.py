"""Fast iteration over ``ast`` children, for the walks every analysed file pays for.

``ast.iter_child_nodes`` is a generator that looks at every field of every node, including
the names, numbers and the shared context/operator singletons (``Load``, ``Add``, ...), which
make up a third of a typical tree. ``child_nodes`` reads only the fields that can hold other
nodes (computed once per node class) and leaves those singletons out: the same children, in
the same order, as ``[c for c in ast.iter_child_nodes(node) if not isinstance(c, LEAVES)]``.
"""

from __future__ import annotations

import ast
from typing import Dict, List, Tuple, Type

# Shared singletons with no children and no position: nothing to index or visit.
LEAVES = (ast.expr_context, ast.operator, ast.boolop, ast.unaryop, ast.cmpop)

# Fields that never hold a node, or hold only LEAVES (ctx, op, ops), in any node class.
_NO_NODES = frozenset((
    "arg", "asname", "attr", "conversion", "ctx", "id", "is_async", "kind", "kwd_attrs", "level",
    "lineno", "module", "n", "name", "op", "ops", "rest", "s", "simple", "tag", "type_comment",
))
# Per class: fields named like node-holding fields elsewhere that hold only scalars here, and
# the other way round (``type X = ...`` names its alias with a Name node, Python 3.12+).
_SCALAR_FIELDS_OF = {"Constant": ("value",), "MatchSingleton": ("value",),
                     "Global": ("names",), "Nonlocal": ("names",)}
_NODE_FIELDS_OF = {"TypeAlias": ("name",)}
# List fields that may hold None besides nodes (``{**a}`` keys, keyword-only args without default).
_MAY_HOLD_NONE = frozenset(("keys", "kw_defaults"))

_FIELDS: Dict[Type[ast.AST], Tuple[str, ...]] = {}


def _node_fields(cls: Type[ast.AST]) -> Tuple[str, ...]:
    scalars = _SCALAR_FIELDS_OF.get(cls.__name__, ())
    nodes = _NODE_FIELDS_OF.get(cls.__name__, ())
    fields = tuple(name for name in cls._fields
                   if name in nodes or (name not in _NO_NODES and name not in scalars))
    _FIELDS[cls] = fields
    return fields


def child_nodes(node: ast.AST) -> List[ast.AST]:
    """The direct children of ``node`` in field order, without context/operator singletons."""
    fields = _FIELDS.get(type(node))
    if fields is None:
        fields = _node_fields(type(node))
    children: List[ast.AST] = []
    for name in fields:
        value = getattr(node, name, None)
        if value is None:
            continue
        if type(value) is list:
            if name in _MAY_HOLD_NONE:
                children.extend([item for item in value if item is not None])
            else:
                children.extend(value)
        else:
            children.append(value)
    return children


# Per class: ``reversed_node_fields``.
REVERSED_FIELDS: Dict[Type[ast.AST], Tuple[str, ...]] = {}


def reversed_node_fields(cls: Type[ast.AST]) -> Tuple[str, ...]:
    """The fields of ``cls`` ``child_nodes`` reads, last first: a walk that pushes each
    field's children (each list reversed, without its ``None`` items) on a stack pops them in
    ``child_nodes`` order, without building a list per node."""
    fields = REVERSED_FIELDS.get(cls)
    if fields is None:
        fields = REVERSED_FIELDS[cls] = tuple(reversed(_FIELDS.get(cls) or _node_fields(cls)))
    return fields
