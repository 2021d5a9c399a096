from __future__ import annotations

from typing import Iterator, Optional

import ast

from ..analysis.diagnostics import Diagnostic, Fix, FixSafety
from ..analysis.model import UNSLOTH_PEFT, CallSite
from ..analysis.values import SCALAR, Value, is_number
from ._common import lora_calls
from .base import Invalid, Rule, register


def _problem(rank: object) -> Optional[str]:
    """Why ``rank`` is not a usable LoRA rank, or None when it is fine."""
    if isinstance(rank, bool) or not is_number(rank):
        return "not an integer"
    if rank <= 0:
        return "not positive"
    if isinstance(rank, float):
        return "not an integer"
    return None


def _integral_float_fix(value: Value) -> Optional[Fix]:
    """``16.0`` -> ``16``: only a positive, integral float literal written as such."""
    from ..fixing.edits import make_fix, replace_with_code  # loaded with the first fix
    python = value.python
    if not (value.literal and isinstance(value.node, ast.Constant) and isinstance(python, float)
            and python.is_integer() and python > 0):
        return None
    return make_fix(FixSafety.SAFE, f"write the rank as the integer {int(python)}",
                    replace_with_code(value, str(int(python))))


def _consequence(call: CallSite, rank: object, problem: str) -> str:
    shown = repr(rank)
    if call.role == UNSLOTH_PEFT:
        if problem == "not an integer" or type(rank) is not int:
            return f"Unsloth raises 'TypeError: Unsloth: Rank of {rank} must be an integer.'"
        return f"Unsloth raises 'TypeError: Unsloth: Rank of {rank} must be larger than 0.'"
    if problem == "not positive" and is_number(rank) and not isinstance(rank, bool):
        return ("get_peft_model raises 'ValueError: `r` should be a positive integer value "
                f"but the value passed is {rank}'")
    return f"PEFT cannot build LoRA matrices of rank {shown} (get_peft_model raises a TypeError)"


@register
class InvalidRank(Rule):
    """
    ## What it does
    Flags a LoRA rank `r` (or a `rank_pattern` value) that is zero, negative or not an
    integer, in `LoraConfig(...)` and Unsloth's `get_peft_model(...)`.

    ## Why is this bad?
    `LoraConfig` does not validate `r`; the error comes later. `get_peft_model` raises
    ``ValueError: `r` should be a positive integer value but the value passed is 0`` for a
    rank <= 0, and a float rank fails when torch builds the LoRA matrices. Unsloth checks
    first: `TypeError: Unsloth: Rank of 16.0 must be an integer.` /
    `TypeError: Unsloth: Rank of 0 must be larger than 0.`

    ## Example
    ```python
    config = LoraConfig(r=16.0, lora_alpha=32, target_modules=["q_proj", "v_proj"])
    ```

    ## How to fix
    Use a positive integer, typically 8, 16, 32 or 64 (`r=16`).

    ## Fix safety
    Safe: an integral float literal (`16.0`) is rewritten as the same integer (`16`).
    Other values have no automatic fix.
    """

    code = "LOR201"
    name = "invalid-lora-rank"
    summary = "LoRA rank r is not a positive integer"
    fix_safety = FixSafety.SAFE

    VALID = (
        """
        from peft import LoraConfig
        config = LoraConfig(r=16, lora_alpha=32, rank_pattern={"q_proj": 8})
        """,
        """
        import argparse
        import peft as p
        args = argparse.ArgumentParser().parse_args()
        config = p.LoraConfig(r=args.rank, lora_alpha=2 * args.rank)
        """,
        """
        from unsloth import FastLanguageModel
        RANK = 4 * 4
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(model, r=RANK)
        """,
    )
    INVALID = (
        Invalid("""
        from peft import LoraConfig
        config = LoraConfig(
            r=16.0,  # expect: LOR201
            lora_alpha=32,
            rank_pattern={"q_proj": 0},  # expect: LOR201
        )
        """, fixed="""
        from peft import LoraConfig
        config = LoraConfig(
            r=16,  # expect: LOR201
            lora_alpha=32,
            rank_pattern={"q_proj": 0},  # expect: LOR201
        )
        """),
        Invalid("""
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(model, r=0)  # expect: LOR201
        """, fixed=None),
        Invalid("""
        import peft
        settings = dict(r="8", lora_alpha=16)  # expect: LOR201
        config = peft.LoraConfig(**settings)
        """, fixed=None),
    )

    def check(self, file, context) -> Iterator[Diagnostic]:
        for call, _setup in lora_calls(file):
            argument = call.args.get("r")
            if argument is not None and isinstance(argument.value, Value) \
                    and argument.value.kind == SCALAR:
                rank = argument.value.python
                problem = _problem(rank)
                if problem is not None:
                    yield self.diagnostic(
                        argument.report_span,
                        f"r={rank!r} is {problem}: {_consequence(call, rank, problem)}; "
                        "use a positive integer rank such as r=16",
                        _integral_float_fix(argument.value))
            pattern = call.args.value("rank_pattern")
            if isinstance(pattern, Value) and pattern.is_mapping:
                for key, value in pattern.entries:
                    problem = _problem(value.python) if value.kind == SCALAR else None
                    if problem is None:
                        continue
                    written = call.args.get("rank_pattern")
                    span = value.span if value.literal or written is None else written.report_span
                    yield self.diagnostic(
                        span,
                        f"rank_pattern['{key}'] = {value.python!r} is {problem}: PEFT uses it "
                        f"as the rank of the matching modules and fails in get_peft_model; "
                        "use a positive integer",
                        _integral_float_fix(value))
