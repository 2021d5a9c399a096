"""Which callees lora-lint models: qualified name -> (role, canonical name, library).

Kept free of LibCST so the cheap prefilter (``prefilter.has_candidate_call``) can ask the same
question the extractor asks without importing LibCST for files it then skips.
"""

from __future__ import annotations

from typing import Optional, Tuple

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
        if last == "prepare_model_for_kbit_training":
            return PASS_THROUGH, "prepare_model_for_kbit_training", "peft"
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
