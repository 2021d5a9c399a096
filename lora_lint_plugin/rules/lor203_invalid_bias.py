from __future__ import annotations

from typing import Iterator, Optional

import ast

from ..analysis.diagnostics import Diagnostic, Fix, FixSafety
from ..analysis.values import Value
from ._common import accepted_bias, peft_fact, resolved_lora_arguments
from .base import Invalid, Rule, register


def _fix(value: Value) -> Optional[Fix]:
    from ..fixing.edits import make_fix, replace_string, replace_with_code  # loaded with the first fix
    bias = value.python
    if bias is None and value.literal and isinstance(value.node, ast.Constant):
        return make_fix(FixSafety.SAFE, 'write bias="none"',
                        replace_with_code(value, '"none"'))
    if isinstance(bias, str) and bias.lower() in peft_fact("bias_values"):
        return make_fix(FixSafety.SAFE, f'write bias="{bias.lower()}"',
                        replace_string(value, bias.lower()))
    return None


@register
class InvalidBias(Rule):
    """
    ## What it does
    Flags a `bias` value other than `"none"`, `"all"` or `"lora_only"` in `LoraConfig(...)`
    and Unsloth's `get_peft_model(...)`.

    ## Why is this bad?
    `LoraConfig` accepts any value; `get_peft_model` then raises
    `NotImplementedError: Requested bias: None, is not implemented.` for an unknown string
    (the check is case-sensitive, so `"None"` fails), and `bias=None` fails with an
    `AttributeError`. PEFT also accepts any value ending in `_only` (shared with other
    adapter types), so such values are not reported.

    ## Example
    ```python
    config = LoraConfig(r=16, lora_alpha=32, bias="None")
    ```

    ## How to fix
    Use `"none"` (the default: no bias trained), `"all"` or `"lora_only"`.

    ## Fix safety
    Safe: a value that is a valid mode in another letter case (`"None"`, `"ALL"`) is
    rewritten in lower case, and `bias=None` becomes `bias="none"` (the default, what "no
    bias" means).
    """

    code = "LOR203"
    name = "invalid-lora-bias"
    summary = "bias is not one of none/all/lora_only: get_peft_model raises"
    fix_safety = FixSafety.SAFE

    VALID = (
        """
        from peft import LoraConfig
        config = LoraConfig(r=16, bias="none")
        other = LoraConfig(r=16, bias="lora_only")
        """,
        """
        from peft import LoraConfig
        import json
        settings = json.load(open("lora.json"))
        config = LoraConfig(r=16, bias=settings["bias"])
        """,
        """
        from peft import LoraConfig
        def build(**kwargs):
            return LoraConfig(r=16, **kwargs)
        """,
    )
    INVALID = (
        Invalid("""
        from peft import LoraConfig
        config = LoraConfig(r=16, bias="None")  # expect: LOR203
        """, fixed="""
        from peft import LoraConfig
        config = LoraConfig(r=16, bias="none")  # expect: LOR203
        """),
        Invalid("""
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(
            model,
            r=16,
            bias=None,  # expect: LOR203
        )
        """, fixed="""
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(
            model,
            r=16,
            bias="none",  # expect: LOR203
        )
        """),
        Invalid("""
        import peft
        BIAS = "lora"  # expect: LOR203
        config = peft.LoraConfig(r=8, bias=BIAS)
        """, fixed=None),
    )

    def check(self, file, context) -> Iterator[Diagnostic]:
        for argument, value in resolved_lora_arguments(file, "bias"):
            bias = value.python
            if accepted_bias(bias):
                continue
            if isinstance(bias, str):
                consequence = (f"get_peft_model raises 'NotImplementedError: Requested bias: "
                               f"{bias}, is not implemented.'")
            elif bias is None:
                consequence = ("get_peft_model fails with 'AttributeError: 'NoneType' object "
                               "has no attribute 'endswith''")
            else:
                continue  # a non-string object: not a literal mistake we can name
            yield self.diagnostic(
                argument.report_span,
                f"bias={bias!r} is not a PEFT bias mode: {consequence}; use \"none\" (no bias "
                "trained), \"all\" or \"lora_only\"",
                _fix(value))
