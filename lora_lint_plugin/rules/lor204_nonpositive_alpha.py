from __future__ import annotations

from typing import Iterator

from ..analysis.diagnostics import Diagnostic
from ..analysis.values import Value, is_number
from ._common import lora_calls
from .base import Rule, register


def _consequence(alpha: float) -> str:
    if alpha == 0:
        return ("the LoRA output is scaled by lora_alpha/r = 0, so the adapter has no effect "
                "and receives no gradients (PEFT accepts it silently)")
    return ("the LoRA update is scaled by a negative lora_alpha/r, which flips its sign; "
            "almost certainly a typo")


@register
class NonPositiveAlpha(Rule):
    """
    ## What it does
    Flags `lora_alpha` (or an `alpha_pattern` value) that is zero or negative in
    `LoraConfig(...)` and Unsloth's `get_peft_model(...)`.

    ## Why is this bad?
    LoRA adds `(lora_alpha / r) * B(A(x))` to each targeted layer. With `lora_alpha=0` the
    scaling is 0: the adapter's output and its gradients are zero, training runs, the loss
    does not move and the saved adapter is a no-op. PEFT raises nothing. A negative value
    flips the sign of the update, which is never what a config means.

    ## Example
    ```python
    config = LoraConfig(r=16, lora_alpha=0, target_modules=["q_proj", "v_proj"])
    ```

    ## How to fix
    Use a positive `lora_alpha`, commonly equal to `r` or `2 * r`.
    """

    code = "LOR204"
    name = "nonpositive-lora-alpha"
    summary = "lora_alpha <= 0: the adapter has no effect"

    VALID = (
        """
        from peft import LoraConfig
        config = LoraConfig(r=16, lora_alpha=32, alpha_pattern={"v_proj": 16})
        """,
        """
        from peft import LoraConfig
        import os
        config = LoraConfig(r=16, lora_alpha=int(os.environ["ALPHA"]))
        """,
    )
    INVALID = (
        """
        from peft import LoraConfig
        config = LoraConfig(r=16, lora_alpha=0)  # expect: LOR204
        """,
        """
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(
            model, r=16,
            lora_alpha=-16,  # expect: LOR204
        )
        """,
        """
        from peft import LoraConfig
        config = LoraConfig(
            r=16,
            alpha_pattern={"q_proj": 0},  # expect: LOR204
        )
        """,
    )

    def check(self, file, context) -> Iterator[Diagnostic]:
        for call, _setup in lora_calls(file):
            argument = call.args.get("lora_alpha")
            if argument is not None and isinstance(argument.value, Value):
                alpha = argument.value.python
                if is_number(alpha) and alpha <= 0:
                    yield self.diagnostic(
                        argument.report_span,
                        f"lora_alpha={alpha!r}: {_consequence(alpha)}; use a positive value, "
                        "commonly r or 2 * r")
            pattern = call.args.get("alpha_pattern")
            if pattern is None or not isinstance(pattern.value, Value) \
                    or not pattern.value.is_mapping:
                continue
            for key, value in pattern.value.entries:
                if is_number(value.python) and value.python <= 0:
                    yield self.diagnostic(
                        value.span if value.literal else pattern.report_span,
                        f"alpha_pattern['{key}'] = {value.python!r}: for the matching modules "
                        f"{_consequence(value.python)}; use a positive value")
