"""The configuration of an editor document: the nearest ``pyproject.toml`` with a
``[tool.lora-lint]`` table, found exactly as the CLI finds it (``config.pyproject``), and
found again when a ``pyproject.toml`` changes.

The CLI's resolver caches per directory for one run; a server lives for hours. Before each lint
the server compares the modification stamps of the ``pyproject.toml`` files from the
document's directory up to the root (a few ``stat`` calls) with those seen last time and starts
a fresh resolver when one changed, appeared or went away. ``workspace/didChangeWatchedFiles``
(when the client sends it) does the same at once.
"""

from __future__ import annotations

import os
from typing import Dict, FrozenSet, Tuple

from ..config.pyproject import PYPROJECT, Config, ConfigResolver

Stamps = Tuple[Tuple[str, int], ...]


def _config_stamps(directory: str) -> Stamps:
    """(path, mtime_ns) of every ``pyproject.toml`` from ``directory`` up to the root."""
    stamps = []
    current = os.path.abspath(directory)
    while True:
        candidate = os.path.join(current, PYPROJECT)
        try:
            stamps.append((candidate, os.stat(candidate).st_mtime_ns))
        except OSError:
            pass
        parent = os.path.dirname(current)
        if parent == current:
            return tuple(stamps)
        current = parent


def _directory_of(path: str) -> str:
    directory = os.path.dirname(os.path.abspath(path))
    return directory if os.path.isdir(directory) else os.getcwd()


class Configurations:
    """``Config`` per document path, reloaded when a ``pyproject.toml`` changes."""

    def __init__(self) -> None:
        self._resolver = ConfigResolver()
        self._stamps: Dict[str, Stamps] = {}
        self._enabled: Dict[Tuple[int, str], FrozenSet[str]] = {}

    def reload(self) -> None:
        self._resolver = ConfigResolver()
        self._stamps.clear()
        self._enabled.clear()

    def for_path(self, path: str) -> Config:
        """The document's ``Config``; raises ``ConfigError`` for a broken configuration file."""
        directory = _directory_of(path)
        stamps = _config_stamps(directory)
        if self._stamps.get(directory, stamps) != stamps:
            self.reload()
        self._stamps[directory] = stamps
        return self._resolver.for_directory(directory)

    def enabled_codes(self, config: Config, path: str) -> FrozenSet[str]:
        """The codes that run on ``path`` (selection and per-file ignores)."""
        key = (id(config), path)
        codes = self._enabled.get(key)
        if codes is None:
            from ..rules import all_rules

            codes = self._enabled[key] = config.selection.enabled_codes(all_rules(), path)
        return codes
