"""Finding ``[tool.lora-lint]``: the nearest ``pyproject.toml`` that has the table, and flake8 mode.

Discovery is ruff's: for a file, the nearest ``pyproject.toml`` *that has the table*, walking
up from the file's directory to the filesystem root; tables are never merged. Lookups are
memoised per directory, so a run over thousands of files reads each ``pyproject.toml`` once.

flake8 runs the plugin in a fresh process on every save in many editors, and most projects'
``pyproject.toml`` never mention lora-lint: this module reads such a file as bytes and looks
for the table's name, and imports ``pyproject.py`` (validation, the CLI's layers, the TOML
parser) only for a file that may define the table.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

from .options import flake8_layer
from .settings import Settings, layered_settings

if TYPE_CHECKING:  # pragma: no cover
    from .pyproject import FileConfig

TABLE = "lora-lint"
PYPROJECT = "pyproject.toml"


class ConfigError(ValueError):
    """A configuration file or value that cannot be used; ``str()`` is a one-line message."""


def may_hold_table(content: bytes) -> bool:
    """Could this TOML define ``[tool.lora-lint]``? False only when it certainly does not: it
    never names ``lora-lint``, or only elsewhere than under ``tool`` (the dependency
    ``"lora-lint-plugin"``, the ``lora-lint`` script) and has no ``[tool]`` table or ``tool =``."""
    name = TABLE.encode()
    if name not in content:
        return False
    # The pattern ``tool["']?[ \t]*\.[ \t]*["']?lora-lint`` (anywhere), or a line
    # ``^[ \t]*\[[ \t]*["']?tool["']?[ \t]*\]`` or ``^[ \t]*["']?tool["']?[ \t]*=``, as string
    # tests: compiling it cost ~1.5 M instructions, in every flake8 process of a project whose
    # pyproject.toml names lora-lint (tests/test_text_scans.py compares the two).
    found = content.find(name)
    while found >= 0:
        before = _skip_back(content, _skip_back(content, found, _QUOTE_BYTES, 1), _BLANK_BYTES)
        if before > 0 and content[before - 1:before] == b".":
            before = _skip_back(content, _skip_back(content, before - 1, _BLANK_BYTES), _QUOTE_BYTES, 1)
            if content.endswith(b"tool", 0, before):
                return True
        found = content.find(name, found + 1)
    found = content.find(b"tool")
    while found >= 0:
        head = content[content.rfind(b"\n", 0, found) + 1:found].lstrip(b" \t")
        table = head[:1] == b"["
        if table:
            head = head[1:].lstrip(b" \t")
        if head == b"" or len(head) == 1 and head in _QUOTE_BYTES:
            after = _skip(content, _skip(content, found + 4, _QUOTE_BYTES, 1), _BLANK_BYTES)
            if content[after:after + 1] == (b"]" if table else b"="):
                return True
        found = content.find(b"tool", found + 1)
    return False


_QUOTE_BYTES = b"\"'"
_BLANK_BYTES = b" \t"


def _skip_back(content: bytes, end: int, characters: bytes, most: int = -1) -> int:
    """Where a run of ``characters`` (at most ``most`` of them; -1: any number) ending at
    ``end`` starts."""
    while end > 0 and most != 0 and content[end - 1] in characters:
        end -= 1
        most -= 1
    return end


def _skip(content: bytes, start: int, characters: bytes, most: int = -1) -> int:
    """Where a run of ``characters`` (at most ``most`` of them) starting at ``start`` ends."""
    while start < len(content) and most != 0 and content[start] in characters:
        start += 1
        most -= 1
    return start


class Discovery:
    """Nearest ``pyproject.toml`` with the table, memoised per directory (per process).
    ``parse_without_table`` False (flake8 mode): a file that cannot define the table is not
    parsed (its TOML errors are not ours)."""

    def __init__(self, parse_without_table: bool = True) -> None:
        self._by_directory: Dict[str, Optional[FileConfig]] = {}
        self._parse_without_table = parse_without_table

    def nearest(self, directory: str) -> Optional[FileConfig]:
        """The table of the nearest file that has one; None when no file up to the root has."""
        directory = os.path.abspath(directory)
        if directory in self._by_directory:
            return self._by_directory[directory]
        visited: List[str] = []
        current = directory
        result: Optional[FileConfig] = None
        while True:
            if current in self._by_directory:
                result = self._by_directory[current]
                break
            visited.append(current)
            candidate = os.path.join(current, PYPROJECT)
            if os.path.isfile(candidate):
                result = self._load(candidate)
                if result is not None:
                    break
            parent = os.path.dirname(current)
            if parent == current:  # filesystem root
                break
            current = parent
        for seen in visited:
            self._by_directory[seen] = result
        return result

    def _load(self, path: str) -> Optional[FileConfig]:
        if not self._parse_without_table:
            try:
                with open(path, "rb") as handle:
                    content = handle.read()
            except OSError as error:
                raise ConfigError(f"cannot read {os.path.abspath(path)}: {error.strerror or error}") from None
            if not may_hold_table(content):
                return None  # most projects' pyproject.toml: nothing more imported, read or parsed
        from .pyproject import load_config_file

        return load_config_file(path, require_table=False, parse_without_table=self._parse_without_table)


_FLAKE8_DISCOVERY = Discovery(parse_without_table=False)


def flake8_isolated(options: Any, argv: Optional[Sequence[str]] = None) -> bool:
    """Did flake8 run with ``--isolated``?

    flake8 7 consumes ``--isolated`` in its preliminary parser, so the final options always
    say False; the command line is the only witness (also in spawned ``--jobs`` workers, which
    receive the parent's ``sys.argv``). argparse accepts unambiguous abbreviations.
    """
    if getattr(options, "isolated", False):
        return True
    args = sys.argv[1:] if argv is None else argv
    return any(len(arg) >= 5 and "--isolated".startswith(arg) for arg in args)


def flake8_settings(filename: str, options: Any = None) -> Settings:
    """Rule settings for one file in flake8 mode: ``[tool.lora-lint]``, then flake8's options.

    Keyed on the file's directory (the display name's for stdin when it exists, else the
    current directory). Skips configuration files when flake8 runs with ``--isolated``. Raises
    ``ConfigError``; flake8's ``--lora-lint-*`` options (already validated by the plugin)
    override the TOML values.
    """
    file_config = None
    if not flake8_isolated(options):
        directory = os.path.dirname(os.path.abspath(filename)) if filename not in ("stdin", "-") else ""
        if not directory or not os.path.isdir(directory):
            directory = os.getcwd()
        file_config = _FLAKE8_DISCOVERY.nearest(directory)
    # one Settings per table and flake8 run (the options object), not one per file
    if _LAYERED[0] is not options:
        _LAYERED[:] = [options, {}]
    known: Dict[int, Tuple[Optional[FileConfig], Settings]] = _LAYERED[1]
    made = known.get(id(file_config))
    if made is None or made[0] is not file_config:
        made = known[id(file_config)] = (file_config, layered_settings(
            file_config.settings if file_config is not None else (), flake8_layer(options)))
    return made[1]


# The options object of the flake8 run, and the Settings made under it, by the table's
# ``FileConfig`` (by ``id``, the table kept with them).
_LAYERED: List[Any] = [object(), {}]
