"""``@dataclass`` as ``dataclasses`` declares it, without its cost at import.

``dataclasses`` writes each class's ``__init__``, ``__repr__``, ``__eq__``, ``__hash__`` and
frozen ``__setattr__``/``__delattr__`` as source text and compiles it when the module is
imported: ~0.3-0.6 ms per class on Python 3.11, ~35 ms for the ~60 classes a flake8 run on one
training script loads, more than the analysis itself. An editor that starts a fresh ``flake8``
per save pays that on every save. This ``dataclass`` gives every class the same module-level
constructor, ``repr`` and frozen ``__setattr__``/``__delattr__``, which read the class's
``_Plan`` (its fields, defaults, factories), a comparison and a hash per class (they are hot on
dense code) sharing one closure cell, and the ``Field`` objects only when asked for. What a built
class keeps for the process is what every full collection and the interpreter's exit walk:
its plan's tables are tuples of strings and plain values, which the collector stops tracking
(``_MISSING`` is a bare ``object()`` for that). A class is built on first use (its first
instance, however made, or its fields asked for): a run declares many classes it never makes,
and building one costs ~0.15 M instructions (~25 us). The package's modules import ``dataclass``,
``field`` and ``replace`` from here, so ``dataclasses`` itself (~1 M instructions to import) is
not needed to declare or copy a data class: ``field`` records its arguments, ``replace`` builds
the changed copy as ``dataclasses.replace`` does, and ``dataclasses`` is imported when something
needs its objects (``Field``, ``fields``, a class left to ``dataclasses.dataclass``, a
``FrozenInstanceError``).

The behaviour is the dataclass's: the same constructor (positional and keyword, defaults,
``field(default_factory=...)``), ``repr``, equality and ordering over the compared fields,
``__hash__`` by the same rules (frozen + eq: hashed by the compared fields; eq alone:
unhashable; a method the class defines itself is kept), frozen instances refuse assignment
with ``FrozenInstanceError``, and ``__dataclass_fields__`` holds real ``Field`` objects (made on
first access), so ``dataclasses.replace``, ``fields``, ``asdict`` and ``is_dataclass`` work
unchanged. Anything it does not cover (``InitVar``, ``__post_init__``, ``init=False`` fields,
inheritance from a data class, ``slots``) is handed to ``dataclasses.dataclass`` itself.
``tests/test_fast_dataclass.py`` compares both on every such class of the package.

Type checkers see ``dataclasses.dataclass``, ``field`` and ``replace`` (the ``TYPE_CHECKING``
branch), so mypy checks constructors, frozen assignments and ``replace`` exactly as before.
"""

from __future__ import annotations

import operator
import reprlib
import sys
import threading
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Dict, FrozenSet, List, Optional, Sequence, Tuple

__all__ = ["dataclass", "field", "replace"]


# "no default", as ``dataclasses.MISSING`` (which ``as_field`` puts in its place). A bare
# ``object()``: an instance of a class of ours would be tracked by the garbage collector, and so
# would every field record that holds it (~100 tuples walked in each full collection and at exit).
_MISSING: Any = object()
_MUTABLE_DEFAULTS = (list, dict, set)


class _FieldArguments:
    """What ``field(...)`` was given; a ``dataclasses.Field`` is made from it when asked for."""

    __slots__ = ("default", "default_factory", "init", "repr", "compare", "hash", "metadata")

    def __init__(self, default: Any, default_factory: Any, init: bool, repr: bool, compare: bool,
                 hash: Optional[bool], metadata: Any) -> None:
        if default is not _MISSING and default_factory is not _MISSING:
            raise ValueError("cannot specify both default and default_factory")
        self.default, self.default_factory, self.init = default, default_factory, init
        self.repr, self.compare, self.hash, self.metadata = repr, compare, hash, metadata

    def as_field(self) -> Any:
        import dataclasses

        return dataclasses.field(
            default=dataclasses.MISSING if self.default is _MISSING else self.default,
            default_factory=dataclasses.MISSING if self.default_factory is _MISSING else self.default_factory,
            init=self.init, repr=self.repr, compare=self.compare, hash=self.hash, metadata=self.metadata)


def _field(*, default: Any = _MISSING, default_factory: Any = _MISSING, init: bool = True,
           repr: bool = True, compare: bool = True, hash: Optional[bool] = None, metadata: Any = None) -> Any:
    """``dataclasses.field`` with the arguments the package uses."""
    return _FieldArguments(default, default_factory, init, repr, compare, hash, metadata)


def _replace(instance: Any, **changes: Any) -> Any:
    """``dataclasses.replace``: a copy of ``instance`` with ``changes``, made by its constructor."""
    plan = type(instance).__dict__.get("__fast_dataclass_plan__")
    if plan is None:  # not a class of this module (or a subclass): as dataclasses does it
        import dataclasses

        return dataclasses.replace(instance, **changes)
    for name in plan.names:
        if name not in changes:
            changes[name] = getattr(instance, name)
    return type(instance)(**changes)


def _is_class_var(annotation: Any) -> bool:
    if isinstance(annotation, str):  # ``from __future__ import annotations``
        return annotation.startswith(("ClassVar", "typing.ClassVar"))
    return annotation is ClassVar or getattr(annotation, "__origin__", None) is ClassVar


def _field_arguments(value: Any) -> Optional[_FieldArguments]:
    """The arguments of a ``field(...)`` of this module or of ``dataclasses`` (checked only
    when something imported it), with this module's ``_MISSING``; None for any other value."""
    if isinstance(value, _FieldArguments):
        return value
    dataclasses = sys.modules.get("dataclasses")
    if dataclasses is None or not isinstance(value, dataclasses.Field):
        return None

    def ours(given: Any) -> Any:
        return _MISSING if given is dataclasses.MISSING else given

    return _FieldArguments(ours(value.default), ours(value.default_factory), value.init, value.repr,
                           value.compare, value.hash, value.metadata)


def _as_dataclasses_fields(cls: type) -> None:
    """This module's ``field(...)`` values replaced by ``dataclasses``' own (before a class is
    handed to ``dataclasses.dataclass``)."""
    for name, value in list(cls.__dict__.items()):
        if isinstance(value, _FieldArguments):
            setattr(cls, name, value.as_field())


# One field as ``dataclasses`` records it, kept as plain values (a tuple is the cheapest record
# to make): the ``Field`` objects are made only when something asks for them (``fields``,
# ``asdict``, ``dataclasses.replace``). ``given`` is the class's ``field(...)`` (this module's or
# a ``dataclasses.Field``), else None.
_FieldRecord = Tuple[str, Any, Any, Any, bool, bool, Any]  # name, type, default, default_factory, repr, compare, given


def _as_field(record: _FieldRecord) -> Any:
    import dataclasses

    name, annotation, default, _, _, _, given = record
    if isinstance(given, _FieldArguments):
        made = given.as_field()
    elif given is not None:
        made = given
    else:
        made = dataclasses.field(default=dataclasses.MISSING if default is _MISSING else default)
    made.name = name
    made.type = annotation
    made._field_type = dataclasses._FIELD  # type: ignore[attr-defined]
    return made


def _plan_of(cls: type, options: Tuple[bool, bool, bool, bool]) -> Optional[_Plan]:
    """The class's fields as ``dataclasses`` records them, in its plan; None when the class
    uses a feature this module leaves to ``dataclasses`` (none of the package's classes do):
    ``__post_init__``, ``__slots__``, a data class as base, ``InitVar``, ``KW_ONLY``,
    ``field(init=False)``. The class is not changed (``_process`` removes or replaces the
    ``field(...)`` values). One loop fills every table of the plan, run for ~20 classes on the
    first file of every process: a field without a class attribute (most of them) costs it a
    membership test and its record (testing each annotation's text three times and looking
    each name up in the class cost ~2 K instructions more a field)."""
    namespace = cls.__dict__
    if "__post_init__" in namespace or "__slots__" in namespace:
        return None
    if cls.__bases__ != (object,) and any("__dataclass_fields__" in vars(base) for base in cls.__mro__[1:]):
        return None
    plan = _Plan(cls, options)
    annotations = namespace.get("__annotations__", {})
    # each annotation's text is asked about InitVar, KW_ONLY and ClassVar only when their
    # joined text names one (with ``from __future__ import annotations`` all are strings)
    try:
        joined = "\n".join(annotations.values())
        marked = "InitVar" in joined or "KW_ONLY" in joined or "ClassVar" in joined
    except TypeError:   # an annotation that is not a string: asked about one by one
        marked = True
    fields: List[_FieldRecord] = []
    names: List[str] = []   # only when a ClassVar may be among the annotations
    defaults, factories = [], []
    hidden = False   # a ``field(repr=False)`` or ``field(compare=False)``: ``shown``, ``compared`` differ
    for name, annotation in annotations.items():
        if marked:
            text = annotation if annotation.__class__ is str else repr(annotation)
            if "InitVar" in text or "KW_ONLY" in text:
                return None
            if "ClassVar" in text and _is_class_var(annotation):  # ``in`` first: a call costs ~1k
                continue
            names.append(name)
        if name not in namespace:   # no class attribute: no default
            fields.append((name, annotation, _MISSING, _MISSING, True, True, None))
            continue
        default = namespace[name]
        arguments = default if default.__class__ is _FieldArguments else _field_arguments(default)
        if arguments is None:
            if isinstance(default, _MUTABLE_DEFAULTS):
                raise ValueError(f"mutable default {type(default)} for field {name} is not "
                                 "allowed: use default_factory")
            fields.append((name, annotation, default, _MISSING, True, True, None))
            defaults.append((name, default))
            continue
        if not arguments.init:
            return None
        fields.append((name, annotation, arguments.default, arguments.default_factory,
                       arguments.repr, arguments.compare, default))
        if arguments.default is not _MISSING:
            defaults.append((name, arguments.default))
        elif arguments.default_factory is not _MISSING:
            factories.append((name, arguments.default_factory))
        hidden = hidden or not (arguments.repr and arguments.compare)
    # tuples, kept for the process: the collector stops tracking a tuple of untracked values
    plan.fields = tuple(fields)
    plan.names = tuple(names) if marked else tuple(annotations)
    plan.known = frozenset(plan.names)
    plan.count = len(plan.names)
    plan.defaults = tuple(defaults)
    plan.factories = tuple(factories)
    if hidden:
        plan.shown = tuple([record[0] for record in fields if record[4]])
        plan.compared = tuple([record[0] for record in fields if record[5]])
    else:
        plan.shown = plan.compared = plan.names
    return plan


class _Plan:
    """What the shared methods below need of one class: one object per class, where a closure
    per method per class held the same values in ~20 cells (~1,100 cells and ~400 functions for
    the check path's classes, each walked by the garbage collector in every full collection and
    at exit). ``options`` are the decorator's (frozen, eq, order, repr); ``_plan_of`` fills the
    rest."""

    __slots__ = ("cls", "options", "fields", "names", "known", "count", "defaults", "factories",
                 "shown", "compared", "calls")

    names: Tuple[str, ...]
    known: FrozenSet[str]
    count: int
    defaults: Tuple[Tuple[str, Any], ...]
    factories: Tuple[Tuple[str, Any], ...]
    shown: Tuple[str, ...]
    compared: Tuple[str, ...]
    fields: Tuple[_FieldRecord, ...]

    def __init__(self, cls: type, options: Tuple[bool, bool, bool, bool]) -> None:
        self.cls = cls
        self.options = options
        self.calls = 0


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    """The constructor of every class of this module until it is hot (``HOT_CLASS_CALLS``)."""
    plan: _Plan = type(self).__fast_dataclass_plan__
    plan.calls += 1
    if plan.calls == HOT_CLASS_CALLS and plan.cls.__dict__.get("__init__") is _init:
        setattr(plan.cls, "__init__", _compiled_init(plan.cls, plan.fields))
    names, count = plan.names, plan.count
    if args:
        if len(args) > count:
            raise TypeError(f"{plan.cls.__qualname__}.__init__() takes {count + 1} positional "
                            f"arguments but {len(args) + 1} were given")
        values = dict(zip(names, args))
        if kwargs:
            if not values.keys().isdisjoint(kwargs):
                twice = next(name for name in kwargs if name in values)
                raise TypeError(f"{plan.cls.__qualname__}.__init__() got multiple values for "
                                f"argument '{twice}'")
            values.update(kwargs)
    else:
        values = kwargs
    if len(values) < count:
        for name, default in plan.defaults:
            if name not in values:
                values[name] = default
        for name, factory in plan.factories:
            if name not in values:
                values[name] = factory()
    if len(values) != count or kwargs and not plan.known.issuperset(kwargs):
        unknown = [name for name in kwargs if name not in plan.known]
        if unknown:
            raise TypeError(f"{plan.cls.__qualname__}.__init__() got an unexpected keyword "
                            f"argument '{unknown[0]}'")
        missing = [name for name in names if name not in values]
        raise TypeError(f"{plan.cls.__qualname__}.__init__() missing {len(missing)} required "
                        f"argument{'s' if len(missing) > 1 else ''}: "
                        + ", ".join(repr(name) for name in missing))
    object.__setattr__(self, "__dict__", values)


# A class built this many times in one process (``Span``, ``Binding``, ``Value`` on dense LoRA
# code: thousands per file) gets the constructor ``dataclasses`` would compile, ~3x faster than
# the shared one; a training script's few instances never pay for compiling it.
HOT_CLASS_CALLS = 500


def _compiled_init(cls: type, fields: Sequence[_FieldRecord]) -> Callable[..., None]:
    """The same constructor with the class's own signature (what ``dataclasses`` generates)."""
    namespace: Dict[str, Any] = {"__fd_set": object.__setattr__, "__fd_missing": _MISSING}
    parameters, values = [], []
    for index, (name, _, default, factory, _, _, _) in enumerate(fields):
        if factory is not _MISSING:
            namespace[f"__fd_factory_{index}"] = factory
            parameters.append(f"{name}=__fd_missing")
            values.append(f"{name!r}: __fd_factory_{index}() if {name} is __fd_missing "
                          f"else {name}")
        else:
            if default is not _MISSING:
                namespace[f"__fd_default_{index}"] = default
                parameters.append(f"{name}=__fd_default_{index}")
            else:
                parameters.append(name)
            values.append(f"{name!r}: {name}")
    source = (f"def __init__(self, {', '.join(parameters)}):\n"
              f"    __fd_set(self, '__dict__', {{{', '.join(values)}}})\n")
    exec(source, namespace)  # the source is built from the class's field names only
    made: Callable[..., None] = namespace["__init__"]
    made.__qualname__ = f"{cls.__qualname__}.__init__"
    return made


@reprlib.recursive_repr()
def _repr(self: Any) -> str:
    return f"{type(self).__qualname__}(" + ", ".join(
        f"{name}={getattr(self, name)!r}" for name in type(self).__fast_dataclass_plan__.shown) + ")"


def _compared(names: Sequence[str]) -> Callable[[Any], Tuple[Any, ...]]:
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


def _equality(key: Callable[[Any], Tuple[Any, ...]]) -> Tuple[Callable[[Any, Any], Any],
                                                              Callable[[Any], int]]:
    """A class's ``__eq__`` and ``__hash__`` over its compared fields. Both close over the one
    cell of ``key`` (a comparison made by ``_make_comparison`` holds two, and each cell is
    kept, and walked by the collector, for the rest of the process) and ``__eq__`` compares
    with ``==`` itself, not through ``operator.eq`` (it is hot on dense code)."""
    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return key(self) == key(other)
        return NotImplemented

    def __hash__(self: Any) -> int:
        return hash(key(self))

    return __eq__, __hash__


def _frozen_error(message: str) -> Exception:
    from dataclasses import FrozenInstanceError

    return FrozenInstanceError(message)


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    cls = type(self).__fast_dataclass_plan__.cls
    if type(self) is cls or name in cls.__fast_dataclass_plan__.known:
        raise _frozen_error(f"cannot assign to field {name!r}")
    super(cls, self).__setattr__(name, value)


def _frozen_delattr(self: Any, name: str) -> None:
    cls = type(self).__fast_dataclass_plan__.cls
    if type(self) is cls or name in cls.__fast_dataclass_plan__.known:
        raise _frozen_error(f"cannot delete field {name!r}")
    super(cls, self).__delattr__(name)


def _process(cls: type, frozen: bool, eq: bool, order: bool, repr_: bool) -> type:
    """Build ``cls``: its plan and methods. Each method is set only when the class lacks it;
    every assignment to a class costs (~2,000 instructions, ~4,500 for a special method, whose
    slot is updated), so nothing else is stored on the class."""
    namespace = cls.__dict__
    plan = _plan_of(cls, (frozen, eq, order, repr_))
    declared = namespace.get("__init__") is _first_init  # built on first use (``_declare``)
    if plan is None:
        import dataclasses

        if declared:  # the hooks go: dataclasses sets only what the class lacks
            delattr(cls, "__init__")
            delattr(cls, "__dataclass_fields__")
        _as_dataclasses_fields(cls)
        return dataclasses.dataclass(cls, frozen=frozen, eq=eq, order=order, repr=repr_)
    if order and not eq:
        raise ValueError("eq must be true if order is true")
    for name, _, default, _, _, _, given in plan.fields:
        if given is not None:  # a ``field(...)``: its default stays as the class attribute
            if default is _MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, default)
    setattr(cls, "__fast_dataclass_plan__", plan)
    if not declared:
        setattr(cls, "__dataclass_fields__", _FIELDS)
    if declared or "__init__" not in namespace:
        setattr(cls, "__init__", _init)
    if repr_ and "__repr__" not in namespace:
        setattr(cls, "__repr__", _repr)
    class_hash = namespace.get("__hash__", _MISSING)
    explicit_hash = not (class_hash is _MISSING or class_hash is None and "__eq__" in namespace)
    if eq:
        key = _compared(plan.compared)
        equal, hashed = _equality(key)
        if "__eq__" not in namespace:
            setattr(cls, "__eq__", equal)
        if not explicit_hash:
            cls.__hash__ = hashed if frozen else None  # type: ignore
    if order:
        for name, compare in (("__lt__", operator.lt), ("__le__", operator.le),
                              ("__gt__", operator.gt), ("__ge__", operator.ge)):
            if name in namespace:
                raise TypeError(f"Cannot overwrite attribute {name} in class {cls.__name__}. "
                                "Consider using functools.total_ordering")
            setattr(cls, name, _make_comparison(key, compare, name))
    if frozen:
        for name, method in (("__setattr__", _frozen_setattr), ("__delattr__", _frozen_delattr)):
            if name in namespace:
                raise TypeError(f"Cannot overwrite attribute {name} in class {cls.__name__}")
            setattr(cls, name, method)
    if "__match_args__" not in namespace:
        setattr(cls, "__match_args__", plan.names)
    return cls


_BUILT_AT_ONCE = ("__init__", "__setstate__", "__post_init__", "__slots__")
_BUILDING = threading.RLock()  # a build never waits for itself


def _declare(cls: type, options: Tuple[bool, bool, bool, bool]) -> type:
    """Mark ``cls`` to be built (``_process``) when its first instance is made: constructed
    (``__init__``), or unpickled or copied (``__setstate__``), or when its fields are asked for
    (``__dataclass_fields__``). A module declares classes that a run may never make (a file
    without findings makes no ``Diagnostic``); building one costs ~0.1 M instructions, most of
    them assignments of special methods, each of which updates the class's slots. A class with
    base classes, its own constructor or state, or what ``dataclasses`` builds is built at once."""
    namespace = cls.__dict__
    if cls.__bases__ != (object,) or not namespace.keys().isdisjoint(_BUILT_AT_ONCE):
        return _process(cls, *options)
    for name in namespace.get("__annotations__", ()):
        if isinstance(namespace.get(name), _MUTABLE_DEFAULTS):  # refused when declared, as by dataclasses
            return _process(cls, *options)
    setattr(cls, "__fast_dataclass_pending__", options)
    setattr(cls, "__init__", _first_init)
    setattr(cls, "__setstate__", _first_setstate)
    setattr(cls, "__dataclass_fields__", _FIELDS)
    return cls


def _build_pending(cls: type) -> None:
    """Build the classes in ``cls``'s MRO that are still marked, bases first (``_process``
    replaces the ``__init__`` hook; ``__dataclass_fields__`` stays)."""
    with _BUILDING:
        for klass in reversed(cls.__mro__):
            options = klass.__dict__.get("__fast_dataclass_pending__")
            if options is not None:
                delattr(klass, "__fast_dataclass_pending__")
                delattr(klass, "__setstate__")
                _process(klass, *options)


def _first_init(self: Any, *args: Any, **kwargs: Any) -> None:
    """``__init__`` of a class not built yet: build it, then run the constructor it got."""
    _build_pending(type(self))
    type(self).__init__(self, *args, **kwargs)


def _first_setstate(self: Any, state: Any) -> None:
    """``__setstate__`` of a class not built yet (an instance unpickled or copied before any
    was constructed): build it, then restore the state as ``pickle`` does by default."""
    _build_pending(type(self))
    if isinstance(state, tuple) and len(state) == 2:
        state, slot_state = state
    else:
        slot_state = None
    if state:
        self.__dict__.update(state)
    for name, value in (slot_state or {}).items():
        object.__setattr__(self, name, value)


class _Fields:
    """``__dataclass_fields__`` of every class of this module (``dataclasses.fields``,
    ``is_dataclass``): builds a class not built yet, then makes its ``Field`` objects and
    stores them on the class in its place (one shared descriptor, no object per class)."""

    def __get__(self, instance: Any, owner: type) -> Dict[str, Any]:
        _build_pending(owner)
        plan: _Plan = owner.__fast_dataclass_plan__  # type: ignore[attr-defined]
        made = {record[0]: _as_field(record) for record in plan.fields}
        setattr(owner, "__dataclass_fields__", made)
        return made


_FIELDS = _Fields()


if TYPE_CHECKING:
    from dataclasses import dataclass, field, replace
else:
    field = _field
    replace = _replace

    def dataclass(cls: Optional[type] = None, *, frozen: bool = False, eq: bool = True,
                  order: bool = False, repr: bool = True) -> Any:
        """``@dataclass`` with the same options (``frozen``, ``eq``, ``order``, ``repr``),
        built when first used (``_declare``)."""
        def wrap(target: type) -> type:
            return _declare(target, (frozen, eq, order, repr))

        return wrap if cls is None else wrap(cls)
