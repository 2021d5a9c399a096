"""The second resolution tier: values that are *defaults* in the code.

* ``args.x`` where ``args = parser.parse_args()`` (or ``parse_known_args()[0]``): the
  ``default=`` of the ``add_argument`` call whose destination is ``x`` (``dest=`` or the first
  long option, ``--lora-r`` -> ``lora_r``), converted by ``type=int``/``float`` as argparse
  does; ``store_true``/``store_false`` give False/True;
* ``model_args.x`` where ``model_args, ... = HfArgumentParser((ModelArguments, ...))
  .parse_args_into_dataclasses()`` (or ``parse_json_file``/``parse_yaml_file``/``parse_dict``;
  TRL's ``TrlParser(...).parse_args_and_config()``):
  the field's default in the ``@dataclass`` (``= value``, ``field(default=...)``,
  ``field(default_factory=list)``, ``field(default_factory=lambda: [...])``);
* ``Config.x`` and ``cfg.x`` with ``cfg = Config()``: the class attribute (for a dataclass
  instance, the keyword given to the constructor, else the field default);
* ``os.environ.get("X", default)`` / ``os.getenv("X", default)``: the default.

Each such value carries ``origin`` (e.g. ``"default of --lora_r"``). Anything that may change
the value in the file makes it unknown instead: an attribute of that name assigned anywhere
(``args.x = ...``, ``self.x = ...``), ``parser.set_defaults(x=...)``, an option defined twice
with different defaults, an option string that cannot be resolved, ``os.environ["X"] = ...``.
A ``None`` or ``""`` default, ``required=True``, ``action="append"`` and ``os.environ["X"]`` are unknown.

The facts about the file (attributes assigned, options, environment writes) are gathered in one
pass, the first time a second-tier value is asked for.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Set, Tuple, Union

from ..fast_dataclass import dataclass, field
from .callees import linking_facts
from .config_files import loaded_value
from .field_options import parsed_from_fields
from .second_tier_calls import JSON, LAUNCHED, YAML, is_file_value
from .values import (MAPPING, OBJECT, SEQUENCE, UNKNOWN, CallResult, Resolved, Value, anchored,
                     with_origin)

if TYPE_CHECKING:  # pragma: no cover
    from .launchers import LauncherOptions, LauncherValue
    from .foreign_modules import ForeignModule
    from .resolve import Resolver

ARGPARSE_PARSERS = ("parse_args", "parse_known_args")
HF_PARSERS = ("parse_args_into_dataclasses", "parse_json_file", "parse_yaml_file", "parse_dict",
              "parse_args_and_config")   # the last: TRL's TrlParser (an HfArgumentParser)
_DATACLASS_PARSERS = (".HfArgumentParser", ".TrlParser")
_FILE_PARSERS = ("parse_json_file", "parse_yaml_file")
# The parsers that read the command line (and so what a launcher script passes).
_COMMAND_LINE_PARSERS = ("parse_args_into_dataclasses", "parse_args_and_config")
_ENVIRONMENT_READS = ("get", "copy", "keys", "items", "values", "__contains__")
# The methods ``_note_method_call`` notes on any receiver (others only on ``os.environ``).
_NOTED_METHODS = frozenset(("add_argument", "set_defaults", "putenv"))
_EMPTY_FACTORIES: Dict[str, Tuple[Any, str]] = {"list": ([], SEQUENCE), "dict": ({}, MAPPING), "tuple": ((), SEQUENCE)}
_CONVERTERS = {"int": int, "float": float, "str": str}
_SIMPLE_TYPES = ("str", "int", "float", "bool")
_PATH_TYPES = ("pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath")
# Class bodies are followed through local base classes at most this deep.
_MAX_BASES = 8
# What an import binds for ``os.environ`` to be read through it (``import os``, ``from os import
# environ``): a file that imports neither has no ``os.environ``.
_ENVIRON_IMPORTS = ("os", "os.environ")


@dataclass
class _FileFacts:
    assigned_attributes: Set[str] = field(default_factory=set)
    dynamic_attributes: bool = False      # setattr(obj, name, ...) / obj.__dict__
    options: Dict[str, List[ast.Call]] = field(default_factory=dict)   # dest -> add_argument
    option_names: Dict[int, str] = field(default_factory=dict)        # id(call) -> "--x"
    options_incomplete: bool = False      # an option string that cannot be resolved
    parser_defaults: Set[str] = field(default_factory=set)            # set_defaults(x=...)
    environment_written: Set[str] = field(default_factory=set)
    environment_replaced: bool = False
    ready: bool = False                   # False while being gathered: lookups then say unknown


class _Missing:
    """A class body that does not define the attribute (its bases may)."""


_MISSING = _Missing()
_Lookup = Union[Resolved, _Missing]


class Defaults:
    """Second-tier lookups for one module, on behalf of its ``Resolver``."""

    def __init__(self, resolver: "Resolver") -> None:
        self.resolver = resolver
        self.index = resolver.index
        self._facts: Optional[_FileFacts] = None
        self._launcher_options: Optional[LauncherOptions] = None
        # id(class) -> the Defaults of the project module it was imported from
        self._foreign_classes: Dict[int, "Defaults"] = {}

    # -- entry points (called by the resolver) ---------------------------------------------
    def attribute(self, node: ast.Attribute, depth: int, allow_none: bool = False) -> Resolved:
        """``args.x``, ``model_args.x``, ``Config.x``, ``cfg.x``. A ``None`` default is unknown
        unless ``allow_none`` (``args.x or "fallback"`` reads it)."""
        value = _none_filtered(self._attribute(node, depth), allow_none)
        if isinstance(value, Value) and is_file_value(value) and value.node is not node:
            return anchored(value, node, self.resolver.span(node))   # read from a config file
        # a default read in a project module (an imported class): located at its use here
        return self.resolver.imports.here(value, node) if isinstance(value, Value) else value

    def _attribute(self, node: ast.Attribute, depth: int) -> Resolved:
        imported = self.resolver.imports.instance_attribute(node, depth)   # ``from c import cfg``
        if imported is not None:
            return imported
        cls = self.class_named(node.value)
        owners = self.resolver.possible_values(node.value, depth + 1) if cls is None else []
        if owners and all(self.resolver.config_files.reads_attributes(owner) for owner in owners):
            return self._config_attribute(owners, node)   # ``cfg.model.name`` of OmegaConf
        if owners is None or (cls is None and (
                not owners or any(owner.kind != OBJECT for owner in owners))):
            return UNKNOWN   # most attributes (``torch.bfloat16``): no need for the file's facts
        facts = self.facts()
        if not facts.ready or node.attr in facts.assigned_attributes or facts.dynamic_attributes:
            return UNKNOWN   # ``args.__dict__.update(yaml_config)``, ``setattr(cfg, key, v)``
        if cls is None and len(owners) > 1:
            owners = self._launched_owners(owners)
        if cls is not None:
            if not self._is_plain(cls):
                return UNKNOWN   # ``Color.RED`` of an Enum is a member, not the assigned value
            return self._class_attribute(cls, node.attr, depth, f"value of {cls.name}.{node.attr}")
        # ``if json: args = parse_json_file(...) else: args = parse_args_into_dataclasses()``:
        # the same field default either way
        return self.resolver.agreed([self._attribute_of(owner.python, node.attr, depth)
                                     for owner in owners], node)

    def _config_attribute(self, owners: List[Value], node: ast.Attribute) -> Resolved:
        found = [owner.entry(node.attr) for owner in owners]
        return self.resolver.agreed([
            self.resolver.config_files.item(owner, entry, node) if entry is not None else UNKNOWN
            for owner, entry in zip(owners, found)], node)

    def _attribute_of(self, result: CallResult, attr: str, depth: int) -> Resolved:
        """Attribute ``attr`` of the object a call returned."""
        call = result.call
        cls = self.class_named(call.func)
        if cls is not None:
            if result.index is not None:
                return UNKNOWN
            return self._instance_attribute(cls, call, attr, depth)
        if "argparse.Namespace" in self.index.imported_names(call.func):
            return self._namespace_attribute(call, attr, depth) if result.index is None else UNKNOWN
        if not isinstance(call.func, ast.Attribute):
            return self._imported_attribute(result, attr, depth)
        method = call.func.attr
        if (method == "parse_args" and result.index is None) or \
                (method == "parse_known_args" and result.index == 0):
            return self._option_default(attr, depth)
        if method in HF_PARSERS and result.index is not None:
            classes = self._parser_classes(call.func.value, depth)
            cls = classes[result.index] if classes and result.index < len(classes) else None
            if cls is not None:
                launched = self._launched_field(cls, attr) if method in _COMMAND_LINE_PARSERS \
                    else None
                if launched is not None:
                    return launched
                if method in _FILE_PARSERS:   # the file's value, else the field's default
                    from_file = self._file_field(call, attr, depth)
                    if from_file is not None:
                        return from_file
                return self._class_attribute(cls, attr, depth, f"default of --{attr}")
            if classes and result.index < len(classes) and method in _COMMAND_LINE_PARSERS:
                library = self._library_field(call.func.value, result.index, attr, depth)
                if library is not None:
                    return library
        return UNKNOWN

    def _file_field(self, call: ast.Call, attr: str, depth: int) -> Optional[Resolved]:
        """``parse_json_file(P)`` / ``parse_yaml_file(P)``: the file's value of ``attr``, or
        None: the field's default applies when the file does not set it, and, as for a field
        the command line may set, when the file is not known (the message then names the
        default it rests on)."""
        given: Optional[ast.expr] = call.args[0] if call.args else None
        for keyword in call.keywords:
            if keyword.arg in ("json_file", "yaml_file"):
                given = keyword.value
        if given is None or isinstance(given, ast.Starred):
            return None
        path = self.resolver.resolve(given, depth + 1)
        if not isinstance(path, Value):
            return None
        kind = JSON if call.func.attr == "parse_json_file" else YAML  # type: ignore[attr-defined]
        contents = loaded_value(path, self.resolver.config_files.module_path, kind, call,
                                self.resolver.span(call))
        return contents.entry(attr) if isinstance(contents, Value) else None

    def _imported_attribute(self, result: CallResult, attr: str, depth: int) -> Resolved:
        """``args.x`` where ``args = parse_arguments()`` and ``parse_arguments`` is a function
        of a project module that returns a parser's result (or another object whose attributes
        are known there): read there, with this program's launchers (the command line a
        parser there reads is this script's)."""
        if result.via:
            return UNKNOWN
        launchers = self.launcher_options()

        def read(module: "ForeignModule", call: ast.Call, index: Optional[int]) -> Optional[Resolved]:
            owner = module.resolver.defaults
            facts = owner.facts()
            if not facts.ready or attr in facts.assigned_attributes or facts.dynamic_attributes:
                return UNKNOWN
            saved, owner._launcher_options = owner._launcher_options, launchers
            try:
                return owner._attribute_of(CallResult(call, index), attr, depth + 1)
            finally:
                owner._launcher_options = saved
        found = self.resolver.imports.returned_call(result.call, result.index, read)
        return found if isinstance(found, Value) else UNKNOWN

    def _launched_owners(self, owners: List[Value]) -> List[Value]:
        """The argument objects a launched run may use: when every launcher command passes an
        option first, a branch that parses the config file named by ``sys.argv``
        (``parser.parse_json_file(sys.argv[1])`` beside ``parse_args_into_dataclasses()``)
        is not the one they run (``sys.argv[1]`` is an option there, not a file)."""
        if not self.launcher_options().options_first:
            return owners
        kept = [owner for owner in owners if not self._parses_file_from_argv(owner.python.call)]
        return kept or owners

    def _parses_file_from_argv(self, call: ast.Call) -> bool:
        if not isinstance(call.func, ast.Attribute) or call.func.attr not in _FILE_PARSERS:
            return False
        given = [*call.args, *(keyword.value for keyword in call.keywords)]
        return any("sys.argv" in self.index.imported_names(node)
                   for expression in given for node in ast.walk(expression)
                   if isinstance(node, ast.Attribute))

    def _namespace_attribute(self, call: ast.Call, attr: str, depth: int) -> Resolved:
        """``argparse.Namespace(**vars(model_args), **vars(training_args), x=1)``: ``attr``
        from the one part that has it. Two parts with the same name raise ``TypeError``
        (repeated keyword), so the first part known to have it is the value."""
        if call.args:
            return UNKNOWN
        for keyword in call.keywords:
            if keyword.arg == attr:
                return self.resolver.resolve(keyword.value, depth + 1)
        for keyword in call.keywords:
            part = _vars_argument(keyword.value) if keyword.arg is None else None
            if part is None or not self.resolver.is_builtin(keyword.value.func):  # type: ignore[attr-defined]
                continue
            owner = self.resolver.resolve(part, depth + 1)
            if isinstance(owner, Value) and owner.kind == OBJECT:
                value = self._attribute_of(owner.python, attr, depth + 1)
                if isinstance(value, Value):
                    return value
        return UNKNOWN

    def environment(self, call: ast.Call, depth: int, allow_none: bool = False) -> Resolved:
        """``os.environ.get("X", default)`` / ``os.getenv("X", default)``: the default
        (``None`` without one: unknown unless ``allow_none``)."""
        if call.keywords and not (len(call.keywords) == 1 and call.keywords[0].arg == "default"):
            return UNKNOWN
        given = [*call.args, *(keyword.value for keyword in call.keywords)]
        if len(given) not in (1, 2) or any(isinstance(part, ast.Starred) for part in given):
            return UNKNOWN
        key = self.resolver.resolve(given[0], depth + 1)
        if not isinstance(key, Value) or not isinstance(key.python, str):
            return UNKNOWN
        facts = self.facts()
        if not facts.ready or facts.environment_replaced or key.python in facts.environment_written:
            return UNKNOWN
        default = self.resolver.resolve(given[1], depth + 1) if len(given) == 2 \
            else Value(None, call, self.resolver.span(call))
        return _none_filtered(self.known_default(
            default, f"default of environment variable {key.python}"), allow_none)

    def class_named(self, expression: ast.AST) -> Optional[ast.ClassDef]:
        """The ``class`` a name certainly refers to (bound once, by that ``class`` or by an
        import of it from a project module: ``modules.py``; ``owner`` gives its module's)."""
        binding = self.index.sole_binding(expression)
        if binding is not None and isinstance(binding.node, (ast.Import, ast.ImportFrom)):
            found = self.resolver.imports.class_definition(expression)
            if found is None:
                return None
            self._foreign_classes[id(found[0])] = found[1].resolver.defaults
            return found[0]
        return binding.node if binding is not None and isinstance(binding.node, ast.ClassDef) else None

    def owner(self, cls: ast.ClassDef) -> "Defaults":
        """The ``Defaults`` of the module that defines ``cls`` (its names are looked up there)."""
        return self._foreign_classes.get(id(cls), self)

    # -- classes ---------------------------------------------------------------------------
    def _instance_attribute(self, cls: ast.ClassDef, call: ast.Call, attr: str,
                            depth: int) -> Resolved:
        if self._is_dataclass(cls):
            given = self._constructor_keyword(call, attr, depth, cls)
            if given is not None:
                return given
            if call.args:
                return UNKNOWN
            return self._class_attribute(cls, attr, depth, f"default of {cls.name}.{attr}")
        if self._is_pydantic_model(cls):
            return self._pydantic_field(cls, call, attr, depth)
        if not self._is_plain(cls):
            return UNKNOWN   # attrs, NamedTuple, an Enum: the constructor sets the fields
        return self._class_attribute(cls, attr, depth, f"value of {cls.name}.{attr}")

    def _constructor_keyword(self, call: ast.Call, attr: str, depth: int,
                             dataclass: Optional[ast.ClassDef] = None) -> Optional[Resolved]:
        """What ``Config(attr=v)`` or ``Config(**cfg)`` (``cfg`` a mapping read from a config
        file, complete) gives the field ``attr``; None when no keyword sets it (the default
        applies), UNKNOWN when an unpacked mapping is not known. For a ``dataclass``, another
        ``**`` is read as command-line options generated from its fields (``_field_option``)."""
        unpacked: List[Value] = []
        for keyword in call.keywords:
            if keyword.arg == attr:
                return self.resolver.resolve(keyword.value, depth + 1)
            if keyword.arg is None:
                mapping = self.resolver.resolve(keyword.value, depth + 1)
                if not isinstance(mapping, Value) or not mapping.is_mapping \
                        or not is_file_value(mapping):
                    if dataclass is not None:
                        return self._field_option(dataclass, keyword.value, attr, depth)
                    return UNKNOWN
                unpacked.append(mapping)
        for mapping in unpacked:
            found = mapping.entry(attr)
            if found is not None:
                return found
        return None

    def _pydantic_field(self, cls: ast.ClassDef, call: ast.Call, attr: str,
                        depth: int) -> Resolved:
        """A field of a plain pydantic model set by the constructor (``Config(**cfg)``,
        ``Config(model_name="x")``), when the value already has the field's simple type
        (``str``, ``int``, ``float``, ``bool``), so validation keeps it as it is; anything else
        (a default, a nested model, a coerced value, a class with validators) is unknown."""
        if call.args:
            return UNKNOWN
        kind = self._simple_field_type(cls, attr)
        value = self._constructor_keyword(call, attr, depth) if kind is not None else None
        if not isinstance(value, Value) or type(value.python).__name__ != kind:
            return UNKNOWN
        return value

    def _is_pydantic_model(self, cls: ast.ClassDef) -> bool:
        """A class whose one base is ``pydantic.BaseModel``, without decorators, keywords or
        decorated methods (validators may change a value)."""
        owner = self.owner(cls)
        if owner is not self:
            return owner._is_pydantic_model(cls)
        if cls.decorator_list or cls.keywords or len(cls.bases) != 1 \
                or "pydantic.BaseModel" not in self.index.imported_names(cls.bases[0]):
            return False
        return not any(isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef))
                       and statement.decorator_list for statement in cls.body)

    def _simple_field_type(self, cls: ast.ClassDef, attr: str) -> Optional[str]:
        owner = self.owner(cls)
        if owner is not self:
            return owner._simple_field_type(cls, attr)
        for statement in cls.body:
            if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name) \
                    and statement.target.id == attr and isinstance(statement.annotation, ast.Name) \
                    and statement.annotation.id in _SIMPLE_TYPES:
                return statement.annotation.id
        return None

    def _class_attribute(self, cls: ast.ClassDef, attr: str, depth: int, origin: str) -> Resolved:
        owner = self.owner(cls)
        if owner is not self:
            return owner._class_attribute(cls, attr, depth + 1, origin)
        current: Optional[ast.ClassDef] = cls
        for _ in range(_MAX_BASES):
            if current is None:
                return UNKNOWN
            found = self._own_attribute(current, attr, depth)
            if not isinstance(found, _Missing):
                return self.known_default(found, origin)
            current = self._only_local_base(current)
        return UNKNOWN

    def _own_attribute(self, cls: ast.ClassDef, attr: str, depth: int) -> _Lookup:
        statements = [statement for statement in cls.body if _binds(statement, attr)]
        if any(_binds_nested(statement, attr) for statement in cls.body
               if statement not in statements) or len(statements) > 1:
            return UNKNOWN
        if not statements:
            return _MISSING
        statement = statements[0]
        value = statement.value if isinstance(statement, (ast.Assign, ast.AnnAssign)) else None
        if value is None:
            return UNKNOWN   # a method, or a field without a default (required)
        if isinstance(value, ast.Call) and self._is_field(value.func):
            return self._field_default(value, depth)
        return self.resolver.resolve(value, depth + 1)

    def _field_default(self, call: ast.Call, depth: int) -> Resolved:
        for keyword in call.keywords:
            if keyword.arg == "default":
                return self.resolver.resolve(keyword.value, depth + 1)
            if keyword.arg == "default_factory":
                factory = keyword.value
                if isinstance(factory, ast.Lambda) and not _has_parameters(factory):
                    return self.resolver.resolve(factory.body, depth + 1)
                if isinstance(factory, ast.Name) and factory.id in _EMPTY_FACTORIES \
                        and self.resolver.is_builtin(factory):
                    python, kind = _EMPTY_FACTORIES[factory.id]
                    return Value(python, factory, self.resolver.span(factory), kind=kind)
                return UNKNOWN
        return UNKNOWN

    def _only_local_base(self, cls: ast.ClassDef) -> Optional[ast.ClassDef]:
        """The base to search next: None (stop, unknown) unless every base but one is plain
        ``object`` and that one is a class of this module."""
        bases = [base for base in cls.bases
                 if not (isinstance(base, ast.Name) and base.id == "object")]
        if len(bases) != 1:
            return None
        return self.class_named(bases[0])

    def _is_plain(self, cls: ast.ClassDef) -> bool:
        """A class whose attributes are what its body assigns: no decorator other than
        ``@dataclass``, no base but ``object`` or plain classes of this module (an ``Enum``,
        pydantic model, ``NamedTuple`` or attrs class turns assignments into something else)."""
        owner = self.owner(cls)
        if owner is not self:
            return owner._is_plain(cls)
        current: Optional[ast.ClassDef] = cls
        for _ in range(_MAX_BASES):
            if current is None:
                return False
            if any(not self._is_dataclass_decorator(d) for d in current.decorator_list):
                return False
            bases = [base for base in current.bases
                     if not (isinstance(base, ast.Name) and base.id == "object")]
            if current.keywords or len(bases) > 1:
                return False
            if not bases:
                return True
            current = self.class_named(bases[0])
        return False

    def _is_dataclass_decorator(self, decorator: ast.expr) -> bool:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        return "dataclasses.dataclass" in self.index.imported_names(target)

    def _is_dataclass(self, cls: ast.ClassDef) -> bool:
        owner = self.owner(cls)
        if owner is not self:
            return owner._is_dataclass(cls)
        return any(self._is_dataclass_decorator(d) for d in cls.decorator_list)

    def _is_field(self, func: ast.AST) -> bool:
        return "dataclasses.field" in self.index.imported_names(func)

    def _parser_classes(self, receiver: ast.AST,
                        depth: int) -> Optional[List[Optional[ast.ClassDef]]]:
        """The dataclasses given to ``HfArgumentParser(...)``, in order."""
        names = self._parser_class_names(receiver, depth)
        # None for a class of another module (TrainingArguments): its defaults are not ours
        return [self.class_named(name) for name in names] if names is not None else None

    def _library_field(self, receiver: ast.AST, position: int, attr: str,
                       depth: int) -> Optional[Resolved]:
        """A field of a library's argument class (TRL's ``ModelConfig``) that a launcher
        passes, when ``data/linking.json`` knows the field's type; None otherwise."""
        names = self._parser_class_names(receiver, depth)
        if names is None or position >= len(names):
            return None
        fields = linking_facts().argument_fields
        known = [fields[(name, attr)] for name in self.index.imported_names(names[position])
                 if (name, attr) in fields]
        if known != ["str"]:
            return None
        found = self.launcher_options().value([f"--{attr}", "--" + attr.replace("_", "-")])
        from .launchers import LauncherValue  # loaded by launcher_options() above

        if not isinstance(found, LauncherValue) or found.text is None:
            return None if found is None else UNKNOWN
        return with_origin(Value(found.text, names[position], self.resolver.span(names[position])),
                           _launched_origin(f"--{attr}", found))

    def _parser_class_names(self, receiver: ast.AST, depth: int) -> Optional[List[ast.expr]]:
        """The class expressions given to ``HfArgumentParser(...)``, in order."""
        parser = self.resolver.resolve(receiver, depth + 1)
        if not isinstance(parser, Value) or parser.kind != OBJECT or parser.python.index is not None:
            return None
        call: ast.Call = parser.python.call
        if not any(name.endswith(_DATACLASS_PARSERS)
                   for name in self.index.imported_names(call.func)):
            return None
        if len(call.args) != 1 or isinstance(call.args[0], ast.Starred):
            return None
        given = call.args[0]
        if isinstance(given, ast.Name) and self.class_named(given) is None:   # a tuple variable
            bindings = self.resolver.reaching(given, depth + 1) or []
            statement = bindings[0].statement if len(bindings) == 1 else None
            if not isinstance(statement, ast.Assign) or statement.targets != [bindings[0].node]:
                return None
            given = statement.value
        names = given.elts if isinstance(given, (ast.Tuple, ast.List)) else [given]
        if any(isinstance(name, ast.Starred) for name in names):
            return None
        return list(names)

    # -- argparse --------------------------------------------------------------------------
    def _option_default(self, dest: str, depth: int) -> Resolved:
        facts = self.facts()
        calls = facts.options.get(dest)
        if not calls or facts.options_incomplete or dest in facts.parser_defaults:
            return UNKNOWN
        if len(calls) == 1:
            launched = self._launched_option(calls[0], depth)
            if launched is not None:
                return launched
        values = [self._option_value(call, depth) for call in calls]
        return self.resolver.agreed(values)

    def _option_value(self, call: ast.Call, depth: int) -> Resolved:
        keywords = {keyword.arg: keyword.value for keyword in call.keywords}
        if None in keywords:
            return UNKNOWN
        origin = f"default of {self.facts().option_names[id(call)]}"
        required = keywords.get("required")
        if required is not None and not (isinstance(required, ast.Constant) and required.value is False):
            return UNKNOWN
        action = keywords.get("action")
        action_name = self.resolver.resolve(action, depth + 1) if action is not None else None
        if action is not None and not isinstance(action_name, Value):
            return UNKNOWN
        action_text = action_name.python if isinstance(action_name, Value) else "store"
        if action_text in ("store_true", "store_false") and "default" not in keywords:
            return with_origin(Value(action_text == "store_false", call, self.resolver.span(call)),
                               origin)
        if action_text not in ("store", "store_true", "store_false", "store_const"):
            return UNKNOWN   # append/extend/count build on the default; custom actions: anything
        if "default" not in keywords:   # None: unknown, except to ``args.x or fallback``
            return with_origin(Value(None, call, self.resolver.span(call)), origin)
        value = self.resolver.resolve(keywords["default"], depth + 1)
        if isinstance(value, Value) and isinstance(value.python, str) and "type" in keywords:
            value = self._converted(value, keywords["type"])
        return self.known_default(value, origin)

    # -- launcher scripts ------------------------------------------------------------------
    def launcher_options(self) -> LauncherOptions:
        if self._launcher_options is None:
            from .launchers import NO_LAUNCHERS  # the launcher scan is imported only when asked for

            reader = self.resolver.launchers
            self._launcher_options = reader() if reader is not None else NO_LAUNCHERS
        return self._launcher_options

    def _launched_option(self, call: ast.Call, depth: int) -> Optional[Resolved]:
        """The value the project's launchers give the option ``call`` adds (``launchers.py``);
        None when none passes it."""
        spelled = [self.resolver.resolve(given, depth + 1) for given in call.args]
        names = [value.python for value in spelled
                 if isinstance(value, Value) and isinstance(value.python, str)]
        if not names or len(names) != len(call.args):
            return None
        found = self.launcher_options().value(names)
        if found is None:
            return None
        from .launchers import LauncherValue  # loaded by launcher_options() above

        if not isinstance(found, LauncherValue):
            return UNKNOWN
        keywords = {keyword.arg: keyword.value for keyword in call.keywords}
        action = self.resolver.resolve(keywords["action"], depth + 1) \
            if "action" in keywords else None
        origin = _launched_origin(names[-1], found)
        if isinstance(action, Value) and action.python in ("store_true", "store_false"):
            flag = found.text is None and action.python == "store_true"
            return with_origin(Value(flag, call, self.resolver.span(call)), origin) \
                if found.text is None else UNKNOWN
        if found.text is None or action is not None or "nargs" in keywords:
            return UNKNOWN
        text = Value(found.text, call, self.resolver.span(call))
        value = self._converted(text, keywords["type"]) if "type" in keywords else text
        return with_origin(value, origin) if isinstance(value, Value) else UNKNOWN

    def _field_option(self, cls: ast.ClassDef, mapping: ast.expr, attr: str,
                      depth: int) -> Resolved:
        """``cls(**vars(parser.parse_args()))`` whose options are generated from ``cls``'s
        fields (``field_options.py``): the launcher's ``--attr``, else the field's default."""
        if self.owner(cls) is not self or not parsed_from_fields(self.index, mapping, cls):
            return UNKNOWN
        launched = self._launched_field(cls, attr)
        if launched is not None:
            return launched
        return self._class_attribute(cls, attr, depth, f"default of --{attr}")

    def _launched_field(self, cls: ast.ClassDef, attr: str) -> Optional[Resolved]:
        """The value the project's launchers give a dataclass field parsed from the command
        line (HfArgumentParser accepts ``--lora_r`` and ``--lora-r``); None when none does."""
        found = self.launcher_options().value([f"--{attr}", "--" + attr.replace("_", "-")])
        if found is None:
            return None
        from .launchers import LauncherValue  # loaded by launcher_options() above

        statement = self._field_statement(cls, attr)
        if not isinstance(found, LauncherValue) or statement is None:
            return UNKNOWN
        value = _parsed_field(found.text, statement.annotation)
        if value is _NOT_PARSED:
            return UNKNOWN
        return with_origin(Value(value, statement, self.resolver.span(statement)),
                           _launched_origin(f"--{attr}", found))

    def _field_statement(self, cls: ast.ClassDef, attr: str) -> Optional[ast.AnnAssign]:
        owner = self.owner(cls)
        if owner is not self:
            return owner._field_statement(cls, attr)
        current: Optional[ast.ClassDef] = cls
        for _ in range(_MAX_BASES):
            if current is None:
                return None
            for statement in current.body:
                if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name) \
                        and statement.target.id == attr:
                    return statement
            current = self._only_local_base(current)
        return None

    def _converted(self, value: Value, type_node: ast.AST) -> Resolved:
        """argparse applies ``type`` to a string default (a ``Path`` stands for its text)."""
        if any(name in _PATH_TYPES for name in self.index.imported_names(type_node)):
            return value
        if not isinstance(type_node, ast.Name) or type_node.id not in _CONVERTERS \
                or not self.resolver.is_builtin(type_node):
            return UNKNOWN
        if type_node.id == "str":
            return value
        try:
            converted = _CONVERTERS[type_node.id](value.python)
        except ValueError:
            return UNKNOWN
        return Value(converted, value.node, value.span)

    @staticmethod
    def known_default(value: _Lookup, origin: str) -> Resolved:
        """A default as a value: unknown when ``""`` (conventionally "required"). ``None`` is
        kept here; the entry points make it unknown unless asked for it."""
        if not isinstance(value, Value) or value.python == "":
            return UNKNOWN
        return with_origin(value, origin)

    # -- facts about the whole file --------------------------------------------------------
    def facts(self) -> _FileFacts:
        """What the whole file does (options it defines, attributes and environment variables
        it sets), gathered on first need, outside any call the resolver reads a function in."""
        if self._facts is None:
            self._facts = self.resolver.outside_contexts(self._gather)
        return self._facts

    def _gather(self) -> _FileFacts:
        facts = self._facts = _FileFacts()
        # (facts do not depend on the order of the kinds: lookups say unknown until ready)
        stored, reads_dict = self.resolver.functions.attribute_stores()
        facts.assigned_attributes.update(node.attr for node in stored)
        if reads_dict:
            facts.dynamic_attributes = True
        for node in self.index.of_kind(ast.Subscript):
            if not isinstance(node.ctx, ast.Load):
                self._note_environment_item(node, facts)
        imported = self.index.imported_locals
        # ``os.environ`` (``import os``, ``from os import environ``) may be written
        environ = not self.index.imported_qualified.isdisjoint(_ENVIRON_IMPORTS)
        attribute_class, name_class = ast.Attribute, ast.Name
        for node in self.index.of_kind(ast.Call):
            func = node.func
            kind = type(func)
            if kind is attribute_class:
                method, receiver = func.attr, func.value
                # (``os.environ``, or a name an import binds: ``from os import environ``)
                if method in _NOTED_METHODS or environ and method not in _ENVIRONMENT_READS and (
                        type(receiver) is attribute_class and receiver.attr == "environ"
                        or type(receiver) is name_class and receiver.id in imported) \
                        and self._is_environ(receiver):
                    self._note_method_call(node, facts)   # (most method calls: neither)
            elif kind is name_class and func.id in ("setattr", "delattr"):
                name = self.resolver.resolve(node.args[1]) if len(node.args) > 1 else UNKNOWN
                if isinstance(name, Value) and isinstance(name.python, str):
                    facts.assigned_attributes.add(name.python)
                else:
                    facts.dynamic_attributes = True
        facts.ready = True
        return facts

    def _note_environment_item(self, node: ast.Subscript, facts: _FileFacts) -> None:
        if not self._is_environ(node.value):
            return
        key = self.resolver.resolve(_subscript_index(node))
        if isinstance(key, Value) and isinstance(key.python, str):
            facts.environment_written.add(key.python)
        else:
            facts.environment_replaced = True

    def _note_method_call(self, node: ast.Call, facts: _FileFacts) -> None:
        method = node.func.attr  # type: ignore[attr-defined]
        receiver = node.func.value  # type: ignore[attr-defined]
        if method == "add_argument":
            self._note_option(node, facts)
        elif method == "set_defaults":
            facts.parser_defaults.update(k.arg for k in node.keywords if k.arg is not None)
            if any(k.arg is None for k in node.keywords) or node.args:
                facts.options_incomplete = True
        elif self._is_environ(receiver) and method not in _ENVIRONMENT_READS:
            writes_one = node.args and method in ("setdefault", "pop")
            key = self.resolver.resolve(node.args[0]) if writes_one else UNKNOWN
            if isinstance(key, Value) and isinstance(key.python, str):
                facts.environment_written.add(key.python)
            else:
                facts.environment_replaced = True
        elif method == "putenv":
            facts.environment_replaced = True

    def _note_option(self, node: ast.Call, facts: _FileFacts) -> None:
        strings: List[str] = []
        for given in node.args:
            value = self.resolver.resolve(given)
            if not isinstance(value, Value) or not isinstance(value.python, str):
                facts.options_incomplete = True
                return
            strings.append(value.python)
        dest: Optional[str] = None
        for keyword in node.keywords:
            if keyword.arg == "dest":
                value = self.resolver.resolve(keyword.value)
                if not isinstance(value, Value) or not isinstance(value.python, str):
                    facts.options_incomplete = True
                    return
                dest = value.python
        if not strings:
            if dest is None:
                facts.options_incomplete = True
            return
        long_options = [s for s in strings if s.startswith("--")]
        shown = long_options[0] if long_options else strings[0]
        if not shown.startswith("-"):
            return  # a positional argument: given on every command line
        if dest is None:
            dest = shown.lstrip("-").replace("-", "_")
        facts.options.setdefault(dest, []).append(node)
        facts.option_names[id(node)] = shown

    def _is_environ(self, expression: ast.AST) -> bool:
        return not self.index.imported_qualified.isdisjoint(_ENVIRON_IMPORTS) \
            and "os.environ" in self.index.imported_names(expression)


def _launched_origin(option: str, found: LauncherValue) -> str:
    """``value of --x in run.sh``, or ``default of $2 for --x in run.sh`` when the launcher
    passes the default of one of its own parameters."""
    if found.parameter is not None:
        return f"default of {found.parameter} for {option} in {found.launcher}"
    return f"{LAUNCHED}{option} in {found.launcher}"


def _none_filtered(value: Resolved, allow_none: bool) -> Resolved:
    """A ``None`` default conventionally means "set elsewhere": unknown, unless the reader
    handles it (``args.x or "fallback"``)."""
    if isinstance(value, Value) and value.python is None and not allow_none:
        return UNKNOWN
    return value


def _binds(statement: ast.stmt, attr: str) -> bool:
    """A class-body statement that binds ``attr`` directly."""
    if isinstance(statement, ast.Assign):
        return any(isinstance(t, ast.Name) and t.id == attr for t in statement.targets)
    if isinstance(statement, ast.AnnAssign):
        return isinstance(statement.target, ast.Name) and statement.target.id == attr
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return statement.name == attr
    return False


def _binds_nested(statement: ast.stmt, attr: str) -> bool:
    """``attr`` bound somewhere else in the class body (under ``if``, ``for``, tuple
    targets, ...), outside methods."""
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return False
    stack: List[ast.AST] = [statement]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name) and node.id == attr and not isinstance(node.ctx, ast.Load):
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            if getattr(node, "name", None) == attr:
                return True
            continue
        stack.extend(ast.iter_child_nodes(node))
    return False


def _has_parameters(function: ast.Lambda) -> bool:
    arguments = function.args
    return bool(arguments.args or arguments.kwonlyargs or arguments.vararg or arguments.kwarg
                or getattr(arguments, "posonlyargs", []))


def _vars_argument(expression: ast.expr) -> Optional[ast.expr]:
    """``x`` of ``vars(x)``."""
    if isinstance(expression, ast.Call) and isinstance(expression.func, ast.Name) \
            and expression.func.id == "vars" and len(expression.args) == 1 \
            and not expression.keywords and not isinstance(expression.args[0], ast.Starred):
        return expression.args[0]
    return None


_NOT_PARSED: Any = object()
_TRUE_WORDS = ("yes", "true", "t", "y", "1")
_FALSE_WORDS = ("no", "false", "f", "n", "0")


def _parsed_field(text: Optional[str], annotation: ast.expr) -> Any:
    """A command-line word as HfArgumentParser reads it into a field annotated ``str``,
    ``int``, ``float`` or ``bool`` (also ``Optional[...]``); ``_NOT_PARSED`` otherwise."""
    if isinstance(annotation, ast.Subscript) and isinstance(annotation.value, ast.Name) \
            and annotation.value.id == "Optional":
        annotation = annotation.slice
    kind = annotation.id if isinstance(annotation, ast.Name) else None
    if kind == "bool":
        if text is None or text.lower() in _TRUE_WORDS:
            return True
        return False if text.lower() in _FALSE_WORDS else _NOT_PARSED
    if text is None or kind not in _CONVERTERS:
        return _NOT_PARSED
    try:
        return _CONVERTERS[kind](text)
    except ValueError:
        return _NOT_PARSED


def _subscript_index(node: ast.Subscript) -> ast.AST:
    index: ast.AST = node.slice
    if type(index).__name__ == "Index":  # Python 3.8
        index = index.value  # type: ignore[attr-defined]
    return index
