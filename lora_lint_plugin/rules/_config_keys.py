"""Queries on a YAML trainer config's keys, shared by the rules about config keys."""

from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple

from ..analysis.model import FileModel
from ..analysis.values import Value
from ..catalog.config_keys import FormatKeys


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
