"""Paths a program builds, for the resolver (``resolve.py``): ``Path("/models/x")`` as its
text, its ``.parent``, ``.parents[n]``, ``.resolve()`` and ``.expanduser()``,
``os.path.join(...)``, ``__file__``, and the repository a ``snapshot_download`` (or Kaggle
handle a ``kagglehub.model_download``) copies: its result is that model's local files.

Imported on first use: few training scripts build a model's path (1-3 % of the real-world
files), and a flake8 process started per save pays for every module it loads.
"""

from __future__ import annotations

import ast
import posixpath
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Callable, Optional, Tuple

from .values import UNKNOWN, Resolved, Value, first_origin

if TYPE_CHECKING:  # pragma: no cover
    from .resolve import Resolver


def is_posix_path(text: str) -> bool:
    """Text that reads the same as a POSIX path (no Windows separators or drives)."""
    return "\\" not in text and not (len(text) > 1 and text[1] == ":")


def parent(resolver: "Resolver", expression: ast.expr, depth: int) -> Optional[Resolved]:
    """``expression.parent``; None when ``expression`` is no known text."""
    return _path_step(resolver, expression, depth, lambda path: path.parent)


def ancestor(resolver: "Resolver", expression: ast.expr, level: int, depth: int) -> Resolved:
    """``expression.parents[level]``; UNKNOWN past the root (``IndexError`` at run time)."""
    def step(path: PurePosixPath) -> Optional[PurePosixPath]:
        parents = path.parents
        return parents[level] if level < len(parents) else None
    found = _path_step(resolver, expression, depth, step)
    return found if found is not None else UNKNOWN


def absolute(resolver: "Resolver", expression: ast.expr, depth: int) -> Optional[Resolved]:
    """``expression.resolve()``: an absolute path, normalised (``..`` folded); UNKNOWN for a
    relative one, which depends on the directory the program runs in."""
    def step(path: PurePosixPath) -> Optional[PurePosixPath]:
        if not path.is_absolute():
            return None
        return PurePosixPath(posixpath.normpath(str(path)))
    return _path_step(resolver, expression, depth, step)


def expanded(resolver: "Resolver", expression: ast.expr, depth: int) -> Optional[Resolved]:
    """``Path(x).expanduser()`` of a path without "~": the same path; None otherwise."""
    path = resolver.resolve(expression, depth + 1)
    if isinstance(path, Value) and isinstance(path.python, str) \
            and not path.python.startswith("~") and resolver.is_path(expression):
        return path
    return None


def _path_step(resolver: "Resolver", expression: ast.expr, depth: int,
               step: Callable[[PurePosixPath], Optional[PurePosixPath]]) -> Optional[Resolved]:
    """``step`` applied to the path ``expression`` resolves to (``.parent``,
    ``.parents[n]``, ``.resolve()``): only a ``Path`` has those, so a text value there is
    one. None when ``expression`` is no known text."""
    base = resolver.resolve(expression, depth + 1)
    if not isinstance(base, Value) or not isinstance(base.python, str) or not base.python \
            or not is_posix_path(base.python):
        return None
    found = step(PurePosixPath(base.python))
    if found is None:
        return UNKNOWN
    return Value(str(found), expression, resolver.span(expression), origin=base.origin)


def joined(resolver: "Resolver", node: ast.Call, depth: int) -> Resolved:
    """``os.path.join("configs", name)`` of resolved strings (POSIX separators)."""
    if node.keywords or not node.args or any(isinstance(a, ast.Starred) for a in node.args):
        return UNKNOWN
    parts = [resolver.resolve(given, depth + 1) for given in node.args]
    if not all(isinstance(part, Value) and isinstance(part.python, str) for part in parts):
        return UNKNOWN
    return Value(posixpath.join(*(part.python for part in parts)), node,  # type: ignore[union-attr]
                 resolver.span(node), origin=first_origin(*parts))


def path_text(resolver: "Resolver", node: ast.Call, depth: int) -> Resolved:
    """``Path("/models/llama-3")``: that path, as the string a loader is given (a
    ``PathLike`` loads the same as its text)."""
    if len(node.args) != 1 or node.keywords or isinstance(node.args[0], ast.Starred):
        return UNKNOWN
    text = resolver.resolve(node.args[0], depth + 1)
    if not isinstance(text, Value) or not isinstance(text.python, str) or not text.python:
        return UNKNOWN
    return Value(str(PurePosixPath(text.python)), node, resolver.span(node), origin=text.origin)


def snapshot_repository(resolver: "Resolver", node: ast.Call, depth: int,
                        keywords: Tuple[str, ...]) -> Resolved:
    """The repository id a ``snapshot_download`` copies (or the Kaggle handle,
    ``"google/vaultgemma/transformers/1b"``, ``kagglehub.model_download`` does): its result
    is that model's files."""
    given: Optional[ast.AST] = node.args[0] if node.args else None
    for keyword in node.keywords:
        if keyword.arg in keywords:
            given = keyword.value
    if given is None or isinstance(given, ast.Starred):
        return UNKNOWN
    repository = resolver.resolve(given, depth + 1)
    if isinstance(repository, Value) and isinstance(repository.python, str):
        return repository
    return UNKNOWN


def script_path(resolver: "Resolver", name: ast.Name) -> Resolved:
    """``__file__``: the path of the analysed script (a notebook has none, nor stdin)."""
    project = resolver.imports.project
    path = project.path if project is not None else None
    if path is None or not path.endswith(".py") or not is_posix_path(path):
        return UNKNOWN
    return Value(path, name, resolver.span(name))
