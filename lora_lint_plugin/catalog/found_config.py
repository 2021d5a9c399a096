"""Read a model's ``config.json`` found on disk (``hf_config.find_config``: a local directory or
the Hugging Face cache) or fetched from the Hub (``hub.py``); imported only when there is one.

Standard library only; a file that cannot be read is a ``problem``, never an exception.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Optional

from ..fast_dataclass import dataclass

# Larger files are not configs (a mistaken path to weights); reading them would cost time.
_MAX_CONFIG_BYTES = 4 * 1024 * 1024


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
