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
from dataclasses import dataclass
from typing import Dict, FrozenSet, List, Optional, Tuple

from . import _data_text

# difflib's similarity ratio a suggestion must reach: catches one or two slips in a long key
# (lora_targt_modules, context_parapllel_size) without offering unrelated keys.
SUGGESTION_CUTOFF = 0.8


@dataclass(frozen=True)
class FormatKeys:
    """The keys one format accepts (all listed versions together) and where they come from."""

    config_format: str
    keys: FrozenSet[str]
    versions: Tuple[str, ...]  # oldest to newest, as listed
    plugin_keys: Dict[str, FrozenSet[str]]  # axolotl: plugin package -> its keys

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


@functools.lru_cache(maxsize=None)
def _formats() -> Dict[str, FormatKeys]:
    data = json.loads(_data_text("config_keys.json"))
    formats = {}
    for name, facts in data["formats"].items():
        keys: set = set()
        plugins: Dict[str, set] = {}
        for entry in facts["versions"]:
            keys.update(entry["keys"], entry.get("launcher_keys", ()))
            for plugin, plugin_keys in entry.get("plugin_keys", {}).items():
                plugins.setdefault(plugin, set()).update(plugin_keys)
        formats[name] = FormatKeys(
            config_format=name, keys=frozenset(keys),
            versions=tuple(entry["version"] for entry in facts["versions"]),
            plugin_keys={plugin: frozenset(found) for plugin, found in plugins.items()})
    return formats


def format_keys(config_format: str) -> Optional[FormatKeys]:
    """The key list of a format; None for a format without one (its keys are not checked)."""
    return _formats().get(config_format)
