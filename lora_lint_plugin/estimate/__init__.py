"""The cost estimator: trainable parameters, adapter file size and training memory of a LoRA
setup, computed statically from the code and the model catalog (docs/cost-model.md).

* ``params.count_parameters(entry, LoraSpec(...))`` -> ``ParameterCount`` (per module, totals)
* ``adapter.adapter_file_size(count, full_dtype_bytes)`` -> ``AdapterSize``
* ``memory.estimate_memory(entry, count, TrainingSpec(...), modules)`` -> ``MemoryEstimate``
* ``setup.estimate_file(file_model)`` -> one ``SetupEstimate``/``SetupSkipped`` per LoRA setup
* ``report.estimate_to_dict`` / ``report.render_text``: the ``lora-lint estimate`` output
"""

from __future__ import annotations

from .adapter import AdapterSize, adapter_file_size
from .memory import MemoryEstimate, TrainingSpec, estimate_memory
from .params import EstimateError, LoraSpec, ModuleCost, ParameterCount, count_parameters
from .setup import SetupEstimate, SetupSkipped, estimate_file, estimate_setup

__all__ = [
    "AdapterSize", "EstimateError", "LoraSpec", "MemoryEstimate", "ModuleCost", "ParameterCount",
    "SetupEstimate", "SetupSkipped", "TrainingSpec", "adapter_file_size", "count_parameters",
    "estimate_file", "estimate_memory", "estimate_setup",
]
