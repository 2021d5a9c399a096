"""Resolved values: what an expression is known to evaluate to, and where it is written.

A ``Value`` keeps the plain Python value *and* the source node behind it, element by element,
so a rule can point at the one string inside a list even when the list is a module constant
defined far from the call. Anything that cannot be known from the file alone is ``UNKNOWN``;
rules stay silent about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator, Optional, Tuple, Union

from .diagnostics import Span

if TYPE_CHECKING:
    from typing_extensions import TypeGuard


class _Unknown:
    """The value cannot be known statically (argparse, function parameter, attribute, ...)."""

    _instance: Optional["_Unknown"] = None

    def __new__(cls) -> "_Unknown":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


@dataclass(frozen=True)
class CallResult:
    """The object a call returns (``index`` set when it was unpacked: ``model, tok = f()``)."""

    call: Any  # ast.Call
    index: Optional[int] = None


SEQUENCE = "sequence"
MAPPING = "mapping"
SCALAR = "scalar"
OBJECT = "object"


@dataclass(frozen=True, eq=False)
class Value:
    """A statically known value.

    ``python`` is the plain value (``str``, ``int``, ``float``, ``bool``, ``None``, ``list``,
    ``tuple``, ``set``, ``dict`` or a ``CallResult``); ``node`` (an ``ast`` node) and ``span``
    locate the expression it was read from. ``literal`` is True when that expression is a single literal a fix may
    rewrite in place (``"q_proj"``, ``16``, ``True``); computed values (``8 * 2``,
    ``"a,b".split(",")``) are not. Sequences keep their elements in ``items``, mappings their
    entries in ``entries``.
    """

    python: Any
    node: Any
    span: Span
    literal: bool = False
    kind: str = SCALAR
    items: Tuple["Value", ...] = ()
    entries: Tuple[Tuple[str, "Value"], ...] = ()
    raw: Optional[str] = None   # a string literal's source text, quotes and prefix included

    @property
    def is_sequence(self) -> bool:
        return self.kind == SEQUENCE

    @property
    def is_mapping(self) -> bool:
        return self.kind == MAPPING

    def entry(self, key: str) -> Optional["Value"]:
        for entry_key, value in self.entries:
            if entry_key == key:
                return value
        return None

    def strings(self) -> Iterator["Value"]:
        """The string elements of a sequence (nothing for other values)."""
        for item in self.items:
            if isinstance(item.python, str):
                yield item


Resolved = Union[Value, _Unknown]


def is_number(value: Any) -> TypeGuard[Union[int, float]]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
