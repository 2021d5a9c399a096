"""``fast_dataclass.dataclass`` behaves as ``dataclasses.dataclass``: on a class using every option
the package uses, and on every data class of the package against a twin that ``dataclasses``
builds from the same fields."""

from __future__ import annotations

import dataclasses
import importlib
import pickle
import pkgutil
import re
import subprocess
import sys
from dataclasses import FrozenInstanceError, asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Callable, ClassVar, Dict, List, Tuple

import pytest

import lora_lint_plugin
from lora_lint_plugin.fast_dataclass import dataclass as fast_dataclass
from lora_lint_plugin.fast_dataclass import field as fast_field
from lora_lint_plugin.fast_dataclass import replace as fast_replace

OPTIONS = [dict(), dict(eq=False), dict(frozen=True), dict(frozen=True, eq=False),
           dict(frozen=True, order=True)]


def declare(decorator: Callable[..., Any], field: Callable[..., Any] = field, **options: Any) -> type:
    @decorator(**options)
    class Sample:
        kind: ClassVar[str] = "sample"
        name: str
        size: int = 1
        tags: List[str] = field(default_factory=list)
        note: Any = field(default=None, compare=False)
        cache: Dict[str, int] = field(default_factory=dict, repr=False, compare=False)

        def describe(self) -> str:
            return f"{self.name}:{self.size}"

    return Sample


@pytest.fixture(params=OPTIONS, ids=lambda options: repr(options))
def options(request: Any) -> Dict[str, bool]:
    return dict(request.param)


@pytest.fixture
def both(options: Dict[str, bool]) -> Tuple[type, type]:
    return declare(fast_dataclass, **options), declare(dataclass, **options)


def test_construction_and_defaults(both: Tuple[type, type]) -> None:
    for cls in both:
        first, second = cls("a"), cls("a", 2, ["x"], note=3)
        assert (first.name, first.size, first.tags, first.note, first.cache) == ("a", 1, [], None, {})
        assert (second.size, second.tags, second.note) == (2, ["x"], 3)
        assert cls("b").tags is not cls("b").tags           # a fresh default per instance
        assert cls(name="c", size=5).describe() == "c:5"
        assert cls.kind == "sample" and "kind" not in {f.name for f in fields(cls)}
        assert cls.size == 1 and not hasattr(cls, "tags")  # defaults stay, factories go
        assert cls.__match_args__ == ("name", "size", "tags", "note", "cache")


@pytest.mark.parametrize("args, kwargs", [((), {}), (("a", 1, [], None, {}, "extra"), {}),
                                          (("a",), {"name": "b"}), ((), {"nmae": "a"}),
                                          (("a",), {"colour": 1})])
def test_wrong_arguments_raise_type_error(args: tuple, kwargs: dict) -> None:
    for cls in (declare(fast_dataclass), declare(dataclass)):
        with pytest.raises(TypeError):
            cls(*args, **kwargs)


def test_repr_equality_hash_and_order(both: Tuple[type, type], options: Dict[str, bool]) -> None:
    ours, theirs = both
    frozen, eq, order = (options.get(name, name == "eq") for name in ("frozen", "eq", "order"))
    assert repr(ours("a", 2, ["x"])) == repr(theirs("a", 2, ["x"]))
    one, same, other = ours("a", note=1), ours("a", note=2), ours("b")
    assert (one == same) is eq and one != other and one == one
    assert (one == theirs("a")) is False  # another class is never equal
    assert (ours.__hash__ is None) is (theirs.__hash__ is None)
    if frozen and eq:
        assert hash(ours("a", tags=())) == hash(ours("a", tags=(), note=5))
    if order:
        assert ours("a") < ours("b") and ours("b", 1) >= ours("b", 0) and ours("a") <= ours("a")
        with pytest.raises(TypeError):
            ours("a") < theirs("b")  # noqa: B015


def test_frozen_instances_refuse_assignment(both: Tuple[type, type],
                                            options: Dict[str, bool]) -> None:
    for cls in both:
        instance = cls("a")
        if not options.get("frozen"):
            instance.size = 3
            assert instance.size == 3
            continue
        with pytest.raises(FrozenInstanceError):
            instance.size = 3
        with pytest.raises(FrozenInstanceError):
            del instance.name
        assert instance.size == 1


def test_dataclasses_functions_work(both: Tuple[type, type]) -> None:
    ours, theirs = both
    instance = ours("a", 2, ["x"], note=4)
    assert dataclasses.is_dataclass(instance)
    assert [f.name for f in fields(ours)] == [f.name for f in fields(theirs)]
    assert asdict(instance) == asdict(theirs("a", 2, ["x"], note=4))
    changed = replace(instance, size=7)
    assert (changed.name, changed.size, changed.tags, changed.note) == ("a", 7, ["x"], 4)
    assert type(changed) is ours


def test_fast_field_and_replace_as_dataclasses_own(options: Dict[str, bool]) -> None:
    """The package's ``field``/``replace`` (no ``dataclasses`` import on the check path) give the
    same classes and copies as ``dataclasses.field``/``replace``; ``replace`` copies any data class."""
    ours, theirs = declare(fast_dataclass, fast_field, **options), declare(dataclass, **options)
    spec = [(f.name, f.default, f.default_factory, f.repr, f.compare, f.hash, f.init) for f in fields(ours)]
    assert spec == [(f.name, f.default, f.default_factory, f.repr, f.compare, f.hash, f.init)
                    for f in fields(theirs)]
    assert repr(ours("a", 2)) == repr(theirs("a", 2)) and ours("b").tags is not ours("b").tags
    for instance in (ours("a", 2, ["x"], note=4), theirs("a", 2, ["x"], note=4)):
        changed = fast_replace(instance, size=7)
        assert type(changed) is type(instance) and repr(changed) == repr(replace(instance, size=7))
        assert (changed.name, changed.size, changed.tags, changed.note) == ("a", 7, ["x"], 4)
        with pytest.raises(TypeError):
            fast_replace(instance, colour=1)
    with pytest.raises(ValueError):
        fast_field(default=1, default_factory=list)


def test_a_class_left_to_dataclasses_takes_fast_fields() -> None:
    @fast_dataclass
    class Later:
        items: List[int] = fast_field(default_factory=list)

        def __post_init__(self) -> None:
            self.count = len(self.items)

    assert "__dataclass_params__" in vars(Later)  # __post_init__: built by dataclasses itself
    assert Later().items == [] and Later().items is not Later().items and Later([1, 2]).count == 2
    assert fast_replace(Later([1]), items=[1, 2, 3]).count == 3


def test_methods_the_class_defines_are_kept() -> None:
    @fast_dataclass(frozen=True)
    class Own:
        value: int

        def __repr__(self) -> str:
            return "own"

        def __eq__(self, other: object) -> bool:
            return True

        def __hash__(self) -> int:
            return 7

    assert repr(Own(1)) == "own" and Own(1) == Own(2) and hash(Own(3)) == 7


def test_mutable_default_is_refused_as_by_dataclass() -> None:
    with pytest.raises(ValueError):
        @fast_dataclass
        class Bad:
            items: List[int] = []  # noqa: RUF012


def _package_dataclasses() -> List[type]:
    found: Dict[str, type] = {}
    for module_info in pkgutil.walk_packages(lora_lint_plugin.__path__, "lora_lint_plugin."):
        try:
            module = importlib.import_module(module_info.name)
        except ImportError:  # an optional extra that is not installed
            continue
        for value in vars(module).values():
            if isinstance(value, type) and value.__module__ == module.__name__ and (
                    "__fast_dataclass_plan__" in value.__dict__ or
                    "__fast_dataclass_pending__" in value.__dict__):
                fields(value)  # builds a class not built yet
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[name] for name in sorted(found)]


PACKAGE_DATACLASSES = _package_dataclasses()


def test_the_package_declares_its_data_classes_with_fast_dataclass() -> None:
    assert len(PACKAGE_DATACLASSES) > 60
    assert not [cls for cls in PACKAGE_DATACLASSES if "__dataclass_params__" in vars(cls)]  # none fell back


def _twin(cls: type) -> type:
    """The same class body, processed by ``dataclasses``."""
    frozen, eq, order, repr_ = cls.__fast_dataclass_plan__.options  # type: ignore[attr-defined]
    namespace: Dict[str, Any] = {"__module__": cls.__module__, "__qualname__": cls.__qualname__,
                                 "__annotations__": dict(cls.__dict__["__annotations__"])}
    for f in fields(cls):
        namespace[f.name] = field(default=f.default, default_factory=f.default_factory,
                                  repr=f.repr, compare=f.compare, hash=f.hash)
    for name in ("__init__", "__hash__", "__eq__", "__repr__"):
        if name in cls.__dict__ and not _made_by_fast_dataclass(cls.__dict__[name]):
            namespace[name] = cls.__dict__[name]
    return dataclass(type(cls.__name__, (), namespace), frozen=frozen, eq=eq, order=order,
                     repr=repr_)


def _made_by_fast_dataclass(value: Any) -> bool:
    return value is None or getattr(value, "__module__", None) == "lora_lint_plugin.fast_dataclass"


@pytest.mark.parametrize("cls", PACKAGE_DATACLASSES, ids=lambda cls: f"{cls.__module__}.{cls.__qualname__}")
def test_each_package_dataclass_matches_its_dataclass_twin(cls: type) -> None:
    twin = _twin(cls)

    def spec(of: type) -> list:
        return [(f.name, f.default, f.default_factory, f.repr, f.compare) for f in fields(of)]

    assert spec(cls) == spec(twin)
    assert (cls.__hash__ is None) is (twin.__hash__ is None)
    if not _made_by_fast_dataclass(vars(cls)["__init__"]):
        return  # the class's own constructor, kept by both
    # every field set to a distinct hashable value; one compared field changed for inequality
    values = {f.name: ("value", index) for index, f in enumerate(fields(cls))}
    ours, theirs = cls(**values), twin(**values)
    frozen, eq = cls.__fast_dataclass_plan__.options[:2]  # type: ignore[attr-defined]
    assert repr(ours) == repr(theirs)
    assert (ours == cls(**values)) == (theirs == twin(**values))
    if frozen and eq and _made_by_fast_dataclass(vars(cls).get("__hash__")):
        assert hash(ours) == hash(cls(**values))
    compared = [f.name for f in fields(cls) if f.compare]
    if compared:
        changed = {**values, compared[0]: ("changed",)}
        assert (ours == cls(**changed)) == (theirs == twin(**changed))
    if frozen and compared:
        with pytest.raises(FrozenInstanceError):
            setattr(ours, compared[0], 1)
    copied = pickle.loads(pickle.dumps(replace(ours)))
    assert repr(copied) == repr(ours) and (copied == ours) is eq


def test_no_module_declares_data_classes_with_the_slow_decorator() -> None:
    """A new ``from dataclasses import dataclass`` would bring back the cost per class."""
    root = Path(lora_lint_plugin.__file__).parent
    slow = [path.relative_to(root).as_posix() for path in root.rglob("*.py")
            if path.name != "fast_dataclass.py" and
            re.search(r"^from dataclasses import .*\bdataclass\b|@dataclasses\.dataclass",
                      path.read_text(encoding="utf-8"), re.M)]
    assert slow == [], "import dataclass from lora_lint_plugin.fast_dataclass instead"


def test_a_hot_class_gets_a_compiled_constructor_with_the_same_behaviour() -> None:
    from lora_lint_plugin.fast_dataclass import HOT_CLASS_CALLS

    for options in OPTIONS:
        cls = declare(fast_dataclass, **options)
        shared = cls.__init__
        for index in range(HOT_CLASS_CALLS + 1):
            cls(f"n{index}")
        assert cls.__init__ is not shared  # the compiled one took over
        first, second = cls("a"), cls("a", 2, ["x"], note=3)
        assert (first.name, first.size, first.tags, first.note, first.cache) == ("a", 1, [], None, {})
        assert (second.size, second.tags, second.note) == (2, ["x"], 3)
        assert cls("b").tags is not cls("b").tags
        assert repr(second) == repr(declare(dataclass, **options)("a", 2, ["x"], note=3))
        for args, kwargs in [((), {}), (("a",), {"name": "b"}), ((), {"nmae": "a"})]:
            with pytest.raises(TypeError):
                cls(*args, **kwargs)
        if options.get("frozen"):
            with pytest.raises(FrozenInstanceError):
                first.size = 5


def test_a_class_is_built_when_first_used() -> None:
    """Declaring costs next to nothing: a class is built (methods, plan, fields) on its first
    instance, however it is made, or when its fields are asked for."""
    for options in OPTIONS:
        cls = declare(fast_dataclass, fast_field, **options)
        assert "__fast_dataclass_plan__" not in vars(cls)
        first = cls("a", 2)
        assert "__fast_dataclass_plan__" in vars(cls) and repr(first) == repr(cls("a", 2))
        unbuilt = declare(fast_dataclass, fast_field, **options)
        assert [f.name for f in fields(unbuilt)] == ["name", "size", "tags", "note", "cache"]
        assert "__fast_dataclass_plan__" in vars(unbuilt)


def test_an_instance_unpickled_before_any_is_made_gets_the_built_class() -> None:
    """``pickle`` and ``copy`` make instances without the constructor: a fresh process that
    unpickles a ``Diagnostic`` first still compares, hashes, sorts and prints it."""
    from lora_lint_plugin.analysis.diagnostics import Diagnostic, Span

    found = [Diagnostic(Span(3, 0, 3, 4), "LOR101", "b"), Diagnostic(Span(1, 0, 1, 4), "LOR102", "a")]
    code = ("import pickle, sys, copy\n"
            "from lora_lint_plugin.analysis.diagnostics import Diagnostic, Span\n"
            "assert '__fast_dataclass_plan__' not in vars(Diagnostic)\n"
            "found = pickle.loads(sys.stdin.buffer.read())\n"
            "again = copy.deepcopy(found)\n"
            "assert again == found and len({*found, *again}) == 2\n"
            "print(repr(sorted(found)))\n")
    result = subprocess.run([sys.executable, "-c", code], input=pickle.dumps(found),
                            capture_output=True, check=True)
    assert result.stdout.decode().strip() == repr(sorted(found))


def test_a_built_class_keeps_no_tables_for_the_garbage_collector() -> None:
    """What a built class keeps for the process is walked by every full collection and at the
    interpreter's exit: its field records and tables are tuples of plain values, which the
    collector stops tracking, and ``__eq__`` and ``__hash__`` share one closure cell."""
    import gc

    @fast_dataclass(frozen=True)
    class Point:
        x: int
        label: str = "origin"

    assert Point(1) == Point(1) and hash(Point(1)) == hash(Point(1, "origin")) != hash(Point(2))
    gc.collect()
    gc.collect()   # a tuple is untracked when its items are: the records first, then their tuple
    plan = Point.__dict__["__fast_dataclass_plan__"]
    kept = [plan.fields, *plan.fields, plan.names, plan.defaults, plan.shown, plan.compared]
    assert [gc.is_tracked(table) for table in kept] == [False] * len(kept)
    cells = {id(cell) for method in (Point.__eq__, Point.__hash__) for cell in method.__closure__}
    assert len(cells) == 1


def test_annotations_that_are_objects_are_read_as_dataclasses_reads_them() -> None:
    """Without ``from __future__ import annotations`` the annotations are objects, not strings
    (the package's are strings, whose joined text is asked about ``ClassVar`` once per class): a
    ``ClassVar`` among them is no field, the others are, with the same defaults and order."""
    source = ("from typing import ClassVar, List\n"
              "def declare(decorator, field):\n"
              "    @decorator\n"
              "    class Plain:\n"
              "        x: int\n"
              "        y: str = 'a'\n"
              "    @decorator(frozen=True)\n"
              "    class Marked:\n"
              "        kind: ClassVar[str] = 'k'\n"
              "        x: int\n"
              "        tags: List[str] = field(default_factory=list)\n"
              "    return Plain, Marked\n")
    namespace: Dict[str, Any] = {}
    exec(compile(source, "<annotations as objects>", "exec", dont_inherit=True), namespace)
    ours, theirs = namespace["declare"](fast_dataclass, fast_field), namespace["declare"](dataclass, field)
    for mine, twin in zip(ours, theirs):
        assert [(f.name, f.type) for f in fields(mine)] == [(f.name, f.type) for f in fields(twin)]
        assert mine.__match_args__ == twin.__match_args__ and repr(mine(1)) == repr(twin(1))
        assert mine(1) == mine(1) and mine(1) != mine(2)
