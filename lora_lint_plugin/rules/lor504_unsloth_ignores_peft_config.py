from __future__ import annotations

from typing import Iterator

from ..analysis.diagnostics import Diagnostic
from ..analysis.model import MODEL_LOAD, PEFT_JOIN, TRAINER, UNSLOTH_PEFT
from ._common import given_peft_config
from .base import Rule, register


@register
class UnslothIgnoresPeftConfig(Rule):
    """
    ## What it does
    Flags `SFTTrainer(model=model, peft_config=...)` where `model` comes from Unsloth's
    `FastLanguageModel.from_pretrained(...)` (or `FastModel`/`FastVisionModel`) and no
    `get_peft_model` is applied to it.

    ## Why is this bad?
    Unsloth patches TRL's trainers and removes their PEFT branch (`if peft_config is not None:`
    becomes `if False:`), so the config is ignored and no adapter is created. A 4-bit model
    then has nothing to train; a 16-bit one is fully fine-tuned instead of LoRA-tuned, with the
    memory cost that brings.

    ## Example
    ```python
    model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
    trainer = SFTTrainer(model=model, peft_config=LoraConfig(r=16), args=args)
    ```

    ## How to fix
    Create the adapters with Unsloth before building the trainer:
    `model = FastLanguageModel.get_peft_model(model, r=16, target_modules=[...], lora_alpha=16)`
    and drop `peft_config`.
    """

    code = "LOR504"
    name = "unsloth-ignores-peft-config"
    summary = "Unsloth ignores the trainer's peft_config: no adapters are created"
    TRIGGERS = {"arguments": ("peft_config",)}  # only a trainer's peft_config

    VALID = (
        """
        from unsloth import FastLanguageModel
        from trl import SFTTrainer
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(model, r=16)
        trainer = SFTTrainer(model=model, train_dataset=dataset)
        """,
        """
        from peft import LoraConfig
        from trl import SFTTrainer
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("Qwen/Qwen2.5-0.5B")
        trainer = SFTTrainer(model=model, peft_config=LoraConfig(r=16))
        """,
        """
        from unsloth import FastLanguageModel
        from trl import SFTTrainer
        def train(config):
            model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
            return SFTTrainer(model=model, peft_config=config)
        """,
    )
    INVALID = (
        """
        from unsloth import FastLanguageModel
        from peft import LoraConfig
        from trl import SFTTrainer, SFTConfig
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        config = LoraConfig(r=16, target_modules=["q_proj", "v_proj"])
        trainer = SFTTrainer(
            model=model,
            args=SFTConfig(output_dir="out"),
            peft_config=config,  # expect: LOR504
        )
        """,
    )

    def check(self, file, context) -> Iterator[Diagnostic]:
        adapted_loads = {id(call.model) for call in file.calls_with_role(UNSLOTH_PEFT, PEFT_JOIN)
                         if call.model is not None}
        for trainer in file.calls_with_role(TRAINER):
            load = trainer.model
            if load is None or load.role != MODEL_LOAD or not load.is_unsloth \
                    or id(load) in adapted_loads:
                continue
            argument = given_peft_config(trainer)
            if argument is None:
                continue
            yield self.diagnostic(
                argument.span,
                f"Unsloth ignores {trainer.name}'s peft_config (its patched trainer skips the PEFT "
                f"step), so the model from {load.name} (line {load.span.line}) gets no LoRA "
                "adapters; create them with FastLanguageModel.get_peft_model(model, r=..., "
                "target_modules=[...]) and drop peft_config")
