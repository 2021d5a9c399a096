"""Peak GPU memory of a LoRA training step, by part.

Parts (bytes): ``base_weights`` (by load mode), ``lora`` (fp32 LoRA weights + gradients +
optimizer states), ``trained_full`` (``modules_to_save`` copies / Unsloth's trained embeddings:
copy + gradient + optimizer states), ``activations`` (saved for backward at the resolved
sequence length and micro-batch), ``logits``. Formulas and sources: docs/cost-model.md.
CUDA context, allocator fragmentation and temporary buffers are not included.
"""

from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

from ..catalog import LinearModule, ModelEntry
from ..fast_dataclass import dataclass, field
from .params import FULL_COPY, LORA, ParameterCount

BASE_WEIGHTS = "base_weights"
LORA_STATE = "lora"
TRAINED_FULL = "trained_full"
ACTIVATIONS = "activations"
LOGITS = "logits"
PARTS = (BASE_WEIGHTS, LORA_STATE, TRAINED_FULL, ACTIVATIONS, LOGITS)

PART_LABELS = {
    BASE_WEIGHTS: "base weights",
    LORA_STATE: "LoRA weights + grads + optimizer",
    TRAINED_FULL: "fully trained modules (copy + grad + optimizer)",
    ACTIVATIONS: "activations",
    LOGITS: "logits",
}

# bitsandbytes NF4/FP4: 4 bits per weight + one fp32 absmax per 64-value block; with double
# quantisation the absmax is 8-bit with one fp32 constant per 256 blocks.
FOUR_BIT_BYTES = 0.5 + 4 / 64
FOUR_BIT_DOUBLE_QUANT_BYTES = 0.5 + 1 / 64 + 4 / (64 * 256)
EIGHT_BIT_BYTES = 1.0

GC_OFF = "off"
GC_ON = "on"
GC_OFFLOADED = "unsloth"  # Unsloth's offloaded checkpointing: saved layer inputs go to CPU RAM


@dataclass(frozen=True)
class TrainingSpec:
    """Everything besides the LoRA config that decides memory; see ``resolve_setup``."""

    load_mode: str = "16bit"      # "4bit", "8bit", "16bit", "32bit"
    double_quant: bool = False
    dtype_bytes: int = 2          # model (compute) dtype: 2 for bf16/fp16, 4 for fp32
    dtype_name: str = "bfloat16"
    optimizer: str = "adamw_torch"
    sequence_length: int = 1024
    micro_batch: int = 8
    gradient_checkpointing: str = GC_OFF
    fused_loss: bool = False      # logits never materialised (Unsloth fused CE, TRL chunked loss)
    kbit_prepared: bool = False   # prepare_model_for_kbit_training: non-quantised weights fp32
    unsloth: bool = False
    lora_dropout: float = 0.0


@dataclass(frozen=True)
class MemoryEstimate:
    parts: Dict[str, int]
    activations_with_checkpointing: int
    activations_without_checkpointing: int
    cpu_offloaded_bytes: int
    base_parameters: int
    notes: Tuple[str, ...] = field(default_factory=tuple)

    @property
    def total(self) -> int:
        return sum(self.parts.values())

    @property
    def largest(self) -> str:
        return max(PARTS, key=lambda part: self.parts.get(part, 0))


def optimizer_state_bytes(optimizer: str, param_bytes: int, is_embedding_module: bool) -> float:
    """Optimizer state bytes per trainable parameter.

    torch AdamW keeps two moments in the parameter's dtype; bitsandbytes 8-bit optimizers keep
    ~2 bytes, except for ``nn.Embedding`` weights, which transformers' Trainer registers for
    32-bit state (``register_module_override(..., {"optim_bits": 32})``).
    """
    name = optimizer.lower()
    if "8bit" in name:
        if is_embedding_module:
            return 8.0
        return 1.0 if "lion" in name else 2.0
    if "bnb" in name or "32bit" in name:
        return 4.0 if "lion" in name else 8.0
    if "lion" in name:
        return float(param_bytes)
    if name.startswith("sgd"):
        return 0.0
    if "adafactor" in name:
        return 0.0  # factored second moment: O(rows + cols), negligible
    return 2.0 * param_bytes


def known_optimizer(optimizer: str) -> bool:
    name = optimizer.lower()
    return any(k in name for k in ("adam", "lion", "sgd", "adafactor", "8bit", "32bit"))


def base_parameters(entry: ModelEntry, modules: Sequence[LinearModule]) -> Tuple[int, int, int]:
    """(quantisable, never-quantised, total) base parameters.

    Quantisable: Linear/Conv1D weights except the output layer (bitsandbytes skips ``lm_head``)
    and fused expert tensors. Never quantised: embeddings, ``lm_head``, biases, norms (estimated
    as (2L + 1) * H: two per layer plus the final norm).
    """
    output = entry.output_module
    quantisable = other = 0
    for module in modules:
        weights = module.in_features * module.out_features * module.count
        if module.type == "Embedding":
            other += weights
        elif module.path == output.path:
            if not output.tied_to_embedding:
                other += weights
        else:
            quantisable += weights
        if module.bias:
            other += module.out_features * module.count
    experts_are_modules = any(".experts." in module.path for module in modules)  # transformers 4
    if entry.moe is not None and not experts_are_modules:
        for param in entry.moe.fused_expert_parameters:
            experts, a, b = param.shape
            quantisable += experts * a * b * param.count
    other += (2 * entry.num_hidden_layers + 1) * entry.hidden_size
    return quantisable, other, quantisable + other


def activation_bytes_per_token_layer(entry: ModelEntry, dtype_bytes: int,
                                     dropout_inputs: int = 0) -> int:
    """Bytes one token keeps per decoder layer for backward (FlashAttention/SDPA, no S x S).

    Attention: norm input and output (2H), q/k/v (Nq + 2 Nkv), attention output (Nq);
    MLP: norm input and output (2H), gate, up, act(gate), act(gate) * up (4 I; for MoE the
    k active experts). LoRA dropout keeps one dropped copy of each targeted module's input.
    """
    h = entry.hidden_size
    nq = entry.num_attention_heads * entry.head_dim
    nkv = entry.num_key_value_heads * entry.head_dim
    if entry.moe is not None:
        inter = entry.moe.num_experts_per_tok * entry.moe.expert_intermediate_size
    else:
        inter = entry.intermediate_size
    elements = 4 * h + 2 * nq + 2 * nkv + 4 * inter + dropout_inputs
    return elements * dtype_bytes


def estimate_memory(entry: ModelEntry, count: ParameterCount, spec: TrainingSpec,
                    modules: Sequence[LinearModule]) -> MemoryEstimate:
    notes: List[str] = []
    parts: Dict[str, int] = {}
    quantisable, other, total_params = base_parameters(entry, modules)
    other_bytes = 4 if spec.kbit_prepared and spec.load_mode in ("4bit", "8bit") else spec.dtype_bytes
    if spec.load_mode == "4bit":
        per = FOUR_BIT_DOUBLE_QUANT_BYTES if spec.double_quant else FOUR_BIT_BYTES
        base = quantisable * per + other * other_bytes
    elif spec.load_mode == "8bit":
        base = quantisable * EIGHT_BIT_BYTES + other * other_bytes
    elif spec.load_mode == "32bit":
        base = total_params * 4
    else:
        base = total_params * spec.dtype_bytes

    # Fully trained copies: the copy, its gradient, optimizer states. Unsloth trains them in the
    # model dtype (fp16 models: fp32) and offloads the frozen originals with its checkpointing.
    full_bytes = 0.0
    offloaded = 0
    for cost in count.modules:
        if cost.kind != FULL_COPY:
            continue
        if spec.unsloth:
            param_bytes = 4 if spec.dtype_name == "float16" else spec.dtype_bytes
        else:
            param_bytes = other_bytes if cost.is_embedding else spec.dtype_bytes
        is_embedding_module = cost.is_embedding and cost.name == entry.embedding_module.name
        states = optimizer_state_bytes(spec.optimizer, param_bytes, is_embedding_module)
        full_bytes += cost.parameters * (2 * param_bytes + states)
        if spec.unsloth and spec.gradient_checkpointing == GC_OFFLOADED and cost.is_embedding:
            offloaded += cost.parameters * spec.dtype_bytes
    if offloaded:
        base -= offloaded
        notes.append("Unsloth offloads the frozen original embedding matrices to disk/CPU "
                     "(use_gradient_checkpointing='unsloth')")
    parts[BASE_WEIGHTS] = int(round(base))

    lora_states = optimizer_state_bytes(spec.optimizer, 4, False)
    bias_states = optimizer_state_bytes(spec.optimizer, spec.dtype_bytes, False)
    parts[LORA_STATE] = int(count.lora * (8 + lora_states) + count.bias * (spec.dtype_bytes + bias_states))
    parts[TRAINED_FULL] = int(full_bytes)

    layers = entry.num_hidden_layers
    dropout_inputs = 0
    if spec.lora_dropout and spec.lora_dropout > 0:
        dropout_inputs = sum(c.shape[0] * c.instances for c in count.modules
                             if c.kind == LORA and c.shape) // max(layers, 1)
    per_token_layer = activation_bytes_per_token_layer(entry, spec.dtype_bytes, dropout_inputs)
    tokens = spec.micro_batch * spec.sequence_length
    hidden_state = tokens * entry.hidden_size * spec.dtype_bytes
    working_layer = tokens * per_token_layer
    without_gc = layers * working_layer + hidden_state
    with_gc = layers * hidden_state + working_layer
    cpu = 0
    if spec.gradient_checkpointing == GC_OFFLOADED:
        parts[ACTIVATIONS] = working_layer + 2 * hidden_state
        cpu = layers * hidden_state
    elif spec.gradient_checkpointing == GC_ON:
        parts[ACTIVATIONS] = with_gc
    else:
        parts[ACTIVATIONS] = without_gc

    vocab = entry.output_module.rows
    parts[LOGITS] = 0 if spec.fused_loss else tokens * vocab * 8
    return MemoryEstimate(parts, with_gc, without_gc, cpu, total_params, tuple(notes))


__all__ = [
    "ACTIVATIONS", "BASE_WEIGHTS", "GC_OFF", "GC_OFFLOADED", "GC_ON", "LOGITS", "LORA_STATE",
    "MemoryEstimate", "PARTS", "PART_LABELS", "TRAINED_FULL", "TrainingSpec",
    "activation_bytes_per_token_layer", "base_parameters", "estimate_memory",
    "known_optimizer", "optimizer_state_bytes",
]
