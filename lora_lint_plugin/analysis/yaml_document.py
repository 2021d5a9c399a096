"""A YAML trainer config as values with positions: the YAML front end's parser.

``parse_config(text, semantics)`` composes the text with PyYAML's node API (libyaml's
``CSafeLoader`` when available) and turns every node into a ``values.Value`` whose ``span`` is
where the node is written, so a diagnostic can point at one list item. Scalars get the type
the trainer sees:

* ``YAML11`` (axolotl, TRL's CLI: ``yaml.safe_load``): PyYAML's own YAML 1.1 reading, so
  ``2e-4`` stays the string ``'2e-4'`` and ``yes`` is ``True``.
* ``OMEGACONF`` (LLaMA-Factory: ``OmegaConf.load``): as YAML 1.1, but a number with an
  exponent and no dot (``1e-4``) is a float, and timestamps stay strings.

Anchors and aliases resolve to the anchored node (reported where the anchor is written), merge
keys (``<<: *base``) are applied, and a node that cannot be built safely (an unknown or
``!!python`` tag) is ``UNKNOWN``: rules stay silent about it. Bad YAML raises ``YamlError``
with its position; nothing else escapes.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Iterator, List, Optional, Tuple

from ..fast_dataclass import dataclass
from .diagnostics import Span
from .values import MAPPING, SEQUENCE, UNKNOWN, Resolved, Value

YAML11 = "yaml-1.1"
OMEGACONF = "omegaconf"

_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_STANDARD_TAGS = frozenset(f"tag:yaml.org,2002:{name}" for name in (
    "str", "int", "float", "bool", "null", "timestamp", "binary", "seq", "map", "omap", "pairs",
    "set"))
# The float spelling OmegaConf adds to PyYAML's resolver: digits and an exponent, no dot.
_OMEGACONF_FLOAT = re.compile(r"^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$")


class YamlError(Exception):
    """Text that is not valid YAML; ``line``/``column`` are 1-based (1:1 when unknown)."""

    def __init__(self, reason: str, line: int = 1, column: int = 1) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.column = column

    def describe(self) -> str:
        return f"YAML error at line {self.line}: {self.reason}"


@dataclass(frozen=True)
class Entry:
    """One ``key: value`` of a mapping: the key as written and its value."""

    key: str
    key_span: Span
    value: Resolved

    @property
    def span(self) -> Span:
        """From the key to the end of the value (the whole setting)."""
        end = self.value.span if isinstance(self.value, Value) else self.key_span
        return Span(self.key_span.line, self.key_span.col, end.end_line, end.end_col)


@dataclass(frozen=True)
class ConfigDocument:
    """The top-level mapping of a config file: entries by key (the last of repeated keys wins,
    as ``yaml.safe_load`` keeps it) in file order."""

    entries: Dict[str, Entry]

    def get(self, key: str) -> Optional[Entry]:
        return self.entries.get(key)

    def value(self, key: str) -> Resolved:
        entry = self.entries.get(key)
        return entry.value if entry is not None else UNKNOWN

    def plain(self, key: str, default: Any = None) -> Any:
        """The plain value of ``key``; ``default`` when absent; UNKNOWN when not knowable."""
        entry = self.entries.get(key)
        if entry is None:
            return default
        return entry.value.python if isinstance(entry.value, Value) else UNKNOWN

    def __contains__(self, key: str) -> bool:
        return key in self.entries

    def keys(self) -> Iterator[str]:
        return iter(self.entries)


def _yaml() -> Any:
    import yaml  # the one runtime dependency of the YAML front end; imported on first use

    return yaml


def _loader() -> Any:
    yaml = _yaml()
    return getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader


def parse_config(text: str, semantics: str = YAML11) -> Optional[ConfigDocument]:
    """The top-level mapping of ``text`` as a ``ConfigDocument``; None when the document is
    empty or not a mapping. Raises ``YamlError`` for text that is not YAML."""
    yaml = _yaml()
    try:
        root = yaml.compose(text, Loader=_loader())
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        reason = str(error.problem or error.context or "not valid YAML").strip()
        if mark is None:
            raise YamlError(reason) from None
        raise YamlError(reason, mark.line + 1, mark.column + 1) from None
    except yaml.YAMLError as error:
        raise YamlError(str(error).splitlines()[0] if str(error) else "not valid YAML") from None
    except RecursionError:
        raise YamlError("the document is nested too deeply to read") from None
    except (ValueError, MemoryError, UnicodeError) as error:
        raise YamlError(f"cannot read: {error}") from None
    if root is None or not isinstance(root, yaml.MappingNode):
        return None
    builder = _ValueBuilder(text, semantics)
    try:
        entries = builder.entries(root)
    except RecursionError:
        raise YamlError("the document is nested too deeply to read") from None
    return ConfigDocument({entry.key: entry for entry in entries})


def _span(node: Any) -> Span:
    start, end = node.start_mark, node.end_mark
    return Span(start.line + 1, start.column, end.line + 1, end.column)


class _ValueBuilder:
    """Nodes to ``Value``s with the scalar semantics of one trainer."""

    def __init__(self, text: str, semantics: str) -> None:
        yaml = _yaml()
        self._yaml = yaml
        self._constructor = yaml.constructor.SafeConstructor()
        self._semantics = semantics
        self._lines = text.splitlines()
        self._active: set = set()   # mapping/sequence nodes being built (recursive aliases)

    def entries(self, node: Any) -> List[Entry]:
        """The entries of a mapping node; merge keys applied, explicit keys win."""
        found: Dict[str, Entry] = {}
        merged: Dict[str, Entry] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                for source in self._merge_sources(value_node):
                    for entry in self.entries(source):
                        merged.setdefault(entry.key, entry)
                continue
            written = self.scalar(key_node) if isinstance(key_node, self._yaml.ScalarNode) \
                else UNKNOWN
            if not isinstance(written, Value) or \
                    not isinstance(written.python, (str, int, float, bool)):
                continue  # a complex or unknown key: no trainer setting is spelled that way
            name = str(written.python)
            found[name] = Entry(name, _span(key_node), self.value(value_node))
        for name, entry in merged.items():
            found.setdefault(name, entry)
        return list(found.values())

    def _merge_sources(self, node: Any) -> List[Any]:
        if isinstance(node, self._yaml.MappingNode):
            return [node]
        if isinstance(node, self._yaml.SequenceNode):
            return [item for item in node.value if isinstance(item, self._yaml.MappingNode)]
        return []

    def value(self, node: Any) -> Resolved:
        yaml = self._yaml
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        if id(node) in self._active:
            return UNKNOWN  # an alias inside its own anchor
        self._active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode) and node.tag == "tag:yaml.org,2002:seq":
                return self._sequence(node)
            if isinstance(node, yaml.MappingNode) and node.tag == "tag:yaml.org,2002:map":
                return self._mapping(node)
            return UNKNOWN  # !!set, !!omap, custom tags: not a plain list or mapping
        finally:
            self._active.discard(id(node))

    def _sequence(self, node: Any) -> Resolved:
        items = []
        for child in node.value:
            item = self.value(child)
            if not isinstance(item, Value):
                return UNKNOWN
            items.append(item)
        return Value([item.python for item in items], node, _span(node), literal=False,
                     kind=SEQUENCE, items=tuple(items))

    def _mapping(self, node: Any) -> Resolved:
        entries = self.entries(node)
        known = [(entry.key, entry.value) for entry in entries if isinstance(entry.value, Value)]
        if len(known) != len(entries):
            return UNKNOWN
        return Value({key: value.python for key, value in known}, node, _span(node),
                     literal=False, kind=MAPPING, entries=tuple(known))

    def scalar(self, node: Any) -> Resolved:
        tag = node.tag
        if tag not in _STANDARD_TAGS:
            return UNKNOWN
        if self._semantics == OMEGACONF and node.style is None:
            if tag == _STR_TAG and _OMEGACONF_FLOAT.match(node.value):
                tag = "tag:yaml.org,2002:float"
            elif tag == _TIMESTAMP_TAG:
                tag = _STR_TAG
        try:
            if tag == _STR_TAG:
                python: Any = node.value
            else:
                python = self._constructor.construct_object(
                    self._yaml.ScalarNode(tag, node.value, node.start_mark, node.end_mark,
                                          node.style), deep=True)
        except (self._yaml.YAMLError, ValueError, TypeError, OverflowError):
            return UNKNOWN
        span = _span(node)
        return Value(python, node, span, literal=True, raw=self._raw(span))

    def _raw(self, span: Span) -> Optional[str]:
        """The scalar's source text when it is on one line (quotes included)."""
        if span.line != span.end_line or not 0 < span.line <= len(self._lines):
            return None
        return self._lines[span.line - 1][span.col:span.end_col]


def comma_items(value: Value) -> Tuple[Value, ...]:
    """The pieces of a comma-separated string scalar, stripped as LLaMA-Factory strips them,
    each located inside the string when its text maps one-to-one onto the source (a plain or
    quoted scalar on one line without escapes); else every piece points at the whole scalar."""
    text = value.python
    assert isinstance(text, str)
    raw = value.raw
    body_offset: Optional[int] = None
    if raw is not None:
        if raw == text:
            body_offset = 0
        elif len(raw) == len(text) + 2 and raw[0] in "'\"" and raw[-1] == raw[0] \
                and raw[1:-1] == text:
            body_offset = 1
    pieces: List[Value] = []
    start = 0
    for part in text.split(","):
        stripped = part.strip()
        lead = len(part) - len(part.lstrip())
        if body_offset is not None:
            col = value.span.col + body_offset + start + lead
            span = Span(value.span.line, col, value.span.line, col + len(stripped))
            piece = Value(stripped, value.node, span, literal=False)
        else:
            piece = Value(stripped, value.node, value.span, literal=False)
        pieces.append(piece)
        start += len(part) + 1
    return tuple(pieces)
