"""Resolved values: what an expression is known to evaluate to, and where it is written.

A ``Value`` keeps the plain Python value *and* the source node behind it, element by element,
so a rule can point at the one string inside a list even when the list is a module constant
defined far from the call. Anything that cannot be known from the file alone is ``UNKNOWN``;
rules stay silent about it.

A value read from a *default* (second resolution tier: an argparse option's ``default=``, a
dataclass field, a class attribute, ``os.environ.get``'s fallback) carries ``origin``, e.g.
``"default of --lora_r"``: every diagnostic that rests on it says so (``provenance.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator, Optional, Tuple, Union

from ..fast_dataclass import dataclass, replace
from .diagnostics import Span

if TYPE_CHECKING:
    from typing_extensions import TypeAlias, TypeGuard


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
    # The calls of local functions that returned it, outermost first: ``model =
    # load_model("org/x")`` is the loader call inside ``load_model`` as called there. Two calls
    # of one function give different objects.
    via: Tuple[Any, ...] = ()


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
    entries in ``entries``. ``origin`` is set on values that rest on a default (see the module
    docstring), on the value and on each of its elements.
    """

    python: Any
    node: Any
    span: Span
    literal: bool = False
    kind: str = SCALAR
    items: Tuple["Value", ...] = ()
    entries: Tuple[Tuple[str, "Value"], ...] = ()
    raw: Optional[str] = None   # a string literal's source text, quotes and prefix included
    origin: Optional[str] = None   # where a second-tier value comes from ("default of --r")

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


# Aliases are strings, read by mypy only: building a typing ``Union`` or ``Tuple[...]`` when a
# module is imported costs ~0.1 M instructions each (issue 13, per save).
Resolved: TypeAlias = "Union[Value, _Unknown]"


def is_number(value: Any) -> TypeGuard[Union[int, float]]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def with_origin(value: Value, origin: Optional[str]) -> Value:
    """``value`` (and its elements) marked as resting on ``origin``; unchanged when None or
    already marked (the innermost default is the one to name)."""
    if origin is None or value.origin is not None:
        return value
    return replace(value, origin=origin,
                   items=tuple(with_origin(item, origin) for item in value.items),
                   entries=tuple((key, with_origin(entry, origin))
                                 for key, entry in value.entries))


def first_origin(*values: Any) -> Optional[str]:
    """The origin of the first marked value among ``values`` (non-values ignored)."""
    for value in values:
        if isinstance(value, Value) and value.origin is not None:
            return value.origin
    return None


def not_rewritable(value: Value) -> Value:
    """``value`` with ``literal`` cleared throughout: it is written in several places (branches
    that agree), so no fix may rewrite just one of them."""
    if not value.literal and not value.items and not value.entries:
        return value
    return replace(value, literal=False,
                   items=tuple(not_rewritable(item) for item in value.items),
                   entries=tuple((key, not_rewritable(entry)) for key, entry in value.entries))


def anchored(value: Value, node: Any, span: Span) -> Value:
    """``value`` (and its elements) located at ``node``: a value written in several places
    (agreeing branches) is reported where it is used, and no fix rewrites it."""
    return replace(value, node=node, span=span, literal=False, raw=None,
                   items=tuple(anchored(item, node, span) for item in value.items),
                   entries=tuple((key, anchored(entry, node, span))
                                 for key, entry in value.entries))


def same_value(first: Value, second: Value) -> bool:
    """True when two resolved values are certainly the same at run time: equal plain values of
    the same type, or the same call's result."""
    if first is second:
        return True
    if first.kind == OBJECT or second.kind == OBJECT:
        return first.kind == second.kind and first.python == second.python
    if type(first.python) is not type(second.python) or first.kind != second.kind:
        return False
    try:
        return bool(first.python == second.python)
    except Exception:  # noqa: BLE001 - exotic values: not provably the same
        return False
