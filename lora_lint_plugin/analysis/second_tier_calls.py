"""Which calls and values send the resolver to a second-tier part.

The parts (``defaults.py``, ``attributes.py``, ``config_files.py``, ``file_paths.py``) are
two fifths of the analysis's bytecode, and a plain script (a notebook exported as a script:
literals and names, no ``args.x``, no config file) needs none of them. The resolver checks a
call or a value against the tables here and builds a part, importing its module, only when
one applies: a flake8 process started per save does not load what the file does not use.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, Optional, Tuple

ENVIRONMENT_GETTERS = ("os.environ.get", "os.getenv")

# Config-file loaders (``config_files.py``): what format each reads, and from what.
JSON = "json"
YAML = "yaml"
OMEGACONF = "omegaconf"   # YAML as OmegaConf reads it (``1e-4`` is a float there)
HANDLE = "handle"   # the loader reads an open file: ``json.load(f)``
TEXT = "text"       # the file's text: ``json.loads(f.read())``
PATH = "path"       # a path: ``OmegaConf.load("x.yaml")``
LOADER_CALLS: Dict[str, Tuple[str, Tuple[str, ...]]] = {
    "json.load": (JSON, (HANDLE,)),
    "json.loads": (JSON, (TEXT,)),
    "yaml.safe_load": (YAML, (HANDLE, TEXT)),
    "yaml.load": (YAML, (HANDLE, TEXT)),
    "yaml.full_load": (YAML, (HANDLE, TEXT)),
    "yaml.unsafe_load": (YAML, (HANDLE, TEXT)),
    "omegaconf.OmegaConf.load": (OMEGACONF, (PATH, HANDLE)),
}
FILE_ORIGINS = ("value of key ", "contents of ")
LAUNCHED = "value of "   # the origin of a value a launcher script passes
OS_PATH_FUNCTIONS = ("os.path.dirname", "os.path.abspath", "os.path.realpath", "os.path.normpath")


def loader_kind(names: Iterable[str]) -> Optional[str]:
    """The loader a call's qualified names name, if it reads a config file."""
    for name in names:
        if name in LOADER_CALLS:
            return name
    return None


def is_file_value(value: Any) -> bool:
    """A value read from a config file (its origin says so)."""
    return value.origin is not None and value.origin.startswith(FILE_ORIGINS)


def is_launched(origin: str) -> bool:
    """The origin of a value every launcher passes itself (not a default anywhere)."""
    return origin.startswith(LAUNCHED)


def is_os_path_function(names: Iterable[str]) -> Optional[str]:
    for name in names:
        if name in OS_PATH_FUNCTIONS:
            return str(name)
    return None
