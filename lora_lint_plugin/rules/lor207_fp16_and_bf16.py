from __future__ import annotations

from typing import Iterator

from ..analysis.diagnostics import Diagnostic
from ..analysis.model import TRAINING_ARGS
from ..analysis.values import Value
from .base import Rule, register


@register
class Fp16AndBf16(Rule):
    """
    ## What it does
    Flags `TrainingArguments`, `SFTConfig` or `UnslothTrainingArguments` with both
    `fp16=True` and `bf16=True` written as constants.

    ## Why is this bad?
    transformers refuses the combination when the arguments are built:
    `ValueError: At most one of fp16 and bf16 can be True, but not both`. The script fails
    after the model has been loaded.

    The common idiom `fp16=not is_bfloat16_supported(), bf16=is_bfloat16_supported()` picks
    one at run time and is not reported.

    ## Example
    ```python
    args = SFTConfig(output_dir="out", fp16=True, bf16=True)
    ```

    ## How to fix
    Keep one: `bf16=True` on Ampere or newer GPUs, `fp16=True` on older ones, or choose at run
    time with `is_bfloat16_supported()`.
    """

    code = "LOR207"
    name = "fp16-and-bf16"
    summary = "fp16=True and bf16=True together: TrainingArguments raises"
    TRIGGERS = {"arguments": ("fp16",)}  # only training arguments with fp16 (and bf16)

    VALID = (
        """
        from trl import SFTConfig
        from unsloth import is_bfloat16_supported
        args = SFTConfig(output_dir="out", fp16=not is_bfloat16_supported(),
                         bf16=is_bfloat16_supported())
        """,
        """
        from transformers import TrainingArguments
        from trl import SFTTrainer
        import torch
        args = TrainingArguments(output_dir="out", fp16=True,
                                 bf16=torch.cuda.is_bf16_supported())
        trainer = SFTTrainer(model="Qwen/Qwen2.5-0.5B", args=args)
        """,
    )
    INVALID = (
        """
        from trl import SFTConfig
        args = SFTConfig(
            output_dir="out",
            fp16=True,  # expect: LOR207
            bf16=True,
        )
        """,
        """
        from unsloth import UnslothTrainer, UnslothTrainingArguments
        precision = {"fp16": True, "bf16": True}  # expect: LOR207
        trainer = UnslothTrainer(model=model, args=UnslothTrainingArguments(**precision))
        """,
    )

    def check(self, file, context) -> Iterator[Diagnostic]:
        for call in file.calls_with_role(TRAINING_ARGS):
            fp16, bf16 = call.args.get("fp16"), call.args.get("bf16")
            if fp16 is None or bf16 is None:
                continue
            if not (isinstance(fp16.value, Value) and fp16.value.python is True
                    and isinstance(bf16.value, Value) and bf16.value.python is True):
                continue
            yield self.diagnostic(
                fp16.report_span,
                f"fp16=True and bf16=True in {call.name}: it raises 'ValueError: At most one of "
                "fp16 and bf16 can be True, but not both'; keep bf16=True on Ampere or newer "
                "GPUs, fp16=True on older ones, or choose with is_bfloat16_supported()")
