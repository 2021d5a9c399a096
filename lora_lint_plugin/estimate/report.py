"""Rendering estimates: a stable JSON shape and a readable text table."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from .memory import PART_LABELS, PARTS
from .setup import SetupEstimate, SetupResult, SetupSkipped

JSON_VERSION = 1


def _size(n_bytes: float) -> str:
    for limit, suffix in ((1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
        if n_bytes >= limit:
            return f"{n_bytes / limit:.1f} {suffix}"
    return f"{int(n_bytes)} bytes"


def _location(result: SetupResult) -> Optional[dict]:
    if result.span is None:
        return None
    return {"line": result.span.line, "column": result.span.col + 1}


def estimate_to_dict(result: SetupResult) -> dict:
    """One setup as JSON-ready data. Keys are stable; sizes in bytes, counts in parameters."""
    if isinstance(result, SetupSkipped):
        return {"location": _location(result), "skipped": result.reason}
    count, memory = result.count, result.memory
    data: Dict[str, Any] = {
        "location": _location(result),
        "model": {"id": result.model_id, "catalog_key": result.match.entry.key or None,
                  "variant": result.match.variant, "config_path": result.config_path},
        "api": result.lora.api,
        "trainable_parameters": {
            "lora": count.lora,
            "full": count.full,
            "bias": count.bias,
            "total": count.total,
            "modules": [m.as_dict() for m in count.modules],
        },
        "adapter_bytes": result.adapter.total_bytes,
        "adapter": {"header_bytes": result.adapter.header_bytes,
                    "lora_bytes": result.adapter.lora_bytes,
                    "full_bytes": result.adapter.full_bytes,
                    "tensors": result.adapter.tensors,
                    "saved_base_matrices": [
                        {"name": m.name, "path": m.path, "parameters": m.parameters}
                        for m in count.saved_base_matrices]},
        "memory_bytes": dict(memory.parts, total=memory.total),
        "memory_largest": memory.largest,
        "activations_bytes": {"with_checkpointing": memory.activations_with_checkpointing,
                              "without_checkpointing": memory.activations_without_checkpointing,
                              "offloaded_to_cpu": memory.cpu_offloaded_bytes},
        "base_parameters": memory.base_parameters,
        "training": {
            "load_mode": result.training.load_mode,
            "dtype": result.training.dtype_name,
            "optimizer": result.training.optimizer,
            "sequence_length": result.training.sequence_length,
            "micro_batch": result.training.micro_batch,
            "gradient_checkpointing": result.training.gradient_checkpointing,
        },
        "assumed_parts": sorted(result.guessed_parts),
        "assumptions": list(result.assumptions),
    }
    if result.count_transformers_4 is not None:
        data["trainable_parameters"]["total_transformers_4"] = result.count_transformers_4
    if result.fix_saving is not None:
        fixed_count, fixed_adapter, fixed_memory = result.fix_saving
        data["without_embeddings"] = {
            "trainable_parameters": fixed_count.total,
            "adapter_bytes": fixed_adapter.total_bytes,
            "memory_bytes": fixed_memory.total,
        }
    return data


def file_to_dict(path: str, results: Sequence[SetupResult], error: Optional[str] = None) -> dict:
    data = {"path": path, "setups": [estimate_to_dict(r) for r in results]}
    if error:
        data["error"] = error
    return data


def render_text(path: str, results: Sequence[SetupResult]) -> str:
    lines: List[str] = []
    if not results:
        return f"{path}: no LoRA training setup found\n"
    for result in results:
        where = f"{path}:{result.span.line}:{result.span.col + 1}" if result.span else path
        if isinstance(result, SetupSkipped):
            lines.append(f"{where}: not estimated: {result.reason}")
            lines.append("")
            continue
        lines.extend(_render_one(where, result))
        lines.append("")
    return "\n".join(lines)


def _render_one(where: str, result: SetupEstimate) -> List[str]:
    count, memory, adapter = result.count, result.memory, result.adapter
    lines = [f"{where}: {result.model_id} ({result.match.entry.family} {result.match.entry.size}, "
             f"{'Unsloth' if result.lora.api == 'unsloth' else 'PEFT'}, r={result.lora.r})"]
    rows = [("trainable LoRA parameters", f"{count.lora:,}")]
    if count.full:
        rows.append(("fully trained parameters", f"{count.full:,}"))
    if count.bias:
        rows.append(("trainable biases", f"{count.bias:,}"))
    rows.append(("trainable total", f"{count.total:,}"))
    rows.append(("adapter file", _size(adapter.total_bytes)))
    width = max(len(label) for label, _ in rows)
    for label, shown in rows:
        lines.append(f"  {label.ljust(width)}  {shown:>16}")
    lines.append("  memory (peak, estimated):")
    largest = memory.largest
    for part in PARTS:
        value = memory.parts.get(part, 0)
        marker = "  <- largest" if part == largest and value else ""
        guessed = " (assumed inputs)" if part in result.guessed_parts else ""
        lines.append(f"    {PART_LABELS[part].ljust(48)} {_size(value):>10}{guessed}{marker}")
    lines.append(f"    {'total'.ljust(48)} {_size(memory.total):>10}")
    lines.append(f"  activations: {_size(memory.activations_with_checkpointing)} with gradient "
                 f"checkpointing, {_size(memory.activations_without_checkpointing)} without")
    if result.fix_saving is not None:
        fixed_count, fixed_adapter, fixed_memory = result.fix_saving
        saving = [f"adapter {_size(fixed_adapter.total_bytes)} instead of "
                  f"{_size(adapter.total_bytes)}"]
        if memory.total - fixed_memory.total > 0.01 * memory.total:
            saving.append(f"memory {_size(fixed_memory.total)} instead of {_size(memory.total)}")
        saving.append(f"{fixed_count.total:,} trainable parameters")
        lines.append("  without embed_tokens/lm_head: " + ", ".join(saving))
    lines.append("  assumptions:")
    lines.extend(f"    - {text}" for text in result.assumptions)
    return lines
