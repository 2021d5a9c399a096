"""The flake8 plugin: a thin adapter between flake8 and the analysis engine.

flake8 ends the whole run (every file's results lost) if a plugin raises, so ``run`` turns
every failure into at most one ``LOR000`` diagnostic on line 1. The plugin reuses the lines
flake8 already decoded (no second read of the file), yields 0-based character columns (flake8
adds 1) and leaves selection, ``# noqa`` and ``per-file-ignores`` to flake8.
"""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, Any, ClassVar, Dict, Iterator, Optional, Sequence, Tuple

from . import __version__
from .config.settings import (
    DEFAULT_LONG_CONTEXT,
    Settings,
    parse_flag,
    parse_memory_size,
    parse_token_count,
)

if TYPE_CHECKING:
    from .analysis.versions import LibraryVersions

Report = Tuple[int, int, str, type]

OPT_IN_PREFIXES = ["LOR9"]


class LoraLintPlugin:
    """flake8 entry point ``LOR``."""

    name = "lora-lint-plugin"
    version = __version__

    settings: ClassVar[Settings] = Settings()
    options_error: ClassVar[Optional[str]] = None
    config_options: ClassVar[Any] = None

    def __init__(self, tree: Any, lines: Sequence[str], filename: str = "stdin") -> None:
        # ``tree`` (flake8's ``ast``) feeds the engine's candidate-call gate: no second parse.
        self.tree = tree
        self.lines = lines
        self.filename = filename

    @classmethod
    def add_options(cls, option_manager: Any) -> None:
        option_manager.add_option(
            # parsed by us, not argparse: a bad value in a config file would be a traceback
            "--lora-lint-long-context", default=None, parse_from_config=True,
            metavar="TOKENS",
            help="lora-lint: sequence length from which LOR401/LOR402 apply "
                 f"(default {DEFAULT_LONG_CONTEXT}).")
        option_manager.add_option(
            "--lora-lint-gpu-memory", default=None, parse_from_config=True, metavar="SIZE",
            help="lora-lint: GPU memory budget for LOR403, e.g. 24GiB or 80GB (default: off).")
        option_manager.add_option(
            "--lora-lint-resolve-defaults", default=None, parse_from_config=True,
            metavar="BOOL",
            help="lora-lint: read argparse/dataclass/class/environment defaults as values "
                 "(true or false; default true).")
        option_manager.add_option(
            "--lora-lint-hf-cache", default=None, parse_from_config=True, metavar="BOOL",
            help="lora-lint: read models' config.json from local model directories and the "
                 "Hugging Face cache (true or false; default: true).")
        option_manager.add_option(
            "--lora-lint-hub", default=None, parse_from_config=True, metavar="BOOL",
            help="lora-lint: fetch a model's config.json from the Hugging Face Hub when it is "
                 "not on disk (true or false; default: false; needs huggingface_hub).")
        option_manager.extend_default_ignore(OPT_IN_PREFIXES)

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        cls.config_options = options
        cls.options_error = None
        try:
            cls.settings = settings_from_flake8_options(options)
        except ValueError as error:
            cls.settings = Settings()
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
        from .analysis.engine import analyse_source
        from .analysis.prefilter import might_contain_training_code

        source = "".join(self.lines)
        if not might_contain_training_code(source):
            return  # the common case: no LoRA code; nothing else is paid for this file
        from .config.pyproject import ConfigError, flake8_settings

        try:  # the TOML's long-context/gpu-memory, under flake8's own --lora-lint-* options
            settings = flake8_settings(self.filename, self.config_options)
        except ConfigError as error:
            yield 1, 0, f"LOR000 lora-lint configuration error: {error}", type(self)
            return
        analysis = analyse_source(source, settings, tree=self.tree, versions=self._versions)
        if analysis.error is not None:
            yield 1, 0, f"LOR000 lora-lint could not analyse this file: {analysis.error}", \
                type(self)
            return
        for diagnostic in analysis.diagnostics:
            yield diagnostic.line, diagnostic.col, f"{diagnostic.code} {diagnostic.message}", \
                type(self)


def settings_from_flake8_options(options: argparse.Namespace) -> Settings:
    """Settings from flake8's merged command line and ``[flake8]`` config."""
    values: Dict[str, Any] = {}
    long_context = getattr(options, "lora_lint_long_context", None)
    if long_context is not None:
        values["long_context"] = parse_token_count(long_context)
    gpu_memory = getattr(options, "lora_lint_gpu_memory", None)
    if gpu_memory:
        values["gpu_memory"] = parse_memory_size(gpu_memory)
    resolve_defaults = getattr(options, "lora_lint_resolve_defaults", None)
    if resolve_defaults is not None:
        values["resolve_defaults"] = parse_flag(resolve_defaults, "--lora-lint-resolve-defaults")
    hf_cache = getattr(options, "lora_lint_hf_cache", None)
    if hf_cache is not None:
        values["hf_cache"] = parse_flag(hf_cache, "--lora-lint-hf-cache")
    hub = getattr(options, "lora_lint_hub", None)
    if hub is not None:
        values["hub"] = parse_flag(hub, "--lora-lint-hub")
    return Settings(**values)
