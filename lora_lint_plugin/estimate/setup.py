"""From a resolved ``TrainingSetup`` to a cost estimate: which values the code fixes, which are
library defaults, and which are assumptions (every assumption is written into the result).
"""

from __future__ import annotations

import ast
from typing import Any, FrozenSet, List, Optional, Set, Tuple, Union

from ..catalog import LinearModule, ModelMatch
from ..catalog.hf_config import how_to_make_known, identify
from ..analysis.diagnostics import Span
from ..analysis.model import (ABSENT, PASS_THROUGH, QUANTIZATION, SUPERVISED_TRAINERS,
                              UNSLOTH_PEFT, CallSite, FileModel, TrainingSetup)
from ..analysis.values import UNKNOWN, CallResult, Value
from ..fast_dataclass import dataclass
from .adapter import AdapterSize, adapter_file_size
from .memory import (ACTIVATIONS, BASE_WEIGHTS, GC_OFF, GC_OFFLOADED, GC_ON, LOGITS,
                     MemoryEstimate, TrainingSpec, estimate_memory, known_optimizer)
from .params import PEFT, UNSLOTH, EstimateError, LoraSpec, ParameterCount, count_parameters, \
    model_modules, without_embeddings

DEFAULT_TRANSFORMERS_MAJOR = 5
# Library defaults (trl 1.16 / transformers 5.24 / unsloth 2026.10; docs/cost-model.md).
TRL_MAX_LENGTH = 1024
UNSLOTH_MAX_SEQ_LENGTH = 2048
TRAINER_BATCH_SIZE = 8
DEFAULT_OPTIMIZER = "adamw_torch_fused"
# TRL's configs default to gradient_checkpointing=True since trl 0.22 (v0.22.0 adds the field
# to SFT/DPO/ORPO/KTO/CPO/GRPO/RewardConfig).
GC_DEFAULT_BY_ARGS = {"SFTConfig": True, "TrainingArguments": False,
                      "UnslothTrainingArguments": False, "DPOConfig": True, "ORPOConfig": True,
                      "KTOConfig": True, "CPOConfig": True, "GRPOConfig": True,
                      "RewardConfig": True}


class Unresolved(Exception):
    """A value the estimate needs is not known statically."""


@dataclass
class SetupEstimate:
    setup: TrainingSetup
    match: ModelMatch
    span: Optional[Span]
    lora: LoraSpec
    training: TrainingSpec
    count: ParameterCount
    adapter: AdapterSize
    memory: MemoryEstimate
    assumptions: List[str]
    guessed_parts: FrozenSet[str]
    fix_saving: Optional[Tuple[ParameterCount, AdapterSize, MemoryEstimate]] = None
    count_transformers_4: Optional[int] = None
    config_path: Optional[str] = None  # the config.json the model's facts come from, if any

    @property
    def model_id(self) -> str:
        return self.setup.model_id.python if self.setup.model_id is not None else self.match.hub_id

    @property
    def certain_memory(self) -> int:
        """Peak memory counting only parts whose inputs are known (code or library defaults)."""
        return sum(v for k, v in self.memory.parts.items() if k not in self.guessed_parts)


@dataclass
class SetupSkipped:
    setup: TrainingSetup
    span: Optional[Span]
    reason: str


SetupResult = Union[SetupEstimate, SetupSkipped]


# --------------------------------------------------------------------------- helpers


def setup_span(setup: TrainingSetup) -> Optional[Span]:
    """Where a setup is reported: the model loader's head, else the LoRA call's head."""
    for call in (setup.model_load, setup.lora, setup.adapter_call, setup.trainer):
        if call is not None:
            return call.head_span
    return None


def _plain(call: Optional[CallSite], name: str, default: Any) -> Any:
    if call is None:
        return default
    value = call.args.plain(name, default)
    if value is UNKNOWN:
        raise Unresolved(f"{name} of {call.name} is not known statically")
    return value


def _maybe(call: Optional[CallSite], name: str, default: Any) -> Any:
    """Like ``_plain`` but UNKNOWN stays UNKNOWN (the caller states an assumption)."""
    if call is None:
        return default
    return call.args.plain(name, default)


def _strings(value: Any, name: str) -> Optional[Tuple[str, ...]]:
    if value is None:
        return None
    if isinstance(value, (list, tuple, set, frozenset)):
        if not all(isinstance(v, str) for v in value):
            raise Unresolved(f"{name} contains values that are not known strings")
        items = sorted(value) if isinstance(value, (set, frozenset)) else list(value)
        return tuple(items)
    if isinstance(value, str):
        return (value,)
    raise Unresolved(f"{name} is not a list of module names")


def lora_spec(call: CallSite, setup: Optional[TrainingSetup]) -> LoraSpec:
    """The LoRA arguments of a ``LoraConfig`` or Unsloth ``get_peft_model`` call with defaults."""
    unsloth_call = call.role == UNSLOTH_PEFT
    api = UNSLOTH if unsloth_call or (
        setup is not None and setup.model_load is not None and setup.model_load.is_unsloth) else PEFT
    r = _plain(call, "r", 16 if unsloth_call else 8)
    if not isinstance(r, int) or isinstance(r, bool):
        raise Unresolved(f"r is not an integer: {r!r}")
    targets = _plain(call, "target_modules", None)
    if isinstance(targets, str):
        target_modules: Union[Tuple[str, ...], str, None] = targets
    else:
        target_modules = _strings(targets, "target_modules")
    rank_pattern = _plain(call, "rank_pattern", None) or {}
    if not isinstance(rank_pattern, dict) or not all(
            isinstance(k, str) and isinstance(v, int) for k, v in rank_pattern.items()):
        raise Unresolved("rank_pattern is not a dict of names to integer ranks")
    layers = _plain(call, "layers_to_transform", None)
    if isinstance(layers, int) and not isinstance(layers, bool):
        layers = (layers,)
    elif layers is not None:
        if not isinstance(layers, (list, tuple)) or not all(isinstance(i, int) for i in layers):
            raise Unresolved("layers_to_transform is not a list of layer indices")
        layers = tuple(layers)
    pattern = _plain(call, "layers_pattern", None)
    ensure_default = None if unsloth_call else False
    return LoraSpec(
        r=r,
        target_modules=target_modules,
        api=api,
        rank_pattern=tuple(rank_pattern.items()),
        use_dora=bool(_plain(call, "use_dora", False)),
        bias=str(_plain(call, "bias", "none")),
        modules_to_save=_strings(_plain(call, "modules_to_save", None), "modules_to_save") or (),
        target_parameters=_strings(_plain(call, "target_parameters", None),
                                   "target_parameters") or (),
        ensure_weight_tying=_plain(call, "ensure_weight_tying", ensure_default),
        layers_to_transform=layers,
        layers_pattern=_strings(pattern, "layers_pattern"),
        trainable_token_indices=_plain(call, "trainable_token_indices", None) is not None,
    )


def _dtype_name(argument_value: Any, argument: Any) -> Any:
    """``torch.bfloat16`` / ``"bfloat16"`` / ``"auto"`` -> the dtype name; UNKNOWN otherwise."""
    if isinstance(argument_value, str):
        return argument_value.replace("torch.", "")
    node = getattr(getattr(argument, "node", None), "value", None)
    if isinstance(node, ast.Attribute):
        return node.attr
    return UNKNOWN


_MODE_LABEL = {"4bit": "4-bit", "8bit": "8-bit", "16bit": "16-bit", "32bit": "32-bit"}
_DTYPE_BYTES = {"bfloat16": 2, "float16": 2, "half": 2, "bf16": 2, "fp16": 2,
                "float32": 4, "float": 4, "fp32": 4}


# --------------------------------------------------------------------------- training spec


def training_spec(setup: TrainingSetup, file: FileModel, match: ModelMatch, lora: LoraSpec,
                  lora_call: CallSite, prequantized: Optional[Tuple[str, bool]] = None
                  ) -> Tuple[TrainingSpec, List[str], FrozenSet[str]]:
    """``prequantized``: (load mode, double quantisation) the checkpoint's own config.json
    declares (its quantization_config), used when the loader does not say."""
    assumptions: List[str] = []
    guessed: Set[str] = set()
    load = setup.model_load
    unsloth = lora.api == UNSLOTH
    dtype_name = _dtype(load, unsloth, assumptions)
    dtype_bytes = _DTYPE_BYTES.get(dtype_name, 2)
    load_mode, double_quant = _load_mode(file, load, dtype_bytes, match.quant_suffix.lower(),
                                         assumptions, guessed, prequantized)
    preparations = [call.name for call in file.calls if call.role == PASS_THROUGH and call.name in
                    ("prepare_model_for_kbit_training", "prepare_model_for_int8_training")]
    kbit_prepared = load_mode in ("4bit", "8bit") and bool(preparations)
    if kbit_prepared:
        assumptions.append(f"{preparations[0]} casts embeddings, lm_head and norms to float32")
    optimizer = _optimizer(setup, assumptions)
    sequence_length, batch = _sequence_and_batch(setup, load, assumptions, guessed)
    if setup.trainer is not None and setup.trainer.name not in SUPERVISED_TRAINERS:
        guessed.update({ACTIVATIONS, LOGITS})
        assumptions.append(f"activations and logits: modelled as supervised fine-tuning; "
                           f"{setup.trainer.name} runs more sequences per example (chosen and "
                           "rejected completions, reference passes or generated completions)")
    gc_mode = _checkpointing(setup, file, lora_call, sequence_length, assumptions)
    fused = _fused_loss(setup, unsloth, assumptions)
    assumptions.append("LoRA weights in float32 (PEFT autocast_adapter_dtype=True)")
    dropout = _maybe(lora_call, "lora_dropout", 0.0)
    spec = TrainingSpec(
        load_mode=load_mode, double_quant=double_quant, dtype_bytes=dtype_bytes,
        dtype_name=dtype_name, optimizer=optimizer, sequence_length=sequence_length,
        micro_batch=batch, gradient_checkpointing=gc_mode, fused_loss=fused,
        kbit_prepared=kbit_prepared, unsloth=unsloth,
        lora_dropout=dropout if isinstance(dropout, (int, float)) else 0.0)
    return spec, assumptions, frozenset(guessed)


def _dtype(load: Optional[CallSite], unsloth: bool, assumptions: List[str]) -> str:
    """The dtype the base weights are loaded in (bfloat16 unless the loader says otherwise)."""
    if load is not None:
        for key in ("dtype", "torch_dtype"):
            value = load.args.plain(key, None)
            if value is None:
                continue
            name = _dtype_name(value, load.args.get(key))
            if name in _DTYPE_BYTES:
                return "bfloat16" if name == "bf16" else name
            if name == "auto":
                return "bfloat16"  # the checkpoint's dtype: bf16 for the catalog's models
            break
    if unsloth:
        assumptions.append("dtype: bfloat16 (Unsloth's dtype=None picks bf16 on Ampere or "
                           "newer GPUs; on float16 GPUs trained copies are float32)")
    else:
        assumptions.append("dtype: bfloat16 (transformers 5 loads the checkpoint dtype; "
                           "transformers 4 without torch_dtype loads float32, twice the "
                           "base weights)")
    return "bfloat16"


def _load_mode(file: FileModel, load: Optional[CallSite], dtype_bytes: int, quant_suffix: str,
               assumptions: List[str], guessed: Set[str],
               prequantized: Optional[Tuple[str, bool]] = None) -> Tuple[str, bool]:
    """(load mode of the base weights, bitsandbytes double quantisation)."""
    if load is None:
        guessed.add(BASE_WEIGHTS)
        assumptions.append("no model loader call found: 16-bit weights assumed")
        return ("32bit" if dtype_bytes == 4 else "16bit"), False
    if load.is_unsloth:
        return _unsloth_load_mode(load, dtype_bytes, quant_suffix, assumptions, guessed)
    return _transformers_load_mode(file, load, dtype_bytes, quant_suffix, assumptions, guessed,
                                   prequantized)


def _unsloth_load_mode(load: CallSite, dtype_bytes: int, quant_suffix: str,
                       assumptions: List[str], guessed: Set[str]) -> Tuple[str, bool]:
    load_mode, double_quant = ("32bit" if dtype_bytes == 4 else "16bit"), False
    in4 = _maybe(load, "load_in_4bit", True)
    in8 = _maybe(load, "load_in_8bit", False)
    in16 = _maybe(load, "load_in_16bit", False)
    if UNKNOWN in (in4, in8, in16):
        guessed.add(BASE_WEIGHTS)
        assumptions.append("load mode: load_in_4bit/8bit not known statically; "
                           "4-bit assumed (Unsloth's default)")
        in4, in8, in16 = True, False, False
    if in8:
        load_mode = "8bit"
    elif in4 and not in16:
        load_mode, double_quant = "4bit", True
    assumptions.append(f"base weights: {_MODE_LABEL[load_mode]} "
                       "(FastLanguageModel.from_pretrained)")
    if load_mode == "4bit" and "unsloth-bnb" in quant_suffix:
        assumptions.append("dynamic 4-bit upload: a few layers Unsloth keeps in 16-bit are "
                           "counted as 4-bit")
    return load_mode, double_quant


def _transformers_load_mode(file: FileModel, load: CallSite, dtype_bytes: int, quant_suffix: str,
                            assumptions: List[str], guessed: Set[str],
                            prequantized: Optional[Tuple[str, bool]] = None) -> Tuple[str, bool]:
    load_mode = "32bit" if dtype_bytes == 4 else "16bit"
    quant = load.args.value("quantization_config")
    in4 = _maybe(load, "load_in_4bit", None)
    in8 = _maybe(load, "load_in_8bit", None)
    bnb = _quantization_call(file, quant)
    if bnb is not None:
        q4 = bnb.args.plain("load_in_4bit", False)
        q8 = bnb.args.plain("load_in_8bit", False)
        double_quant = False
        if q4 is True:
            load_mode = "4bit"
            double_quant = bnb.args.plain("bnb_4bit_use_double_quant", False) is True
        elif q8 is True:
            load_mode = "8bit"
        elif q4 is UNKNOWN or q8 is UNKNOWN:
            guessed.add(BASE_WEIGHTS)
            assumptions.append("BitsAndBytesConfig flags not known statically: 16-bit "
                               "weights assumed")
        assumptions.append(f"base weights: {_MODE_LABEL[load_mode]} (BitsAndBytesConfig)")
        return load_mode, double_quant
    if in4 is True:
        return "4bit", False
    if in8 is True:
        return "8bit", False
    if prequantized is not None and quant is ABSENT and in4 is None and in8 is None:
        mode, double = prequantized
        assumptions.append(f"base weights: {_MODE_LABEL[mode]} (pre-quantised checkpoint: "
                           "quantization_config in its config.json)")
        return mode, double
    if "4bit" in quant_suffix:
        assumptions.append("base weights: 4-bit (pre-quantised bitsandbytes checkpoint)")
        return "4bit", True
    if quant is not ABSENT and quant is not UNKNOWN and not (
            isinstance(quant, Value) and quant.python is None):
        guessed.add(BASE_WEIGHTS)
        assumptions.append("quantization_config not resolvable: 16-bit weights assumed")
    elif in4 is UNKNOWN or in8 is UNKNOWN or quant is UNKNOWN:
        guessed.add(BASE_WEIGHTS)
        assumptions.append("quantisation not known statically: 16-bit weights assumed")
    return load_mode, False


def _quantization_call(file: FileModel, quant: object) -> Optional[CallSite]:
    """The recognised ``BitsAndBytesConfig(...)`` call whose result is ``quant``, if any."""
    if isinstance(quant, Value) and isinstance(quant.python, CallResult):
        call = file.call_at(quant.python.call)
        if call is not None and call.role == QUANTIZATION:
            return call
    return None


def _optimizer(setup: TrainingSetup, assumptions: List[str]) -> str:
    args = setup.training_args
    if args is not None:
        value = args.args.plain("optim", DEFAULT_OPTIMIZER)
        if isinstance(value, str) and known_optimizer(value):
            return value
        assumptions.append("optimizer: not known statically, AdamW (8 B/param of fp32 "
                           "state) assumed")
    elif setup.trainer is None:
        assumptions.append("optimizer: no trainer found, AdamW assumed")
    else:
        assumptions.append(f"optimizer: {DEFAULT_OPTIMIZER} (the TrainingArguments default)")
    return DEFAULT_OPTIMIZER


def _fused_loss(setup: TrainingSetup, unsloth: bool, assumptions: List[str]) -> bool:
    """Whether the loss is computed without materialising the full logits."""
    trainer_name = setup.trainer.name if setup.trainer is not None else ""
    fused = unsloth or trainer_name in ("SFTTrainer", "UnslothTrainer")
    if unsloth:
        assumptions.append("logits: Unsloth's fused cross-entropy never materialises them")
    elif fused:
        assumptions.append("logits: TRL >= 1.7 computes the SFT loss in chunks (older TRL "
                           "materialises batch x length x vocab x 8 bytes)")
    return fused


def _sequence_and_batch(setup: TrainingSetup, load: Optional[CallSite], assumptions: List[str],
                        guessed: set) -> Tuple[int, int]:
    return (_sequence_length(setup, load, assumptions, guessed),
            _micro_batch(setup, assumptions, guessed))


def _sequence_length(setup: TrainingSetup, load: Optional[CallSite], assumptions: List[str],
                     guessed: set) -> int:
    args = setup.training_args
    sequence: Any = None
    source = ""
    candidates = []
    if args is not None:
        candidates += [(args, "max_length"), (args, "max_seq_length")]
    if setup.trainer is not None:
        candidates += [(setup.trainer, "max_seq_length"), (setup.trainer, "max_length")]
    if load is not None and load.is_unsloth:
        candidates.append((load, "max_seq_length"))
    for call, name in candidates:
        value = call.args.plain(name, None)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            sequence, source = value, f"{call.name}({name}={value})"
            break
        if value is UNKNOWN:
            sequence, source = UNKNOWN, f"{call.name}({name}=?)"
            break
    if sequence is None:
        if args is not None and args.name == "SFTConfig" or (
                setup.trainer is not None and setup.trainer.name == "SFTTrainer" and args is None):
            sequence, source = TRL_MAX_LENGTH, f"SFTConfig default max_length={TRL_MAX_LENGTH}"
        elif load is not None and load.is_unsloth:
            sequence = UNSLOTH_MAX_SEQ_LENGTH
            source = f"FastLanguageModel default max_seq_length={UNSLOTH_MAX_SEQ_LENGTH}"
    if not isinstance(sequence, int):
        guessed.update({ACTIVATIONS, LOGITS})
        assumptions.append("sequence length: not known statically, 2048 assumed")
        sequence = 2048
    else:
        assumptions.append(f"sequence length: {sequence} ({source})")
    return sequence


def _micro_batch(setup: TrainingSetup, assumptions: List[str], guessed: set) -> int:
    args = setup.training_args
    batch: Any = None
    if args is not None:
        batch = args.args.plain("per_device_train_batch_size", TRAINER_BATCH_SIZE)
        if isinstance(batch, int) and batch > 0:
            label = "per_device_train_batch_size" if "per_device_train_batch_size" in args.args \
                else "the default per_device_train_batch_size"
            assumptions.append(f"micro-batch: {batch} ({label})")
        else:
            batch = None
    elif setup.trainer is not None:
        batch = TRAINER_BATCH_SIZE
        assumptions.append(f"micro-batch: {batch} (the TrainingArguments default)")
    if batch is None:
        guessed.update({ACTIVATIONS, LOGITS})
        assumptions.append("micro-batch: not known statically, 1 assumed")
        batch = 1
    return batch


def _checkpointing(setup: TrainingSetup, file: FileModel, lora_call: CallSite, sequence: int,
                   assumptions: List[str]) -> str:
    mode = GC_OFF
    reason = ""
    if lora_call.role == UNSLOTH_PEFT:
        value = lora_call.args.plain("use_gradient_checkpointing", "unsloth")
        if value == "unsloth":
            mode = GC_OFFLOADED if sequence >= 512 else GC_ON
            reason = "Unsloth use_gradient_checkpointing='unsloth' (offloaded to CPU RAM)"
        elif value is True:
            mode, reason = GC_ON, "use_gradient_checkpointing=True"
        elif value is False:
            # Unsloth's own switch decides under Unsloth (as LOR401 reads it)
            assumptions.append("gradient checkpointing: off (Unsloth use_gradient_checkpointing=False)")
            return GC_OFF
    if mode == GC_OFF and setup.training_args is not None:
        args = setup.training_args
        default = GC_DEFAULT_BY_ARGS.get(args.name, False)
        value = args.args.plain("gradient_checkpointing", default)
        if value is UNKNOWN:
            value = args.args.plain("activation_checkpointing", default)
        if value is True:
            mode = GC_ON
            reason = (f"{args.name}(gradient_checkpointing=True)" if "gradient_checkpointing"
                      in args.args else f"{args.name} default gradient_checkpointing=True")
    if mode == GC_OFF and file.gradient_checkpointing_calls:
        mode, reason = GC_ON, "gradient_checkpointing_enable / prepare_model_for_kbit_training"
    if mode == GC_OFF:
        reason = "not enabled in the code"
    assumptions.append(f"gradient checkpointing: {mode} ({reason})")
    return mode


# --------------------------------------------------------------------------- entry points


def estimate_setup(setup: TrainingSetup, file: FileModel,
                   transformers_major: int = DEFAULT_TRANSFORMERS_MAJOR,
                   hf_cache: bool = True, hub: bool = False) -> SetupResult:
    """Estimate one training setup; ``SetupSkipped`` says why when it cannot be estimated.

    ``hf_cache``: use the model's config.json from a local directory or the Hugging Face cache;
    ``hub``: fetch it from the Hugging Face Hub when it is not on disk.
    """
    span = setup_span(setup)
    if setup.lora is None:
        return SetupSkipped(setup, span, "no LoRA configuration in this setup")
    if setup.model_id is None or not isinstance(setup.model_id.python, str):
        return SetupSkipped(setup, span, "the model id is not known statically")
    model_id, revision = setup.model_id.python, setup.model_revision
    identification = identify(model_id, revision, hf_cache, hub)
    match = identification.match
    if match is None:
        return SetupSkipped(setup, span, f"model '{model_id}' is not in lora-lint's catalog: "
                            + how_to_make_known(model_id, identification, hf_cache, revision))
    try:
        lora = lora_spec(setup.lora, setup)
        training, assumptions, guessed = training_spec(setup, file, match, lora, setup.lora,
                                                       identification.prequantized)
        assumptions[:0] = [f"model facts: {identification.source}", *identification.notes]
        defaults = match.architecture.peft_default_target_modules if match.architecture else None
        modules = match.modules(transformers_major)
        count = count_parameters(match.entry, lora, transformers_major=transformers_major,
                                 modules=modules, default_targets=defaults)
    except (Unresolved, EstimateError) as error:
        return SetupSkipped(setup, span, str(error))
    full_dtype = _full_module_bytes(lora, training)
    adapter = adapter_file_size(count, full_dtype)
    mods = model_modules(match.entry, modules, transformers_major)
    memory = estimate_memory(match.entry, count, training, mods)
    assumptions = list(assumptions) + list(count.notes) + list(memory.notes)
    if count.saved_base_matrices:
        assumptions.append("adapter: save_pretrained(save_embedding_layers='auto') writes the "
                           "base embedding matrices (PEFT default)")
    assumptions.append("memory excludes the CUDA context (~0.5-1 GB) and allocator "
                       "fragmentation")
    result = SetupEstimate(setup, match, span, lora, training, count, adapter, memory,
                           assumptions, guessed, config_path=identification.config_path)
    _without_embeddings(result, transformers_major, modules, defaults, full_dtype, mods)
    _under_transformers_4(result, defaults)
    return result


def _full_module_bytes(lora: LoraSpec, training: TrainingSpec) -> int:
    """Bytes per parameter of fully trained modules (``modules_to_save``)."""
    return 4 if (training.kbit_prepared or training.dtype_bytes == 4 or (
        lora.api == UNSLOTH and training.dtype_name == "float16")) else 2


def _without_embeddings(result: SetupEstimate, transformers_major: int,
                        modules: Tuple[LinearModule, ...], defaults: Optional[Tuple[str, ...]],
                        full_dtype: int, mods: Tuple[LinearModule, ...]) -> None:
    """What the setup would cost with embed_tokens/lm_head dropped from the adapter (the
    saving LOR403's advice names)."""
    entry = result.match.entry
    reduced = without_embeddings(entry, result.lora)
    if reduced is None:
        return
    try:
        fixed = count_parameters(entry, reduced, transformers_major=transformers_major,
                                 modules=modules, default_targets=defaults)
    except EstimateError:
        return
    result.fix_saving = (fixed, adapter_file_size(fixed, full_dtype),
                         estimate_memory(entry, fixed, result.training, mods))


def _under_transformers_4(result: SetupEstimate, defaults: Optional[Tuple[str, ...]]) -> None:
    """An MoE model trains another number of parameters under transformers 4 (its experts are
    separate modules there): said when it differs."""
    entry = result.match.entry
    if entry.moe is None or result.match.override is not None:
        return
    try:
        other = count_parameters(entry, result.lora, transformers_major=4,
                                 default_targets=defaults).total
    except EstimateError:
        return
    if other != result.count.total:
        result.count_transformers_4 = other
        result.assumptions.append(f"transformers 5 assumed; under transformers 4 this MoE "
                                  f"model trains {other:,} parameters")


def estimate_file(file: FileModel, transformers_major: int = DEFAULT_TRANSFORMERS_MAJOR,
                  hf_cache: bool = True, hub: bool = False) -> List[SetupResult]:
    """One result per training setup with a LoRA configuration, in source order."""
    results = [estimate_setup(setup, file, transformers_major, hf_cache, hub)
               for setup in file.setups if setup.lora is not None]
    return sorted(results, key=lambda r: (r.span.line, r.span.col) if r.span else (0, 0))


__all__ = ["SetupEstimate", "SetupSkipped", "Unresolved", "estimate_file", "estimate_setup",
           "lora_spec", "setup_span", "training_spec"]
