"""LOR901 (opt-in): Unsloth ``use_gradient_checkpointing=True`` where ``"unsloth"`` saves memory."""

from __future__ import annotations

from typing import Iterator, Optional

from ..analysis.diagnostics import Diagnostic, FixSafety
from ..analysis.model import MODEL_LOAD, UNSLOTH_PEFT, CallSite, FileModel
from ..analysis.values import Value, is_number
from .base import Invalid, Rule, RuleContext, register
from ._checkpointing import setup_calls, string_like
from ._training import UNSLOTH_DEFAULT_MAX_SEQ_LENGTH

# Below this length Unsloth itself falls back from "unsloth" to standard checkpointing.
UNSLOTH_OFFLOAD_MIN_LENGTH = 512


def _known_short(call: CallSite, file: FileModel) -> bool:
    """The setup's max_seq_length is known to be below 512 (where both modes are the same)."""
    loader: Optional[CallSite] = call if call.role == MODEL_LOAD else None
    if loader is None:
        setup = file.setup_of(call)
        loader = setup.model_load if setup is not None else None
    if loader is None or not loader.is_unsloth:
        return False
    length = loader.args.plain("max_seq_length", UNSLOTH_DEFAULT_MAX_SEQ_LENGTH)
    return is_number(length) and length < UNSLOTH_OFFLOAD_MIN_LENGTH


@register
class UnslothGradientCheckpointingTrue(Rule):
    """
    ## What it does
    Suggests `use_gradient_checkpointing="unsloth"` where an Unsloth `from_pretrained` or
    `get_peft_model` passes `use_gradient_checkpointing=True`. Opt-in: select `LOR9` or
    `LOR901` to enable it.

    ## Why is this bad?
    `True` is the standard checkpointing of transformers. `"unsloth"` (Unsloth's own default)
    additionally offloads the saved activations to CPU RAM asynchronously: about 30% less
    VRAM, or roughly twice the batch size, at nearly the same speed. Below a
    `max_seq_length` of 512 Unsloth falls back to `True` itself, so such setups are not
    reported.

    ## Example
    ```python
    model = FastLanguageModel.get_peft_model(model, r=16, use_gradient_checkpointing=True)
    ```

    ## How to fix
    Pass `use_gradient_checkpointing="unsloth"` (or leave the argument out: it is the default).

    ## Fix safety
    Safe: gradients are the same; only where activations are kept changes. On hosts with very
    little CPU RAM keep `True` and add `# noqa: LOR901`.
    """

    code = "LOR901"
    name = "unsloth-gradient-checkpointing-true"
    summary = "Unsloth use_gradient_checkpointing=True: \"unsloth\" uses ~30% less VRAM"
    default_enabled = False
    fix_safety = FixSafety.SAFE

    VALID = (
        """
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-Instruct")
        model = FastLanguageModel.get_peft_model(model, r=16, use_gradient_checkpointing="unsloth")
        """,
        # Below 512 tokens Unsloth uses standard checkpointing anyway.
        """
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-Instruct",
                                                             max_seq_length=256)
        model = FastLanguageModel.get_peft_model(model, r=16, use_gradient_checkpointing=True)
        """,
        # Not Unsloth: transformers only knows True/False.
        """
        from transformers import TrainingArguments
        args = TrainingArguments(output_dir="out", gradient_checkpointing=True)
        """,
    )
    INVALID = (
        Invalid("""
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-Instruct",
                                                             max_seq_length=4096)
        model = FastLanguageModel.get_peft_model(
            model, r=16,
            use_gradient_checkpointing=True,  # expect: LOR901
        )
        """, fixed="""
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-Instruct",
                                                             max_seq_length=4096)
        model = FastLanguageModel.get_peft_model(
            model, r=16,
            use_gradient_checkpointing="unsloth",  # expect: LOR901
        )
        """),
    )

    def check(self, file: FileModel, context: RuleContext) -> Iterator[Diagnostic]:
        for call in file.calls:
            if not call.is_unsloth or call.role not in (MODEL_LOAD, UNSLOTH_PEFT):
                continue
            argument = call.args.get("use_gradient_checkpointing")
            if argument is None or not isinstance(argument.value, Value) \
                    or argument.value.python is not True:
                continue
            if _known_short(call, file):
                continue
            fix = None
            if argument.value.literal:
                from ..fixing.edits import make_fix, replace_with_code  # loaded with the first fix
                fix = make_fix(FixSafety.SAFE, 'use use_gradient_checkpointing="unsloth"',
                               replace_with_code(argument.value, string_like(
                                   [call] + setup_calls(file.setup_of(call)), "unsloth")))
            yield self.diagnostic(
                argument.report_span,
                'use_gradient_checkpointing=True: "unsloth" (Unsloth\'s default) also offloads '
                "the saved activations to CPU RAM, about 30% less VRAM at nearly the same speed; "
                'use use_gradient_checkpointing="unsloth"',
                fix)
