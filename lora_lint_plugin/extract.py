"""Extraction: from a LibCST module (with metadata) to the typed ``FileModel``.

Calls are recognised by qualified name (import aliases and shadowing handled by LibCST's
``QualifiedNameProvider``), their arguments resolved with ``Resolver``, and the calls linked
through variables into training setups: loader -> LoRA -> trainer.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

import libcst as cst
from libcst.metadata import (
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    ScopeProvider,
)

from .model import (
    LORA_CONFIG,
    MODEL_LOAD,
    PASS_THROUGH,
    PEFT_JOIN,
    PEFT_LOAD,
    TRAINER,
    TRAINING_ARGS,
    UNSLOTH_PEFT,
    Argument,
    Arguments,
    CallSite,
    FileModel,
    ImportRecord,
    Signal,
    TrainingSetup,
)
from .callees import UNSLOTH_LOADERS, classify
from .resolve import Resolver
from .values import MAPPING, OBJECT, CallResult, Value

# Parameter names of positional arguments, per canonical callee.
POSITIONAL_PARAMETERS: Dict[str, Tuple[str, ...]] = {
    "FastLanguageModel.from_pretrained": ("model_name", "max_seq_length", "dtype", "load_in_4bit"),
    "from_pretrained": ("model_name",),
    "FastLanguageModel.get_peft_model": ("model", "r", "target_modules", "lora_alpha",
                                         "lora_dropout", "bias"),
    "get_peft_model": ("model", "peft_config", "adapter_name"),
    "PeftModel.from_pretrained": ("model", "model_id"),
    "prepare_model_for_kbit_training": ("model", "use_gradient_checkpointing"),
    "SFTTrainer": ("model", "args", "data_collator", "train_dataset", "eval_dataset"),
    "Trainer": ("model", "args", "data_collator", "train_dataset", "eval_dataset"),
    "TrainingArguments": ("output_dir",),
}

# Keyword spellings that mean the same parameter.
KEYWORD_ALIASES = {"pretrained_model_name_or_path": "model_name"}

CHAT_TOKEN_LITERALS = ("<|eot_id|>", "<|start_header_id|>", "<|im_start|>", "<|im_end|>",
                       "<start_of_turn>", "<end_of_turn>", "[INST]", "<|assistant|>",
                       "<|user|>")
UNSLOTH_CHAT_FUNCTIONS = ("get_chat_template", "standardize_sharegpt",
                          "train_on_responses_only", "standardize_data_formats")
TOKEN_ADDING_METHODS = ("add_tokens", "add_special_tokens", "resize_token_embeddings",
                        "add_new_tokens")


def _positional_names(name: str) -> Tuple[str, ...]:
    if name in POSITIONAL_PARAMETERS:
        return POSITIONAL_PARAMETERS[name]
    if name.endswith(".from_pretrained"):
        if name.split(".")[0] in UNSLOTH_LOADERS:
            return POSITIONAL_PARAMETERS["FastLanguageModel.from_pretrained"]
        return POSITIONAL_PARAMETERS["from_pretrained"]
    if name.endswith(".get_peft_model"):
        return POSITIONAL_PARAMETERS["FastLanguageModel.get_peft_model"]
    if name == "UnslothTrainer":
        return POSITIONAL_PARAMETERS["SFTTrainer"]
    return ()


class Extractor(cst.CSTVisitor):
    """Collects recognised calls, imports and signals; ``build()`` links them."""

    METADATA_DEPENDENCIES = (QualifiedNameProvider, ScopeProvider, PositionProvider,
                             ParentNodeProvider)

    def __init__(self) -> None:
        super().__init__()
        self.resolver = Resolver(self.get_metadata)
        self.model = FileModel()
        self._pending: List[Tuple[cst.Call, str, str, str]] = []

    # -- collection ------------------------------------------------------------------------
    def visit_Import(self, node: cst.Import) -> None:
        statement, top_level, index = self._import_placement(node)
        for alias in node.names:
            dotted = _dotted(alias.name)
            package = dotted.split(".")[0]
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                names = ((dotted, alias.asname.name.value),)
            else:
                names = ((package, package),)
            self.model.imports.append(ImportRecord(package, self.resolver.span(node), node,
                                                   statement, top_level, names, index))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None:
            return
        module = _dotted(node.module)
        package = module.split(".")[0]
        names: Tuple[Tuple[str, str], ...] = ()
        if not isinstance(node.names, cst.ImportStar):
            names = tuple(
                (f"{module}.{_dotted(alias.name)}",
                 alias.asname.name.value if alias.asname is not None
                 and isinstance(alias.asname.name, cst.Name) else _dotted(alias.name))
                for alias in node.names)
        statement, top_level, index = self._import_placement(node)
        self.model.imports.append(ImportRecord(package, self.resolver.span(node), node,
                                               statement, top_level, names, index))

    def _import_placement(self, node: cst.CSTNode
                          ) -> Tuple[Optional[cst.CSTNode], bool, Optional[int]]:
        """(the module-level line holding only this import, or None; not inside a def/class;
        that line's index in the module body)."""
        line = self.resolver.parent(node)
        statement, index = None, None
        module = self.resolver.parent(line) if line is not None else None
        if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1 \
                and isinstance(module, cst.Module):
            statement = line
            index = next(i for i, item in enumerate(module.body) if item is line)
        ancestor = line
        while ancestor is not None and not isinstance(ancestor, cst.Module):
            if isinstance(ancestor, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                return statement, False, index
            ancestor = self.resolver.parent(ancestor)
        return statement, True, index

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        for token in CHAT_TOKEN_LITERALS:
            if token in node.value:
                self.model.chat_signals.append(
                    Signal("chat-token-literal", self.resolver.span(node), token))
                return

    def visit_Call(self, node: cst.Call) -> None:
        names = self.get_metadata(QualifiedNameProvider, node.func, set())
        for qualified in sorted(names, key=lambda q: q.name):
            found = classify(qualified.name)
            if found is not None:
                self._pending.append((node, *found))
                break
            self._note_signal_call(node, qualified.name)
        else:
            self._note_method_call(node)
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value == "chat_template":
                self.model.chat_signals.append(
                    Signal("chat-template-argument", self.resolver.span(arg)))

    def _note_signal_call(self, node: cst.Call, qualified_name: str) -> None:
        parts = qualified_name.split(".")
        if parts[0] == "unsloth" and parts[-1] in UNSLOTH_CHAT_FUNCTIONS:
            self.model.chat_signals.append(
                Signal("unsloth-chat-function", self.resolver.span(node), parts[-1]))
        elif parts[0] == "trl" and parts[-1] in ("setup_chat_format", "clone_chat_template"):
            self.model.chat_signals.append(
                Signal("trl-chat-format", self.resolver.span(node), parts[-1]))

    def _note_method_call(self, node: cst.Call) -> None:
        if not isinstance(node.func, cst.Attribute):
            return
        method = node.func.attr.value
        span = self.resolver.span(node)
        if method == "apply_chat_template":
            self.model.chat_signals.append(Signal("apply-chat-template", span))
        elif method in TOKEN_ADDING_METHODS:
            self.model.token_additions.append(Signal("token-addition", span, method))
        elif method == "gradient_checkpointing_enable":
            self.model.gradient_checkpointing_calls.append(Signal("gc-enable", span))

    # -- building (while the metadata is still available) ----------------------------------
    def leave_Module(self, original_node: cst.Module) -> None:
        self.build()

    def build(self) -> FileModel:
        by_node: Dict[cst.Call, CallSite] = {}
        for node, role, name, library in self._pending:
            site = CallSite(role=role, name=name, library=library, node=node,
                            span=self.resolver.span(node),
                            head_span=self.resolver.span(node.func),
                            args=self._arguments(node, _positional_names(name)))
            by_node[node] = site
            self.model.calls.append(site)
        self._by_node = by_node
        for site in self.model.calls:
            self._link(site)
        self.model.setups = self._setups()
        return self.model

    def _arguments(self, node: cst.Call, positional: Sequence[str]) -> Arguments:
        by_name: Dict[str, Argument] = {}
        complete = True
        index = 0
        for arg in node.args:
            span = self.resolver.span(arg)
            if arg.star == "**":
                mapping = self.resolver.resolve(arg.value)
                if isinstance(mapping, Value) and mapping.kind == MAPPING:
                    for key, value in mapping.entries:
                        key = KEYWORD_ALIASES.get(key, key)
                        by_name.setdefault(key, Argument(key, value, span, arg))
                else:
                    complete = False
            elif arg.star == "*":
                complete = False
                index = len(positional)  # later positionals can no longer be placed
            elif arg.keyword is not None:
                key = KEYWORD_ALIASES.get(arg.keyword.value, arg.keyword.value)
                by_name[key] = Argument(key, self.resolver.resolve(arg.value), span, arg)
            else:
                if index < len(positional):
                    key = positional[index]
                    by_name[key] = Argument(key, self.resolver.resolve(arg.value), span, arg)
                else:
                    complete = False
                index += 1
        return Arguments(by_name, complete)

    def origin(self, argument: Optional[Argument]) -> Optional[CallSite]:
        """The recognised call whose result flows into ``argument`` (through variables)."""
        if argument is None:
            return None
        return self._origin_of_value(argument.value, hops=0)

    def _origin_of_value(self, value: object, hops: int) -> Optional[CallSite]:
        if not isinstance(value, Value) or value.kind != OBJECT or hops > 20:
            return None
        result: CallResult = value.python
        site = self._by_node.get(result.call)
        if site is None:
            return None
        if site.role == MODEL_LOAD and site.is_unsloth and result.index not in (None, 0):
            return None  # the tokenizer half of ``model, tokenizer = ...``
        if site.role in (UNSLOTH_PEFT, PEFT_JOIN, PEFT_LOAD) and result.index not in (None, 0):
            return None
        if site.role == PASS_THROUGH:
            return self._origin_of_value(site.args.value("model"), hops + 1)
        return site

    def _link(self, site: CallSite) -> None:
        if site.role in (UNSLOTH_PEFT, PEFT_JOIN, PEFT_LOAD, TRAINER):
            site.model = self.origin(site.args.get("model"))
        if site.role == PEFT_JOIN:
            config = self.origin(site.args.get("peft_config"))
            site.config = config if config is not None and config.role == LORA_CONFIG else None
        if site.role == TRAINER:
            config = self.origin(site.args.get("peft_config"))
            site.config = config if config is not None and config.role == LORA_CONFIG else None
            args = self.origin(site.args.get("args"))
            site.training_args = args if args is not None and args.role == TRAINING_ARGS else None
        if site.role == PASS_THROUGH:
            use_gc = site.args.plain("use_gradient_checkpointing", True)
            if use_gc is not False:
                self.model.gradient_checkpointing_calls.append(
                    Signal("prepare-model-for-kbit-training", site.span))

    def _setups(self) -> List[TrainingSetup]:
        setups: List[TrainingSetup] = []
        used: set = set()

        def follow_model(setup: TrainingSetup, site: Optional[CallSite]) -> None:
            hops = 0
            while site is not None and hops < 20:
                hops += 1
                used.add(site)
                if site.role == MODEL_LOAD:
                    setup.model_load = site
                    return
                if site.role == UNSLOTH_PEFT:
                    setup.lora = setup.lora or site
                    setup.adapter_call = setup.adapter_call or site
                elif site.role == PEFT_JOIN:
                    setup.adapter_call = setup.adapter_call or site
                    if site.config is not None:
                        setup.lora = setup.lora or site.config
                        used.add(site.config)
                site = site.model

        for trainer in self.model.calls_with_role(TRAINER):
            setup = TrainingSetup(trainer=trainer, training_args=trainer.training_args)
            used.add(trainer)
            if trainer.training_args is not None:
                used.add(trainer.training_args)
            follow_model(setup, trainer.model)
            if trainer.config is not None and setup.lora is None:
                setup.lora = trainer.config
                used.add(trainer.config)
            setups.append(setup)
        for role in (UNSLOTH_PEFT, PEFT_JOIN, PEFT_LOAD):
            for site in self.model.calls_with_role(role):
                if site not in used:
                    setup = TrainingSetup()
                    follow_model(setup, site)
                    setups.append(setup)
        for role in (LORA_CONFIG, MODEL_LOAD, TRAINING_ARGS):
            for site in self.model.calls_with_role(role):
                if site not in used:
                    used.add(site)
                    setup = TrainingSetup()
                    if role == LORA_CONFIG:
                        setup.lora = site
                    elif role == MODEL_LOAD:
                        setup.model_load = site
                    else:
                        setup.training_args = site
                    setups.append(setup)
        for setup in setups:
            setup.model_id = self._model_id(setup)
        return setups

    def _model_id(self, setup: TrainingSetup) -> Optional[Value]:
        candidates = []
        if setup.model_load is not None:
            candidates.append(setup.model_load.args.value("model_name"))
        if setup.trainer is not None:
            candidates.append(setup.trainer.args.value("model"))
        for value in candidates:
            if isinstance(value, Value) and isinstance(value.python, str):
                return value
        return None


def _dotted(node: cst.CSTNode) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def extract(wrapper: "cst.MetadataWrapper") -> FileModel:
    """Build the ``FileModel`` of a module wrapped with its metadata."""
    extractor = Extractor()
    wrapper.visit(extractor)
    return extractor.model


__all__ = ["Extractor", "extract"]
