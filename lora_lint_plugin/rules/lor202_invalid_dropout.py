from __future__ import annotations

from typing import Iterator, Optional

from ..analysis.diagnostics import Diagnostic
from ..analysis.values import is_number
from ._common import resolved_lora_arguments
from .base import Rule, register


def _consequence(dropout: float) -> Optional[str]:
    if dropout > 1:
        return ("torch raises 'ValueError: dropout probability has to be between 0 and 1, "
                f"but got {dropout}' when get_peft_model builds the LoRA layers")
    if dropout == 1:
        return ("every LoRA input is zeroed in training mode, so the adapter never learns "
                "(no error is raised)")
    if dropout < 0:
        return "PEFT silently treats a negative dropout as no dropout"
    return None


@register
class InvalidDropout(Rule):
    """
    ## What it does
    Flags `lora_dropout` outside `[0, 1)` in `LoraConfig(...)` and Unsloth's
    `get_peft_model(...)`.

    ## Why is this bad?
    Nothing validates the value when the config is built:

    * `lora_dropout > 1`: `get_peft_model` fails with torch's
      `ValueError: dropout probability has to be between 0 and 1, but got 1.5`.
    * `lora_dropout == 1`: accepted silently, but in training mode the input of every LoRA
      branch is all zeros, so the adapter never learns.
    * `lora_dropout < 0`: accepted silently and treated as no dropout (`nn.Identity`), which is
      probably not what was meant.

    ## Example
    ```python
    config = LoraConfig(r=16, lora_alpha=32, lora_dropout=5)  # meant 0.05
    ```

    ## How to fix
    Use a probability in `[0, 1)`: `0` (Unsloth's fast path) or a small value such as `0.05`.
    """

    code = "LOR202"
    name = "invalid-lora-dropout"
    summary = "lora_dropout outside [0, 1): crash, no learning, or silently ignored"

    VALID = (
        """
        from peft import LoraConfig
        config = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05)
        """,
        """
        from peft import LoraConfig
        def make(dropout):
            return LoraConfig(r=16, lora_dropout=dropout)
        """,
        """
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(model, r=16, lora_dropout=0)
        """,
    )
    INVALID = (
        """
        from peft import LoraConfig
        config = LoraConfig(r=16, lora_alpha=32, lora_dropout=5)  # expect: LOR202
        """,
        """
        from peft import LoraConfig as LC
        DROPOUT = 1.0  # expect: LOR202
        config = LC(r=16, lora_dropout=DROPOUT)
        """,
        """
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(
            model,
            r=16,
            lora_dropout=-0.1,  # expect: LOR202
        )
        """,
    )

    def check(self, file, context) -> Iterator[Diagnostic]:
        for argument, value in resolved_lora_arguments(file, "lora_dropout"):
            dropout = value.python
            if not is_number(dropout):
                continue
            consequence = _consequence(dropout)
            if consequence is None:
                continue
            yield self.diagnostic(
                argument.report_span,
                f"lora_dropout={dropout!r} is outside [0, 1): {consequence}; use a dropout "
                "probability such as 0 or 0.05")
