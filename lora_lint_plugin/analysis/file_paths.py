"""``os.path`` functions of paths (second tier, for the config files they name).

``os.path.join(os.path.dirname(os.path.abspath(__file__)), "config.json")``: the program names
a file next to itself. ``os.path.dirname``, ``abspath``, ``realpath`` and ``normpath`` compute
on the resolved text (``__file__`` and ``pathlib`` steps are the resolver's); ``abspath`` /
``realpath`` of a relative path depend on the working directory: unknown. Symbolic links are
not followed (the path as written, normalised).
"""

from __future__ import annotations

import ast
import posixpath
from typing import TYPE_CHECKING, Any, Optional

from .values import UNKNOWN, Resolved, Value

if TYPE_CHECKING:  # pragma: no cover
    from .resolve import Resolver


class FilePaths:
    """``os.path`` functions for one module, on behalf of its resolver."""

    def __init__(self, resolver: "Resolver", module_path: Optional[str]) -> None:
        self.resolver = resolver
        self.module_path = posixpath.normpath(module_path) if module_path and \
            posixpath.isabs(module_path) else None

    def os_path(self, node: ast.Call, name: str, depth: int) -> Resolved:
        """``os.path.dirname(p)``, ``abspath(p)``, ``realpath(p)``, ``normpath(p)``."""
        if len(node.args) != 1 or node.keywords or isinstance(node.args[0], ast.Starred):
            return UNKNOWN
        text = self._text(node.args[0], depth)
        if text is None:
            return UNKNOWN
        if name == "os.path.dirname":
            return self._located(posixpath.dirname(text.python), node, text)
        if name != "os.path.normpath" and not posixpath.isabs(text.python):
            return UNKNOWN
        return self._located(posixpath.normpath(text.python), node, text)

    def _text(self, node: ast.AST, depth: int) -> Optional[Value]:
        value = self.resolver.resolve(node, depth + 1)
        return value if isinstance(value, Value) and isinstance(value.python, str) else None

    def _located(self, text: str, node: Any, *parts: Value) -> Value:
        origin = next((part.origin for part in parts if part.origin is not None), None)
        return Value(text, node, self.resolver.span(node), origin=origin)
