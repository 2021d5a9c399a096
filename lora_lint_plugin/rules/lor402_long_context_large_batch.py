"""LOR402: long context with a micro-batch larger than 1."""

from __future__ import annotations

from typing import Iterator, Optional

from ..analysis.diagnostics import Diagnostic, Span
from ..analysis.model import ABSENT, FileModel, TrainingSetup
from ..analysis.values import Value
from ._common import size
from .base import Rule, RuleContext, register
from ._training import (
    is_whole_number,
    long_context,
    runs_under_unsloth,
)

# TrainingArguments and SFTConfig (and UnslothTrainingArguments, an SFTConfig) default to 8.
DEFAULT_BATCH_SIZE = 8
FP32_BYTES = 4


def _logits_phrase(setup: TrainingSetup, file: FileModel, context: RuleContext,
                   batch: int, tokens: int) -> str:
    """`` (fp32 logits alone: 8 x 16,384 x 128,256 x 4 bytes = 67.2 GB)`` for a known model.

    Unsloth computes the loss in chunks without materialising the logits, so only plain
    transformers/TRL get the number.
    """
    if runs_under_unsloth(setup, file):
        return ""
    match = context.model_match(setup)
    if match is None:
        return ""
    vocab = match.entry.vocab_size
    total = batch * tokens * vocab * FP32_BYTES
    return (f" (the fp32 logits alone: {batch} x {tokens:,} x {vocab:,} x {FP32_BYTES} bytes "
            f"= {size(total)})")


@register
class LongContextLargeBatch(Rule):
    """
    ## What it does
    Flags a long sequence length (`long-context` setting, default 8192 tokens; the same
    lengths as LOR401) combined with `per_device_train_batch_size` > 1, including the default
    of 8 that `TrainingArguments`, `SFTConfig` and `UnslothTrainingArguments` use when it is
    not set.

    ## Why is this bad?
    Activation memory and the logits tensor grow with batch x sequence length; the logits
    alone are batch x length x vocabulary x 4 bytes in fp32 (8 x 16,384 x 128,256 x 4 bytes =
    67 GB for Llama-3). Eight sequences of 16k tokens per step do not fit where one does, and
    nothing in the script shows it until the first step runs out of memory.

    ## Example
    ```python
    config = SFTConfig(max_length=16384)  # per_device_train_batch_size defaults to 8
    ```

    ## How to fix
    Set `per_device_train_batch_size=1` and multiply `gradient_accumulation_steps` by the old
    batch size: the effective batch (and so the training dynamics) stays the same.

    ## Fix safety
    No automatic fix: the batch size and accumulation steps are a joint choice.
    """

    code = "LOR402"
    name = "long-context-large-batch"
    summary = "Long sequence length with per_device_train_batch_size above 1"

    VALID = (
        """
        from unsloth import FastLanguageModel, is_bf16_supported
        from trl import SFTTrainer, SFTConfig
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-Instruct", max_seq_length=16384)
        model = FastLanguageModel.get_peft_model(model, r=16)
        trainer = SFTTrainer(model=model, args=SFTConfig(
            per_device_train_batch_size=1, gradient_accumulation_steps=8,
            fp16=not is_bf16_supported(), bf16=is_bf16_supported()))
        """,
        # Unknown length (argparse) and unknown batch size: never guessed.
        """
        import argparse
        from unsloth import FastLanguageModel
        from trl import SFTTrainer, SFTConfig
        cli = argparse.ArgumentParser().parse_args()
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-Instruct",
                                                             max_seq_length=cli.max_seq_length)
        model = FastLanguageModel.get_peft_model(model, r=16)
        trainer = SFTTrainer(model=model, args=SFTConfig(per_device_train_batch_size=4))
        long_model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-Instruct",
                                                                  max_seq_length=32768)
        long_model = FastLanguageModel.get_peft_model(long_model, r=16)
        trainer = SFTTrainer(model=long_model,
                             args=SFTConfig(per_device_train_batch_size=cli.batch_size))
        """,
        # Short context: the default batch of 8 is fine.
        """
        from trl import SFTConfig, SFTTrainer
        trainer = SFTTrainer(model="Qwen/Qwen2.5-7B-Instruct", args=SFTConfig(max_length=2048))
        """,
        # Unsloth caps SFTConfig's length at the loader's max_seq_length (default 2048).
        """
        from unsloth import FastLanguageModel
        from trl import SFTTrainer, SFTConfig
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-Instruct")
        model = FastLanguageModel.get_peft_model(model, r=16)
        trainer = SFTTrainer(model=model, args=SFTConfig(max_length=16384,
                                                         per_device_train_batch_size=4))
        """,
    )
    INVALID = (
        """
        from unsloth import FastLanguageModel
        from trl import SFTTrainer, SFTConfig
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-Instruct", max_seq_length=16384)
        model = FastLanguageModel.get_peft_model(model, r=16)
        trainer = SFTTrainer(model=model, args=SFTConfig(
            per_device_train_batch_size=4,  # expect: LOR402
            gradient_accumulation_steps=2,
        ))
        """,
        """
        from trl import SFTConfig, SFTTrainer
        config = SFTConfig(output_dir="out", max_length=16384)  # expect: LOR402
        trainer = SFTTrainer(model="meta-llama/Meta-Llama-3-8B-Instruct", args=config)
        """,
    )

    def check(self, file: FileModel, context: RuleContext) -> Iterator[Diagnostic]:
        for setup in file.setups:
            args = setup.training_args
            if args is None:
                continue
            length = long_context(setup, file, context)
            if length is None:
                continue
            found = self._batch_size(setup)
            if found is None:
                continue
            batch, span, written = found
            yield self.diagnostic(
                span,
                f"{written} at sequence length {length.tokens:,} ({length.argument}): "
                f"activations and logits grow with batch x length, {batch} x {length.tokens:,} "
                f"= {batch * length.tokens:,} tokens per micro-batch"
                f"{_logits_phrase(setup, file, context, batch, length.tokens)}; set "
                f"per_device_train_batch_size=1 and multiply gradient_accumulation_steps by "
                f"{batch} to keep the effective batch",
                None)

    @staticmethod
    def _batch_size(setup: TrainingSetup) -> Optional[tuple]:
        """(batch, where to report, how it reads) when the micro-batch is certainly above 1."""
        args = setup.training_args
        assert args is not None
        value = args.args.value("per_device_train_batch_size")
        if value is ABSENT:
            return (DEFAULT_BATCH_SIZE, args.head_span,
                    f"per_device_train_batch_size unset on {args.name} (default "
                    f"{DEFAULT_BATCH_SIZE})")
        if not isinstance(value, Value) or not is_whole_number(value.python) or value.python <= 1:
            return None
        argument = args.args.get("per_device_train_batch_size")
        assert argument is not None
        span: Span = argument.report_span
        batch = int(value.python)
        return batch, span, f"per_device_train_batch_size={batch}"
