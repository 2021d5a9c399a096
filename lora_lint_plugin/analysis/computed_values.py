"""Values a program computes from others, for the resolver (``resolve.py``): arithmetic,
``+`` of sequences and strings, ``/`` of paths, f-strings, ``"a,b".split(",")`` and
``int("8")`` / ``float(...)`` / ``str(...)``.

Imported on first use: few training scripts compute an argument the rules read (each of
these runs on 3-6 % of the real-world files), and a flake8 process started per save pays for
every module it loads.
"""

from __future__ import annotations

import ast
import operator
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional

from .path_values import is_posix_path
from .values import SCALAR, SEQUENCE, UNKNOWN, Resolved, Value, first_origin, is_number

if TYPE_CHECKING:  # pragma: no cover
    from .resolve import Resolver

_ARITHMETIC: Dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
CONVERSIONS: Dict[str, Callable[[Any], Any]] = {"int": int, "float": float, "str": str}


def binary(resolver: "Resolver", node: ast.BinOp, depth: int) -> Resolved:
    apply = _ARITHMETIC.get(type(node.op))
    if apply is None:
        return UNKNOWN
    left = resolver.resolve(node.left, depth + 1)
    if not isinstance(left, Value):
        return UNKNOWN
    right = resolver.resolve(node.right, depth + 1)
    if not isinstance(right, Value):
        return UNKNOWN
    origin = first_origin(left, right)
    if is_number(left.python) and is_number(right.python):
        if isinstance(node.op, ast.Pow) and abs(right.python) > 64:
            return UNKNOWN  # no giant integers from hostile input
        return Value(apply(left.python, right.python), node, resolver.span(node), origin=origin)
    if isinstance(node.op, ast.Add) and left.is_sequence and right.is_sequence \
            and type(left.python) is type(right.python):
        items = left.items + right.items
        return Value(type(left.python)(i.python for i in items), node, resolver.span(node),
                     kind=SEQUENCE, items=items, origin=origin)
    if isinstance(node.op, ast.Add) and isinstance(left.python, str) \
            and isinstance(right.python, str):
        return Value(left.python + right.python, node, resolver.span(node), origin=origin)
    if isinstance(node.op, ast.Div) and isinstance(left.python, str) \
            and isinstance(right.python, str) and right.python \
            and is_posix_path(left.python) and is_posix_path(right.python):
        # ``ROOT / "models"``: text cannot be divided, so the left side is a ``Path``
        return Value(str(PurePosixPath(left.python) / right.python), node, resolver.span(node),
                     origin=origin)
    return UNKNOWN


def formatted(resolver: "Resolver", node: ast.JoinedStr, depth: int) -> Resolved:
    """An f-string whose parts resolve to text or numbers, without format specs."""
    parts: List[str] = []
    pieces: List[Value] = []
    for part in node.values:
        if isinstance(part, ast.Constant) and isinstance(part.value, str):
            parts.append(part.value)
            continue
        if not isinstance(part, ast.FormattedValue) or part.format_spec is not None \
                or part.conversion not in (-1, ord("s")):
            return UNKNOWN
        value = resolver.resolve(part.value, depth + 1)
        if not isinstance(value, Value) or value.kind != SCALAR \
                or not isinstance(value.python, (str, int, float)):
            return UNKNOWN
        parts.append(str(value.python))
        pieces.append(value)
    return Value("".join(parts), node, resolver.span(node), origin=first_origin(*pieces))


def split(resolver: "Resolver", node: ast.Call, func: ast.Attribute, depth: int) -> Resolved:
    """``"a,b".split(",")`` / ``"a b".split()``: the parts, stripped."""
    text = resolver.resolve(func.value, depth + 1)
    if not isinstance(text, Value) or not isinstance(text.python, str):
        return UNKNOWN
    separator: Optional[str] = None
    if node.keywords or (node.args and isinstance(node.args[0], ast.Starred)):
        return UNKNOWN
    if node.args:
        sep_value = resolver.resolve(node.args[0], depth + 1)
        if not isinstance(sep_value, Value) or not isinstance(sep_value.python, str) \
                or not sep_value.python:
            return UNKNOWN
        separator = sep_value.python
    parts = [part.strip() for part in text.python.split(separator)]
    items = tuple(Value(part, text.node, text.span, origin=text.origin) for part in parts)
    return Value([i.python for i in items], node, resolver.span(node),
                 kind=SEQUENCE, items=items, origin=text.origin)


def conversion(resolver: "Resolver", node: ast.Call, kind: str, depth: int) -> Resolved:
    """``int("8")``, ``float(os.environ.get("LR", "2e-4"))``, ``str(16)``."""
    if len(node.args) != 1 or node.keywords or isinstance(node.args[0], ast.Starred):
        return UNKNOWN
    given = resolver.resolve(node.args[0], depth + 1)
    if not isinstance(given, Value) or given.kind != SCALAR \
            or not isinstance(given.python, (str, int, float)) or isinstance(given.python, bool):
        return UNKNOWN
    return Value(CONVERSIONS[kind](given.python), node, resolver.span(node), origin=given.origin)
