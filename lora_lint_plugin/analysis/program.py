"""Whether Unsloth may be active in a file because the program around it imports Unsloth.

Unsloth patches TRL's trainer and config classes when it is imported, and the patches hold for
the whole process. A module that never imports ``unsloth`` itself still runs with the patched
classes when the program imported Unsloth before: its entry point (``__main__.py``), its
package (``__init__.py``), or a helper it calls first (``from .model import load_model`` where
``model.py`` does ``from unsloth import FastLanguageModel``). A rule whose finding is false
under Unsloth's patches (LOR505) then cannot tell, and stays silent.

"Unsloth may be active" for the file at ``path`` when, read on disk and never imported:

* a local module the file imports (``import x.y``, ``from x.y import z``, ``from .y import z``,
  ``from . import y``; found from the file's directory or one above it, up to the repository
  root) imports ``unsloth`` anywhere in its text (one level: the imports of that module are not
  followed further). Unsloth patches by rebinding ``trl.SFTTrainer`` and the like, so a name
  the file bound with ``from trl import ...`` at module level stays TRL's own class unless
  Unsloth was imported before that line ran: when the file binds TRL names only that way, an
  import of ``unsloth`` inside a function of the helper (run when called, after the file's
  imports) does not count, only one at the helper's module level;
* the file is a module of a package (its directory holds ``__init__.py`` or ``__main__.py``)
  whose ``__init__.py`` or ``__main__.py`` imports ``unsloth``, or of an enclosing package whose
  ``__init__.py`` does.

Imports are found with line-based patterns, without parsing, and each module and directory is
read once per process. Nothing here runs unless a rule asks (after the prefilter let the file
through and the rule found something Unsloth would change).
"""

from __future__ import annotations

import functools
import os
import re
from typing import Iterator, List, Optional, Tuple

from ..sources.project import directories_up_to_root

__all__ = ["unsloth_may_be_active"]

MAX_PARENT_LEVELS = 4          # directories above the file's own searched for its modules
_MAX_MODULE_BYTES = 2_000_000

_IMPORTS_UNSLOTH = re.compile(
    r"(?m)^[ \t]*(?:from[ \t]+unsloth(?:_zoo)?\b|import[ \t]+(?:[\w.]+[ \t]*,[ \t]*)*unsloth(?:_zoo)?\b)")
# A function header: an import in its body runs when the function is called.
_DEF_HEADER = re.compile(r"[ \t]*(?:async[ \t]+)?def\b")
# ``from trl... import`` at module level binds TRL's classes when the file is imported.
_FROM_TRL_AT_TOP = re.compile(r"(?m)^from[ \t]+trl(?:\.[\w.]+)?[ \t]+import\b")
# Any other TRL import: ``import trl`` (looked up at call time) or one inside a function.
_OTHER_TRL_IMPORT = re.compile(r"(?m)^(?:import[ \t]+trl\b|[ \t]+(?:from[ \t]+trl\b|import[ \t]+trl\b))")
_FROM_IMPORT = re.compile(r"(?m)^[ \t]*from[ \t]+(?P<dots>\.*)(?P<module>[\w.]*)[ \t]+import[ \t]+"
                          r"\(?(?P<names>[\w \t,]*)")
_IMPORT = re.compile(r"(?m)^[ \t]*import[ \t]+(?P<modules>[\w.]+(?:[ \t]*(?:,|as)[ \t]*[\w.]+)*)")


def unsloth_may_be_active(path: Optional[str], text: str) -> bool:
    """Whether the program the file at ``path`` (holding ``text``) belongs to may import
    Unsloth before the file's code runs (see the module docstring). False without a path."""
    if path is None or not os.path.isfile(path):
        return False
    path = os.path.abspath(path)
    directory = os.path.dirname(path)
    if not path.endswith(".ipynb") and _package_imports_unsloth(directory):
        return True
    at_top_only = _binds_trl_names_at_import(text)
    return any(candidate != path and _module_imports_unsloth(candidate, at_top_only)
               for candidate in _local_modules(directory, text))


def _binds_trl_names_at_import(text: str) -> bool:
    """The file takes TRL's classes only through module-level ``from trl ... import`` lines:
    bound when it is imported, before any function of a helper can import Unsloth."""
    return "trl" in text and _FROM_TRL_AT_TOP.search(text) is not None \
        and _OTHER_TRL_IMPORT.search(text) is None


def _local_modules(directory: str, text: str) -> Iterator[str]:
    """The files on disk that the imports in ``text`` may name."""
    for dotted, level in _imported_names(text):
        for base in _bases(directory, level):
            yield from _module_files(base, dotted)


def _imported_names(text: str) -> List[Tuple[str, int]]:
    """(dotted module, relative level) for every import in ``text``; ``from . import y`` and
    ``from x import y`` also give ``y`` / ``x.y``, which may be submodules."""
    found: List[Tuple[str, int]] = []
    for match in _FROM_IMPORT.finditer(text):
        level, module = len(match.group("dots")), match.group("module")
        if module:
            found.append((module, level))
        names = [part.split()[0] for part in match.group("names").split(",") if part.split()]
        found.extend((f"{module}.{name}" if module else name, level) for name in names)
    for match in _IMPORT.finditer(text):
        for part in match.group("modules").split(","):
            words = part.split()
            if words:
                found.append((words[0], 0))
    return found


def _bases(directory: str, level: int) -> Iterator[str]:
    """Where a module of that relative ``level`` is looked for (0: absolute, every directory
    from the file's up to the repository root)."""
    if level:
        base = directory
        for _ in range(level - 1):
            base = os.path.dirname(base)
        yield base
        return
    yield from directories_up_to_root(directory, MAX_PARENT_LEVELS)


def _module_files(base: str, dotted: str) -> Iterator[str]:
    relative = os.path.join(base, *dotted.split("."))
    yield relative + ".py"
    yield os.path.join(relative, "__init__.py")


def _package_imports_unsloth(directory: str) -> bool:
    """The file's package runs Unsloth's import first: its ``__init__.py`` / ``__main__.py``,
    or the ``__init__.py`` of an enclosing package."""
    current = directory
    entry_points: Tuple[str, ...] = ("__init__.py", "__main__.py")
    for _ in range(MAX_PARENT_LEVELS + 1):
        files = [os.path.join(current, name) for name in entry_points]
        if not any(os.path.isfile(file) for file in files):
            return False
        if any(_module_imports_unsloth(file) for file in files):
            return True
        entry_points = ("__init__.py",)   # importing a subpackage runs its parents' __init__ only
        parent = os.path.dirname(current)
        if parent == current:
            return False
        current = parent
    return False


def _module_imports_unsloth(path: str, at_top_only: bool = False) -> bool:
    """Whether the Python file at ``path`` has an ``import unsloth`` / ``from unsloth ...``
    statement (``at_top_only``: at module level); a missing or unreadable file: False."""
    anywhere, at_top = _unsloth_imports(path)
    return at_top if at_top_only else anywhere


@functools.lru_cache(maxsize=2048)
def _unsloth_imports(path: str) -> Tuple[bool, bool]:
    """(imports unsloth anywhere, imports it at module level), read once per process."""
    try:
        if not os.path.isfile(path) or os.path.getsize(path) > _MAX_MODULE_BYTES:
            return False, False
        with open(path, "rb") as handle:
            text = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return False, False
    matches = list(_IMPORTS_UNSLOTH.finditer(text)) if "unsloth" in text else []
    if not matches:
        return False, False
    lines = text.splitlines()
    return True, any(not _inside_function(lines, text.count("\n", 0, match.start()))
                     for match in matches)


def _inside_function(lines: List[str], index: int) -> bool:
    """Whether line ``index`` sits in the body of a ``def`` (runs when called, not on import):
    some less indented line above it, before one at column 0, is a ``def`` header."""
    indent = _indentation(lines[index])
    for line in reversed(lines[:index]):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        current = _indentation(line)
        if current < indent:
            if _DEF_HEADER.match(line):
                return True
            indent = current
            if current == 0:
                return False
    return False


def _indentation(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))
