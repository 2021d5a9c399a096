"""What lora-lint knows about a model id: its ``config.json`` on disk, else the bundled catalog.

``identify(model_id, revision, use_disk)`` is the one entry point the rules and ``estimate`` use:

* a ``config.json`` found on disk (``hf_cache.find_config``: a local directory or the Hugging
  Face cache) wins over the catalog's numbers (``config_json.py``, imported only when one is
  found: most scripts name a model that is not on disk);
* when the id is also in the catalog and the config describes the same ``model_type``, the
  catalog still says what the checkpoint is (base or instruct, its instruct sibling);
* a config that cannot be read, has no ``model_type`` or is not a usable object is skipped: the
  catalog answers as if there were none, and the reason is kept for ``estimate`` to print.

Standard library only; every result is memoised per process.
"""

from __future__ import annotations

import functools
from typing import Optional, Tuple

from . import Architecture, ModelMatch, lookup
from ..fast_dataclass import dataclass
from .hf_cache import DEFAULT_REVISION, find_config, hub_cache_root


@dataclass(frozen=True)
class Identification:
    """What lora-lint knows about one model id, and where the facts come from.

    ``match`` is None when the model's sizes are not known. ``architecture`` then still gives
    its module names when its config.json names a ``model_type`` the catalog describes (a
    multimodal or mixture-of-experts model whose shapes are not derived from config values).
    ``source`` names the facts' origin for ``estimate`` (``catalog entry 'llama-3.2-1b'`` or
    ``config.json at /path``); ``notes`` say what was found on disk but not used, and why.
    """

    match: Optional[ModelMatch]
    source: str = ""
    config_path: Optional[str] = None
    notes: Tuple[str, ...] = ()
    names_only: Optional[Architecture] = None
    # (load mode, double quantisation) from the config's quantization_config
    prequantized: Optional[Tuple[str, bool]] = None

    @property
    def architecture(self) -> Optional[Architecture]:
        """The model's module names, with or without sizes."""
        return self.match.architecture if self.match is not None else self.names_only

    @property
    def from_config(self) -> bool:
        return self.config_path is not None


def identify(model_id: str, revision: Optional[str] = DEFAULT_REVISION,
             use_disk: bool = True, use_hub: bool = False) -> Identification:
    """What is known about ``model_id``: its config on disk, else the catalog (memoised).

    ``revision`` is the ``revision=`` of the loader (None: not known statically, so the disk is
    not consulted: a snapshot of another revision could describe another model). ``use_hub``
    (opt-in) fetches a config.json that is not on disk from the Hugging Face Hub (``hub.py``).
    """
    return _identify(model_id, revision, use_disk, use_hub)


@functools.lru_cache(maxsize=1024)
def _identify(model_id: str, revision: Optional[str], use_disk: bool,
              use_hub: bool) -> Identification:
    catalog = lookup(model_id)
    if revision is None:
        return from_catalog(catalog)
    found = find_config(model_id, revision) if use_disk or use_hub else None
    if use_hub and (found is None or found.path is None):
        from .hub import fetch_config  # imports huggingface_hub: only when asked

        found = fetch_config(model_id, revision)
    if found is None or found.path is None:
        return from_catalog(catalog, (found.problem,) if found and found.problem else ())
    from .config_json import from_config  # only for a config.json found on disk

    return from_config(model_id, catalog, found)


def from_catalog(catalog: Optional[ModelMatch], notes: Tuple[str, ...] = ()) -> Identification:
    """The catalog's answer (None: unknown), with what was found on disk but not used."""
    if catalog is None:
        return Identification(None, notes=notes)
    return Identification(catalog, f"catalog entry '{catalog.entry.key}'", notes=notes)


def looks_local(model_id: str) -> bool:
    """Does ``model_id`` name a directory rather than a Hub repository?"""
    return model_id.startswith(("/", ".", "~")) or model_id.count("/") > 1 or "\\" in model_id


__all__ = ["Identification", "how_to_make_known", "identify"]


def how_to_make_known(model_id: str, identification: Identification, use_disk: bool,
                      revision: Optional[str] = DEFAULT_REVISION) -> str:
    """Why ``model_id`` is not identified and what makes it known, in one sentence."""
    if identification.notes:
        return "; ".join(identification.notes)
    if not use_disk:
        return ("reading config.json from disk is switched off (hf-cache = false); switch it on "
                "to use the model's config.json from its directory or the Hugging Face cache")
    if revision is None:
        return ("the loader's revision= is not known statically, so the Hugging Face cache "
                "was not consulted")
    if looks_local(model_id):
        return (f"no config.json was found in the directory '{model_id}' (relative paths are "
                "taken from the current directory, as from_pretrained does)")
    return (f"no config.json for it in the Hugging Face cache ({hub_cache_root()}) or in a "
            f"local directory of that name; `hf download {model_id} config.json` puts it in "
            "the cache (or `--hub` fetches it)")
