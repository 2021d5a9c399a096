"""Derive the module names PEFT can target, per transformers ``model_type``, from wheels.

Reads the modeling and configuration files of one or more transformers wheels *statically*
(``ast``; nothing from the wheel is imported or executed) and writes
``lora_lint_plugin/catalog/data/module_names.json``, keyed by transformers major version.

For every ``model_type`` the script starts at the classes ``AutoModelForCausalLM``,
``AutoModelForImageTextToText``, vision-to-text, seq2seq and multimodal-LM would build (the
union: Mllama has both a causal LM and an image-text-to-text class), else at the bare
``AutoModel`` class, and follows ``self.<name> = <Class>(...)`` assignments in ``__init__``
(and in the ``self`` methods it calls, and in ``super().__init__``) through ``nn.ModuleList`` /
``nn.Sequential`` / ``nn.ModuleDict`` literals, local lists and class aliases, tables of
classes (``ATTENTION_CLASSES[...]``), conditional expressions (both branches), base
classes and imports across the wheel, and sub-models built with
``AutoModel.from_config(config.text_config)`` when the configuration class fixes the
sub-config's class (an ``AutoConfig`` sub-config is recorded under ``sub_models`` with its
default ``model_type``; its names are not folded in). It records the leaf names of ``nn.Linear`` (and subclasses, and
transformers' ``Conv1D``), ``nn.Embedding``, the convolution / multi-head-attention modules PEFT
can also adapt, 3-D ``nn.Parameter`` tensors of fused MoE experts, and the task heads of the
other auto classes (``score``, ``classifier``, ...).

What static reading cannot settle is marked, never guessed: a record whose walk met something
it could not follow (``setattr``, ``add_module``, a module built by an unknown function, a
sub-model whose class depends on the checkpoint's config) says ``"complete": false`` and lists
the reasons in ``"unresolved"``; lora-lint uses only complete records to report unknown names.

``--verify`` (needs torch and the same transformers major version installed) builds every
complete record's model on the meta device from its default config and marks the record
incomplete when the model holds a module the static walk missed.

The ``remote_code`` section (architectures that need ``trust_remote_code``: their modeling
code is not in any wheel) and the ``timm_towers`` section (vision towers transformers builds
from a timm architecture, e.g. Gemma 3n's MobileNetV5) are reviewed by hand, each record with
its source, and are kept as is when the file is regenerated.

Usage (wheels from ``pip download transformers==<version> --no-deps -d DIR``)::

    python dev/derive_module_names.py DIR/transformers-4.57.6-py3-none-any.whl \\
        DIR/transformers-5.25.0-py3-none-any.whl \\
        --peft DIR/peft-0.21.2-py3-none-any.whl --verify \\
        -o lora_lint_plugin/catalog/data/module_names.json
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
import zipfile
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Sequence, Set, Tuple

# Auto-class mappings in models/auto/modeling_auto.py, in the order the start class is chosen.
START_MAPPINGS = (
    "MODEL_FOR_CAUSAL_LM_MAPPING_NAMES",
    "MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES",
    "MODEL_FOR_VISION_2_SEQ_MAPPING_NAMES",
    "MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES",
    "MODEL_FOR_MULTIMODAL_LM_MAPPING_NAMES",
    "MODEL_MAPPING_NAMES",
)
# Task heads whose extra modules are also valid targets (a classifier trained with LoRA).
HEAD_MAPPINGS = (
    "MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES",
    "MODEL_FOR_TOKEN_CLASSIFICATION_MAPPING_NAMES",
    "MODEL_FOR_QUESTION_ANSWERING_MAPPING_NAMES",
    "MODEL_FOR_MASKED_LM_MAPPING_NAMES",
    "MODEL_FOR_MULTIPLE_CHOICE_MAPPING_NAMES",
)
LINEAR = "linear"
EMBEDDING = "embedding"
OTHER = "other"  # convolutions and nn.MultiheadAttention: PEFT adapts them too
TORCH_KINDS = {
    "torch.nn.Linear": LINEAR,
    "torch.nn.modules.linear.Linear": LINEAR,
    "torch.nn.Embedding": EMBEDDING,
    "torch.nn.Conv1d": OTHER,
    "torch.nn.Conv2d": OTHER,
    "torch.nn.Conv3d": OTHER,
    "torch.nn.MultiheadAttention": OTHER,
}
TRANSFORMERS_KINDS = {"transformers.pytorch_utils.Conv1D": LINEAR}
CONTAINERS = {"torch.nn.ModuleList", "torch.nn.Sequential", "torch.nn.ModuleDict"}
AUTO_MODEL_CLASSES = {"AutoModel": "MODEL_MAPPING_NAMES",
                      "AutoModelForCausalLM": "MODEL_FOR_CAUSAL_LM_MAPPING_NAMES"}
# Task-head mixins outside transformers.models whose __init__ builds the head (walked, see
# _is_library_class).
GENERIC_HEADS_PREFIX = "transformers.modeling_layers.GenericFor"
# Calls that build no module PEFT can adapt (activations, norms from torch, dropout, ...) are
# recognised by being torch/transformers code that is not one of the kinds above.
MAX_DEPTH = 40


# --------------------------------------------------------------------------- wheel sources


class Wheel:
    """Python sources of one transformers wheel, parsed on demand."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._zip = zipfile.ZipFile(path)
        self.sources = {n: n for n in self._zip.namelist()
                        if n.startswith("transformers/") and n.endswith(".py")}
        self._trees: Dict[str, Optional[ast.Module]] = {}
        match = re.search(r"transformers-([0-9][^-]*)-", path.rsplit("/", 1)[-1])
        self.version = match.group(1) if match else "unknown"

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])

    def tree(self, filename: str) -> Optional[ast.Module]:
        if filename not in self._trees:
            try:
                text = self._zip.read(filename).decode("utf-8")
                self._trees[filename] = ast.parse(text)
            except (KeyError, SyntaxError, UnicodeDecodeError):
                self._trees[filename] = None
        return self._trees[filename]


def module_to_file(module: str) -> str:
    return module.replace(".", "/") + ".py"


def file_to_module(filename: str) -> str:
    return filename[:-3].replace("/", ".")


# --------------------------------------------------------------------------- name resolution


@dataclass
class FileScope:
    """Top-level classes, imports and simple aliases of one source file."""

    module: str
    classes: Dict[str, ast.ClassDef]
    imports: Dict[str, str]  # local name -> dotted qualified name
    variables: Set[str]  # other module-level names (tables of classes, constants)


def _resolve_relative(module: str, level: int, target: Optional[str], is_package: bool) -> str:
    parts = module.split(".")
    base = parts if is_package else parts[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


class Resolver:
    """Qualified names and class definitions across one wheel."""

    def __init__(self, wheel: Wheel) -> None:
        self.wheel = wheel
        self._scopes: Dict[str, Optional[FileScope]] = {}

    def scope(self, module: str) -> Optional[FileScope]:
        if module in self._scopes:
            return self._scopes[module]
        filename = module_to_file(module)
        is_package = False
        if filename not in self.wheel.sources:
            filename = module.replace(".", "/") + "/__init__.py"
            is_package = True
        tree = self.wheel.tree(filename) if filename in self.wheel.sources else None
        if tree is None:
            self._scopes[module] = None
            return None
        classes: Dict[str, ast.ClassDef] = {}
        imports: Dict[str, str] = {}
        variables: Set[str] = set()
        for node in _top_level(tree.body):
            if isinstance(node, ast.ClassDef):
                classes[node.name] = node
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        imports[alias.asname] = alias.name
                    else:
                        imports[alias.name.split(".")[0]] = alias.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom):
                source = (_resolve_relative(module, node.level, node.module, is_package)
                          if node.level else node.module or "")
                for alias in node.names:
                    imports[alias.asname or alias.name] = f"{source}.{alias.name}"
            elif isinstance(node, ast.Assign) and len(node.targets) == 1 \
                    and isinstance(node.targets[0], ast.Name):
                qualified = self._dotted(node.value)
                if qualified is not None:  # e.g. "Linear = nn.Linear"
                    imports.setdefault(node.targets[0].id, qualified)
                else:
                    variables.add(node.targets[0].id)
        found = FileScope(module, classes, imports, variables)
        self._scopes[module] = found
        return found

    @staticmethod
    def _dotted(node: ast.AST) -> Optional[str]:
        parts: List[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if isinstance(node, ast.Name):
            parts.append(node.id)
            return ".".join(reversed(parts))
        return None

    def qualify(self, scope: FileScope, node: ast.AST) -> Optional[str]:
        """The qualified name an expression such as ``nn.Linear`` or ``LlamaMLP`` refers to."""
        dotted = self._dotted(node)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        if (head in scope.classes or head in scope.variables) and not rest:
            return f"{scope.module}.{head}"
        if head in scope.imports:
            base = scope.imports[head]
            return f"{base}.{rest}" if rest else base
        return None

    def class_def(self, qualified: str, depth: int = 0) -> Optional[Tuple[FileScope, ast.ClassDef]]:
        """The definition of a qualified class name, following re-exports."""
        if depth > 10 or "." not in qualified:
            return None
        module, _, name = qualified.rpartition(".")
        scope = self.scope(module)
        if scope is None:
            return None
        if name in scope.classes:
            return scope, scope.classes[name]
        if name in scope.imports and scope.imports[name] != qualified:
            return self.class_def(scope.imports[name], depth + 1)
        package = module.replace(".", "/") + "/"
        if module_to_file(module) not in self.wheel.sources:
            # a lazily importing package __init__: the class lives in one of its files
            for filename in sorted(self.wheel.sources):
                if filename.startswith(package) and filename.count("/") == package.count("/"):
                    inner = self.scope(file_to_module(filename))
                    if inner is not None and name in inner.classes:
                        return inner, inner.classes[name]
        return None


def _top_level(body: Sequence[ast.stmt]) -> Iterator[ast.stmt]:
    """Top-level statements, including those under ``if``/``try`` (optional imports)."""
    for node in body:
        if isinstance(node, ast.If):
            yield from _top_level(node.body)
            yield from _top_level(node.orelse)
        elif isinstance(node, ast.Try):
            yield from _top_level(node.body)
            for handler in node.handlers:
                yield from _top_level(handler.body)
        else:
            yield node


# --------------------------------------------------------------------------- the walk


@dataclass
class Found:
    """Modules reached from one class, as path tuples relative to it."""

    modules: Dict[Tuple[str, ...], str] = field(default_factory=dict)  # path -> kind
    expert_parameters: Set[Tuple[str, ...]] = field(default_factory=set)
    unresolved: Set[str] = field(default_factory=set)
    # sub-models built from an AutoConfig sub-config: key -> the config class's default
    # model_type (None: no default); their names are not included
    sub_models: Dict[str, Optional[str]] = field(default_factory=dict)

    def add(self, prefix: Tuple[str, ...], other: "Found") -> None:
        for path, kind in other.modules.items():
            self.modules[prefix + path] = kind
        self.expert_parameters |= {prefix + p for p in other.expert_parameters}
        self.unresolved |= other.unresolved
        self.sub_models.update(other.sub_models)


class Deriver:
    """Walks model classes of one wheel."""

    def __init__(self, wheel: Wheel) -> None:
        self.wheel = wheel
        self.resolver = Resolver(wheel)
        self.mappings = self._auto_mappings()
        self.config_classes = self._config_classes()
        self.model_classes = self._model_class_index()
        self._cache: Dict[str, Found] = {}
        self._active: Set[str] = set()

    # ---- indexes

    def _auto_mappings(self) -> Dict[str, Dict[str, List[str]]]:
        tree = self.wheel.tree("transformers/models/auto/modeling_auto.py")
        mappings: Dict[str, Dict[str, List[str]]] = {}
        for node in tree.body if tree else []:
            if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name)
                    and node.targets[0].id.endswith("MAPPING_NAMES")
                    and isinstance(node.value, ast.Call) and node.value.args):
                continue
            pairs = node.value.args[0]
            if not isinstance(pairs, ast.List):
                continue
            table: Dict[str, List[str]] = {}
            for pair in pairs.elts:
                if not (isinstance(pair, ast.Tuple) and len(pair.elts) == 2
                        and isinstance(pair.elts[0], ast.Constant)):
                    continue
                value = pair.elts[1]
                names = [e.value for e in (value.elts if isinstance(value, ast.Tuple) else [value])
                         if isinstance(e, ast.Constant) and isinstance(e.value, str)]
                table[str(pair.elts[0].value)] = names
            mappings[node.targets[0].id] = table
        return mappings

    def _config_classes(self) -> Dict[str, Tuple[FileScope, ast.ClassDef]]:
        """model_type -> its configuration class (from ``model_type = "..."`` class attributes)."""
        found: Dict[str, Tuple[FileScope, ast.ClassDef]] = {}
        for filename in sorted(self.wheel.sources):
            if not re.match(r"transformers/models/[^/]+/configuration_[^/]+\.py$", filename):
                continue
            scope = self.resolver.scope(file_to_module(filename))
            if scope is None:
                continue
            for cls in scope.classes.values():
                model_type = _class_constant(cls, "model_type")
                if isinstance(model_type, str):
                    found.setdefault(model_type, (scope, cls))
        return found

    def _model_class_index(self) -> Dict[str, List[str]]:
        """Class name -> qualified names of modeling-file classes with that name."""
        index: Dict[str, List[str]] = {}
        for filename in sorted(self.wheel.sources):
            if not re.match(r"transformers/models/[^/]+/modeling_[^/]+\.py$", filename):
                continue
            module = file_to_module(filename)
            scope = self.resolver.scope(module)
            for name in scope.classes if scope else ():
                index.setdefault(name, []).append(f"{module}.{name}")
        return index

    def model_class(self, mapping: str, model_type: str) -> Optional[str]:
        names = self.mappings.get(mapping, {}).get(model_type)
        if not names:
            return None
        candidates = self.model_classes.get(names[0], [])
        if not candidates:
            return None
        directory = model_type.replace("-", "_")
        preferred = [c for c in candidates if f".models.{directory}." in c]
        return (preferred or candidates)[0]

    # ---- classes

    def kind_of(self, qualified: str, depth: int = 0) -> Optional[str]:
        """LINEAR / EMBEDDING / OTHER for adaptable module classes (and their subclasses)."""
        if qualified in TORCH_KINDS:
            return TORCH_KINDS[qualified]
        if qualified in TRANSFORMERS_KINDS:
            return TRANSFORMERS_KINDS[qualified]
        if depth > 8:
            return None
        definition = self.resolver.class_def(qualified)
        if definition is None:
            return None
        scope, cls = definition
        for base in cls.bases:
            base_name = self.resolver.qualify(scope, base)
            if base_name is not None:
                kind = self.kind_of(base_name, depth + 1)
                if kind is not None:
                    return kind
        return None

    def walk_class(self, qualified: str) -> Found:
        """Modules one instance of the class holds (cached; cycles stop the walk)."""
        if qualified in self._cache:
            return self._cache[qualified]
        found = Found()
        if qualified in self._active or len(self._active) > MAX_DEPTH:
            return found
        definition = self.resolver.class_def(qualified)
        if definition is None:
            if not _is_library_class(qualified):
                found.unresolved.add(f"class {qualified} not found")
            return found
        self._active.add(qualified)
        try:
            self._walk_definition(definition, found)
        finally:
            self._active.discard(qualified)
        self._cache[qualified] = found
        return found

    def _walk_definition(self, definition: Tuple[FileScope, ast.ClassDef], found: Found) -> None:
        scope, cls = definition
        methods = {n.name: n for n in cls.body if isinstance(n, ast.FunctionDef)}
        if "__init__" not in methods:
            for base in cls.bases:
                self._walk_base(scope, base, found)
            return
        visited: Set[str] = set()
        self._walk_method(scope, cls, methods, "__init__", found, visited)

    def _walk_base(self, scope: FileScope, base: ast.expr, found: Found) -> None:
        base_name = self.resolver.qualify(scope, base)
        if base_name is None:
            found.unresolved.add(f"base class {ast.unparse(base)} not resolved")
            return
        if _is_library_class(base_name):
            return
        found.add((), self.walk_class(base_name))

    def _walk_method(self, scope: FileScope, cls: ast.ClassDef, methods: Dict[str, ast.FunctionDef],
                     name: str, found: Found, visited: Set[str]) -> None:
        if name in visited:
            return
        visited.add(name)
        local = _method_locals(methods[name])
        for node in ast.walk(methods[name]):
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Subscript) and _is_self_attribute(target.value) \
                            and node.value is not None:  # self.adapters[name] = Adapter(...)
                        self._module_value(scope, cls, (target.value.attr, "?"),  # type: ignore[attr-defined]
                                           node.value, found, local)
                    if _is_self_attribute(target) and node.value is not None:
                        name = target.attr  # type: ignore[attr-defined]
                        self._module_value(scope, cls, (name,), node.value, found, local)
            elif isinstance(node, ast.Call):
                self._call_statement(scope, cls, methods, node, found, visited, local)

    def _call_statement(self, scope: FileScope, cls: ast.ClassDef,
                        methods: Dict[str, ast.FunctionDef], call: ast.Call, found: Found,
                        visited: Set[str], local: "Locals") -> None:
        func = call.func
        if isinstance(func, ast.Name) and func.id == "setattr" and len(call.args) == 3 \
                and isinstance(call.args[0], ast.Name) and call.args[0].id == "self":
            probe = Found()
            self._module_value(scope, cls, ("?",), call.args[2], probe, local)
            if probe.modules or probe.unresolved or probe.sub_models:
                found.unresolved.add(f"setattr of a module in {cls.name}")
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
                and func.value.id == "self":
            if func.attr in ("add_module", "register_module"):
                found.unresolved.add(f"{func.attr} in {cls.name}")
            elif func.attr in methods:
                self._walk_method(scope, cls, methods, func.attr, found, visited)
        elif isinstance(func, ast.Attribute) and func.attr == "__init__" \
                and isinstance(func.value, ast.Call) and isinstance(func.value.func, ast.Name) \
                and func.value.func.id == "super":
            for base in cls.bases:
                self._walk_base(scope, base, found)
        elif isinstance(func, ast.Attribute) and func.attr in ("append", "extend", "insert") \
                and _is_self_attribute(func.value):
            container = func.value.attr  # type: ignore[attr-defined]
            for argument in call.args:
                values = argument.elts if func.attr == "extend" and isinstance(
                    argument, (ast.List, ast.Tuple)) else [argument]
                for value in values:
                    self._module_value(scope, cls, (container, "*"), value, found, local)

    def _module_value(self, scope: FileScope, cls: ast.ClassDef, path: Tuple[str, ...],
                      value: ast.expr, found: Found, local: "Locals", depth: int = 0) -> None:
        """Record what ``value`` builds, placed at ``path`` below the class."""
        if depth > 12:
            found.unresolved.add(f"{cls.name}.{'.'.join(path)}: value too indirect")
            return
        if isinstance(value, ast.IfExp):
            self._module_value(scope, cls, path, value.body, found, local, depth + 1)
            self._module_value(scope, cls, path, value.orelse, found, local, depth + 1)
            return
        if isinstance(value, ast.BoolOp):
            for operand in value.values:
                self._module_value(scope, cls, path, operand, found, local, depth + 1)
            return
        if isinstance(value, ast.Name) and value.id in local.lists:
            # a local list later wrapped or assigned: its items are the modules
            for item in local.lists[value.id]:
                self._module_value(scope, cls, path + ("*",), item, found,
                                   local.without(value.id), depth + 1)
            return
        if isinstance(value, ast.Name) and value.id in local.values:
            for item in local.values[value.id]:
                self._module_value(scope, cls, path, item, found, local.without(value.id), depth + 1)
            return
        if not isinstance(value, ast.Call):
            return
        if _is_3d_parameter(value):
            found.expert_parameters.add(path)
            return
        if isinstance(value.func, ast.Attribute) and value.func.attr in ("to", "eval", "float",
                                                                         "requires_grad_"):
            # Module(...).to(dtype): the module itself
            self._module_value(scope, cls, path, value.func.value, found, local, depth + 1)
            return
        if isinstance(value.func, ast.Attribute) and _is_self_attribute(value.func):
            self._method_result(scope, cls, path, value.func.attr, found, depth)
            return
        for callee_node in self._callee_nodes(value.func, local):
            self._built(scope, cls, path, callee_node, value, found, local)

    def _method_result(self, scope: FileScope, cls: ast.ClassDef, path: Tuple[str, ...],
                       name: str, found: Found, depth: int) -> None:
        """``self.layers = self.get_layers()``: what the method returns, in its own locals."""
        method = None
        for owner_scope, owner in self._class_chain(scope, cls):
            method = next((n for n in owner.body if isinstance(n, ast.FunctionDef) and n.name == name), None)
            if method is not None:
                scope = owner_scope
                break
        if method is None:
            found.unresolved.add(f"{cls.name}.{'.'.join(path)} = self.{name}(...) not found")
            return
        local = _method_locals(method)
        for node in ast.walk(method):
            if isinstance(node, ast.Return) and node.value is not None:
                self._module_value(scope, cls, path, node.value, found, local, depth + 1)

    def _callee_nodes(self, func: ast.expr, local: "Locals") -> List[ast.expr]:
        """What a call's function may be: ``Cls``, a local alias of classes, a dict of classes."""
        if isinstance(func, ast.Name) and func.id in local.values:
            nodes: List[ast.expr] = []
            for value in local.values[func.id]:
                nodes.extend(_alternatives(value))
            return nodes
        return [func]

    def _built(self, scope: FileScope, cls: ast.ClassDef, path: Tuple[str, ...], func: ast.expr,
               value: ast.Call, found: Found, local: "Locals") -> None:
        if isinstance(func, ast.Subscript):
            self._class_table(scope, cls, path, func, value, found, local)
            return
        if isinstance(func, ast.Constant) and func.value is None:
            return  # "layer_class = X if ... else None"
        callee = self._callee(scope, func)
        if callee is None:
            self._unknown_call(cls, func, found)
            return
        if callee in CONTAINERS:
            self._container(scope, cls, path, callee, value, found, local)
            return
        auto = callee.rsplit(".", 1)[-1]
        if auto in AUTO_MODEL_CLASSES and callee.startswith("transformers."):
            self._auto_sub_model(scope, cls, path, auto, value, found)
            return
        kind = self.kind_of(callee)
        if kind is not None:
            found.modules[path] = kind
            return
        if self.resolver.class_def(callee) is not None and not _is_library_class(callee):
            found.add(path, self.walk_class(callee))
            self._passed_modules(scope, cls, path, callee, value, found, local)
        elif not _is_library_class(callee) and not _is_function(self.resolver, callee):
            found.unresolved.add(f"{cls.name}.{'.'.join(path)} = {ast.unparse(func)}(...)")
        elif _is_function(self.resolver, callee) and not _is_library_class(callee):
            found.unresolved.add(f"{cls.name}.{'.'.join(path)} built by function {callee}")

    def _passed_modules(self, scope: FileScope, cls: ast.ClassDef, path: Tuple[str, ...],
                        callee: str, call: ast.Call, found: Found, local: "Locals") -> None:
        """Modules built by the caller and passed in: ``Hybrid(block, nn.Linear(...))`` whose
        ``__init__`` keeps them as ``self.shared = block``; walked in the caller's context."""
        definition = self.resolver.class_def(callee)
        if definition is None:
            return
        init = next((n for n in definition[1].body
                     if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
        if init is None:
            return
        parameters = [a.arg for a in init.args.args[1:]]
        arguments: Dict[str, ast.expr] = dict(zip(parameters, call.args))
        arguments.update({k.arg: k.value for k in call.keywords if k.arg})
        for node in ast.walk(init):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) \
                    and node.value.id in arguments:
                for target in node.targets:
                    if _is_self_attribute(target):
                        self._module_value(scope, cls, path + (target.attr,),  # type: ignore[attr-defined]
                                           arguments[node.value.id], found, local)

    def _callee(self, scope: FileScope, func: ast.expr) -> Optional[str]:
        """Qualified class a call builds: ``Cls(...)``, ``Cls.from_config(...)``, ``Cls._from_config``."""
        if isinstance(func, ast.Attribute) and func.attr in ("from_config", "_from_config",
                                                             "from_pretrained"):
            owner = self.resolver.qualify(scope, func.value)
            if owner is not None:
                return owner
        return self.resolver.qualify(scope, func)

    def _unknown_call(self, cls: ast.ClassDef, func: ast.expr, found: Found) -> None:
        text = ast.unparse(func)
        # self.something(...) / config.x(...) / torch.x(...) compute values, not modules
        if text.startswith(("self.", "config.", "torch.", "math.", "np.")):
            return
        if isinstance(func, ast.Name) and func.id in _BUILTINS:
            return
        found.unresolved.add(f"{cls.name}: call {text}(...) not resolved")

    def _class_table(self, scope: FileScope, cls: ast.ClassDef, path: Tuple[str, ...],
                     func: ast.Subscript, value: ast.Call, found: Found, local: "Locals") -> None:
        """``ATTENTION_CLASSES[config._attn_implementation](config)``: every class in the table."""
        table = self.resolver.qualify(scope, func.value)
        if table is None:
            found.unresolved.add(f"{cls.name}: call {ast.unparse(func)}(...) not resolved")
            return
        if not table.startswith("transformers.models."):
            return  # ACT2FN and other library tables hold activations
        module, _, name = table.rpartition(".")
        tree = self.wheel.tree(module_to_file(module))
        mapping = None
        for node in _top_level(tree.body if tree else []):
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name
                                                    for t in node.targets):
                mapping = node.value
        target_scope = self.resolver.scope(module)
        if not isinstance(mapping, ast.Dict) or target_scope is None:
            found.unresolved.add(f"{cls.name}: class table {table} not a literal dict")
            return
        for item in mapping.values:
            self._built(target_scope, cls, path, item, value, found, local)

    def _container(self, scope: FileScope, cls: ast.ClassDef, path: Tuple[str, ...], callee: str,
                   call: ast.Call, found: Found, local: "Locals") -> None:
        if callee.endswith("ModuleDict"):
            if not call.args:
                return  # filled later: the fill sites are walked as assignments/calls
            mapping = call.args[0]
            if isinstance(mapping, ast.Dict) and all(
                    isinstance(k, ast.Constant) and isinstance(k.value, str) for k in mapping.keys):
                for key, item in zip(mapping.keys, mapping.values):
                    key_text = str(key.value)  # type: ignore[union-attr]
                    self._module_value(scope, cls, path + (key_text,), item, found, local)
                return
            if isinstance(mapping, ast.DictComp):
                self._module_value(scope, cls, path + ("?",), mapping.value, found, local)
                found.unresolved.add(f"{cls.name}.{'.'.join(path)}: ModuleDict keys built at run time")
                return
            found.unresolved.add(f"{cls.name}.{'.'.join(path)}: ModuleDict not literal")
            return
        items: List[ast.expr] = []
        for argument in call.args:
            if isinstance(argument, ast.Starred):
                argument = argument.value
            if isinstance(argument, (ast.ListComp, ast.GeneratorExp)):
                items.append(argument.elt)
            elif isinstance(argument, (ast.List, ast.Tuple)):
                items.extend(argument.elts)
            elif isinstance(argument, ast.Call):
                items.append(argument)
            elif isinstance(argument, ast.Name) and argument.id in local.lists:
                items.extend(local.lists[argument.id])
            elif isinstance(argument, ast.Name):
                found.unresolved.add(f"{cls.name}.{'.'.join(path)}: container of a variable")
        for item in items:
            self._module_value(scope, cls, path + ("*",), item, found, local)

    def _auto_sub_model(self, scope: FileScope, cls: ast.ClassDef, path: Tuple[str, ...],
                        auto: str, call: ast.Call, found: Found) -> None:
        """``AutoModel.from_config(config.text_config)``: the sub-config's class decides."""
        key = _sub_config_key(call)
        owner_type = self._owner_model_type(scope, cls)
        sub_type, open_default = self._sub_model_type(owner_type, key)
        label = f"{cls.name}.{'.'.join(path)}"
        if open_default:
            found.sub_models[key or "config"] = sub_type
            return
        if sub_type is None:
            found.unresolved.add(f"{label}: {auto} of config.{key} not resolved")
            return
        target = self.model_class(AUTO_MODEL_CLASSES[auto], sub_type)
        if target is None:
            found.unresolved.add(f"{label}: no {auto} class for {sub_type}")
            return
        found.add(path, self.walk_class(target))

    def _owner_model_type(self, scope: FileScope, cls: ast.ClassDef) -> Optional[str]:
        """The model_type of the config a class is built with (its ``config_class``)."""
        for candidate in self._class_chain(scope, cls):
            config_name = _config_annotation(candidate[1])
            if config_name is not None:
                qualified = self.resolver.qualify(candidate[0], config_name)
                definition = self.resolver.class_def(qualified) if qualified else None
                if definition is not None:
                    model_type = _class_constant(definition[1], "model_type")
                    if isinstance(model_type, str):
                        return model_type
        return None

    def _class_chain(self, scope: FileScope, cls: ast.ClassDef) -> Iterator[Tuple[FileScope, ast.ClassDef]]:
        seen: Set[str] = set()
        stack = [(scope, cls)]
        while stack:
            current = stack.pop(0)
            key = f"{current[0].module}.{current[1].name}"
            if key in seen:
                continue
            seen.add(key)
            yield current
            for base in current[1].bases:
                name = self.resolver.qualify(current[0], base)
                definition = self.resolver.class_def(name) if name else None
                if definition is not None:
                    stack.append(definition)

    def _sub_model_type(self, owner_type: Optional[str], key: Optional[str]) -> Tuple[Optional[str], bool]:
        """(model_type of ``config.<key>``, True when the sub-config is an AutoConfig: then the
        model_type is only its default (or None) and the checkpoint's config decides)."""
        if key is None:
            return owner_type, False
        if key == "?":
            return None, False
        if owner_type is None or owner_type not in self.config_classes:
            return None, False
        scope, cls = self.config_classes[owner_type]
        for attribute in ("sub_configs_defaults", "sub_configs"):
            table = _class_attribute(cls, attribute)
            if not isinstance(table, ast.Dict):
                continue
            for k, v in zip(table.keys, table.values):
                if not (isinstance(k, ast.Constant) and k.value == key):
                    continue
                return self._spec_model_type(scope, v)
        return None, False

    def _spec_model_type(self, scope: FileScope, spec: ast.expr) -> Tuple[Optional[str], bool]:
        config_node: Optional[ast.expr] = spec
        default: Optional[str] = None
        if isinstance(spec, ast.Call):  # SubConfigSpec(config_class=..., model_type="...")
            config_node = None
            for keyword in spec.keywords:
                if keyword.arg == "config_class":
                    config_node = keyword.value
                elif keyword.arg == "model_type" and isinstance(keyword.value, ast.Constant):
                    default = str(keyword.value.value)
        qualified = self.resolver.qualify(scope, config_node) if config_node is not None else None
        if qualified is not None and qualified.endswith(".AutoConfig"):
            return default, True
        if config_node is not None and qualified is None and ast.unparse(config_node) == "AutoConfig":
            return default, True
        definition = self.resolver.class_def(qualified) if qualified else None
        if definition is None:
            return None, False
        model_type = _class_constant(definition[1], "model_type")
        return (model_type, False) if isinstance(model_type, str) else (None, False)


_BUILTINS = {"int", "float", "bool", "str", "len", "min", "max", "getattr", "list", "dict", "tuple",
             "range", "sum", "isinstance", "hasattr", "set", "super", "type", "zip", "round",
             "print", "abs", "any", "all", "sorted", "enumerate", "next", "iter", "map", "filter"}


def _is_library_class(qualified: str) -> bool:
    """Classes outside the model directories: torch, transformers' base classes, typing, ...

    Model code builds adaptable modules only through the kinds in TORCH_KINDS /
    TRANSFORMERS_KINDS (checked before this) or through classes of ``transformers.models``
    (walked); everything else from a library (norms, dropout, activations, rotary embeddings,
    caches, ``PreTrainedModel``) holds no adaptable module.

    Except the generic task heads of ``transformers.modeling_layers``
    (``GenericForSequenceClassification`` and friends, 4.5x+): most decoder models define
    ``LlamaForSequenceClassification(GenericForSequenceClassification, ...)`` with an empty
    body, and the head (``self.score = nn.Linear(...)``, ``qa_outputs``) is built there.
    """
    if qualified.startswith("transformers.models."):
        return False
    if qualified.startswith(GENERIC_HEADS_PREFIX):
        return False
    return True


def _is_function(resolver: Resolver, qualified: str) -> bool:
    module, _, name = qualified.rpartition(".")
    scope = resolver.scope(module)
    if scope is None:
        return False
    tree = resolver.wheel.tree(module_to_file(module))
    return any(isinstance(n, ast.FunctionDef) and n.name == name for n in tree.body) if tree else False


def _is_self_attribute(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self"


def _is_3d_parameter(call: ast.Call) -> bool:
    """``nn.Parameter(torch.empty(self.num_experts, a, b))``: a fused expert tensor (3-D, first
    dimension counting experts)."""
    text = ast.unparse(call.func)
    if not text.endswith("Parameter") or not call.args or not isinstance(call.args[0], ast.Call):
        return False
    inner = call.args[0]
    shape = inner.args
    if len(shape) == 1 and isinstance(shape[0], (ast.Tuple, ast.List)):
        shape = shape[0].elts
    return len(shape) == 3 and "expert" in ast.unparse(shape[0]).lower()


def _sub_config_key(call: ast.Call) -> Optional[str]:
    """``config.text_config`` -> "text_config"; ``config.get_text_config()`` -> "text_config";
    ``config`` -> None (the model's own config)."""
    argument: Optional[ast.expr] = call.args[0] if call.args else None
    for keyword in call.keywords:
        if keyword.arg == "config":
            argument = keyword.value
    if isinstance(argument, ast.Attribute) and ast.unparse(argument.value) in ("config", "self.config"):
        return argument.attr
    if isinstance(argument, ast.Call) and isinstance(argument.func, ast.Attribute) \
            and argument.func.attr == "get_text_config":
        return "text_config"
    if isinstance(argument, ast.Name) and argument.id == "config":
        return None
    return "?"


@dataclass
class Locals:
    """Local names of one method: plain values (aliases of classes) and lists of modules."""

    values: Dict[str, List[ast.expr]]
    lists: Dict[str, List[ast.expr]]

    def without(self, name: str) -> "Locals":
        """The same locals minus one name: ``x = x if ... else (x, x)`` must not loop."""
        return Locals({k: v for k, v in self.values.items() if k != name},
                      {k: v for k, v in self.lists.items() if k != name})


def _method_locals(method: ast.FunctionDef) -> Locals:
    values: Dict[str, List[ast.expr]] = {}
    lists: Dict[str, List[ast.expr]] = {}
    for node in ast.walk(method):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    if isinstance(node.value, (ast.List, ast.Tuple)):
                        lists.setdefault(target.id, []).extend(node.value.elts)
                    elif isinstance(node.value, ast.ListComp):
                        lists.setdefault(target.id, []).append(node.value.elt)
                    else:
                        values.setdefault(target.id, []).append(node.value)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) \
                and isinstance(node.value, (ast.List, ast.Tuple)):
            lists.setdefault(node.target.id, []).extend(node.value.elts)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and isinstance(node.func.value, ast.Name) and node.func.attr in ("append", "extend"):
            for argument in node.args:
                if node.func.attr == "extend" and isinstance(argument, (ast.List, ast.Tuple)):
                    lists.setdefault(node.func.value.id, []).extend(argument.elts)
                elif node.func.attr == "append":
                    lists.setdefault(node.func.value.id, []).append(argument)
    # a name bound to a list and also to other values is treated as a list only
    for name in lists:
        values.pop(name, None)
    return Locals(values, lists)


def _alternatives(value: ast.expr) -> List[ast.expr]:
    if isinstance(value, ast.IfExp):
        return _alternatives(value.body) + _alternatives(value.orelse)
    if isinstance(value, ast.BoolOp):
        return [v for operand in value.values for v in _alternatives(operand)]
    return [value]


def _config_annotation(cls: ast.ClassDef) -> Optional[ast.expr]:
    """The config class of a model class: ``config_class = X``, ``config: X`` or the
    ``config`` parameter's annotation in ``__init__``."""
    value = _class_attribute(cls, "config_class")
    if value is not None:
        return value
    for node in cls.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) \
                and node.target.id == "config":
            return node.annotation
    for node in cls.body:
        if isinstance(node, ast.FunctionDef) and node.name == "__init__":
            for argument in node.args.args:
                if argument.arg == "config" and argument.annotation is not None:
                    return argument.annotation
    return None


def _class_attribute(cls: ast.ClassDef, name: str) -> Optional[ast.expr]:
    for node in cls.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return node.value
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) \
                and node.target.id == name and node.value is not None:
            return node.value
    return None


def _class_constant(cls: ast.ClassDef, name: str) -> object:
    value = _class_attribute(cls, name)
    return value.value if isinstance(value, ast.Constant) else None


# --------------------------------------------------------------------------- records


def leaves(found: Found, kind: str) -> List[str]:
    """Leaf names (last path part that is not an index) of modules of one kind."""
    names = {p[-1] for p, k in found.modules.items() if k == kind and p[-1] not in ("*", "?")}
    return sorted(names)


def record(deriver: Deriver, model_type: str) -> Optional[dict]:
    """One model_type: the union over its generation classes (causal LM and image-text-to-text
    both exist for Mllama; either may be loaded), else its bare ``AutoModel`` class."""
    starts: List[str] = []
    for mapping in START_MAPPINGS[:-1]:
        start = deriver.model_class(mapping, model_type)
        if start is not None and start not in starts:
            starts.append(start)
    if not starts:
        start = deriver.model_class(START_MAPPINGS[-1], model_type)
        starts = [start] if start is not None else []
    if not starts:
        return None
    found = Found()
    for start in starts:
        found.add((), deriver.walk_class(start))
    if not found.modules and not found.unresolved:
        return None
    heads: Set[str] = set()
    for mapping in HEAD_MAPPINGS:
        head = deriver.model_class(mapping, model_type)
        if head is not None and head not in starts:
            head_found = deriver.walk_class(head)
            heads |= {p[-1] for p, k in head_found.modules.items()
                      if k != EMBEDDING and len(p) <= 3 and p[-1] not in ("*", "?")}
    linear = leaves(found, LINEAR)
    embedding = leaves(found, EMBEDDING)
    other = leaves(found, OTHER)
    top_level = sorted(p[0] for p, k in found.modules.items() if len(p) == 1 and k == LINEAR)
    known = set(linear) | set(embedding) | set(other)
    experts = sorted({".".join(p[p.index("*") + 1:] if "*" in p else p[-3:])
                      for p in found.expert_parameters})
    complete = not found.unresolved
    entry: dict = {
        "classes": [start.rsplit(".", 1)[-1] for start in starts],
        "complete": complete,
        "linear": linear,
        "embedding": embedding,
    }
    if other:
        entry["other"] = other
    entry["top_level_linear"] = top_level
    extra_heads = sorted(heads - known)
    if extra_heads:
        entry["task_heads"] = extra_heads
    if experts:
        entry["fused_expert_parameters"] = experts
    if found.sub_models:
        entry["sub_models"] = dict(sorted(found.sub_models.items()))
    if found.unresolved:
        entry["unresolved"] = sorted(found.unresolved)[:8]
    return entry


def derive(wheel_path: str) -> Tuple[Wheel, Dict[str, dict]]:
    wheel = Wheel(wheel_path)
    deriver = Deriver(wheel)
    model_types: Set[str] = set()
    for mapping in START_MAPPINGS:
        model_types |= set(deriver.mappings.get(mapping, {}))
    records: Dict[str, dict] = {}
    for model_type in sorted(model_types):
        entry = record(deriver, model_type)
        if entry is not None:
            records[model_type] = entry
    return wheel, records


def peft_defaults(wheel_path: str) -> dict:
    """PEFT's ``TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING`` (what it targets when
    ``target_modules`` is not given; a model_type missing from it makes PEFT raise)."""
    name = wheel_path.rsplit("/", 1)[-1]
    with zipfile.ZipFile(wheel_path) as archive:
        tree = ast.parse(archive.read("peft/utils/constants.py").decode("utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING"
                for t in node.targets):
            mapping = ast.literal_eval(node.value)
            return {"source": f"{name}: peft/utils/constants.py "
                              "TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING",
                    "mapping": mapping}
    raise SystemExit(f"{name}: TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING not found")


def verify_with_skeletons(records: Dict[str, dict], major: int) -> int:
    """Mark complete records incomplete where the installed transformers (same major version)
    builds, on the meta device from the default config, a module the static walk missed.
    Needs torch and transformers; returns how many records were marked."""
    import signal
    import warnings

    import torch
    import transformers
    from transformers.pytorch_utils import Conv1D

    if int(transformers.__version__.split(".")[0]) != major:
        return 0
    adaptable = (torch.nn.Linear, Conv1D, torch.nn.Embedding, torch.nn.Conv1d, torch.nn.Conv2d,
                 torch.nn.Conv3d, torch.nn.MultiheadAttention)

    def timeout(*_: object) -> None:
        raise TimeoutError

    signal.signal(signal.SIGALRM, timeout)
    marked = 0
    for model_type, record in records.items():
        if not record["complete"]:
            continue
        built: Set[str] = set()
        try:
            signal.alarm(30)
            config = transformers.AutoConfig.for_model(model_type)
            for class_name in record["classes"]:
                with warnings.catch_warnings(), torch.device("meta"):
                    warnings.simplefilter("ignore")
                    model = getattr(transformers, class_name)(config)
                built |= {name.rsplit(".", 1)[-1] for name, module in model.named_modules()
                          if isinstance(module, adaptable)}
        except Exception:  # noqa: BLE001 - a model that cannot be built proves nothing
            continue
        finally:
            signal.alarm(0)
        listed = set(record["linear"]) | set(record["embedding"]) | set(record.get("other", ()))
        for sub_type in record.get("sub_models", {}).values():
            sub = records.get(sub_type) if sub_type else None
            if sub is not None:
                listed |= set(sub["linear"]) | set(sub["embedding"]) | set(sub.get("other", ()))
        missed = sorted(n for n in built - listed if n and not n.isdigit())
        if missed:
            record["complete"] = False
            record["unresolved"] = [f"the meta-device model of transformers {transformers.__version__} "
                                    f"has modules the static walk missed: {missed[:6]}"]
            marked += 1
    return marked


def _module_literal(source: str, name: str) -> Optional[object]:
    for node in ast.parse(source).body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets) and node.value is not None:
                return ast.literal_eval(node.value)
    return None


def peft_moe_rewrites(peft_wheel: str, transformers_wheel: str) -> dict:
    """Model types whose MoE expert names PEFT turns into ``target_parameters`` on the fused
    tensors (transformers 5): PEFT's ``_MOE_TARGET_MODULE_MAPPING`` per conversion pattern, and
    transformers' ``_MODEL_TO_CONVERSION_PATTERN`` (plus PEFT's own "mixtral" entry)."""
    with zipfile.ZipFile(peft_wheel) as archive:
        peft_source = archive.read("peft/utils/transformers_weight_conversion.py").decode("utf-8")
    with zipfile.ZipFile(transformers_wheel) as archive:
        tf_source = archive.read("transformers/conversion_mapping.py").decode("utf-8")
    targets = _module_literal(peft_source, "_MOE_TARGET_MODULE_MAPPING")
    patterns = _module_literal(tf_source, "_MODEL_TO_CONVERSION_PATTERN")
    if not isinstance(targets, dict) or not isinstance(patterns, dict):
        raise SystemExit("MoE conversion tables not found")
    patterns = dict(patterns, mixtral="mixtral")  # PEFT adds this one itself
    patterns.update({pattern: pattern for pattern in targets})  # the patterns' own types
    by_type = {}
    for model_type, pattern in sorted(patterns.items()):
        if pattern in targets:
            by_type[model_type] = sorted(k for k in targets[pattern] if k != "gate")
    return {"source": (f"{peft_wheel.rsplit('/', 1)[-1]}: peft/utils/transformers_weight_conversion.py "
                       f"_MOE_TARGET_MODULE_MAPPING; {transformers_wheel.rsplit('/', 1)[-1]}: "
                       "transformers/conversion_mapping.py _MODEL_TO_CONVERSION_PATTERN"),
            "target_modules_rewritten": by_type}


def _reviewed_remote_code(path: str) -> dict:
    """The hand-reviewed ``remote_code`` section of an existing output file (kept as is)."""
    return _reviewed_section(path, "remote_code")


def _reviewed_section(path: str, key: str) -> dict:
    """A hand-reviewed section of an existing output file (kept as is): ``remote_code``, and
    ``timm_towers`` (vision towers built from timm, which no transformers wheel contains)."""
    try:
        with open(path, encoding="utf-8") as handle:
            return dict(json.load(handle).get(key, {}))
    except (OSError, ValueError):
        return {}


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wheels", nargs="+", help="transformers wheel files (one per major version)")
    parser.add_argument("--peft", help="a peft wheel: its default LoRA targets per model_type are recorded")
    parser.add_argument("--verify", action="store_true",
                        help="build every complete record of the installed transformers' major version on "
                             "the meta device and mark the ones whose modules the static walk missed")
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args(argv)
    document: dict = {
        "schema_version": 1,
        "description": (
            "Module leaf names PEFT can target, per transformers model_type and transformers "
            "major version, derived statically from the wheels named in 'source' by "
            "dev/derive_module_names.py (see docs/catalog.md). 'complete': false means the "
            "static walk met something it could not follow ('unresolved'): such records are "
            "never used to report a name as unknown. 'remote_code' holds architectures that "
            "need trust_remote_code, from their own modeling files."),
        "source": {},
        "transformers": {},
    }
    for path in args.wheels:
        wheel, records = derive(path)
        major = str(wheel.major)
        document["source"][major] = f"transformers {wheel.version} wheel from PyPI ({path.rsplit('/', 1)[-1]})"
        document["transformers"][major] = records
        if args.verify:
            marked = verify_with_skeletons(records, wheel.major)
            print(f"transformers {wheel.version}: {marked} records marked incomplete by --verify",
                  file=sys.stderr)
        complete = sum(1 for r in records.values() if r["complete"])
        print(f"transformers {wheel.version}: {len(records)} model types, {complete} complete",
              file=sys.stderr)
    if args.peft:
        document["peft_default_target_modules"] = peft_defaults(args.peft)
        newest = max(args.wheels, key=lambda w: Wheel(w).major)
        document["peft_moe_target_rewrites"] = peft_moe_rewrites(args.peft, newest)
    document["remote_code"] = _reviewed_remote_code(args.output)
    timm_towers = _reviewed_section(args.output, "timm_towers")
    if timm_towers:
        document["timm_towers"] = timm_towers
    with open(args.output, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=1, sort_keys=False)
        handle.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
