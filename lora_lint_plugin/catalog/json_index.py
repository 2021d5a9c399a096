"""One record of a large bundled JSON file, parsed alone through a generated span index.

``models.json`` (~0.7 MB) and ``module_names.json`` (~0.4 MB) cost ~8 ms to parse whole, more
than the analysis of a training script, which needs the one or two models the script names.
``dev/build_catalog_index.py`` writes ``<name>.index`` beside each: the byte span of every
record in the file (down to a fixed depth) and, for ``models.json``, the ids it lists. A lookup
reads only the byte spans it needs from the file, kept open (``os.pread``: reading the whole
1.2 MB cost ~1 ms per process, more than the records a script needs), and parses them alone.
Where there is no ``os.pread`` (Windows) or no file (a zip), the bytes are read whole.

The index records the size of the file it was built from. When the data file has changed
since (an entry added without regenerating the index), the sizes differ and the whole file
is parsed as before: a stale index costs time, never correctness. ``tests/test_catalog_index.py``
fails on a stale index and names the command that rebuilds it.

An indexed container is ``{"span": [start, end], "width": w, "spans": "...", ...}``: its
children are containers indexed deeper or the numbers ``k`` of values parsed whole when needed,
and the span of value ``k`` is the ``2k``-th and ``2k + 1``-th ``w``-digit number of ``spans``.
A container whose children are all such values (numbered 0, 1, ... in order) lists them in one
string, ``"keys": "\\nkey0\\nkey1\\n"`` (an object) or ``"count": n`` (a list); any other
has ``"items": {key: child} | [child, ...]``. A lookup finds its key in the string and reads its
two numbers from ``spans``: parsing the index makes a few dozen objects, not one or more per
record (parsing the ~2,500 keys and numbers of the module-name index cost more than the lookups,
and every object kept is walked by Python's cyclic garbage collector in full collections and at
exit). ``listed`` (``models.json``) is one string too: ``entry\\tvariant\\thub id`` per line.

The index file is one line of JSON, the structure, then these long strings as plain text: the
JSON's ``"strings"`` lists ``[start, end, key, ..., name]`` for each, its characters in the text
after the first line and the path of keys to where it belongs. JSON would scan every character
of a string and unescape each ``\\n``: reading the ~60 KB of strings as JSON cost ~1.5 M
instructions per process, more than all the records a script needs.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

if TYPE_CHECKING:
    from typing_extensions import TypeAlias

Key: TypeAlias = "Union[str, int]"
_ABSENT = object()


# the index's format: an index of another format is ignored (the whole file is parsed)
INDEX_FORMAT = 2
# One decoder for the process: its ``raw_decode`` of text skips what ``json.loads`` does around
# it (the bytes' encoding guessed, trailing space checked: ~13k instructions a call).
_DECODER = json.JSONDecoder()


def index_filename(filename: str) -> str:
    return filename[: -len(".json")] + ".index"


def read_index(data: bytes) -> Any:
    """An index file's structure with its long strings in place (see the module docstring)."""
    text = data.decode("utf-8")
    index, end = _DECODER.raw_decode(text)
    offset = end + 1
    for start, stop, *path in index.pop("strings"):
        node = index
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = text[offset + start:offset + stop]
    return index


class IndexedDocument:
    """A bundled JSON document whose values are parsed on demand (see the module docstring)."""

    def __init__(self, filename: str) -> None:
        from . import _data_bytes

        self._whole: Any = _ABSENT
        self.index: Optional[Dict[str, Any]] = None
        # the open file read span by span (it stays open: the process reads the version the
        # index was checked against, also when the package is upgraded meanwhile) ...
        self._descriptor = _open_for_spans(filename)
        # ... else its bytes, read whole
        self._data = _data_bytes(filename) if self._descriptor is None else b""
        length = os.fstat(self._descriptor).st_size if self._descriptor is not None else len(self._data)
        try:
            index = read_index(_data_bytes(index_filename(filename)))
        except (OSError, ValueError, TypeError, KeyError, IndexError):
            index = None
        if isinstance(index, dict) and index.get("format") == INDEX_FORMAT and index.get("length") == length:
            self.index = index
        else:
            self._whole = json.loads(self._bytes(0, length))

    def __del__(self, close: Callable[[int], None] = os.close) -> None:  # os may be gone at exit
        descriptor = getattr(self, "_descriptor", None)
        if descriptor is not None:
            close(descriptor)

    @property
    def current(self) -> bool:
        """Does the index describe the file as it is (else everything comes from a full parse)?"""
        return self.index is not None

    def get(self, *path: Key, default: Any = None) -> Any:
        """The value at ``path`` (keys and list positions), parsed alone; ``default`` if absent."""
        if self.index is None:
            return _walk(self._whole, path, default)
        node: Any = self.index["tree"]
        for depth, key in enumerate(path):
            child = _child(node, key)
            if child is _ABSENT:
                return default
            if isinstance(child, int):  # a value indexed no deeper: parse it, walk the rest
                return _walk(self._parse(_leaf_span(node, child)), path[depth + 1:], default)
            node = child
        return self._parse(node["span"])

    def keys(self, *path: Key) -> List[str]:
        """The keys of the object at ``path`` without parsing its values ([] if absent)."""
        if self.index is not None:
            node = self._node(path)
            if isinstance(node, dict) and "keys" in node:
                return node["keys"][1:-1].split("\n")
            if isinstance(node, dict) and isinstance(node.get("items"), dict):
                return list(node["items"])
        found = self.get(*path)
        return list(found) if isinstance(found, dict) else []

    def length(self, *path: Key) -> int:
        """The number of items of the list or object at ``path`` (0 if absent)."""
        if self.index is not None:
            node = self._node(path)
            if isinstance(node, dict):
                return _length(node)
        found = self.get(*path)
        return len(found) if isinstance(found, (list, dict)) else 0

    def _node(self, path: tuple) -> Any:
        """The indexed container at ``path``; None when absent or not indexed that deep."""
        node: Any = self.index["tree"] if self.index is not None else None
        for key in path:
            if not isinstance(node, dict):
                return None
            node = _child(node, key)
        return node if isinstance(node, dict) else None

    def _parse(self, span: Sequence[int]) -> Any:
        # a record's span starts and ends at its value (the index's builder made it so)
        return _DECODER.raw_decode(self._bytes(span[0], span[1]).decode("utf-8"))[0]

    def _bytes(self, start: int, end: int) -> bytes:
        if self._descriptor is None:
            return self._data[start:end]
        return os.pread(self._descriptor, end - start, start)


def _child(node: Dict[str, Any], key: Key) -> Any:
    """The child of an indexed container at ``key`` (``_ABSENT`` if it has none)."""
    keys = node.get("keys")
    if keys is not None:  # "\nkey0\nkey1\n": the child's number is the key's position
        if not isinstance(key, str) or "\n" in key:
            return _ABSENT
        found = keys.find("\n" + key + "\n")
        return keys.count("\n", 0, found) if found >= 0 else _ABSENT
    items = node.get("items")
    if isinstance(items, dict):
        return items.get(key, _ABSENT) if isinstance(key, str) else _ABSENT
    length = _length(node)
    if not isinstance(key, int) or not -length <= key < length:
        return _ABSENT
    return items[key] if items is not None else key % length


def _length(node: Dict[str, Any]) -> int:
    if "keys" in node:
        return int(node["keys"].count("\n")) - 1
    return int(node["count"]) if "count" in node else len(node["items"])


def _leaf_span(node: Dict[str, Any], number: int) -> Tuple[int, int]:
    spans, width = node["spans"], node["width"]
    start = 2 * number * width
    return int(spans[start:start + width]), int(spans[start + width:start + 2 * width])


def _open_for_spans(filename: str) -> Optional[int]:
    """A read-only descriptor of the data file next to this module; None without ``os.pread``
    or when the package is not on disk."""
    if not hasattr(os, "pread"):
        return None
    try:
        return os.open(os.path.join(os.path.dirname(__file__), "data", filename), os.O_RDONLY)
    except OSError:
        return None


def _walk(value: Any, path: tuple, default: Any) -> Any:
    for key in path:
        try:
            value = value[key]
        except (KeyError, IndexError, TypeError):
            return default
    return value
