"""Which callees lora-lint models: qualified name -> (role, canonical name, library).

Kept free of LibCST so the cheap prefilter (``prefilter.has_candidate_call``) can ask the same
question the extractor asks without importing LibCST for files it then skips.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Dict, FrozenSet, Optional, Tuple

from .model import (
    LORA_CONFIG,
    MODEL_LOAD,
    PASS_THROUGH,
    PEFT_JOIN,
    PEFT_LOAD,
    QUANTIZATION,
    TRAINER,
    TRAINING_ARGS,
    UNSLOTH_PEFT,
)

UNSLOTH_LOADERS = ("FastLanguageModel", "FastModel", "FastVisionModel")
PEFT_MODEL_LOADERS = ("PeftModel", "PeftModelForCausalLM", "AutoPeftModel",
                      "AutoPeftModelForCausalLM")


def classify(qualified_name: str) -> Optional[Tuple[str, str, str]]:
    """(role, canonical name, library) of a callee, or None if lora-lint does not model it."""
    parts = qualified_name.split(".")
    root, last = parts[0], parts[-1]
    owner = parts[-2] if len(parts) >= 2 else ""
    if root == "peft":
        if last == "LoraConfig":
            return LORA_CONFIG, "LoraConfig", "peft"
        if last == "get_peft_model":
            return PEFT_JOIN, "get_peft_model", "peft"
        if last in ("prepare_model_for_kbit_training", "prepare_model_for_int8_training"):
            return PASS_THROUGH, last, "peft"
        if last == "from_pretrained" and owner in PEFT_MODEL_LOADERS:
            return PEFT_LOAD, "PeftModel.from_pretrained", "peft"
    elif root == "unsloth":
        if owner in UNSLOTH_LOADERS and last == "from_pretrained":
            return MODEL_LOAD, f"{owner}.from_pretrained", "unsloth"
        if owner in UNSLOTH_LOADERS and last == "get_peft_model":
            return UNSLOTH_PEFT, f"{owner}.get_peft_model", "unsloth"
        if last == "UnslothTrainer":
            return TRAINER, "UnslothTrainer", "unsloth"
        if last == "UnslothTrainingArguments":
            return TRAINING_ARGS, "UnslothTrainingArguments", "unsloth"
    elif root == "trl":
        if last == "SFTTrainer":
            return TRAINER, "SFTTrainer", "trl"
        if last == "SFTConfig":
            return TRAINING_ARGS, "SFTConfig", "trl"
    elif root == "transformers":
        if last == "Trainer":
            return TRAINER, "Trainer", "transformers"
        if last == "TrainingArguments":
            return TRAINING_ARGS, "TrainingArguments", "transformers"
        if last == "BitsAndBytesConfig":
            return QUANTIZATION, "BitsAndBytesConfig", "transformers"
        if last == "from_pretrained" and (
                owner.startswith("AutoModel") or owner.endswith("ForCausalLM")
                or owner.endswith("ForConditionalGeneration")):
            return MODEL_LOAD, f"{owner}.from_pretrained", "transformers"
    return None


@dataclass(frozen=True)
class PassThrough:
    """A function that returns the model passed to it (``result_index``: its place in the
    returned tuple; None when the model itself is returned)."""

    model_position: int
    model_keyword: str
    result_index: Optional[int]


@dataclass(frozen=True)
class LinkingFacts:
    """Calls the extractor follows a model through without modelling them as call sites
    (``data/linking.json``)."""

    pass_through_functions: Dict[Tuple[str, str], PassThrough]   # (root, last name) -> fact
    self_returning_methods: FrozenSet[str]
    preparing_methods: FrozenSet[Tuple[str, str, str]]           # (root, class, method)

    def pass_through(self, qualified_name: str) -> Optional[PassThrough]:
        parts = qualified_name.split(".")
        return self.pass_through_functions.get((parts[0], parts[-1]))

    def prepares(self, class_name: str, method: str) -> bool:
        """``class_name(...).method(a, b)`` returns ``(a, b)`` (or ``a`` alone)."""
        parts = class_name.split(".")
        return (parts[0], parts[-1], method) in self.preparing_methods


@functools.lru_cache(maxsize=1)
def linking_facts() -> LinkingFacts:
    from ..catalog import _data_text

    data = json.loads(_data_text("linking.json"))
    functions = {}
    for name, fact in data["pass_through_functions"].items():
        parts = name.split(".")
        functions[(parts[0], parts[-1])] = PassThrough(
            fact["model_position"], fact["model_keyword"], fact["result_index"])
    preparing = set()
    for name in data["preparing_methods"]:
        parts = name.split(".")
        preparing.add((parts[0], parts[-2], parts[-1]))
    return LinkingFacts(functions, frozenset(data["self_returning_methods"]["names"]),
                        frozenset(preparing))
