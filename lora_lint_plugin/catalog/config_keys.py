"""The top-level keys each YAML trainer config format accepts, by tool version.

``data/config_keys.json`` is derived from the tools' sources by ``dev/derive_config_keys.py``
(axolotl's pydantic schema with its plugins' arguments, LLaMA-Factory's argument dataclasses,
TRL's script dataclasses and the ``accelerate launch`` options its CLI forwards to). A key is
known to a format when any listed version accepts it, so a config written for an older or newer
release than the newest listed is not reported for keys that release had.
"""

from __future__ import annotations

import difflib
import functools
import json
from typing import Callable, Dict, FrozenSet, List, Optional, Tuple

from . import _data_text
from ..fast_dataclass import dataclass, field

# difflib's similarity ratio a suggestion must reach: catches one or two slips in a long key
# (lora_targt_modules, context_parapllel_size) without offering unrelated keys.
SUGGESTION_CUTOFF = 0.8


# The PyPI name of each format's tool (what a requirements file pins).
LIBRARIES = {"axolotl": "axolotl", "llama-factory": "llamafactory", "trl": "trl"}


@dataclass(frozen=True)
class FormatKeys:
    """The keys one format accepts (the listed versions together) and where they come from."""

    config_format: str
    keys: FrozenSet[str]
    versions: Tuple[str, ...]  # oldest to newest, as listed
    plugin_keys: Dict[str, FrozenSet[str]]  # axolotl: plugin package -> its keys
    by_version: Dict[str, "FormatKeys"] = field(default_factory=dict, compare=False)
    pin: Optional[str] = None  # the project's pin that chose these versions, described

    def of_versions(self, allowed: Callable[[str], bool]) -> Optional["FormatKeys"]:
        """The keys of the listed versions ``allowed`` accepts; None when it accepts none."""
        chosen = [self.by_version[version] for version in self.versions if allowed(version)]
        if not chosen:
            return None
        return FormatKeys(self.config_format, frozenset().union(*(c.keys for c in chosen)),
                          tuple(c.versions[0] for c in chosen),
                          _merged([c.plugin_keys for c in chosen]))

    @property
    def newest_version(self) -> str:
        return self.versions[-1]

    def knows(self, key: str) -> bool:
        return key in self.keys or any(key in keys for keys in self.plugin_keys.values())

    def closest(self, key: str) -> List[str]:
        """The known keys nearest to ``key`` (ties all kept, alphabetically); empty when none
        is close."""
        candidates = sorted(set(self.keys).union(*self.plugin_keys.values()))
        close = difflib.get_close_matches(key, candidates, n=5, cutoff=SUGGESTION_CUTOFF)
        if not close:
            return []
        ratios = {name: difflib.SequenceMatcher(None, key, name).ratio() for name in close}
        best = max(ratios.values())
        return sorted(name for name, ratio in ratios.items() if ratio == best)


def _merged(plugin_maps: List[Dict[str, FrozenSet[str]]]) -> Dict[str, FrozenSet[str]]:
    merged: Dict[str, FrozenSet[str]] = {}
    for plugins in plugin_maps:
        for plugin, keys in plugins.items():
            merged[plugin] = merged.get(plugin, frozenset()) | keys
    return merged


@functools.lru_cache(maxsize=None)
def _formats() -> Dict[str, FormatKeys]:
    data = json.loads(_data_text("config_keys.json"))
    formats = {}
    for name, facts in data["formats"].items():
        by_version = {}
        for entry in facts["versions"]:
            plugins = {plugin: frozenset(keys) for plugin, keys in entry.get("plugin_keys", {}).items()}
            by_version[entry["version"]] = FormatKeys(
                name, frozenset(entry["keys"]) | frozenset(entry.get("launcher_keys", ())),
                (entry["version"],), plugins)
        versions = tuple(by_version)
        formats[name] = FormatKeys(
            name, frozenset().union(*(v.keys for v in by_version.values())), versions,
            _merged([v.plugin_keys for v in by_version.values()]), by_version)
    return formats


def format_keys(config_format: str) -> Optional[FormatKeys]:
    """The key list of a format; None for a format without one (its keys are not checked)."""
    return _formats().get(config_format)
