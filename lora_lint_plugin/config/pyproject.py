"""``[tool.lora-lint]`` in ``pyproject.toml``: discovery, validation, and the command-line layer.

Discovery (``discovery.py``) is ruff's: for a file, the nearest ``pyproject.toml`` *that has the
table*, walking up from the file's directory to the filesystem root; tables are never merged.
``--config PATH`` uses one file for everything, ``--isolated`` ignores configuration files.

Public API (used by the CLI, the flake8 plugin and ``estimate_command``):

* ``add_config_arguments(parser)``: ``--config``, ``--isolated``, ``--long-context``,
  ``--gpu-memory``, ``--[no-]hf-cache``, ``--[no-]hub``.
* ``resolve_config(args, paths) -> Config``: the configuration of the first of ``paths`` (the
  current directory when there is none), with the command-line values on top. ``Config.settings``
  is the ``settings.Settings`` the rules take.
* ``ConfigResolver(args).for_path(path) -> Config``: the same, per file (cached per directory).
* ``flake8_settings(filename, options) -> Settings`` (from ``discovery.py``, which imports this
  module only for a file that may define the table): the flake8 plugin's view: only the rule
  settings (``long-context``, ``gpu-memory``, ``hf-cache``, ``hub``) are read there; flake8's own
  ``--lora-lint-*`` options win. Selection keys are flake8's business in flake8 mode.

Every problem with a configuration file raises ``ConfigError`` with a one-line message (the CLI
exits 2 with it; the flake8 plugin turns it into one ``LOR000`` diagnostic).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional, Sequence, Tuple

from ..fast_dataclass import dataclass, field
from .discovery import PYPROJECT, TABLE, ConfigError, Discovery, flake8_settings, may_hold_table
from .options import SETTING_KEYS, SETTING_SPECS, SettingsLayer, parse_layer
from .settings import Settings, layered_settings

if TYPE_CHECKING:  # pragma: no cover
    from .selection import RuleSelection

__all__ = [
    "Config",
    "ConfigError",
    "ConfigResolver",
    "DEFAULT_EXCLUDE",
    "FileConfig",
    "add_config_arguments",
    "flake8_settings",
    "load_config_file",
    "resolve_config",
]

# Directories nobody wants linted (ruff's list, trimmed, plus notebook checkpoints). Matched
# against the name of every file and directory; ``exclude`` replaces this list.
DEFAULT_EXCLUDE: Tuple[str, ...] = (
    ".bzr", ".direnv", ".eggs", ".git", ".hg", ".ipynb_checkpoints", ".mypy_cache", ".nox",
    ".pytest_cache", ".ruff_cache", ".svn", ".tox", ".venv", "__pycache__", "__pypackages__",
    "_build", "buck-out", "build", "dist", "node_modules", "site-packages", "venv",
)

_LIST_KEYS = ("select", "ignore", "extend-select", "extend-ignore", "exclude", "extend-exclude")
KNOWN_KEYS = (*_LIST_KEYS, "per-file-ignores", "respect-gitignore", *SETTING_KEYS)


def _default_selection() -> RuleSelection:
    # config.selection is imported where codes are selected: never in flake8 mode (flake8 selects)
    from .selection import RuleSelection

    return RuleSelection()


@dataclass(frozen=True)
class FileConfig:
    """The validated ``[tool.lora-lint]`` table of one file (``path`` None: no file)."""

    path: Optional[str] = None
    select: Optional[Tuple[str, ...]] = None
    ignore: Optional[Tuple[str, ...]] = None
    extend_select: Tuple[str, ...] = ()
    extend_ignore: Tuple[str, ...] = ()
    per_file_ignores: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()
    exclude: Optional[Tuple[str, ...]] = None
    extend_exclude: Tuple[str, ...] = ()
    respect_gitignore: Optional[bool] = None
    settings: SettingsLayer = ()   # the rule settings the table sets

    @property
    def root(self) -> str:
        """The directory relative patterns (``exclude``, ``per-file-ignores``) start from."""
        return os.path.dirname(self.path) if self.path else os.getcwd()


@dataclass(frozen=True)
class Config:
    """Everything that decides how one file is checked: a file's table plus the command line."""

    settings: Settings = field(default_factory=Settings)
    selection: RuleSelection = field(default_factory=_default_selection)
    exclude: Tuple[str, ...] = DEFAULT_EXCLUDE
    root: str = field(default_factory=os.getcwd)
    respect_gitignore: bool = True
    path: Optional[str] = None  # the configuration file, if any


# -- reading one file ----------------------------------------------------------------------------

def load_config_file(path: str, *, require_table: bool = True,
                     parse_without_table: bool = True) -> Optional[FileConfig]:
    """Read and validate ``[tool.lora-lint]`` (or, for a non-pyproject file, its top level).

    Returns None when a ``pyproject.toml`` has no ``[tool.lora-lint]`` table and
    ``require_table`` is False; with ``parse_without_table`` False, also when the file does not
    mention ``lora-lint`` at all, without parsing it (flake8 mode: its TOML errors are not ours).
    """
    path = os.path.abspath(path)
    try:
        with open(path, "rb") as handle:
            content = handle.read()
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror or error}") from None
    if not parse_without_table and os.path.basename(path) == PYPROJECT and \
            not may_hold_table(content):
        return None  # most projects' pyproject.toml: no TOML parser imported and run per save
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.9/3.10 only
        import tomli as tomllib
    try:
        data = tomllib.loads(content.decode("utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"invalid TOML in {path}: {error}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"invalid TOML in {path}: not UTF-8") from None
    tool = data.get("tool")
    table = tool.get(TABLE) if isinstance(tool, dict) else None
    if table is None:
        if os.path.basename(path) == PYPROJECT:
            if require_table:
                raise ConfigError(f"{path} has no [tool.{TABLE}] table")
            return None
        table = data  # a dedicated file (e.g. lora-lint.toml) holds the keys at the top level
    if not isinstance(table, dict):
        raise ConfigError(f"[tool.{TABLE}] in {path} is not a table")
    return _validate(table, path)


def _validate(table: Mapping[str, Any], path: str) -> FileConfig:
    from .selection import SelectionError, parse_selectors  # see _default_selection

    where = f"[tool.{TABLE}] of {path}"
    for key in table:
        if key not in KNOWN_KEYS:
            import difflib  # only for this message: not imported on every flake8 run

            close = difflib.get_close_matches(str(key), KNOWN_KEYS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (known keys: {', '.join(KNOWN_KEYS)})"
            raise ConfigError(f"unknown key '{key}' in {where}{hint}")
    values: Dict[str, Any] = {"path": path}
    try:
        for key in _LIST_KEYS:
            if key in table:
                items = _string_list(table[key], key, where)
                if key in ("exclude", "extend-exclude"):
                    values[key.replace("-", "_")] = items
                else:
                    values[key.replace("-", "_")] = parse_selectors(items, f"'{key}' in {where}")
        if "per-file-ignores" in table:
            values["per_file_ignores"] = _per_file_ignores(table["per-file-ignores"], where)
    except SelectionError as error:
        raise ConfigError(str(error)) from None
    try:
        values["settings"] = parse_layer(table, where, from_toml=True)
    except ValueError as error:
        raise ConfigError(str(error)) from None
    if "respect-gitignore" in table:
        flag = table["respect-gitignore"]
        if not isinstance(flag, bool):
            raise ConfigError(f"'respect-gitignore' in {where} must be true or false")
        values["respect_gitignore"] = flag
    return FileConfig(**values)


def _string_list(value: Any, key: str, where: str) -> Tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"'{key}' in {where} must be a list of strings")
    return tuple(value)


def _per_file_ignores(value: Any, where: str) -> Tuple[Tuple[str, Tuple[str, ...]], ...]:
    from .selection import parse_selectors  # see _default_selection

    if not isinstance(value, dict):
        raise ConfigError(f"'per-file-ignores' in {where} must be a table of glob = [codes]")
    entries = []
    for pattern, codes in value.items():
        key = f"'per-file-ignores' entry '{pattern}' in {where}"
        if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
            raise ConfigError(f"{key} must be a list of codes")
        entries.append((pattern, parse_selectors(codes, key)))
    return tuple(entries)


# -- the command-line layer ----------------------------------------------------------------------

def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--config``, ``--isolated`` and one option per rule setting (``--long-context``, ...)."""
    group = parser.add_argument_group("configuration")
    group.add_argument("--config", metavar="PATH",
                       help="use this pyproject.toml (its [tool.lora-lint] table) or lora-lint "
                            "TOML file for every file, instead of discovering one per directory")
    group.add_argument("--isolated", action="store_true",
                       help="ignore all configuration files")
    for spec in SETTING_SPECS:
        if spec.is_switch:
            group.add_argument(f"--{spec.key}", dest=spec.field, default=None,
                               action=argparse.BooleanOptionalAction, help=spec.help)
        else:
            group.add_argument(f"--{spec.key}", dest=spec.field, metavar=spec.metavar,
                               help=spec.help)


@dataclass(frozen=True)
class CommandLine:
    """The configuration-relevant command-line values (all optional)."""

    config: Optional[str] = None
    isolated: bool = False
    settings: SettingsLayer = ()
    select: Optional[Tuple[str, ...]] = None
    ignore: Optional[Tuple[str, ...]] = None
    extend_select: Tuple[str, ...] = ()
    extend_ignore: Tuple[str, ...] = ()
    exclude: Optional[Tuple[str, ...]] = None
    extend_exclude: Tuple[str, ...] = ()
    respect_gitignore: Optional[bool] = None


def command_line_from_args(args: argparse.Namespace) -> CommandLine:
    """Validate the parsed arguments; ConfigError on a bad value. Missing attributes are fine."""
    from .selection import SelectionError, parse_selectors  # see _default_selection

    def selectors(name: str, flag: str) -> Optional[Tuple[str, ...]]:
        values = getattr(args, name, None)
        if values is None:
            return None
        try:
            return parse_selectors(values, flag)
        except SelectionError as error:
            raise ConfigError(str(error)) from None

    def patterns(name: str) -> Optional[Tuple[str, ...]]:
        values = getattr(args, name, None)
        if values is None:
            return None
        return tuple(part.strip() for value in values for part in value.split(",") if part.strip())

    try:
        settings = parse_layer({spec.key: getattr(args, spec.field, None) for spec in SETTING_SPECS},
                               "the command line")
    except ValueError as error:
        raise ConfigError(str(error)) from None
    config_path = getattr(args, "config", None)
    if config_path is not None and not os.path.isfile(config_path):
        raise ConfigError(f"--config {config_path}: no such file")
    return CommandLine(
        config=config_path,
        isolated=bool(getattr(args, "isolated", False)),
        settings=settings,
        select=selectors("select", "--select"),
        ignore=selectors("ignore", "--ignore"),
        extend_select=selectors("extend_select", "--extend-select") or (),
        extend_ignore=selectors("extend_ignore", "--extend-ignore") or (),
        exclude=patterns("exclude"),
        extend_exclude=patterns("extend_exclude") or (),
        respect_gitignore=getattr(args, "respect_gitignore", None),
    )


def combine(file_config: FileConfig, cli: CommandLine) -> Config:
    """The command line on top of a file's table.

    ``--select``/``--ignore``/``--exclude`` replace the file's ``select``/``ignore``/``exclude``;
    the ``--extend-*`` options add to the file's ``extend-*`` lists; rule settings given on the
    command line win over the file's.
    """
    from .selection import RuleSelection  # see _default_selection

    settings = layered_settings(file_config.settings, cli.settings)
    root = file_config.root
    selection = RuleSelection(
        select=cli.select if cli.select is not None else file_config.select,
        ignore=cli.ignore if cli.ignore is not None else (file_config.ignore or ()),
        extend_select=file_config.extend_select + cli.extend_select,
        extend_ignore=file_config.extend_ignore + cli.extend_ignore,
        per_file_ignores=file_config.per_file_ignores,
        root=root,
    )
    exclude = cli.exclude if cli.exclude is not None else file_config.exclude
    if exclude is None:
        exclude = DEFAULT_EXCLUDE
    respect = cli.respect_gitignore
    if respect is None:
        respect = file_config.respect_gitignore if file_config.respect_gitignore is not None else True
    return Config(
        settings=settings,
        selection=selection,
        exclude=tuple(exclude) + file_config.extend_exclude + cli.extend_exclude,
        root=root,
        respect_gitignore=respect,
        path=file_config.path,
    )


class ConfigResolver:
    """The ``Config`` of any path: ``--config``/``--isolated`` or discovery, plus the command line."""

    def __init__(self, args: Optional[argparse.Namespace] = None,
                 command_line: Optional[CommandLine] = None) -> None:
        self.command_line = command_line if command_line is not None else (
            command_line_from_args(args) if args is not None else CommandLine())
        self._discovery = Discovery()
        self._fixed: Optional[Config] = None
        cli = self.command_line
        if cli.config is not None:
            file_config = load_config_file(cli.config)
            assert file_config is not None  # require_table: a missing table raised ConfigError
            self._fixed = combine(file_config, cli)
        elif cli.isolated:
            self._fixed = combine(FileConfig(), cli)
        self._by_file_config: Dict[Optional[str], Config] = {}

    def for_directory(self, directory: str) -> Config:
        if self._fixed is not None:
            return self._fixed
        file_config = self._discovery.nearest(directory) or FileConfig()
        config = self._by_file_config.get(file_config.path)
        if config is None:
            config = combine(file_config, self.command_line)
            self._by_file_config[file_config.path] = config
        return config

    def for_path(self, path: str) -> Config:
        """Config for a file or directory path (a directory's own config, a file's directory's)."""
        absolute = os.path.abspath(path)
        directory = absolute if os.path.isdir(absolute) else os.path.dirname(absolute)
        if not os.path.isdir(directory):  # e.g. a --stdin-filename that does not exist
            directory = os.getcwd()
        return self.for_directory(directory)


def resolve_config(args: argparse.Namespace, paths: Sequence[str] = ()) -> Config:
    """The configuration for ``paths[0]`` (or the current directory) with ``args`` on top.

    ``args`` is a namespace from a parser given ``add_config_arguments`` (missing attributes
    are treated as not given). Raises ``ConfigError``.
    """
    resolver = ConfigResolver(args)
    first = next((p for p in paths if p and p != "-"), None)
    return resolver.for_path(first) if first else resolver.for_directory(os.getcwd())
