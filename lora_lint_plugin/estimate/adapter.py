"""Size of ``adapter_model.safetensors`` written by ``save_pretrained``.

Measured rule (reference measurements, transformers 5.24 / peft 0.21.2, byte-exact on nine
files): ``bytes = 8 + header + 4 * (LoRA parameters) + dtype_bytes * (full-matrix parameters)``.
PEFT keeps LoRA weights in float32 (``autocast_adapter_dtype=True``) even on a bf16 model;
``modules_to_save`` copies and base embedding matrices saved through
``save_embedding_layers="auto"`` are written in the model dtype. The header is the safetensors
JSON (one entry per tensor, ~130 bytes each), built here from the tensor names PEFT writes.
"""

from __future__ import annotations

import json
from typing import Dict, Iterator, List, Tuple

from ..fast_dataclass import dataclass
from .params import BIAS, DORA, FULL_COPY, LORA, LORA_EMBEDDING, LORA_PARAMETER, ModuleCost, \
    ParameterCount

_PREFIX = "base_model.model."
_DTYPE_NAMES = {2: "BF16", 4: "F32", 1: "I8"}


@dataclass(frozen=True)
class AdapterSize:
    total_bytes: int
    header_bytes: int
    lora_bytes: int      # float32 adapter tensors (LoRA, DoRA magnitudes)
    full_bytes: int      # full matrices: modules_to_save copies and saved base embeddings
    other_bytes: int     # trainable biases
    tensors: int


def _instance_names(path: str, instances: int) -> Iterator[str]:
    """Concrete names for ``instances`` copies of a ``*`` path (index digits matter for the header)."""
    if "*" not in path:
        for _ in range(instances):
            yield path
        return
    head, _, tail = path.partition("*")
    tail = tail.replace("*", "0")
    for index in range(instances):
        yield f"{head}{index}{tail}"


def _tensors(cost: ModuleCost, full_dtype: str) -> Iterator[Tuple[str, str, List[int]]]:
    """(key, dtype, shape) of every tensor PEFT saves for one module cost."""
    rank = cost.rank or 0
    inner, outer = (cost.shape + (0, 0))[:2] if cost.shape else (0, 0)
    for name in _instance_names(cost.path, cost.instances):
        key = _PREFIX + name
        if cost.kind == LORA:
            yield key + ".lora_A.weight", "F32", [rank, inner]
            yield key + ".lora_B.weight", "F32", [outer, rank]
        elif cost.kind == LORA_EMBEDDING:
            yield key + ".lora_embedding_A", "F32", [rank, inner]
            yield key + ".lora_embedding_B", "F32", [outer, rank]
        elif cost.kind == LORA_PARAMETER and len(cost.shape) == 3:
            yield key + ".lora_A.weight", "F32", [rank * cost.shape[0], cost.shape[2]]
            yield key + ".lora_B.weight", "F32", [cost.shape[1], rank * cost.shape[0]]
        elif cost.kind == LORA_PARAMETER:
            yield key + ".lora_A.weight", "F32", [rank, inner]
            yield key + ".lora_B.weight", "F32", [outer, rank]
        elif cost.kind == DORA:
            yield key + ".lora_magnitude_vector", "F32", [cost.parameters // max(cost.instances, 1)]
        elif cost.kind == BIAS:
            yield key + ".bias", full_dtype, [cost.parameters // max(cost.instances, 1)]
        elif cost.kind == FULL_COPY:
            yield key + ".weight", full_dtype, [inner, outer]


def _header_bytes(tensors: List[Tuple[str, str, List[int], int]]) -> int:
    """Length of the safetensors JSON header, padded to 8 bytes as the format does."""
    header: Dict[str, object] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for key, dtype, shape, nbytes in tensors:
        header[key] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    length = len(json.dumps(header, separators=(",", ":")).encode("utf-8"))
    return length + (-length % 8)


def adapter_file_size(count: ParameterCount, full_dtype_bytes: int = 2) -> AdapterSize:
    """Bytes of ``adapter_model.safetensors`` for the counted parameters.

    ``full_dtype_bytes``: bytes per element of full matrices (2 for a bf16/fp16 model, 4 when
    they are float32, e.g. Unsloth's copies on a float16 model or after
    ``prepare_model_for_kbit_training``).
    """
    full_dtype = _DTYPE_NAMES.get(full_dtype_bytes, "BF16")
    tensors: List[Tuple[str, str, List[int], int]] = []
    lora_bytes = full_bytes = other_bytes = 0
    for cost in count.modules:
        for key, dtype, shape in _tensors(cost, full_dtype):
            elements = 1
            for dim in shape:
                elements *= dim
            nbytes = elements * (4 if dtype == "F32" else full_dtype_bytes)
            tensors.append((key, dtype, shape, nbytes))
        if cost.kind in (LORA, LORA_EMBEDDING, LORA_PARAMETER, DORA):
            lora_bytes += 4 * cost.parameters
        elif cost.kind == FULL_COPY:
            full_bytes += full_dtype_bytes * cost.parameters
        elif cost.kind == BIAS:
            other_bytes += full_dtype_bytes * cost.parameters
    for matrix in count.saved_base_matrices:
        nbytes = full_dtype_bytes * matrix.parameters
        tensors.append((_PREFIX + matrix.path + ".base_layer.weight", full_dtype,
                        [matrix.parameters], nbytes))
        full_bytes += nbytes
    header = _header_bytes(tensors)
    total = 8 + header + lora_bytes + full_bytes + other_bytes
    return AdapterSize(total, header, lora_bytes, full_bytes, other_bytes, len(tensors))
