"""What training the embedding matrices in full costs a setup, from the cost estimator, for the
messages of LOR101, LOR102 and LOR111.

Imported by those rules when they report (and with it the estimator): a flake8 process
started per save pays for every module it loads, and few files train an embedding in full.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Optional

from ..analysis.model import CallSite, TrainingSetup
from ._common import count, size

if TYPE_CHECKING:  # pragma: no cover
    from ..catalog import ModelMatch


def embedding_cost_phrase(call: CallSite, setup: Optional[TrainingSetup],
                          match: Optional["ModelMatch"]) -> str:
    """What the embeddings cost in this setup, from the cost estimator, e.g.
    `` (unsloth/llama-3-8b-bnb-4bit: +1.05 B trainable parameters; adapter 2.3 GB instead of
    167.8 MB)``; ``""`` when the model is unknown, and only the matrix size when the LoRA
    arguments cannot be resolved far enough for an exact count.
    """
    if match is None:
        return ""
    from ..estimate.params import EstimateError
    from ..estimate.setup import Unresolved, lora_spec

    try:
        spec = lora_spec(call, setup)
    except (Unresolved, EstimateError):
        spec = None
    key = (match.hub_id, spec)
    try:
        cached = _EMBEDDING_COSTS.get(key)
    except TypeError:  # an unhashable value in the spec: compute without the cache
        return _embedding_cost(match, spec)
    if cached is None:
        if len(_EMBEDDING_COSTS) > 512:
            _EMBEDDING_COSTS.clear()
        cached = _EMBEDDING_COSTS[key] = _embedding_cost(match, spec)
    return cached


# (hub id, LoraSpec) -> phrase: files such as PEFT's own tests build the same config hundreds
# of times, and an exact count walks every module of the model.
_EMBEDDING_COSTS: Dict[Any, str] = {}


def _embedding_cost(match: "ModelMatch", spec: Any) -> str:
    from ..estimate.adapter import adapter_file_size
    from ..estimate.params import EstimateError, count_parameters, without_embeddings
    from ..estimate.setup import Unresolved

    entry = match.entry
    try:
        if spec is None:
            raise Unresolved("the LoRA arguments are not known")
        reduced = without_embeddings(entry, spec)
        if reduced is None:
            raise Unresolved("nothing left without the embeddings")
        defaults = match.architecture.peft_default_target_modules if match.architecture else None
        modules = match.modules()
        with_embeddings = count_parameters(entry, spec, modules=modules, default_targets=defaults)
        without = count_parameters(entry, reduced, modules=modules, default_targets=defaults)
    except (Unresolved, EstimateError):
        rows, cols = entry.embedding_module.rows, entry.embedding_module.cols
        return (f" ({match.hub_id}: the embedding matrix alone is {rows:,} x {cols:,} = "
                f"{count(rows * cols)} parameters, {size(2 * rows * cols)} in bf16)")
    extra = with_embeddings.total - without.total
    adapter = adapter_file_size(with_embeddings, 2).total_bytes
    adapter_without = adapter_file_size(without, 2).total_bytes
    return (f" ({match.hub_id}: +{count(extra)} trainable parameters; adapter "
            f"{size(adapter)} instead of {size(adapter_without)} in bf16)")
