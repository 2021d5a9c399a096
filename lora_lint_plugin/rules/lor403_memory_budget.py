from __future__ import annotations

from typing import TYPE_CHECKING, Dict, Iterator, List

from ..analysis.diagnostics import Diagnostic
from ._common import size
from .base import Rule, register

if TYPE_CHECKING:
    from ..estimate.setup import SetupEstimate

# The estimator is imported only when a memory budget is set (the rule is off without one).


def _short_labels() -> Dict[str, str]:
    from ..estimate.memory import ACTIVATIONS, BASE_WEIGHTS, LOGITS, LORA_STATE, TRAINED_FULL

    return {
        BASE_WEIGHTS: "base weights",
        LORA_STATE: "LoRA + optimizer",
        TRAINED_FULL: "fully trained modules",
        ACTIVATIONS: "activations",
        LOGITS: "logits",
    }


def _advice(estimate: SetupEstimate) -> str:
    from ..estimate.memory import ACTIVATIONS, BASE_WEIGHTS, LOGITS, TRAINED_FULL

    largest = estimate.memory.largest
    if largest == TRAINED_FULL and estimate.fix_saving is not None:
        saved = estimate.memory.total - estimate.fix_saving[2].total
        return f"remove embed_tokens/lm_head from the adapter (saves {size(saved)})"
    if largest == ACTIVATIONS:
        if estimate.training.gradient_checkpointing == "off":
            return ("enable gradient checkpointing (activations "
                    f"{size(estimate.memory.activations_with_checkpointing)} instead of "
                    f"{size(estimate.memory.parts[ACTIVATIONS])}) or lower the micro-batch")
        return "lower the micro-batch or the sequence length"
    if largest == LOGITS:
        return "lower the micro-batch or use a chunked/fused cross-entropy loss"
    if largest == BASE_WEIGHTS and estimate.training.load_mode != "4bit":
        return "load the model in 4-bit (QLoRA) or use a smaller model"
    return "use a smaller model, micro-batch or sequence length"


@register
class MemoryBudget(Rule):
    """
    ## What it does
    Estimates the peak GPU memory of each LoRA training setup whose model is in lora-lint's
    catalog and reports it when it exceeds the configured budget (`gpu-memory` in
    `[tool.lora-lint]`, `--gpu-memory` on the command line or `--lora-lint-gpu-memory` for
    flake8). Without a budget the rule does nothing.

    The estimate adds up the base weights (4-bit, 8-bit or 16-bit, as loaded), the LoRA
    weights with their gradients and optimizer states, fully trained modules
    (`modules_to_save`, and embeddings Unsloth moves there), the activations kept for the
    backward pass at the configured sequence length and micro-batch, and the logits. Parts
    whose inputs are not known from the code or a library default (an unresolvable sequence
    length, say) are left out, so the rule only reports what it can show. The cost model is
    described in `docs/cost-model.md`; `lora-lint estimate` prints the full breakdown.

    ## Why is this bad?
    The run fails with `CUDA out of memory` after the model was downloaded and loaded, often
    minutes into the first step. The message names the largest part so the right knob is
    turned: trained embedding matrices, activations without gradient checkpointing, or
    full-vocabulary logits.

    ## Example
    With `gpu-memory = "24GB"`:
    ```python
    model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
    model = FastLanguageModel.get_peft_model(
        model, r=16,
        target_modules=["q_proj", "k_proj", "v_proj", "o_proj",
                        "gate_proj", "up_proj", "down_proj", "embed_tokens", "lm_head"],
        use_gradient_checkpointing=False,
    )
    trainer = SFTTrainer(model=model, args=SFTConfig(per_device_train_batch_size=8,
                                                     max_length=4096))
    ```

    ## How to fix
    Follow the advice in the message: drop `embed_tokens`/`lm_head` from the adapter, enable
    gradient checkpointing, lower `per_device_train_batch_size` (raise
    `gradient_accumulation_steps` to keep the effective batch), shorten the sequence length,
    or load the model in 4-bit.
    """

    code = "LOR403"
    name = "memory-budget"
    summary = "Estimated peak GPU memory of the training setup exceeds the configured budget"
    TRIGGERS = {"settings": ("gpu_memory",)}  # only with a memory budget
    EXAMPLE_SETTINGS = {"gpu_memory": 24 * 10**9}

    VALID = (
        """
        from unsloth import FastLanguageModel
        from trl import SFTTrainer, SFTConfig
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(model, r=16)
        trainer = SFTTrainer(model=model, args=SFTConfig(per_device_train_batch_size=2))
        """,
        """
        from transformers import AutoModelForCausalLM
        from peft import LoraConfig, get_peft_model
        model = AutoModelForCausalLM.from_pretrained("my-org/private-model")
        model = get_peft_model(model, LoraConfig(r=16, target_modules="all-linear"))
        """,
    )
    INVALID = (
        """
        from unsloth import FastLanguageModel
        from trl import SFTTrainer, SFTConfig
        model, tokenizer = FastLanguageModel.from_pretrained(  # expect: LOR403
            "unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(
            model, r=16,
            target_modules=["q_proj", "k_proj", "v_proj", "o_proj",
                            "gate_proj", "up_proj", "down_proj", "embed_tokens", "lm_head"],
            use_gradient_checkpointing=False,
        )
        trainer = SFTTrainer(model=model, args=SFTConfig(per_device_train_batch_size=8,
                                                         max_length=4096))
        """,
        """
        from transformers import AutoModelForCausalLM
        from peft import LoraConfig, get_peft_model
        model = AutoModelForCausalLM.from_pretrained(  # expect: LOR403
            "meta-llama/Llama-3.1-70B-Instruct", dtype="bfloat16")
        model = get_peft_model(model, LoraConfig(r=16, target_modules=["q_proj", "v_proj"]))
        """,
    )

    def check(self, file, context) -> Iterator[Diagnostic]:
        budget = context.settings.gpu_memory
        if budget is None:
            return
        from ..estimate.setup import SetupEstimate, estimate_setup

        for setup in file.setups:
            if setup.lora is None or setup.model_id is None:
                continue
            estimate = estimate_setup(setup, file)
            if not isinstance(estimate, SetupEstimate) or estimate.span is None:
                continue
            peak = estimate.certain_memory
            if peak <= budget:
                continue
            yield self.diagnostic(estimate.span, self._message(estimate, peak, budget))

    @staticmethod
    def _message(estimate: SetupEstimate, peak: int, budget: int) -> str:
        from ..estimate.memory import ACTIVATIONS, PART_LABELS, PARTS

        short_labels = _short_labels()
        parts: List[str] = []
        largest = estimate.memory.largest
        for part in PARTS:
            if part in estimate.guessed_parts:
                continue
            value = estimate.memory.parts.get(part, 0)
            if not value:
                continue
            label = short_labels.get(part, PART_LABELS[part])
            parts.append(f"{label} {size(value)}" + (" (largest)" if part == largest else ""))
        training = estimate.training
        if ACTIVATIONS in estimate.guessed_parts:
            context = ("activations and logits not counted: sequence length or micro-batch "
                       "not known statically")
        else:
            context = (f"{training.micro_batch} x {training.sequence_length} tokens, "
                       f"gradient checkpointing {training.gradient_checkpointing}")
        return (f"estimated peak GPU memory {size(peak)} exceeds the {size(budget)} budget for "
                f"{estimate.model_id} ({', '.join(parts)}; {context}); {_advice(estimate)}")
