"""LOR401: long context with gradient checkpointing off.

Also holds the long-context helpers LOR402 uses: the effective sequence length of a setup and
whether the setup runs under Unsloth.
"""

from __future__ import annotations

from typing import Iterator

from ..analysis.diagnostics import Diagnostic, FixSafety
from ..analysis.model import FileModel
from ._training import long_context
from .base import Invalid, Rule, RuleContext, register


@register
class LongContextWithoutCheckpointing(Rule):
    """
    ## What it does
    Flags training with a long sequence length (`long-context` setting, default 8192 tokens)
    while gradient checkpointing is off. The length is the `max_seq_length` of Unsloth's
    `from_pretrained` (default 2048) or SFTConfig's `max_length`/`max_seq_length`.
    Checkpointing is off with Unsloth `use_gradient_checkpointing=False` (in `get_peft_model`,
    else in `from_pretrained`; absent means `"unsloth"`, on), with
    `TrainingArguments(gradient_checkpointing=False)` or no `gradient_checkpointing` at all on
    transformers' `TrainingArguments` (default off), or an explicit
    `SFTConfig(gradient_checkpointing=False)` (SFTConfig's default is on since TRL 0.22).
    The rule is silent when the file enables checkpointing itself
    (`model.gradient_checkpointing_enable()`, `prepare_model_for_kbit_training`), and when the
    length or the setting comes from outside the file (argparse, config files).

    ## Why is this bad?
    Without checkpointing every layer keeps its activations for the backward pass, so memory
    grows with sequence length x layers: long-context runs go out of memory on GPUs that
    fit them easily with checkpointing (Unsloth issues #465, #2366). With checkpointing
    only one activation per layer is kept and recomputed; Unsloth's `"unsloth"` mode also
    offloads it to CPU RAM.

    ## Example
    ```python
    model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-Instruct", max_seq_length=16384)
    model = FastLanguageModel.get_peft_model(model, r=16, use_gradient_checkpointing=False)
    ```

    ## How to fix
    Under Unsloth pass `use_gradient_checkpointing="unsloth"`; otherwise set
    `gradient_checkpointing=True` in the training arguments.

    ## Fix safety
    Safe: checkpointing recomputes activations and gives the same gradients; training takes
    ~20-30% longer and uses much less memory.
    """

    code = "LOR401"
    name = "long-context-without-checkpointing"
    summary = "Long sequence length with gradient checkpointing off"
    fix_safety = FixSafety.SAFE

    VALID = (
        # Unsloth's default ("unsloth") is on.
        """
        from unsloth import FastLanguageModel, is_bf16_supported
        from trl import SFTTrainer, SFTConfig
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-Instruct", max_seq_length=16384)
        model = FastLanguageModel.get_peft_model(model, r=16)
        trainer = SFTTrainer(model=model, args=SFTConfig(
            per_device_train_batch_size=1, fp16=not is_bf16_supported(), bf16=is_bf16_supported()))
        """,
        # The length comes from the command line: unknown, so no guess.
        """
        import argparse
        from unsloth import FastLanguageModel
        args = argparse.ArgumentParser().parse_args()
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-Instruct",
                                                             max_seq_length=args.max_seq_length)
        model = FastLanguageModel.get_peft_model(model, r=16, use_gradient_checkpointing=False)
        """,
        # Short context: checkpointing off is a fine trade.
        """
        from transformers import AutoModelForCausalLM, Trainer, TrainingArguments
        from trl import SFTConfig, SFTTrainer
        model = AutoModelForCausalLM.from_pretrained("Qwen/Qwen2.5-7B-Instruct")
        trainer = SFTTrainer(model=model, args=SFTConfig(max_length=2048, gradient_checkpointing=False))
        """,
        # Checkpointing enabled on the model itself.
        """
        from transformers import AutoModelForCausalLM, TrainingArguments
        from trl import SFTConfig, SFTTrainer
        model = AutoModelForCausalLM.from_pretrained("Qwen/Qwen2.5-7B-Instruct")
        model.gradient_checkpointing_enable()
        trainer = SFTTrainer(model=model, args=SFTConfig(max_length=32768, gradient_checkpointing=False))
        """,
        # SFTConfig's default is on.
        """
        from trl import SFTConfig, SFTTrainer
        trainer = SFTTrainer(model="Qwen/Qwen2.5-7B-Instruct", args=SFTConfig(max_length=32768))
        """,
    )
    INVALID = (
        Invalid("""
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained(
            "unsloth/llama-3-8b-Instruct-bnb-4bit", max_seq_length=16384)
        model = FastLanguageModel.get_peft_model(
            model, r=16,
            use_gradient_checkpointing=False,  # expect: LOR401
        )
        """, fixed="""
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained(
            "unsloth/llama-3-8b-Instruct-bnb-4bit", max_seq_length=16384)
        model = FastLanguageModel.get_peft_model(
            model, r=16,
            use_gradient_checkpointing="unsloth",  # expect: LOR401
        )
        """),
        Invalid("""
        from trl import SFTConfig, SFTTrainer
        config = SFTConfig(
            max_length=32768,
            gradient_checkpointing=False,  # expect: LOR401
            per_device_train_batch_size=1,
        )
        trainer = SFTTrainer(model="Qwen/Qwen2.5-7B-Instruct", args=config)
        """, fixed="""
        from trl import SFTConfig, SFTTrainer
        config = SFTConfig(
            max_length=32768,
            gradient_checkpointing=True,  # expect: LOR401
            per_device_train_batch_size=1,
        )
        trainer = SFTTrainer(model="Qwen/Qwen2.5-7B-Instruct", args=config)
        """),
        Invalid("""
        from transformers import TrainingArguments
        from trl import SFTTrainer
        args = TrainingArguments("out", per_device_train_batch_size=1)  # expect: LOR401
        trainer = SFTTrainer(model="Qwen/Qwen2.5-7B-Instruct", args=args, max_seq_length=8192)
        """, fixed="""
        from transformers import TrainingArguments
        from trl import SFTTrainer
        args = TrainingArguments("out", per_device_train_batch_size=1, gradient_checkpointing=True)  # expect: LOR401
        trainer = SFTTrainer(model="Qwen/Qwen2.5-7B-Instruct", args=args, max_seq_length=8192)
        """),
    )

    def check(self, file: FileModel, context: RuleContext) -> Iterator[Diagnostic]:
        for setup in file.setups:
            length = long_context(setup, file, context)
            if length is None:
                continue
            from ._checkpointing import checkpointing_off  # only for a long context (1 %)

            off = checkpointing_off(setup, file)
            if off is None:
                continue
            if off.unsloth:
                setting, advice = "use_gradient_checkpointing=False", \
                    'use use_gradient_checkpointing="unsloth"'
            elif off.argument is None:
                setting = f"gradient_checkpointing unset on {off.call.name}, default False"
                advice = "set gradient_checkpointing=True"
            else:
                setting, advice = f"{off.argument.name}=False", f"set {off.argument.name}=True"
            yield self.diagnostic(
                off.span,
                f"gradient checkpointing is off ({setting}) at sequence length "
                f"{length.tokens:,} ({length.argument}): every layer keeps its activations, "
                f"which grow with sequence length x layers and run out of memory; {advice}",
                off.fix())
