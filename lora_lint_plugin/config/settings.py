"""Settings that change what the rules report (shared by the flake8 plugin and the CLI); their
declarations and parsing are ``options.py``."""

from __future__ import annotations

from typing import Any, Dict, Optional

from ..fast_dataclass import dataclass
from .options import DEFAULT_LONG_CONTEXT, SettingsLayer


@dataclass(frozen=True)
class Settings:
    """Rule settings. ``gpu_memory`` is in bytes; None switches LOR403 off.
    ``resolve_defaults``: read argparse/dataclass/class/environment defaults and the config
    files the program reads as values.
    ``hf_cache``: read models' ``config.json`` from local model directories and the Hugging
    Face cache; ``hub`` (opt-in): fetch a ``config.json`` that is not on disk from the Hub."""

    long_context: int = DEFAULT_LONG_CONTEXT
    gpu_memory: Optional[int] = None
    resolve_defaults: bool = True
    hf_cache: bool = True
    hub: bool = False


def layered_settings(*layers: SettingsLayer) -> Settings:
    """The one place settings are assembled: defaults, then each layer in order (the
    configuration file's table, then flake8's options or the command line), later ones winning."""
    values: Dict[str, Any] = {}
    for layer in layers:
        values.update(layer)
    return Settings(**values)
