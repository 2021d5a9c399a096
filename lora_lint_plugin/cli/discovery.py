"""Which files ``lora-lint check PATH...`` looks at.

* Directories are walked recursively (entries sorted, so the order is deterministic) for
  ``.py``, ``.pyi`` and ``.ipynb`` files. Symlinked directories are not followed (no loops);
  symlinked files are read.
* Excludes: ``exclude`` (default ``config.DEFAULT_EXCLUDE``) plus ``extend-exclude`` of the
  configuration in force for each directory; a pattern without ``/`` matches any file or
  directory name, one with ``/`` the path relative to the project root. Files named on the
  command line are always checked, unless ``--force-exclude`` (for pre-commit, which passes
  every staged file) applies the excludes to them and their directories too.
* ``.gitignore``: a small matcher of our own rather than ``git ls-files``. Reasons: no
  subprocess per run, the same result with or without git installed, inside or outside a
  work tree, and for untracked files. It supports what real ``.gitignore`` files use: comments,
  ``!`` negation, trailing ``/`` (directories only), anchoring by a leading or inner ``/``,
  ``*``, ``?``, ``[...]`` and ``**``. Files are read from every directory walked and, inside a
  git work tree, from the work-tree root down to the walked directory, plus
  ``.git/info/exclude``. The global ``core.excludesFile`` is not read. Like excludes,
  ``.gitignore`` never filters a path named on the command line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, List, Optional, Sequence, Set, Tuple

from ..config.selection import glob_matches, glob_regex
from ..sources.files import NOTEBOOK_SUFFIX, PYTHON_SUFFIXES

if TYPE_CHECKING:  # pragma: no cover
    from ..config.pyproject import Config, ConfigResolver

__all__ = ["FoundFile", "find_files", "is_excluded", "GitIgnoreRule", "parse_gitignore"]

SUFFIXES = PYTHON_SUFFIXES + (NOTEBOOK_SUFFIX,)


@dataclass(frozen=True)
class FoundFile:
    """A file to check: ``path`` to open, ``display`` for reports, its ``config``.

    ``error`` is set for a named path that cannot be checked (missing, unreadable directory,
    symlink loop); the CLI reports it as that path's ``LOR000``.
    """

    path: str
    display: str
    config: "Config"
    error: Optional[str] = None


# -- excludes ------------------------------------------------------------------------------------

def is_excluded(path: str, config: "Config") -> bool:
    """Does an ``exclude`` pattern match ``path`` (its own name, or its path from the root)?"""
    return any(glob_matches(pattern, path, config.root) for pattern in config.exclude)


def _excluded_with_parents(path: str, config: "Config") -> bool:
    """``--force-exclude``: the path itself or one of its directories below the project root."""
    absolute = os.path.abspath(path)
    root = os.path.abspath(config.root)
    current = absolute
    while True:
        if is_excluded(current, config):
            return True
        parent = os.path.dirname(current)
        if parent == current or current == root or not _is_within(parent, root):
            return False
        current = parent


def _is_within(path: str, directory: str) -> bool:
    try:
        return os.path.commonpath([path, directory]) == directory
    except ValueError:  # different drives on Windows
        return False


# -- .gitignore ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class GitIgnoreRule:
    base: str  # absolute directory of the .gitignore file
    pattern: str
    negated: bool
    directory_only: bool
    anchored: bool

    def matches(self, absolute: str, is_dir: bool) -> bool:
        if self.directory_only and not is_dir:
            return False
        relative = os.path.relpath(absolute, self.base).replace(os.sep, "/")
        if relative == "." or relative == ".." or relative.startswith("../"):
            return False
        if self.anchored:
            return bool(glob_regex(self.pattern).match(relative))
        return bool(glob_regex(self.pattern).match(relative.rsplit("/", 1)[-1]))


def parse_gitignore(text: str, base: str) -> List[GitIgnoreRule]:
    rules = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        # trailing spaces are dropped unless escaped with a backslash
        line = line[:-2] + " " if line.endswith("\\ ") else line.rstrip(" \t")
        negated = line.startswith("!")
        if negated:
            line = line[1:]
        if line.startswith(("\\#", "\\!")):
            line = line[1:]
        directory_only = line.endswith("/")
        line = line.rstrip("/")
        if not line:
            continue
        if line.startswith("**/") and "/" not in line[3:]:
            line = line[3:]  # "**/foo" is "foo" at any depth
        anchored = "/" in line
        rules.append(GitIgnoreRule(os.path.abspath(base), line.lstrip("/"), negated,
                                   directory_only, anchored))
    return rules


def _read_gitignore(path: str, base: str) -> List[GitIgnoreRule]:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return parse_gitignore(handle.read(), base)
    except OSError:
        return []


def _gitignored(rules: Sequence[GitIgnoreRule], absolute: str, is_dir: bool) -> bool:
    ignored = False
    for rule in rules:  # the last matching rule decides; deeper files come later
        if rule.matches(absolute, is_dir):
            ignored = not rule.negated
    return ignored


def _work_tree_root(directory: str) -> Optional[str]:
    current = os.path.abspath(directory)
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def _inherited_rules(directory: str) -> List[GitIgnoreRule]:
    """Rules from the work-tree root down to (not including) ``directory``."""
    root = _work_tree_root(directory)
    if root is None:
        return []
    rules = _read_gitignore(os.path.join(root, ".git", "info", "exclude"), root)
    directory = os.path.abspath(directory)
    chain = []
    current = directory
    while current != root:
        current = os.path.dirname(current)
        chain.append(current)
    for ancestor in reversed(chain):
        rules.extend(_read_gitignore(os.path.join(ancestor, ".gitignore"), ancestor))
    return rules


# -- walking -------------------------------------------------------------------------------------

def find_files(paths: Sequence[str], resolver: "ConfigResolver",
               force_exclude: bool = False) -> List[FoundFile]:
    """Files to check for the paths given on the command line, each once, in a stable order."""
    found: List[FoundFile] = []
    seen: Set[str] = set()

    def add(item: FoundFile) -> None:
        key = os.path.normcase(os.path.abspath(item.path))
        if key not in seen:
            seen.add(key)
            found.append(item)

    for given in paths:
        display = os.path.normpath(given)
        try:
            is_dir = os.path.isdir(given)
            os.stat(given)
        except OSError as error:
            add(FoundFile(given, display, resolver.for_directory(os.getcwd()),
                          error=_os_reason(error)))
            continue
        config = resolver.for_path(given)
        if force_exclude and _excluded_with_parents(given, config):
            continue
        if not is_dir:
            add(FoundFile(given, display, config))
            continue
        rules = _inherited_rules(given) if config.respect_gitignore else []
        for item in _walk(given, resolver, rules, set()):
            add(item)
    return found


def _walk(directory: str, resolver: "ConfigResolver", rules: List[GitIgnoreRule],
          visited: Set[str]) -> List[FoundFile]:
    real = os.path.realpath(directory)
    if real in visited:  # a bind mount or similar loop
        return []
    visited.add(real)
    config = resolver.for_directory(directory)
    try:
        entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
    except OSError as error:
        return [FoundFile(directory, os.path.normpath(directory), config,
                          error=f"cannot read directory: {_os_reason(error)}")]
    if config.respect_gitignore:
        rules = rules + _read_gitignore(os.path.join(directory, ".gitignore"), directory)
    found: List[FoundFile] = []
    for entry in entries:
        path = os.path.join(directory, entry.name)
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
            is_file = not is_dir and entry.is_file()
        except OSError:
            continue
        if not (is_dir or (is_file and entry.name.lower().endswith(SUFFIXES))):
            continue
        if is_excluded(path, config):
            continue
        if config.respect_gitignore and _gitignored(rules, os.path.abspath(path), is_dir):
            continue
        if is_dir:
            found.extend(_walk(path, resolver, rules, visited))
        else:
            found.append(FoundFile(path, os.path.normpath(path), config))
    return found


def _os_reason(error: OSError) -> str:
    return error.strerror.lower() if error.strerror else str(error)


def split_paths(paths: Sequence[str]) -> Tuple[List[str], bool]:
    """(file system paths, whether ``-`` (stdin) was among them)."""
    return [p for p in paths if p != "-"], "-" in paths
