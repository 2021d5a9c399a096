"""Queries on a YAML trainer config's keys, shared by the rules about config keys."""

from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple

from ..fast_dataclass import replace
from ..analysis.model import FileModel
from ..analysis.values import Value
from ..catalog.config_keys import LIBRARIES, FormatKeys


def config_document(file: FileModel) -> Optional[Tuple[str, Any]]:
    """(format, ConfigDocument) of a YAML trainer config; None for Python."""
    config = getattr(file, "config", None)
    if config is None or config.document is None:
        return None
    return config.config_format, config.document


def other_tools_name(key: str, config_format: str) -> Optional[str]:
    """This format's key for a setting that ``key`` names in Python or in another format
    (``max_seq_length`` or ``cutoff_len`` -> axolotl's ``sequence_len``); None if none."""
    from ..analysis.yaml_setup import spellings

    table = spellings()
    for python_name in [key] + [name for spelling in table.values()
                                for name, spelled in spelling.items() if spelled == key]:
        ours = table.get(config_format, {}).get(python_name, python_name)
        if ours != key and "." not in ours:
            return ours
    return None


def plugin_not_listed(key: str, keys: FormatKeys, document: Any) -> Optional[str]:
    """The axolotl plugin package whose setting ``key`` is, when the config's ``plugins:`` is a
    known list that does not name it; None otherwise (a core key, or plugins unknown)."""
    if key in keys.keys:
        return None
    owners = [plugin for plugin, plugin_keys in keys.plugin_keys.items() if key in plugin_keys]
    entry = document.get("plugins")
    listed: Any = [] if entry is None else entry.value
    if entry is not None:
        if not isinstance(listed, Value) or not isinstance(listed.python, list) \
                or not all(isinstance(item, str) for item in listed.python):
            return None  # plugins: written so that its names are not known
        listed = listed.python
    if not owners or any(name.startswith(owner + ".") or name == owner
                         for owner in owners for name in listed):
        return None
    return owners[0]


def holds_anchored_values(entry: Any, entries: Sequence[Any]) -> bool:
    """Another setting's value is written inside ``entry``'s value: it was taken from there
    through an alias or a merge key (values keep the place of their anchor)."""
    value = entry.value
    if not isinstance(value, Value):
        return False
    return any(other is not entry and isinstance(other.value, Value)
               and value.span.contains(other.value.span) for other in entries)


def pinned_keys(file: FileModel, config_format: str, keys: FormatKeys) -> Optional[FormatKeys]:
    """The keys of the listed releases the project's pins of the tool allow (all of them when
    nothing is pinned); None when the pins allow none of the listed releases."""
    from packaging.version import InvalidVersion, Version

    pins = file.library_versions.of(LIBRARIES.get(config_format, config_format))
    if not pins:
        return keys

    def allowed(version: str) -> bool:
        try:
            release = Version(version)
        except InvalidVersion:
            return False
        return all(pin.specifier.contains(release, prereleases=True) for pin in pins)

    narrowed = keys.of_versions(allowed)
    if narrowed is None:
        return None
    return replace(narrowed, pin=pins[0].describe())


def releases(keys: FormatKeys, tool: str) -> str:
    """``releases 0.12.0 to 0.21.0`` or ``axolotl 0.12.0, as axolotl==0.12.0 pinned in ...``."""
    span = keys.versions[0] if len(keys.versions) == 1 else f"{keys.versions[0]} to {keys.newest_version}"
    if keys.pin is None:
        return f"{tool} {span}"
    return f"{tool} {span}, as {keys.pin}"
