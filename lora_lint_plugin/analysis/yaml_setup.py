"""A YAML trainer config as the same ``FileModel`` the Python front end builds.

``config_model(document, config_format, text)`` turns an axolotl, LLaMA-Factory (flat or the
nested ``model:``/``peft_config:`` layout) or TRL CLI config into one ``TrainingSetup`` of
``CallSite``s spelled the way PEFT and TRL spell them in Python: a loader
(``AutoModelForCausalLM.from_pretrained`` with the model id and quantisation), a
``LoraConfig`` (``r``, ``lora_alpha``, ``lora_dropout``, ``target_modules``,
``modules_to_save``, ...), training arguments (sequence length, micro batch, gradient
checkpointing, learning rates) and a trainer. Every argument's value is the YAML node's
value with its position; keys the config leaves out get the tool's documented default
(``catalog/data/trainer_configs.json``), located at the setting they belong to, so the rules
run unchanged and judge what the tool will actually do.

``ConfigDialect`` (``FileModel.config``) says which tool it is, what the tool calls each
setting (messages are re-spelled with the tool's keys) and what the tool offers for a lower
embedding learning rate.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any, Callable, Dict, FrozenSet, Optional, Tuple

from ..fast_dataclass import dataclass, field, replace
from .diagnostics import Span
from .model import (
    LORA_CONFIG,
    MODEL_LOAD,
    TRAINER,
    TRAINING_ARGS,
    Argument,
    Arguments,
    CallSite,
    FileModel,
    Signal,
    TrainingSetup,
)
from .positions import SourceLines
from .values import SEQUENCE, UNKNOWN, Resolved, Value, is_number
from .yaml_document import ConfigDocument, Entry, comma_items
from ..sources.config_formats import AXOLOTL, LLAMA_FACTORY, LLAMA_FACTORY_V1, TRL


@lru_cache(maxsize=None)
def trainer_config_facts() -> Dict[str, Any]:
    """``catalog/data/trainer_configs.json``: each format's tool, scalar semantics, defaults."""
    from ..catalog import _data_text

    return json.loads(_data_text("trainer_configs.json"))["formats"]


# -- how a tool spells things (messages are re-spelled with these) -----------------------------

# Python spelling -> the key in each format. Only names that differ, or that messages print.
_SPELLING: Dict[str, Dict[str, str]] = {
    AXOLOTL: {"r": "lora_r", "target_modules": "lora_target_modules",
              "modules_to_save": "lora_modules_to_save", "max_seq_length": "sequence_len",
              "per_device_train_batch_size": "micro_batch_size",
              "embedding_learning_rate": "embedding_lr", "target_parameters": "lora_target_parameters",
              "use_rslora": "peft_use_rslora", "use_dora": "peft_use_dora",
              "trainable_token_indices": "peft_trainable_token_indices",
              "ensure_weight_tying": "peft_ensure_weight_tying"},
    LLAMA_FACTORY: {"r": "lora_rank", "target_modules": "lora_target",
                    "modules_to_save": "additional_target", "max_seq_length": "cutoff_len"},
    LLAMA_FACTORY_V1: {"r": "peft_config.r", "lora_alpha": "peft_config.lora_alpha",
                       "lora_dropout": "peft_config.lora_dropout",
                       "target_modules": "peft_config.target_modules",
                       "modules_to_save": "peft_config.modules_to_save",
                       "max_seq_length": "cutoff_len",
                       "per_device_train_batch_size": "micro_batch_size",
                       "gradient_checkpointing": "enable_activation_checkpointing"},
    TRL: {"r": "lora_r", "target_modules": "lora_target_modules",
          "modules_to_save": "lora_modules_to_save", "target_parameters": "lora_target_parameters"},
}


def spellings() -> Dict[str, Dict[str, str]]:
    """Per format, the key that stands for each Python keyword name (where they differ)."""
    return _SPELLING


# Whole phrases first (what the Python messages say that a config does not have).
_COMMON_PHRASES: Tuple[Tuple[str, str], ...] = (
    (r"\buse (\w+)=(?=$|[\s;,)])", r"use \1"),
    (r"\bLoraConfig without\b", "LoRA settings without"),
    (r"\bLoraConfig adapts\b", "The LoRA settings adapt"),
    (r" unset on (?:TrainingArguments|SFTConfig|DPOConfig|GRPOConfig)\b", " unset in this config"),
)
# PEFT options that LLaMA-Factory and TRL's CLI do not expose.
_NO_PEFT_OPTIONS: Tuple[Tuple[str, str], ...] = (
    (r",? or use trainable_token_indices for new tokens", ""),
    (r" \(use trainable_token_indices for new tokens\)", ""),
    (r"; set trainable_token_indices to the new token ids \(peft >= 0\.15\) to train and save "
     r"only their rows", "; this tool has no setting for PEFT's trainable_token_indices, which "
     r"would train and save only their rows: a Python script can use it"),
    (r"; set ensure_weight_tying=True \(peft >= 0\.18\)",
     "; this tool has no setting for PEFT's ensure_weight_tying: keep only one of them"),
)
# LLaMA-Factory has no key for PEFT's target_parameters (LoRA on 3-D expert weights).
_NO_TARGET_PARAMETERS: Tuple[Tuple[str, str], ...] = (
    (r"add target_parameters=\[[^\]]*\]", "LLaMA-Factory has no setting for PEFT's "
     "target_parameters, which reaches them: axolotl's lora_target_parameters, TRL's "
     "lora_target_parameters or a Python script can"),
)
_PHRASES: Dict[str, Tuple[Tuple[str, str], ...]] = {
    AXOLOTL: (),
    LLAMA_FACTORY: (
        (r"\bgradient_checkpointing=False\b", "disable_gradient_checkpointing: true"),
        (r"\bset gradient_checkpointing=True\b", "remove disable_gradient_checkpointing: true"),
        (r"\(gradient_checkpointing=True\)",
         "(disable_gradient_checkpointing unset or false: LLaMA-Factory's default)"),
    ) + _NO_PEFT_OPTIONS + _NO_TARGET_PARAMETERS,
    LLAMA_FACTORY_V1: _NO_PEFT_OPTIONS + _NO_TARGET_PARAMETERS,
    TRL: (
        (r"\b(\w+) has no (\w+) since TRL ([\d.]+): it raises 'TypeError: .*?unexpected keyword "
         r"argument '\w+''",
         r"\1 has no \2 since TRL \3, so TRL does not read it from this config (its training "
         r"scripts ignore keys they do not know; `trl <command>` hands them to `accelerate "
         r"launch`)"),
    ) + _NO_PEFT_OPTIONS,
}


@dataclass(frozen=True)
class ConfigDialect:
    """The trainer a YAML config is for: how it names settings and what it can do."""

    config_format: str
    tool: str
    document: Optional[ConfigDocument] = None   # the parsed config (keys with positions)
    # Codes that do not apply to this config, e.g. axolotl raises unless the embeddings are
    # in lora_modules_to_save when `tokens` adds tokens, so "remove them" is wrong advice.
    silenced: FrozenSet[str] = frozenset()

    def spelled(self, message: str) -> str:
        """A rule's message with Python keyword spellings replaced by this tool's keys."""
        for pattern, replacement in _COMMON_PHRASES + _PHRASES[self.config_format]:
            message = re.sub(pattern, replacement, message)
        spelling = _SPELLING[self.config_format]

        def key(match: "re.Match[str]") -> str:
            if match.group(1) == "r" and not match.group(0).endswith(("=", "True", "False")) \
                    and not match.group(3):
                return match.group(0)  # the word "r" alone is not the setting
            name = spelling.get(match.group(1), match.group(1))
            if match.group(2):
                return f"{name}: {match.group(2).lower()}"
            return f"{name}: " if match.group(3) else name

        return _keyword_pattern(self.config_format).sub(key, message)

    def spelled_assumption(self, text: str) -> str:
        """An estimate's assumption (``sequence length: 4096 (TrainingArguments(max_seq_length=
        4096))``) as the config states it (``... (sequence_len: 4096)``)."""
        text = _CALL_WRAPPER.sub(r"\1", text)
        return self.spelled(text)

    def embedding_rate_advice(self, learning_rate: Any) -> str:
        """What this tool offers to train embeddings at a lower rate than the adapters."""
        if self.config_format == AXOLOTL:
            if is_number(learning_rate) and learning_rate > 0:
                from ..rules._common import format_learning_rate

                return (f"set embedding_lr_scale: 0.1 (or embedding_lr: "
                        f"{format_learning_rate(learning_rate / 10)}), which axolotl applies to "
                        f"the embedding weights")
            return "set embedding_lr_scale: 0.1, which axolotl applies to the embedding weights"
        saved = _SPELLING[self.config_format].get("modules_to_save", "modules_to_save")
        return (f"{self.tool} has no separate learning rate for them: remove them from {saved} "
                f"unless they must change (the Instruct model already knows its chat tokens), "
                f"or train them where a lower rate can be set (axolotl's embedding_lr_scale, "
                f"Unsloth's embedding_learning_rate)")


# ``TrainingArguments(max_seq_length=4096)`` in an estimate's assumptions: the class is ours.
_CALL_WRAPPER = re.compile(r"\b(?:TrainingArguments|SFTConfig|DPOConfig|PreferenceOrRLConfig|"
                           r"LoraConfig)\(([^()]*)\)")


@lru_cache(maxsize=None)
def _keyword_pattern(config_format: str) -> "re.Pattern[str]":
    """Python keyword names in a message, each with what follows it: ``name=True/False``
    (-> ``key: true``), ``name=value`` (-> ``key: value``), a dangling ``name=`` (-> ``key``)."""
    names = sorted(set(_SPELLING[config_format]) | {
        "lora_alpha", "lora_dropout", "gradient_checkpointing", "per_device_train_batch_size",
        "max_length", "max_seq_length", "ensure_weight_tying", "learning_rate"}, key=len,
        reverse=True)
    return re.compile(r"(?<![\w.'\"`])(" + "|".join(map(re.escape, names)) +
                      r")(?![\w])(?:=(True|False)\b|(=)(?=[^\s;,)])|=)?")


def dialect_of(config_format: str, document: Optional[ConfigDocument] = None) -> ConfigDialect:
    return ConfigDialect(config_format, trainer_config_facts()[config_format]["tool"], document)


# -- building the setup -------------------------------------------------------------------------

def _default(python: Any, span: Span) -> Value:
    """A tool default: not written in the file, so located at the setting it belongs to and
    never rewritten by a fix."""
    return Value(python, None, span, literal=False)


def _argument(name: str, value: Resolved, span: Span) -> Argument:
    value_span = value.span if isinstance(value, Value) else None
    return Argument(name, value, span, None, value_span)


class _CallBuilder:
    """The arguments of one synthetic call, in the Python spelling."""

    def __init__(self) -> None:
        self.by_name: Dict[str, Argument] = {}

    def put(self, name: str, entry: Optional[Entry], convert: Optional[Callable[[Value], Resolved]] = None
            ) -> None:
        """``name`` from a config entry (nothing when the key is absent)."""
        if entry is None:
            return
        value = entry.value
        if convert is not None and isinstance(value, Value):
            value = convert(value)
        self.by_name[name] = _argument(name, value, entry.span)

    def put_value(self, name: str, value: Resolved, span: Span) -> None:
        self.by_name[name] = _argument(name, value, span)

    def default(self, name: str, python: Any, span: Span) -> None:
        """``name`` = the tool's default when the config did not set it."""
        if name not in self.by_name:
            self.by_name[name] = _argument(name, _default(python, span), span)

    def call(self, role: str, name: str, library: str, span: Span, head_span: Span) -> CallSite:
        return CallSite(role=role, name=name, library=library, node=None, span=span,
                        head_span=head_span, args=Arguments(dict(self.by_name), complete=True))


@dataclass
class _Setup:
    """The four calls of a config, filled per format."""

    document: ConfigDocument
    lines: SourceLines
    model: _CallBuilder
    lora: _CallBuilder
    args: _CallBuilder
    trainer_name: str = "Trainer"
    args_name: str = "TrainingArguments"
    library: str = "transformers"
    adapter: bool = True
    model_entry: Optional[Entry] = None
    lora_anchor: Optional[Entry] = None
    model_config: Optional[_CallBuilder] = None   # TRL's ModelConfig (its own removed keys)
    defaults: Dict[str, Any] = field(default_factory=dict)   # the tool's, by its key names

    def entry(self, *keys: str) -> Optional[Entry]:
        """The first of ``keys`` the config sets."""
        for key in keys:
            found = self.document.get(key)
            if found is not None:
                return found
        return None

    @property
    def document_span(self) -> Span:
        last = len(self.lines.lines)
        return Span(1, 0, last, len(self.lines.line(last)))

    def put_with_default(self, builder: _CallBuilder, name: str, key: str, anchor: Span) -> None:
        """``name`` from the config's ``key``; when the config does not set it, the tool's
        default for ``key``, located at ``anchor``."""
        builder.put(name, self.document.get(key))
        builder.default(name, self.defaults[key], anchor)

    def anchor_span(self, *keys: str) -> Span:
        """The key span of the first of ``keys`` set, else the model id's key."""
        found = self.entry(*keys)
        if found is not None:
            return found.key_span
        if self.model_entry is not None:
            return self.model_entry.key_span
        return Span(1, 0, 1, 0)


def config_model(document: ConfigDocument, config_format: str, text: str) -> FileModel:
    """The ``FileModel`` of a parsed trainer config (one setup, or none without a model id)."""
    lines = SourceLines(text)
    state = _Setup(document, lines, _CallBuilder(), _CallBuilder(), _CallBuilder(),
                   defaults=trainer_config_facts()[config_format]["defaults"])
    file = FileModel(lines=lines, config=dialect_of(config_format, document))
    _BUILDERS[config_format](state, file)
    file.setups.append(_assemble(state, file))
    return file


def _assemble(state: _Setup, file: FileModel) -> TrainingSetup:
    model_span = state.model_entry.span if state.model_entry is not None else Span(1, 0, 1, 0)
    model_head = state.model_entry.key_span if state.model_entry is not None else model_span
    load = state.model.call(MODEL_LOAD, "AutoModelForCausalLM.from_pretrained", "transformers",
                            model_span, model_head)
    lora = None
    if state.adapter:
        anchor = state.lora_anchor
        lora_span = anchor.span if anchor is not None else model_span
        lora_head = anchor.key_span if anchor is not None else model_head
        lora = state.lora.call(LORA_CONFIG, "LoraConfig", "peft", lora_span, lora_head)
    args_head = state.anchor_span("sequence_len", "cutoff_len", "max_length", "max_seq_length",
                                  "learning_rate")
    args = state.args.call(TRAINING_ARGS, state.args_name, state.library, state.document_span,
                           args_head)
    end = state.document_span
    after = Span(end.end_line + 1, 0, end.end_line + 1, 0)  # runs after everything in the file
    trainer: Optional[CallSite] = None
    if lora is not None:
        # A full fine-tune trains the embeddings with everything else: base-model and
        # embedding advice is for adapters, so such a config has no trainer to judge.
        trainer = _CallBuilder().call(TRAINER, state.trainer_name, state.library, after,
                                      args_head)
        trainer.model, trainer.training_args, trainer.config = load, args, lora
    file.calls.extend(call for call in (load, lora, args, trainer) if call is not None)
    if state.model_config is not None and state.model_config.by_name:
        # the model half of a TRL recipe: not part of the setup, only its keys are checked
        file.calls.append(state.model_config.call(TRAINING_ARGS, "ModelConfig", "trl",
                                                  state.document_span, model_head))
    model_id = load.args.value("pretrained_model_name_or_path")
    return TrainingSetup(model_load=load, lora=lora, adapter_call=lora, trainer=trainer,
                         training_args=args,
                         model_id=model_id if isinstance(model_id, Value) and isinstance(
                             model_id.python, str) else None)


def _put_model(state: _Setup, *keys: str) -> None:
    state.model_entry = state.entry(*keys)
    state.model.put("pretrained_model_name_or_path", state.model_entry)


def _string_list(value: Value) -> Value:
    """A YAML list, or a single string as a one-item list (axolotl accepts both)."""
    if isinstance(value.python, str):
        return Value([value.python], value.node, value.span, kind=SEQUENCE, items=(value,))
    return value


def _comma_list(value: Value) -> Value:
    """A LLaMA-Factory comma-separated string as a list whose items point into the string."""
    if not isinstance(value.python, str):
        return value
    items = tuple(item for item in comma_items(value) if item.python)  # "a,,b": no empty name
    return Value([item.python for item in items], value.node, value.span, kind=SEQUENCE,
                 items=items)


def _all_linear(value: Value) -> Value:
    """LLaMA-Factory's ``all``: every Linear layer but the output head, PEFT's ``all-linear``."""
    return Value("all-linear", value.node, value.span, literal=False)


def _plain_bool(entry: Optional[Entry]) -> Any:
    return entry.value.python if entry is not None and isinstance(entry.value, Value) else None


def _chat_signal(file: FileModel, entry: Optional[Entry], detail: str) -> None:
    if entry is not None:
        file.chat_signals.append(Signal("chat-template-argument", entry.span, detail))


def _learning_rate(value: Value) -> Resolved:
    """axolotl reads ``learning_rate: 2e-4`` (a YAML 1.1 string) with ``float()``."""
    if isinstance(value.python, str):
        try:
            return Value(float(value.python), value.node, value.span, literal=False)
        except ValueError:
            return value
    return value


# -- axolotl ------------------------------------------------------------------------------------

_AXOLOTL_PLAIN_DATASETS = ("alpaca", "completion", "pretrain", "input_output", "stepwise")


def _axolotl(state: _Setup, file: FileModel) -> None:
    document, lora, args = state.document, state.lora, state.args
    _put_model(state, "base_model")
    for key in ("load_in_4bit", "load_in_8bit"):
        state.model.put(key, document.get(key))
    adapter = _plain_bool(document.get("adapter"))
    state.adapter = isinstance(adapter, str) and adapter in ("lora", "qlora")
    state.lora_anchor = document.get("adapter")
    lora.put("r", document.get("lora_r"))
    lora.put("lora_alpha", document.get("lora_alpha"))
    state.put_with_default(lora, "lora_dropout", "lora_dropout", state.anchor_span("adapter"))
    lora.put("modules_to_save", document.get("lora_modules_to_save"), _string_list)
    lora.put("target_parameters", document.get("lora_target_parameters"), _string_list)
    lora.put("use_rslora", document.get("peft_use_rslora"))
    lora.put("use_dora", document.get("peft_use_dora"))
    lora.put("ensure_weight_tying", document.get("peft_ensure_weight_tying"))
    lora.put("trainable_token_indices", document.get("peft_trainable_token_indices"))
    _axolotl_tokens(state, file)
    linear = document.get("lora_target_linear")
    if _plain_bool(linear) is True and linear is not None and isinstance(linear.value, Value):
        # the union of the list with every Linear layer: what the listed names add is not judged
        lora.put_value("target_modules", _all_linear(linear.value), linear.span)
    else:
        lora.put("target_modules", document.get("lora_target_modules"))  # a string: PEFT's regex
        # unset: axolotl passes an empty list, not None, so PEFT's per-model default never applies
        if "target_modules" not in lora.by_name:
            span = state.anchor_span("adapter")
            lora.put_value("target_modules", Value([], None, span, kind=SEQUENCE), span)
    args.put("learning_rate", document.get("learning_rate"), _learning_rate)
    state.put_with_default(args, "max_seq_length", "sequence_len", state.anchor_span("base_model"))
    state.put_with_default(args, "per_device_train_batch_size", "micro_batch_size",
                           state.anchor_span("base_model"))
    args.put("gradient_accumulation_steps", document.get("gradient_accumulation_steps"))
    args.put("gradient_checkpointing", document.get("gradient_checkpointing"),
             lambda value: Value(True, value.node, value.span, literal=False)
             if value.python in ("offload", "offload_disk") else value)
    _axolotl_other_checkpointing(state)
    _axolotl_embedding_rate(state)
    rl = _plain_bool(document.get("rl"))
    if isinstance(rl, str) and rl:
        state.trainer_name = f"{rl.upper()}Trainer"   # preference / RL training: not supervised
    _axolotl_chat(state, file)


def _axolotl_other_checkpointing(state: _Setup) -> None:
    """Without ``gradient_checkpointing``, FSDP's activation checkpointing
    (``fsdp_config.activation_checkpointing`` / ``fsdp_activation_checkpointing``) or
    ``activation_offloading`` also keep the activations off the GPU."""
    if "gradient_checkpointing" in state.args.by_name:
        return
    found = []
    offloading = state.document.get("activation_offloading")
    if offloading is not None:
        found.append(offloading.value)
    fsdp = state.document.value("fsdp_config")
    if isinstance(fsdp, Value) and fsdp.is_mapping:
        found.extend(value for key, value in fsdp.entries
                     if key in ("activation_checkpointing", "fsdp_activation_checkpointing"))
    elif "fsdp_config" in state.document:
        found.append(fsdp)   # not a plain mapping: not known
    for value in found:
        if not isinstance(value, Value):
            state.args.put_value("gradient_checkpointing", UNKNOWN, state.anchor_span("fsdp_config"))
            return
        if value.python is True:
            state.args.put_value("gradient_checkpointing", value, value.span)
            return


def _axolotl_tokens(state: _Setup, file: FileModel) -> None:
    """``tokens:`` adds tokens, and ``special_tokens`` other than ``pad_token`` may (axolotl
    checks them against the tokenizer); either way axolotl raises with an adapter unless the
    embedding pair is in ``lora_modules_to_save``, so LOR102 ("remove it") and LOR111 do not
    apply."""
    tokens = state.document.get("tokens")
    required = False
    if tokens is not None and isinstance(tokens.value, Value) and tokens.value.python:
        file.token_additions.append(Signal("token-addition", tokens.span, "tokens",
                                           (tokens.value,)))
        required = True
    special = state.document.get("special_tokens")
    if special is not None:
        value = special.value
        known = isinstance(value, Value) and (value.python is None or value.is_mapping)
        existing = _existing_tokens(state)
        if not known or any(key not in ("pad_token", "additional_special_tokens")
                            and not (isinstance(token.python, str) and token.python in existing)
                            for key, token in (value.entries if isinstance(value, Value) else ())):
            required = True
    if required and state.adapter:
        file.config = replace(file.config, silenced=frozenset({"LOR102", "LOR111"}))


def _existing_tokens(state: _Setup) -> FrozenSet[str]:
    """Tokens the config's tokenizer (``tokenizer_config``, else ``base_model``) already has, as
    far as the catalog records them: axolotl requires trained embeddings only for a special
    token that is new to the tokenizer. Empty when the tokenizer is not known."""
    from ..catalog.identify import existing_tokens

    tokenizer = state.document.get("tokenizer_config") or state.model_entry
    if tokenizer is None or not isinstance(tokenizer.value, Value):
        return frozenset()
    name = tokenizer.value.python
    return (existing_tokens(name) if isinstance(name, str) else None) or frozenset()


def _axolotl_embedding_rate(state: _Setup) -> None:
    """``embedding_lr_scale`` (which axolotl prefers) or ``embedding_lr``, as an embedding
    learning rate the rules compare with ``learning_rate``."""
    scale = state.document.get("embedding_lr_scale")
    rate = state.document.get("embedding_lr")
    learning_rate = state.args.by_name.get("learning_rate")
    if scale is not None and isinstance(scale.value, Value) and scale.value.python is not None:
        lr = learning_rate.value.python if learning_rate is not None and isinstance(
            learning_rate.value, Value) else None
        factor = scale.value.python
        python = lr * factor if is_number(lr) and is_number(factor) else factor
        state.args.put_value("embedding_learning_rate",
                             Value(python, scale.value.node, scale.value.span, literal=False),
                             scale.span)
    elif rate is not None:
        state.args.put("embedding_learning_rate", rate, _learning_rate)


def _axolotl_chat(state: _Setup, file: FileModel) -> None:
    """Chat-formatted data: a dataset of type ``chat_template*`` (or with its own template), or
    the top-level ``chat_template`` unless every dataset is of a known plain-text type."""
    datasets = state.document.value("datasets")
    plain_only = isinstance(datasets, Value) and datasets.is_sequence and bool(datasets.items)
    if isinstance(datasets, Value) and datasets.is_sequence:
        for dataset in datasets.items:
            if not dataset.is_mapping:
                plain_only = False
                continue
            kind = dataset.entry("type")
            own_template = dataset.entry("chat_template")
            if own_template is not None:
                file.chat_signals.append(Signal("chat-template-argument", own_template.span,
                                                "datasets[].chat_template"))
            if kind is not None and isinstance(kind.python, str) and \
                    kind.python.startswith("chat_template"):
                file.chat_signals.append(Signal("chat-template-argument", kind.span,
                                                f"datasets[].type: {kind.python}"))
            if not (kind is not None and isinstance(kind.python, str)
                    and kind.python.split(".")[0].split(":")[0] in _AXOLOTL_PLAIN_DATASETS):
                plain_only = False
    if not plain_only:
        _chat_signal(file, state.document.get("chat_template"), "chat_template")


# -- LLaMA-Factory ------------------------------------------------------------------------------

# Templates LLaMA-Factory's README names for base models: plain text, no chat tokens.
_LLAMA_FACTORY_PLAIN_TEMPLATES = frozenset({"default", "empty", "alpaca", "vicuna"})
_LLAMA_FACTORY_TRAINERS = {"dpo": "DPOTrainer", "kto": "KTOTrainer", "ppo": "PPOTrainer",
                           "rm": "RewardTrainer"}


def _llama_factory(state: _Setup, file: FileModel) -> None:
    document, lora, args = state.document, state.lora, state.args
    _put_model(state, "model_name_or_path")
    finetuning = document.plain("finetuning_type", state.defaults["finetuning_type"])
    state.adapter = finetuning == "lora"
    state.lora_anchor = document.get("finetuning_type")
    lora_span = state.anchor_span("finetuning_type", "lora_rank", "lora_target")
    state.put_with_default(lora, "r", "lora_rank", lora_span)
    rank = lora.by_name["r"].value
    alpha = document.get("lora_alpha")
    if alpha is not None and not (isinstance(alpha.value, Value) and alpha.value.python is None):
        lora.put("lora_alpha", alpha)
    elif isinstance(rank, Value) and is_number(rank.python):
        lora.put_value("lora_alpha", _default(rank.python * 2, lora.by_name["r"].span),
                       lora.by_name["r"].span)
    state.put_with_default(lora, "lora_dropout", "lora_dropout", lora_span)
    target = document.get("lora_target")
    if target is None:
        lora.put_value("target_modules", _default("all-linear", lora_span), lora_span)
    else:
        lora.put("target_modules", target, _llama_factory_targets)
    lora.put("modules_to_save", document.get("additional_target"), _comma_list)
    _resized_vocabulary(state)
    for key in ("add_tokens", "add_special_tokens"):
        added = document.get(key)
        if added is not None and isinstance(added.value, Value) and added.value.python:
            file.token_additions.append(Signal("token-addition", added.span, key,
                                               (added.value,)))
    if file.token_additions and state.adapter:
        # the new rows must be trained, and LLaMA-Factory can only do that with the full
        # matrices: "remove them" (LOR102) is wrong advice; LOR111 reports the cost
        file.config = replace(file.config, silenced=frozenset({"LOR102"}))
    lora.put("use_rslora", document.get("use_rslora"))
    lora.put("use_dora", document.get("use_dora"))
    bits = _plain_bool(document.get("quantization_bit"))
    if bits in (4, 8):
        entry = document.get("quantization_bit")
        assert entry is not None and isinstance(entry.value, Value)
        state.model.put_value(f"load_in_{bits}bit",
                              Value(True, entry.value.node, entry.value.span), entry.span)
    args.put("learning_rate", document.get("learning_rate"), _learning_rate)
    state.put_with_default(args, "max_seq_length", "cutoff_len", state.anchor_span("model_name_or_path"))
    args.put("per_device_train_batch_size", document.get("per_device_train_batch_size"))
    args.put("gradient_accumulation_steps", document.get("gradient_accumulation_steps"))
    disable = document.get("disable_gradient_checkpointing")
    if disable is not None and isinstance(disable.value, Value) and disable.value.python is True:
        args.put_value("gradient_checkpointing",
                       Value(False, disable.value.node, disable.value.span), disable.span)
    elif disable is None or isinstance(disable.value, Value):
        args.default("gradient_checkpointing", True, state.anchor_span("model_name_or_path"))
    stage = document.plain("stage", state.defaults["stage"])
    state.trainer_name = _LLAMA_FACTORY_TRAINERS.get(stage, "Trainer") \
        if isinstance(stage, str) else "UnknownTrainer"
    template = document.get("template")
    if stage != "pt" and template is not None and isinstance(template.value, Value) \
            and isinstance(template.value.python, str) \
            and template.value.python not in _LLAMA_FACTORY_PLAIN_TEMPLATES:
        _chat_signal(file, template, f"template: {template.value.python}")


def _llama_factory_targets(value: Value) -> Value:
    items = _comma_list(value)
    if items.is_sequence and [item.python for item in items.items] == ["all"]:
        return _all_linear(value)
    return items


def _resized_vocabulary(state: _Setup) -> None:
    """LLaMA-Factory trains the input and output embeddings in full (``additional_target``)
    when the vocabulary is resized and ``additional_target`` is unset."""
    if "modules_to_save" in state.lora.by_name:
        return
    for key in ("resize_vocab", "add_tokens", "add_special_tokens", "new_special_tokens_config"):
        entry = state.document.get(key)
        if entry is None or not isinstance(entry.value, Value) or not entry.value.python:
            continue
        span = entry.key_span
        items = tuple(_default(name, span) for name in ("embed_tokens", "lm_head"))
        state.lora.put_value("modules_to_save", Value(["embed_tokens", "lm_head"], None, span,
                                                      kind=SEQUENCE, items=items), entry.span)
        return


def _llama_factory_v1(state: _Setup, file: FileModel) -> None:
    document, lora, args = state.document, state.lora, state.args
    _put_model(state, "model")
    peft = document.get("peft_config")
    state.lora_anchor = peft
    peft_value = peft.value if peft is not None else None
    if peft is None or not isinstance(peft_value, Value) or not peft_value.is_mapping:
        state.adapter = False
        return
    method = peft_value.entry("name")
    state.adapter = method is not None and method.python == "lora"
    if not state.adapter:
        return
    head = peft.key_span
    for name in ("r", "lora_alpha", "lora_dropout", "use_rslora", "use_dora"):
        found = peft_value.entry(name)
        if found is not None:
            lora.put_value(name, found, found.span)
    for name in ("r", "lora_alpha", "lora_dropout"):
        lora.default(name, state.defaults[name], head)
    targets = peft_value.entry("target_modules")
    if targets is None:
        lora.put_value("target_modules", _default("all-linear", head), head)
    elif targets.python == "all":
        lora.put_value("target_modules", _all_linear(targets), targets.span)
    else:
        lora.put_value("target_modules", _string_list(targets), targets.span)
    saved = peft_value.entry("modules_to_save")
    if saved is not None:
        lora.put_value("modules_to_save", _string_list(saved), saved.span)
    args.put("learning_rate", document.get("learning_rate"), _learning_rate)
    model_span = state.anchor_span("model")
    state.put_with_default(args, "max_seq_length", "cutoff_len", model_span)
    state.put_with_default(args, "per_device_train_batch_size", "micro_batch_size", model_span)
    state.put_with_default(args, "gradient_checkpointing", "enable_activation_checkpointing", model_span)


# -- TRL's CLI (TrlParser: ScriptArguments, ModelConfig and the trainer's config) ---------------

_TRL_MODEL_KEYS = frozenset({
    "model_name_or_path", "model_revision", "dtype", "torch_dtype", "attn_implementation",
    "use_peft", "lora_r", "lora_alpha", "lora_dropout", "lora_target_modules",
    "lora_target_parameters", "lora_modules_to_save", "lora_task_type", "use_rslora", "use_dora",
    "load_in_8bit", "load_in_4bit", "bnb_4bit_quant_type", "use_bnb_nested_quant",
    "bnb_4bit_quant_storage", "lora_exclude_modules", "trust_remote_code", "model_init_kwargs",
})
# Which `trl <command>` a recipe is for, from its keys: keys only DPOConfig has make it DPO;
# keys any preference or RL trainer has (but SFTConfig does not) leave the trainer unknown, so
# no rule judges it as supervised fine-tuning or against the wrong class's removed keys.
_TRL_DPO_KEYS = ("rpo_alpha", "f_divergence_type", "ld_alpha", "use_weighting")
_TRL_NOT_SFT_KEYS = ("beta", "max_prompt_length", "max_completion_length", "num_generations",
                     "reward_funcs", "use_vllm", "reward_model_path", "desirable_weight")


def _trl(state: _Setup, file: FileModel) -> None:
    document, lora, args = state.document, state.lora, state.args
    _put_model(state, "model_name_or_path")
    state.library = "trl"
    for key in ("load_in_4bit", "load_in_8bit", "torch_dtype", "dtype"):
        state.model.put(key, document.get(key))
    state.model_config = _CallBuilder()   # ModelConfig: LOR505 checks its removed keys
    for key in ("torch_dtype",):
        state.model_config.put(key, document.get(key))
    state.adapter = document.plain("use_peft", state.defaults["use_peft"]) is True
    state.lora_anchor = document.get("use_peft")
    head = state.anchor_span("use_peft")
    for name, key in (("r", "lora_r"), ("lora_alpha", "lora_alpha"), ("lora_dropout", "lora_dropout")):
        state.put_with_default(lora, name, key, head)
    lora.put("target_modules", document.get("lora_target_modules"), _trl_targets)
    lora.put("modules_to_save", document.get("lora_modules_to_save"), _string_list)
    lora.put("target_parameters", document.get("lora_target_parameters"), _string_list)
    lora.put("use_rslora", document.get("use_rslora"))
    lora.put("use_dora", document.get("use_dora"))
    if any(key in document for key in _TRL_DPO_KEYS):
        state.trainer_name, state.args_name = "DPOTrainer", "DPOConfig"
    elif any(key in document for key in _TRL_NOT_SFT_KEYS):
        state.trainer_name, state.args_name = "PreferenceOrRLTrainer", "PreferenceOrRLConfig"
    else:
        state.trainer_name, state.args_name = "SFTTrainer", "SFTConfig"
    for key in document.keys():   # every other key is a setting of the trainer's config
        entry = document.get(key)
        if key in _TRL_MODEL_KEYS or key == "env" or entry is None:
            continue
        if key == "max_seq_length":
            # TRL < 0.20 trains at this length; later releases drop the key (LOR505) and use
            # max_length: which one applies is not known, so no rule reads a length from it
            args.put_value(key, UNKNOWN, entry.span)
        else:
            args.put(key, entry, _learning_rate if key == "learning_rate" else None)
    for key in ("chat_template_path", "chat_template"):
        _chat_signal(file, document.get(key), key)


_BUILDERS: Dict[str, Callable[[_Setup, FileModel], None]] = {
    AXOLOTL: _axolotl,
    LLAMA_FACTORY: _llama_factory,
    LLAMA_FACTORY_V1: _llama_factory_v1,
    TRL: _trl,
}


def _trl_targets(value: Value) -> Value:
    """TRL collapses a one-item list to a string, so ``[all-linear]`` is PEFT's shorthand; a
    string stays a string."""
    if value.is_sequence and len(value.items) == 1:
        return value.items[0]
    return value


__all__ = ["ConfigDialect", "config_model", "dialect_of", "trainer_config_facts"]
