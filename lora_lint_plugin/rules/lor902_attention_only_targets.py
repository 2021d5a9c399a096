"""LOR902 (opt-in): only ``q_proj`` and ``v_proj`` adapted on a Llama-style model."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from ..analysis.diagnostics import Diagnostic
from ..analysis.model import UNSLOTH_PEFT, CallSite, FileModel
from ._common import count, leaf, listed_modules
from .base import Rule, RuleContext, register
from ._training import is_whole_number

if TYPE_CHECKING:  # pragma: no cover
    from ..catalog import ModelMatch

ATTENTION_ONLY = frozenset({"q_proj", "v_proj"})
# Default ranks when ``r`` is not passed.
DEFAULT_RANK = {"LoraConfig": 8}
UNSLOTH_DEFAULT_RANK = 16


def _lora_parameters(match: "ModelMatch", targets: list, rank: int) -> int:
    """LoRA parameters PEFT creates for ``targets`` at ``rank`` (the estimator's counter); 0 when
    PEFT would reject the targets."""
    from ..estimate.params import EstimateError, LoraSpec, count_parameters

    try:
        return count_parameters(match.entry, LoraSpec(r=rank, target_modules=tuple(targets)),
                                modules=match.modules()).lora
    except EstimateError:
        return 0


def _parameters_phrase(call: CallSite, match: "ModelMatch", targets: list) -> str:
    """`` (r=16: 6.8 M trainable parameters instead of 41.9 M)`` when the rank is known."""
    default = UNSLOTH_DEFAULT_RANK if call.role == UNSLOTH_PEFT else DEFAULT_RANK.get(call.name)
    rank = call.args.plain("r", default)
    if not is_whole_number(rank) or rank <= 0:
        return ""
    rank = int(rank)
    now = _lora_parameters(match, targets, rank)
    full = _lora_parameters(match, list(match.standard_target_modules), rank)
    if not now or full <= now:
        return ""
    return f" (r={rank}: {count(now)} trainable parameters instead of {count(full)})"


@register
class AttentionOnlyTargets(Rule):
    """
    ## What it does
    Reports `target_modules` that name only `q_proj` and `v_proj` on a model whose layers use
    Llama-style names (Llama, Mistral, Qwen, Gemma, ...). Opt-in: select `LOR9` or `LOR902`.

    ## Why is this bad?
    It is PEFT's old default from the original LoRA paper. The QLoRA paper found that adapting
    every linear layer is what matches full fine-tuning quality, and Unsloth's default (and
    most current recipes) are the seven projections `q_proj, k_proj, v_proj, o_proj,
    gate_proj, up_proj, down_proj`. Attention-only LoRA leaves the MLP, where most of the
    parameters are, frozen.

    ## Example
    ```python
    config = LoraConfig(r=16, target_modules=["q_proj", "v_proj"])
    ```

    ## How to fix
    List all seven projections, or pass `target_modules="all-linear"` to PEFT.

    ## Fix safety
    No automatic fix: it changes what is trained and the adapter's size.
    """

    code = "LOR902"
    name = "attention-only-targets"
    summary = "Only q_proj and v_proj adapted on a Llama-style model"
    default_enabled = False

    VALID = (
        """
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-Instruct")
        model = FastLanguageModel.get_peft_model(model, r=16, target_modules=[
            "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
        """,
        # Unknown model: whether the names are Llama-style is not known.
        """
        from peft import LoraConfig
        config = LoraConfig(r=16, target_modules=["q_proj", "v_proj"])
        """,
        # GPT-2 has no q_proj; LOR103 is about wrong names, not this rule.
        """
        from transformers import AutoModelForCausalLM
        from peft import LoraConfig, get_peft_model
        model = AutoModelForCausalLM.from_pretrained("gpt2")
        model = get_peft_model(model, LoraConfig(r=8, target_modules=["c_attn"]))
        """,
    )
    INVALID = (
        """
        from transformers import AutoModelForCausalLM
        from peft import LoraConfig, get_peft_model
        model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-3.1-8B-Instruct")
        config = LoraConfig(r=16, target_modules=["q_proj", "v_proj"])  # expect: LOR902
        model = get_peft_model(model, config)
        """,
    )

    def check(self, file: FileModel, context: RuleContext) -> Iterator[Diagnostic]:
        for call, setup, targets in listed_modules(file, "target_modules"):
            if setup is None:
                continue
            names = [item.python for item in targets.items]
            if not all(isinstance(name, str) for name in names) \
                    or {leaf(name) for name in names} != ATTENTION_ONLY:
                continue
            match = context.model_match(setup)
            if match is None or match.architecture is None \
                    or not match.architecture.llama_style_names:
                continue
            recommended = ", ".join(match.standard_target_modules)
            yield self.diagnostic(
                targets.span,
                f"only q_proj and v_proj are adapted on {match.hub_id}: attention-only LoRA "
                f"leaves the MLP frozen{_parameters_phrase(call, match, names)}; adapting every "
                f"linear projection ({recommended}) is the common recommendation",
                None)
