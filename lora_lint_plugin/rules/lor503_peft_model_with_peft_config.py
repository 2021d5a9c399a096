from __future__ import annotations

from typing import Iterator, Optional

import ast

from ..analysis.diagnostics import Diagnostic, Fix, FixSafety
from ..analysis.model import PEFT_JOIN, PEFT_LOAD, TRAINER, UNSLOTH_PEFT, Argument, CallSite
from ._common import given_peft_config, peft_fact
from ._versions import removal_against_pins
from .base import Invalid, Rule, register

ADAPTER_ROLES = (UNSLOTH_PEFT, PEFT_JOIN, PEFT_LOAD)


def drop_argument_fix(call: CallSite, argument: Argument, description: str) -> Optional[Fix]:
    from ..fixing.edits import make_fix, remove_arguments  # loaded with the first fix
    if isinstance(argument.node, ast.keyword) and argument.node.arg is None:
        return None  # it comes from a ``**`` mapping: nothing to delete in place
    return make_fix(FixSafety.SAFE, description, remove_arguments(call.span, [argument.span]))


@register
class PeftModelWithPeftConfig(Rule):
    """
    ## What it does
    Flags `SFTTrainer(model=model, peft_config=...)` where `model` already carries LoRA
    adapters: it comes from `get_peft_model(...)`, Unsloth's
    `FastLanguageModel.get_peft_model(...)` or `PeftModel.from_pretrained(...)`.

    ## Why is this bad?
    The adapters would be applied twice, and what happens depends on the TRL version:
    TRL >= 0.27 raises ``ValueError: You passed a `PeftModel` instance together with a
    `peft_config` to the trainer. Please first merge and unload the existing adapter, ...``;
    0.22-0.26 silently merge the first adapter into the base weights (also into 4-bit bases)
    and create a new one; 0.20-0.21 wrap the model a second time; older versions ignore the
    config. Under Unsloth `peft_config` is ignored.

    Before TRL 0.20, `SFTTrainer` used a `PeftModel` as it was and ignored `peft_config`
    (read from TRL's tagged sources; `trl_peft_model_with_peft_config` in
    `catalog/data/peft_lora_config.json`). So the rule follows the TRL version the file or its
    project pins, like LOR505 (where pins are read: docs/versions.md): when every version the pin
    allows is older than 0.20, an `SFTTrainer` call is not reported; when the pin cannot be
    placed among releases, neither; a pin that allows 0.20 or later is named in the message.
    The other trainers merged the adapter in older releases and are reported whatever the pin.

    ## Example
    ```python
    model = get_peft_model(model, lora_config)
    trainer = SFTTrainer(model=model, args=args, peft_config=lora_config)
    ```

    ## How to fix
    Pass the adapted model and drop `peft_config`; or pass the base model with `peft_config`
    and let TRL apply it.

    ## Fix safety
    Safe: the model already has its adapters, so removing `peft_config=` keeps what gets
    trained (on every TRL version that does not crash). The argument is only removed when it
    is written in the call (not supplied through `**kwargs`).
    """

    code = "LOR503"
    name = "peft-model-with-peft-config"
    summary = "Trainer gets an already adapted model and a peft_config"
    TRIGGERS = {"arguments": ("peft_config",)}  # only a trainer's peft_config
    fix_safety = FixSafety.SAFE

    VALID = (
        """
        from peft import LoraConfig, get_peft_model
        from trl import SFTTrainer
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("Qwen/Qwen2.5-0.5B")
        trainer = SFTTrainer(model=model, peft_config=LoraConfig(r=16))
        """,
        """
        from peft import LoraConfig, get_peft_model
        from trl import SFTTrainer
        from transformers import AutoModelForCausalLM
        base = AutoModelForCausalLM.from_pretrained("Qwen/Qwen2.5-0.5B")
        model = get_peft_model(base, LoraConfig(r=16))
        trainer = SFTTrainer(model=model, peft_config=None)
        """,
        """
        from trl import SFTTrainer
        def train(model, config):
            return SFTTrainer(model=model, peft_config=config)
        """,
    )
    INVALID = (
        Invalid("""
        from peft import LoraConfig, get_peft_model
        from trl import SFTTrainer
        from transformers import AutoModelForCausalLM
        config = LoraConfig(r=16, target_modules=["q_proj", "v_proj"])
        model = AutoModelForCausalLM.from_pretrained("Qwen/Qwen2.5-0.5B")
        model = get_peft_model(model, config)
        trainer = SFTTrainer(
            model=model,
            peft_config=config,  # expect: LOR503
        )
        """, fixed="""
        from peft import LoraConfig, get_peft_model
        from trl import SFTTrainer
        from transformers import AutoModelForCausalLM
        config = LoraConfig(r=16, target_modules=["q_proj", "v_proj"])
        model = AutoModelForCausalLM.from_pretrained("Qwen/Qwen2.5-0.5B")
        model = get_peft_model(model, config)
        trainer = SFTTrainer(
            model=model,
        )
        """),
        Invalid("""
        from peft import PeftModel, LoraConfig
        import trl
        from transformers import AutoModelForCausalLM
        base = AutoModelForCausalLM.from_pretrained("Qwen/Qwen2.5-0.5B")
        model = PeftModel.from_pretrained(base, "my-adapter", is_trainable=True)
        trainer = trl.SFTTrainer(model, peft_config=LoraConfig(r=8))  # expect: LOR503
        """, fixed="""
        from peft import PeftModel, LoraConfig
        import trl
        from transformers import AutoModelForCausalLM
        base = AutoModelForCausalLM.from_pretrained("Qwen/Qwen2.5-0.5B")
        model = PeftModel.from_pretrained(base, "my-adapter", is_trainable=True)
        trainer = trl.SFTTrainer(model)  # expect: LOR503
        """),
    )

    def check(self, file, context) -> Iterator[Diagnostic]:
        ignored_before = peft_fact("trl_peft_model_with_peft_config")["ignored_before"]
        for trainer in file.calls_with_role(TRAINER):
            adapted = trainer.model
            if adapted is None or adapted.role not in ADAPTER_ROLES:
                continue
            argument = given_peft_config(trainer)
            if argument is None:
                continue
            note = ""
            if trainer.library == "trl" and trainer.name in ignored_before:
                # The pinned TRL may still ignore peft_config here (rules/_versions.py: policy).
                status = removal_against_pins(file, "trl", ignored_before[trainer.name])
                if status.silent:
                    continue
                note = status.note("no longer ignores it")
            yield self.diagnostic(
                argument.span,
                f"the model already has LoRA adapters ({adapted.name}, line {adapted.span.line}) "
                f"and {trainer.name} also gets peft_config: TRL >= 0.27 raises 'ValueError: You "
                "passed a `PeftModel` instance together with a `peft_config` to the trainer', "
                f"older TRL merges or stacks the adapters; remove peft_config{note}",
                drop_argument_fix(trainer, argument, "remove peft_config= (the model is already adapted)"))
