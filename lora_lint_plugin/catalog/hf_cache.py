"""Find and read a model's ``config.json`` on disk: a local model directory or the Hugging Face cache.

Standard library only: ``huggingface_hub`` is never imported while linting, and nothing here
touches the network.

Where a model id is looked for, in this order (what ``from_pretrained`` does offline):

1. A directory: the id, with ``~`` expanded and taken relative to the current working directory
   when it is not absolute (``from_pretrained`` resolves it the same way when the script runs
   there), holding a ``config.json``.
2. The hub cache: ``HF_HUB_CACHE``, else ``HUGGINGFACE_HUB_CACHE``, else ``$HF_HOME/hub``, else
   ``$XDG_CACHE_HOME/huggingface/hub``, else ``~/.cache/huggingface/hub``. A hub id ``org/name``
   lives in ``models--org--name``; ``refs/<revision>`` (default ``main``) holds the commit whose
   ``snapshots/<commit>/config.json`` is read; a 40-hex revision names the snapshot directly.

Every answer is memoised per process (keyed by id, revision and the cache root), so each distinct
model id costs its file system look-ups once.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, Dict, Optional, Tuple

from ..fast_dataclass import dataclass

DEFAULT_REVISION = "main"
CONFIG_NAME = "config.json"
# Larger files are not configs (a mistaken path to weights); reading them would cost time.
_MAX_CONFIG_BYTES = 4 * 1024 * 1024
_COMMIT = r"^[0-9a-f]{40}$"   # compiled on first use (re caches it): most runs never need it
_ASCII_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")


@dataclass(frozen=True)
class FoundConfig:
    """The outcome of one look-up.

    ``path`` is the ``config.json`` found (None when there is none); ``data`` its parsed top-level
    object when it could be read; ``problem`` says why it could not (unreadable, not JSON, not an
    object), for ``estimate`` to report; it is never an error of the linted file.
    """

    path: Optional[str] = None
    data: Optional[Dict[str, Any]] = None
    problem: Optional[str] = None


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
        return read_config(candidate) if os.path.isfile(candidate) else None
    if not is_hub_id(model_id):
        return None
    snapshot = _snapshot(os.path.join(cache_root, "models--" + model_id.replace("/", "--")),
                         revision)
    if snapshot is None:
        return None
    candidate = os.path.join(snapshot, CONFIG_NAME)
    return read_config(candidate) if os.path.isfile(candidate) else None


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


def read_config(path: str) -> FoundConfig:
    """Parse one ``config.json``; any failure is a ``problem``, never an exception."""
    try:
        if os.path.getsize(path) > _MAX_CONFIG_BYTES:
            return FoundConfig(path, None, "larger than a model configuration can be")
        with open(path, "rb") as handle:
            data = json.loads(handle.read().decode("utf-8"))
    except OSError as error:
        return FoundConfig(path, None, f"cannot be read ({error.strerror or error})")
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        return FoundConfig(path, None, f"is not valid JSON ({type(error).__name__})")
    if not isinstance(data, dict):
        return FoundConfig(path, None, "is not a JSON object")
    return FoundConfig(path, data, None)
