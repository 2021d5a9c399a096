"""Opt-in online look-up: fetch a model's ``config.json`` from the Hugging Face Hub.

Used only when asked (``--hub``, ``hub = true``, flake8's ``--lora-lint-hub``) and only for a hub
id that is neither in a local directory nor in the cache already. Only ``config.json`` is
fetched, through ``huggingface_hub`` (the optional extra ``lora-lint[hub]``), so it lands in the
normal Hugging Face cache and every setting of that library applies: ``HF_ENDPOINT`` (a mirror),
``HF_TOKEN`` (private and gated models), ``HF_HUB_OFFLINE``, ``HF_HUB_CACHE``. Any failure (no
such repository, no access, no network, the library missing) is a note, never an error: the
model then stays unknown, as it would offline. Each id is fetched at most once per process.
"""

from __future__ import annotations

from typing import Dict, Tuple

from .found_config import FoundConfig, read_config
from .hf_config import CONFIG_NAME, is_hub_id

# Seconds to wait for the Hub's answer before giving up (huggingface_hub's own default is 10).
TIMEOUT = 10.0
MISSING_LIBRARY = ("the Hub look-up needs huggingface_hub (pip install 'lora-lint[hub]'); "
                   "config.json was not fetched")

_FETCHED: Dict[Tuple[str, str], FoundConfig] = {}


def fetch_config(model_id: str, revision: str) -> FoundConfig:
    """Download ``config.json`` of ``model_id`` at ``revision`` into the cache and read it."""
    key = (model_id, revision)
    found = _FETCHED.get(key)
    if found is None:
        found = _FETCHED[key] = _fetch(model_id, revision)
    return found


def _fetch(model_id: str, revision: str) -> FoundConfig:
    if not is_hub_id(model_id):
        return FoundConfig()
    try:
        from huggingface_hub import hf_hub_download
        from huggingface_hub.utils import disable_progress_bars
    except ImportError:
        return FoundConfig(None, None, MISSING_LIBRARY)
    disable_progress_bars()  # a tiny file; a bar would only clutter the lint output
    try:
        path = hf_hub_download(model_id, CONFIG_NAME, revision=revision, etag_timeout=TIMEOUT)
    except Exception as error:  # not found, gated, offline, network, a mirror's error page
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        return FoundConfig(None, None, f"config.json could not be fetched from the Hub "
                                       f"({type(error).__name__}: {reason[:200]})")
    if not isinstance(path, str):
        return FoundConfig()
    return read_config(path)
