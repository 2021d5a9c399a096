"""What lora-lint knows about a model id: its ``config.json`` on disk, else the bundled catalog.

``identify(model_id, revision, use_disk)`` is the one entry point the rules and ``estimate`` use:

* a ``config.json`` found on disk (``find_config``: a local directory or the Hugging Face
  cache) wins over the catalog's numbers (``config_json.py``, imported only when one is
  found: most scripts name a model that is not on disk);
* when the id is also in the catalog and the config describes the same ``model_type``, the
  catalog still says what the checkpoint is (base or instruct, its instruct sibling);
* a config that cannot be read, has no ``model_type`` or is not a usable object is skipped: the
  catalog answers as if there were none, and the reason is kept for ``estimate`` to print.

Where a model id is looked for (``find_config``), in this order (what ``from_pretrained`` does
offline); ``huggingface_hub`` is never imported while linting, and nothing touches the network:

1. A directory: the id, with ``~`` expanded and taken relative to the current working directory
   when it is not absolute (``from_pretrained`` resolves it the same way when the script runs
   there), holding a ``config.json``.
2. The hub cache: ``HF_HUB_CACHE``, else ``HUGGINGFACE_HUB_CACHE``, else ``$HF_HOME/hub``, else
   ``$XDG_CACHE_HOME/huggingface/hub``, else ``~/.cache/huggingface/hub``. A hub id ``org/name``
   lives in ``models--org--name``; ``refs/<revision>`` (default ``main``) holds the commit whose
   ``snapshots/<commit>/config.json`` is read; a 40-hex revision names the snapshot directly.

Standard library only; every result is memoised per process (the file system look-ups per id,
revision and cache root), and a ``config.json`` found is read by ``found_config.py``, imported
only then (most scripts name a model that is not on disk).
"""

from __future__ import annotations

import functools
import os
import re
from typing import TYPE_CHECKING, Any, Dict, Optional, Tuple

from . import Architecture, ModelMatch, lookup
from ..fast_dataclass import dataclass

if TYPE_CHECKING:
    from .found_config import FoundConfig

DEFAULT_REVISION = "main"
CONFIG_NAME = "config.json"
_COMMIT = r"^[0-9a-f]{40}$"   # compiled on first use (re caches it): most runs never need it
_ASCII_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")


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


# --------------------------------------------------------------------------- finding config.json


def hub_cache_root(environ: Optional[Dict[str, str]] = None) -> str:
    """The hub cache directory, chosen from the environment as ``huggingface_hub`` does."""
    env = os.environ if environ is None else environ

    def expand(path: str) -> str:
        return os.path.expandvars(os.path.expanduser(path))

    for name in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if env.get(name):
            return expand(env[name])
    if env.get("HF_HOME"):
        return os.path.join(expand(env["HF_HOME"]), "hub")
    xdg = env.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
    return os.path.join(expand(xdg), "huggingface", "hub")


def find_config(model_id: str, revision: str = DEFAULT_REVISION) -> Optional[FoundConfig]:
    """The ``config.json`` of ``model_id`` at ``revision`` on this machine (memoised); None when
    there is none (no ``FoundConfig`` made: the first one builds the data class, ~0.15 M
    instructions, and most scripts name models that are not on disk)."""
    key = (model_id, revision, os.getcwd(), hub_cache_root())
    found = _MEMO.get(key, _NOT_LOOKED_UP)
    if found is _NOT_LOOKED_UP:
        found = _MEMO[key] = _find(model_id, revision, key[3])
    return found


_MEMO: Dict[Tuple[str, str, str, str], Optional[FoundConfig]] = {}
_NOT_LOOKED_UP: Any = object()


def _find(model_id: str, revision: str, cache_root: str) -> Optional[FoundConfig]:
    if not model_id.strip() or "\x00" in model_id:
        return None
    directory = os.path.expanduser(model_id)
    if os.path.isdir(directory):
        candidate = os.path.join(directory, CONFIG_NAME)
        return _read_config(candidate) if os.path.isfile(candidate) else None
    if not is_hub_id(model_id):
        return None
    snapshot = _snapshot(os.path.join(cache_root, "models--" + model_id.replace("/", "--")),
                         revision)
    if snapshot is None:
        return None
    candidate = os.path.join(snapshot, CONFIG_NAME)
    return _read_config(candidate) if os.path.isfile(candidate) else None


def _read_config(path: str) -> FoundConfig:
    from .found_config import read_config  # only for a config.json found on disk

    return read_config(path)


def is_hub_id(model_id: str) -> bool:
    """``org/name`` or ``name`` as the Hub spells repository ids (never a path): what
    huggingface_hub accepts, one optional org and a name, each an ASCII letter or digit then
    word characters, ``.`` and ``-``, and no "..". The pattern
    ``^(?:[A-Za-z0-9][\\w.\\-]*/)?[A-Za-z0-9][\\w.\\-]*$`` as string tests: compiling it
    cost as much as the rest of this module's import."""
    if ".." in model_id:
        return False
    if model_id.endswith("\n"):  # ``$`` also matches before a final line break
        model_id = model_id[:-1]
    parts = model_id.split("/")
    return len(parts) <= 2 and all(
        part and part[0] in _ASCII_ALNUM and all(c.isalnum() or c in "_.-" for c in part)
        for part in parts)


def _snapshot(repo_folder: str, revision: str) -> Optional[str]:
    """``snapshots/<commit>`` of ``revision`` in one cached repository, or None."""
    if not os.path.isdir(repo_folder):
        return None
    commit: Optional[str] = None
    if re.match(_COMMIT, revision):
        commit = revision
    else:
        ref = os.path.join(repo_folder, "refs", *revision.split("/"))
        try:
            with open(ref, encoding="utf-8") as handle:
                commit = handle.read().strip()
        except (OSError, UnicodeDecodeError, ValueError):
            return None
    if not commit or not re.match(_COMMIT, commit):
        return None
    snapshot = os.path.join(repo_folder, "snapshots", commit)
    return snapshot if os.path.isdir(snapshot) else None
