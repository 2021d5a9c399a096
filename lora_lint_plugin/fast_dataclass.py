"""``@dataclass`` as ``dataclasses`` declares it, without its cost at import.

``dataclasses`` writes each class's ``__init__``, ``__repr__``, ``__eq__``, ``__hash__`` and
frozen ``__setattr__``/``__delattr__`` as source text and compiles it when the module is
imported: ~0.3-0.6 ms per class on Python 3.11, ~35 ms for the ~60 classes a flake8 run on one
training script loads, more than the analysis itself. An editor that starts a fresh ``flake8``
per save pays that on every save. This ``dataclass`` builds the same methods from shared
functions (no compiling), and the ``Field`` objects only when asked for: declaring a class costs
~25 us (1.5 ms for those ~60 classes). The package's modules import ``dataclass`` from here
instead of ``dataclasses``; ``field`` and ``replace`` still come from ``dataclasses``.

The behaviour is the dataclass's: the same constructor (positional and keyword, defaults,
``field(default_factory=...)``), ``repr``, equality and ordering over the compared fields,
``__hash__`` by the same rules (frozen + eq: hashed by the compared fields; eq alone:
unhashable; a method the class defines itself is kept), frozen instances refuse assignment
with ``FrozenInstanceError``, and ``__dataclass_fields__`` holds real ``Field`` objects (made on
first access), so
``dataclasses.replace``, ``fields``, ``asdict`` and ``is_dataclass`` work unchanged. Anything
it does not cover (``InitVar``, ``__post_init__``, ``init=False`` fields, inheritance from a
data class, ``slots``) is handed to ``dataclasses.dataclass`` itself.
``tests/test_fast_dataclass.py`` compares both on every such class of the package.

Type checkers see ``dataclasses.dataclass`` (the ``TYPE_CHECKING`` branch), so mypy checks
constructors, frozen assignments and ``replace`` exactly as before.
"""

from __future__ import annotations

import dataclasses
import operator
import reprlib
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Dict, List, Optional, Tuple

__all__ = ["dataclass"]

field = dataclasses.field
_MISSING = dataclasses.MISSING
_FIELD_KIND = getattr(dataclasses, "_FIELD", None)   # what ``fields()`` and ``replace()`` select
_MUTABLE_DEFAULTS = (list, dict, set)


def _is_class_var(annotation: Any) -> bool:
    if isinstance(annotation, str):  # ``from __future__ import annotations``
        return annotation.startswith(("ClassVar", "typing.ClassVar"))
    return annotation is ClassVar or getattr(annotation, "__origin__", None) is ClassVar


def _needs_dataclass(cls: type, annotations: Dict[str, Any]) -> bool:
    """Features this module leaves to ``dataclasses`` (none of the package's classes use them)."""
    if _FIELD_KIND is None or "__post_init__" in cls.__dict__ or "__slots__" in cls.__dict__:
        return True
    if any(hasattr(base, "__dataclass_fields__") for base in cls.__mro__[1:]):
        return True
    for name, annotation in annotations.items():
        text = annotation if isinstance(annotation, str) else repr(annotation)
        if "InitVar" in text or "KW_ONLY" in text:
            return True
        default = cls.__dict__.get(name, _MISSING)
        if isinstance(default, dataclasses.Field) and not default.init:
            return True
    return False


class _Spec:
    """What ``dataclasses`` records of a field, kept as plain values: the ``Field`` objects are
    made only when something asks for them (``replace``, ``fields``, ``asdict``)."""

    __slots__ = ("name", "type", "default", "default_factory", "repr", "compare", "field")

    def __init__(self, name: str, annotation: Any, default: Any) -> None:
        self.name = name
        self.type = annotation
        self.field: Optional[dataclasses.Field] = None
        if isinstance(default, dataclasses.Field):
            self.field = default
            self.default, self.default_factory = default.default, default.default_factory
            self.repr, self.compare = default.repr, default.compare
        else:
            self.default, self.default_factory = default, _MISSING
            self.repr = self.compare = True

    def as_field(self) -> dataclasses.Field:
        made: dataclasses.Field
        if self.field is not None:
            made = self.field
        else:
            made = field() if self.default is _MISSING else field(default=self.default)
        made.name = self.name
        made.type = self.type
        made._field_type = _FIELD_KIND  # type: ignore[attr-defined]
        return made


def _fields_of(cls: type, annotations: Dict[str, Any]) -> List[_Spec]:
    """The class's fields as ``dataclasses`` records them; the class attributes left as
    ``dataclasses`` leaves them (a plain default stays, a ``field(...)`` is removed)."""
    found = []
    namespace = cls.__dict__
    for name, annotation in annotations.items():
        if _is_class_var(annotation):
            continue
        default = namespace.get(name, _MISSING)
        if isinstance(default, dataclasses.Field):
            if default.default is _MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, default.default)
        elif isinstance(default, _MUTABLE_DEFAULTS):
            raise ValueError(f"mutable default {type(default)} for field {name} is not "
                             "allowed: use default_factory")
        found.append(_Spec(name, annotation, default))
    return found


class _LazyFields:
    """``__dataclass_fields__``, made on first access and then stored on the class."""

    def __init__(self, specs: List[_Spec]) -> None:
        self.specs = specs

    def __get__(self, instance: Any, owner: type) -> Dict[str, dataclasses.Field]:
        made = {spec.name: spec.as_field() for spec in self.specs}
        setattr(owner, "__dataclass_fields__", made)
        return made


def _make_init(cls: type, fields: List[_Spec]) -> Callable[..., None]:
    names = tuple(f.name for f in fields)
    known = frozenset(names)
    count = len(names)
    defaults = tuple((f.name, f.default) for f in fields if f.default is not _MISSING)
    factories = tuple((f.name, f.default_factory) for f in fields
                      if f.default_factory is not _MISSING)
    set_dict = object.__setattr__
    qualname = cls.__qualname__
    calls = 0

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == HOT_CLASS_CALLS and cls.__dict__.get("__init__") is __init__:
            setattr(cls, "__init__", _compiled_init(cls, fields))
        if args:
            if len(args) > count:
                raise TypeError(f"{qualname}.__init__() takes {count + 1} positional arguments "
                                f"but {len(args) + 1} were given")
            values = dict(zip(names, args))
            if kwargs:
                if not values.keys().isdisjoint(kwargs):
                    twice = next(name for name in kwargs if name in values)
                    raise TypeError(f"{qualname}.__init__() got multiple values for argument "
                                    f"'{twice}'")
                values.update(kwargs)
        else:
            values = kwargs
        if len(values) < count:
            for name, default in defaults:
                if name not in values:
                    values[name] = default
            for name, factory in factories:
                if name not in values:
                    values[name] = factory()
        if len(values) != count or kwargs and not known.issuperset(kwargs):
            unknown = [name for name in kwargs if name not in known]
            if unknown:
                raise TypeError(f"{qualname}.__init__() got an unexpected keyword argument "
                                f"'{unknown[0]}'")
            missing = [name for name in names if name not in values]
            raise TypeError(f"{qualname}.__init__() missing {len(missing)} required "
                            f"argument{'s' if len(missing) > 1 else ''}: "
                            + ", ".join(repr(name) for name in missing))
        set_dict(self, "__dict__", values)

    __init__.__qualname__ = f"{qualname}.__init__"
    return __init__


# A class built this many times in one process (``Span``, ``Binding``, ``Value`` on dense LoRA
# code: thousands per file) gets the constructor ``dataclasses`` would compile, ~3x faster than
# the shared one; a training script's few instances never pay for compiling it.
HOT_CLASS_CALLS = 500


def _compiled_init(cls: type, fields: List[_Spec]) -> Callable[..., None]:
    """The same constructor with the class's own signature (what ``dataclasses`` generates)."""
    namespace: Dict[str, Any] = {"__fd_set": object.__setattr__, "__fd_missing": _MISSING}
    parameters, values = [], []
    for index, spec in enumerate(fields):
        if spec.default_factory is not _MISSING:
            namespace[f"__fd_factory_{index}"] = spec.default_factory
            parameters.append(f"{spec.name}=__fd_missing")
            values.append(f"{spec.name!r}: __fd_factory_{index}() if {spec.name} is __fd_missing "
                          f"else {spec.name}")
        else:
            if spec.default is not _MISSING:
                namespace[f"__fd_default_{index}"] = spec.default
                parameters.append(f"{spec.name}=__fd_default_{index}")
            else:
                parameters.append(spec.name)
            values.append(f"{spec.name!r}: {spec.name}")
    source = (f"def __init__(self, {', '.join(parameters)}):\n"
              f"    __fd_set(self, '__dict__', {{{', '.join(values)}}})\n")
    exec(source, namespace)  # the source is built from the class's field names only
    made: Callable[..., None] = namespace["__init__"]
    made.__qualname__ = f"{cls.__qualname__}.__init__"
    return made


def _make_repr(cls: type, fields: List[_Spec]) -> Callable[[Any], str]:
    shown = tuple(f.name for f in fields if f.repr)

    @reprlib.recursive_repr()
    def __repr__(self: Any) -> str:
        return f"{type(self).__qualname__}(" + \
            ", ".join(f"{name}={getattr(self, name)!r}" for name in shown) + ")"

    __repr__.__qualname__ = f"{cls.__qualname__}.__repr__"
    return __repr__


def _compared(fields: List[_Spec]) -> Callable[[Any], Tuple[Any, ...]]:
    names = [f.name for f in fields if f.compare]
    if not names:
        return lambda instance: ()
    getter = operator.attrgetter(*names)
    if len(names) == 1:
        return lambda instance: (getter(instance),)
    return getter  # a tuple for two names or more


def _make_comparison(key: Callable[[Any], Tuple[Any, ...]], compare: Callable[[Any, Any], bool],
                     name: str) -> Callable[[Any, Any], Any]:
    def method(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return compare(key(self), key(other))
        return NotImplemented

    method.__name__ = name
    return method


def _frozen_methods(cls: Any, names: frozenset) -> Tuple[Callable[..., None], Callable[..., None]]:
    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    return __setattr__, __delattr__


def _set_new(cls: type, name: str, value: Any) -> None:
    if name not in cls.__dict__:
        setattr(cls, name, value)


def _process(cls: type, frozen: bool, eq: bool, order: bool, repr_: bool) -> type:
    annotations = cls.__dict__.get("__annotations__", {})
    if _needs_dataclass(cls, annotations):
        return dataclasses.dataclass(cls, frozen=frozen, eq=eq, order=order, repr=repr_)
    if order and not eq:
        raise ValueError("eq must be true if order is true")
    fields = _fields_of(cls, annotations)
    setattr(cls, "__dataclass_fields__", _LazyFields(fields))
    setattr(cls, "__fast_dataclass_options__", (frozen, eq, order, repr_))  # compared in the tests
    _set_new(cls, "__init__", _make_init(cls, fields))
    if repr_:
        _set_new(cls, "__repr__", _make_repr(cls, fields))
    class_hash = cls.__dict__.get("__hash__", _MISSING)
    explicit_hash = not (class_hash is _MISSING or class_hash is None and "__eq__" in cls.__dict__)
    if eq:
        key = _compared(fields)
        _set_new(cls, "__eq__", _make_comparison(key, operator.eq, "__eq__"))
        if not explicit_hash:
            cls.__hash__ = (lambda self: hash(key(self))) if frozen else None  # type: ignore
    if order:
        for name, compare in (("__lt__", operator.lt), ("__le__", operator.le),
                              ("__gt__", operator.gt), ("__ge__", operator.ge)):
            if name in cls.__dict__:
                raise TypeError(f"Cannot overwrite attribute {name} in class {cls.__name__}. "
                                "Consider using functools.total_ordering")
            setattr(cls, name, _make_comparison(key, compare, name))
    if frozen:
        for name, method in zip(("__setattr__", "__delattr__"),
                                _frozen_methods(cls, frozenset(f.name for f in fields))):
            if name in cls.__dict__:
                raise TypeError(f"Cannot overwrite attribute {name} in class {cls.__name__}")
            setattr(cls, name, method)
    _set_new(cls, "__match_args__", tuple(f.name for f in fields))
    return cls


if TYPE_CHECKING:
    from dataclasses import dataclass
else:
    def dataclass(cls: Optional[type] = None, *, frozen: bool = False, eq: bool = True,
                  order: bool = False, repr: bool = True) -> Any:
        """``@dataclass`` with the same options (``frozen``, ``eq``, ``order``, ``repr``)."""
        def wrap(target: type) -> type:
            return _process(target, frozen, eq, order, repr)

        return wrap if cls is None else wrap(cls)
