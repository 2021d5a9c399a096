"""The flake8 plugin: a thin adapter between flake8 and the analysis engine.

flake8 ends the whole run (every file's results lost) if a plugin raises, so ``run`` turns
every failure into at most one ``LOR000`` diagnostic on line 1. The plugin reuses the lines
flake8 already decoded (no second read of the file), yields 0-based character columns (flake8
adds 1) and leaves selection, ``# noqa`` and ``per-file-ignores`` to flake8.
"""

from __future__ import annotations

import argparse
import importlib
import os
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Dict, Iterator, Optional, Sequence, Tuple

from . import __version__
from .config.options import SETTING_SPECS

if TYPE_CHECKING:
    from typing_extensions import TypeAlias

    from .analysis.versions import LibraryVersions

Report: TypeAlias = "Tuple[int, int, str, type]"  # a string: mypy reads it, the import does not build it

OPT_IN_PREFIXES = ["LOR9"]


class LoraLintPlugin:
    """flake8 entry point ``LOR``."""

    name = "lora-lint-plugin"
    version = __version__

    options_error: ClassVar[Optional[str]] = None
    config_options: ClassVar[Any] = None
    # flake8's own verdict on which codes it reports at all (None: run every rule)
    reported: ClassVar[Optional[Callable[[str], bool]]] = None

    def __init__(self, tree: Any, lines: Sequence[str], filename: str = "stdin") -> None:
        # ``tree`` (flake8's ``ast``) feeds the engine's candidate-call gate: no second parse.
        self.tree = tree
        self.lines = lines
        self.filename = filename

    @classmethod
    def add_options(cls, option_manager: Any) -> None:
        for spec in SETTING_SPECS:
            # parsed by us, not argparse: a bad value in a config file would be a traceback
            option_manager.add_option(spec.flake8_option, default=None, parse_from_config=True,
                                      metavar=spec.metavar, help=f"lora-lint: {spec.help}.")
        option_manager.extend_default_ignore(OPT_IN_PREFIXES)

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        from .config.options import flake8_layer  # not pyproject: most files never need a TOML read

        cls.config_options = options
        cls.reported = flake8_reports(options)
        cls.options_error = None
        try:  # checked once here; each file's settings layer its [tool.lora-lint] under them
            flake8_layer(options)
        except ValueError as error:
            cls.options_error = str(error)

    def run(self) -> Iterator[Report]:
        try:
            yield from self._run()
        except Exception as error:  # never let one file end the user's flake8 run
            yield 1, 0, f"LOR000 lora-lint failed on this file ({type(error).__name__}: " \
                        f"{error}); please report it", type(self)

    def _versions(self) -> "LibraryVersions":
        """The pins of the project around the file (read only when a rule asks)."""
        from .analysis.versions import library_versions

        return library_versions(self.filename if os.path.isfile(self.filename) else None)

    def _run(self) -> Iterator[Report]:
        if self.filename.endswith(".ipynb"):
            return  # flake8 would hand us the notebook's JSON; `lora-lint check` reads notebooks
        if self.options_error is not None:
            yield 1, 0, f"LOR000 lora-lint configuration error: {self.options_error}", type(self)
            return
        from .analysis.text_prefilter import might_contain_training_code

        source = "".join(self.lines)
        if not might_contain_training_code(source):
            return  # the common case: no LoRA code; nothing else is loaded for this file
        from .bytecode import load_check_path

        load_check_path()   # the modules every file needs, in one step (and the next process too)
        from .analysis.engine import analyse_source, collector_paused
        from .config.discovery import ConfigError, flake8_settings

        try:  # the TOML's long-context/gpu-memory, under flake8's own --lora-lint-* options
            settings = flake8_settings(self.filename, self.config_options)
        except ConfigError as error:
            yield 1, 0, f"LOR000 lora-lint configuration error: {error}", type(self)
            return
        path = self.filename if os.path.isfile(self.filename) else None
        with collector_paused():   # and resumed once the analysis's objects are freed
            analysis = analyse_source(source, settings, rule_filter=type(self).reported,
                                      tree=self.tree, versions=self._versions, path=path,
                                      prefiltered=True)
            failure, diagnostics = analysis.error, analysis.diagnostics
            del analysis
        if failure is not None:
            yield 1, 0, f"LOR000 lora-lint could not analyse this file: {failure}", type(self)
            return
        for diagnostic in diagnostics:
            yield diagnostic.line, diagnostic.col, f"{diagnostic.code} {diagnostic.message}", \
                type(self)


def flake8_reports(options: argparse.Namespace) -> Optional[Callable[[str], bool]]:
    """Would flake8 report ``code`` on some file? Its ``DecisionEngine`` decides from
    ``select``/``ignore`` and their ``extend-`` forms; ``per-file-ignores`` and ``# noqa`` can
    only drop more. A rule whose code flake8 drops everywhere (the opt-in LOR9xx unless
    selected, a code the user ignores) is not run. None (run every rule) when flake8's API
    is not the one this was written against."""
    try:
        style_guide: Any = importlib.import_module("flake8.style_guide")  # flake8 has no types
        engine = style_guide.DecisionEngine(options)
        selected = style_guide.Decision.Selected
        engine.decision_for("LOR101")
    except Exception:  # another flake8 version: run everything, flake8 still filters
        return None
    decisions: Dict[str, bool] = {}

    def reported(code: str) -> bool:
        if code not in decisions:
            decisions[code] = engine.decision_for(code) is selected
        return decisions[code]

    return reported
