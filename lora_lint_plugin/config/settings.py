"""Settings that change what the rules report (shared by the flake8 plugin and the CLI)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

DEFAULT_LONG_CONTEXT = 8192

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B|B)?\s*$", re.IGNORECASE)
_UNITS = {
    "b": 1,
    "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
    "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40,
}


@dataclass(frozen=True)
class Settings:
    """Rule settings. ``gpu_memory`` is in bytes; None switches LOR403 off.
    ``resolve_defaults``: read argparse/dataclass/class/environment defaults as values.
    ``hf_cache``: read models' ``config.json`` from local model directories and the Hugging
    Face cache; ``hub`` (opt-in): fetch a ``config.json`` that is not on disk from the Hub."""

    long_context: int = DEFAULT_LONG_CONTEXT
    gpu_memory: Optional[int] = None
    resolve_defaults: bool = True
    hf_cache: bool = True
    hub: bool = False


def parse_memory_size(text: str) -> int:
    """``"24GiB"`` -> 25769803776, ``"80GB"`` -> 80000000000, ``"1000"`` -> 1000 bytes.

    Raises ValueError with a readable message on anything else.
    """
    match = _SIZE.match(str(text))
    if not match:
        raise ValueError(f"not a memory size: {text!r} (examples: 24GiB, 80GB, 16000000000)")
    number, unit = match.groups()
    factor = _UNITS[(unit or "B").lower()]
    return int(float(number) * factor)


def parse_flag(text: object, name: str) -> bool:
    """``true``/``false`` (also ``yes``/``no``, ``1``/``0``, any case); ValueError otherwise."""
    if isinstance(text, bool):
        return text
    word = str(text).strip().lower()
    if word in ("true", "yes", "1", "on"):
        return True
    if word in ("false", "no", "0", "off"):
        return False
    raise ValueError(f"{name} must be true or false, not {text!r}")


def parse_token_count(text: object) -> int:
    """A positive whole number of tokens (``8192``, ``"80_000"``); ValueError otherwise."""
    try:
        value = int(str(text).strip().replace("_", ""))
    except ValueError:
        raise ValueError(f"long-context must be a whole number of tokens, not {text!r}") from None
    if value <= 0:
        raise ValueError(f"long-context must be positive, not {value}")
    return value
