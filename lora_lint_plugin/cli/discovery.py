"""Which files ``lora-lint check PATH...`` looks at.

* Directories are walked recursively (entries sorted, so the order is deterministic) for
  ``.py``, ``.pyi``, ``.ipynb``, ``.yml`` and ``.yaml`` files (a YAML file is analysed only when
  its keys identify a trainer config). Symlinked directories are not followed (no loops);
  symlinked files are read.
* Excludes: ``exclude`` (default ``config.DEFAULT_EXCLUDE``) plus ``extend-exclude`` of the
  configuration in force for each directory; a pattern without ``/`` matches any file or
  directory name, one with ``/`` the path relative to the project root. Files named on the
  command line are always checked, unless ``--force-exclude`` (for pre-commit, which passes
  every staged file) applies the excludes to them and their directories too.
* ``.gitignore``: matched with pathspec's ``GitIgnoreSpec`` (git's own pattern rules) rather
  than ``git ls-files``: no subprocess per run, the same result with or without git installed,
  inside or outside a work tree, and for untracked files. Files are read from every directory
  walked and, inside a git work tree, from the work-tree root down to the walked directory,
  plus ``.git/info/exclude``; a deeper file's matching pattern overrides an outer one's. The
  global ``core.excludesFile`` is not read. Like excludes, ``.gitignore`` never filters a path
  named on the command line.
"""

from __future__ import annotations

import os

import pathspec
from typing import TYPE_CHECKING, List, Optional, Sequence, Set, Tuple

from ..config.selection import glob_matches
from ..fast_dataclass import dataclass
from ..sources.files import NOTEBOOK_SUFFIX, PYTHON_SUFFIXES, YAML_SUFFIXES

if TYPE_CHECKING:  # pragma: no cover
    from ..config.pyproject import Config, ConfigResolver

__all__ = ["FoundFile", "find_files", "is_excluded", "GitIgnoreFile", "parse_gitignore"]

SUFFIXES = PYTHON_SUFFIXES + (NOTEBOOK_SUFFIX,) + YAML_SUFFIXES


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


def excluded_with_parents(path: str, config: "Config") -> bool:
    """``--force-exclude`` (and the language server): the path itself or one of its directories
    below the project root."""
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
class GitIgnoreFile:
    """The patterns of one ``.gitignore`` (or ``info/exclude``) and the directory they apply to."""

    base: str  # absolute directory of the file
    spec: pathspec.GitIgnoreSpec

    def decision(self, absolute: str, is_dir: bool) -> Optional[bool]:
        """True: ignored; False: re-included by a ``!`` pattern; None: no pattern matches."""
        relative = os.path.relpath(absolute, self.base).replace(os.sep, "/")
        if relative in (".", "..") or relative.startswith("../"):
            return None
        return self.spec.check_file(relative + "/" if is_dir else relative).include


def parse_gitignore(text: str, base: str) -> List[GitIgnoreFile]:
    return [GitIgnoreFile(os.path.abspath(base), pathspec.GitIgnoreSpec.from_lines(text.splitlines()))]


def _read_gitignore(path: str, base: str) -> List[GitIgnoreFile]:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return parse_gitignore(handle.read(), base)
    except OSError:
        return []


def _gitignored(files: Sequence[GitIgnoreFile], absolute: str, is_dir: bool) -> bool:
    ignored = False
    for ignore_file in files:  # outermost first: a deeper file's matching pattern decides
        decision = ignore_file.decision(absolute, is_dir)
        if decision is not None:
            ignored = decision
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


def _inherited_rules(directory: str) -> List[GitIgnoreFile]:
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
        if force_exclude and excluded_with_parents(given, config):
            continue
        if not is_dir:
            add(FoundFile(given, display, config))
            continue
        rules = _inherited_rules(given) if config.respect_gitignore else []
        for item in _walk(given, resolver, rules, set()):
            add(item)
    return found


def _walk(directory: str, resolver: "ConfigResolver", rules: List[GitIgnoreFile],
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
