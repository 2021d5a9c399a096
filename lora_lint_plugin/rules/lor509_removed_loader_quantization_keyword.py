from __future__ import annotations

from typing import Any, Dict, Iterator

from ..analysis.diagnostics import Diagnostic
from ..analysis.model import MODEL_LOAD, PEFT_LOAD, CallSite
from ._common import peft_fact, written_callee
from .base import Rule, register


def _transformers_loader(call: CallSite) -> bool:
    """A ``from_pretrained`` that ends in transformers' own: its model classes, and PEFT's
    ``AutoPeftModel*`` (which hands its keywords to the base model's ``from_pretrained``).
    Unsloth's loaders take ``load_in_4bit`` themselves."""
    if call.is_unsloth or not call.name.endswith(".from_pretrained"):
        return False
    if call.role == MODEL_LOAD:
        return call.library == "transformers"
    return call.role == PEFT_LOAD and call.name.startswith("AutoPeftModel")


@register
class RemovedLoaderQuantizationKeyword(Rule):
    """
    ## What it does
    Flags `load_in_4bit=` and `load_in_8bit=` passed to a transformers model's
    `from_pretrained` (`AutoModelForCausalLM`, `LlamaForCausalLM`, ...; also PEFT's
    `AutoPeftModelForCausalLM.from_pretrained`, which passes them on). transformers 5.0
    removed both keywords: up to 4.57 `from_pretrained` took them (deprecated in favour of
    `quantization_config`); from 5.0 they fall through to the model class's constructor.
    Unsloth's `FastLanguageModel.from_pretrained(load_in_4bit=True)` is Unsloth's own keyword
    and is not reported. Like every rule, it looks at LoRA fine-tuning code (files that use
    PEFT, Unsloth or TRL), not at every `from_pretrained`, and not in a branch no run takes
    (`if False:`, as Unsloth's notebooks park their AutoPeftModel alternative; see
    docs/linking.md). The facts,
    read from transformers' released sources, are in
    `catalog/data/peft_lora_config.json` (`transformers_removed_loader_keywords`).

    The check follows the transformers version the code states it runs with, as LOR507 does
    (docs/versions.md): with no pin it is reported (users install the current transformers)
    and the message says that nothing is pinned; a pin whose every version is 5.0 or later is
    named in the message; a pin that also allows 4.x is named as breaking on upgrade; a pin
    older than 5.0 (`transformers==4.46.3`), or one that cannot be placed among releases,
    keeps it silent.

    ## Why is this bad?
    The load fails with `TypeError: LlamaForCausalLM.__init__() got an unexpected keyword
    argument 'load_in_4bit'`, and only after the checkpoint has been downloaded: on a rented
    GPU, tens of gigabytes of download for a crash. QLoRA tutorials from 2023-2024 write the
    4-bit load this way.

    ## Example
    ```python
    from transformers import AutoModelForCausalLM
    model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-3.1-8B", load_in_4bit=True)
    ```

    ## How to fix
    Pass a `BitsAndBytesConfig` (from transformers) as `quantization_config`, with the other
    bitsandbytes options beside it:
    ```python
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig
    model = AutoModelForCausalLM.from_pretrained(
        "meta-llama/Llama-3.1-8B",
        quantization_config=BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4"),
    )
    ```
    or pin the transformers release the code was written for (`transformers<5`).

    ## Fix safety
    No automatic fix: the new form needs an import, and `bnb_4bit_*` settings written
    elsewhere belong in the same config object.
    """

    code = "LOR509"
    name = "removed-loader-quantization-keyword"
    summary = "from_pretrained(load_in_4bit=/load_in_8bit=) that transformers 5 rejects (TypeError)"
    # Only a call passing one of the removed keywords. Written out, not read from the data
    # here (that would parse it on import); tests/test_rule_triggers.py holds them equal.
    TRIGGERS = {"arguments": ("load_in_4bit", "load_in_8bit")}

    VALID = (
        """
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM, BitsAndBytesConfig
        model = AutoModelForCausalLM.from_pretrained(
            "meta-llama/Llama-3.1-8B", quantization_config=BitsAndBytesConfig(load_in_4bit=True))
        model = get_peft_model(model, LoraConfig(r=16, target_modules="all-linear"))
        """,
        """
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained(
            "unsloth/Meta-Llama-3.1-8B-Instruct", max_seq_length=2048, load_in_4bit=True)
        model = FastLanguageModel.get_peft_model(model, r=16)
        """,
        """
        # /// script
        # dependencies = ["transformers==4.46.3", "peft"]
        # ///
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-3.1-8B", load_in_8bit=True)
        model = get_peft_model(model, LoraConfig(r=16, target_modules="all-linear"))
        """,
        """
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/Llama-3.2-1B-Instruct")
        model = FastLanguageModel.get_peft_model(model, r=16)
        if False:
            from peft import AutoPeftModelForCausalLM
            model = AutoPeftModelForCausalLM.from_pretrained("lora_model", load_in_4bit=True)
        """,
    )

    INVALID = (
        """
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained(
            "meta-llama/Llama-3.1-8B",
            load_in_4bit=True,  # expect: LOR509
            device_map="auto",
        )
        model = get_peft_model(model, LoraConfig(r=16, target_modules="all-linear"))
        """,
        """
        from peft import AutoPeftModelForCausalLM
        model = AutoPeftModelForCausalLM.from_pretrained("outputs/checkpoint-60", load_in_8bit=True)  # expect: LOR509
        """,
        """
        # /// script
        # dependencies = ["transformers>=4.40", "peft"]
        # ///
        import transformers
        from peft import LoraConfig, get_peft_model
        model = transformers.LlamaForCausalLM.from_pretrained(
            "meta-llama/Llama-2-7b-hf", load_in_8bit=True)  # expect: LOR509
        model = get_peft_model(model, LoraConfig(r=8, target_modules=["q_proj", "v_proj"]))
        """,
    )

    def check(self, file, context) -> Iterator[Diagnostic]:
        if file.config is not None:
            return
        removed: Dict[str, Any] = peft_fact("transformers_removed_loader_keywords")["keywords"]
        for call in file.calls:
            if not _transformers_loader(call):
                continue
            from ._versions import removed_keywords_passed  # loaded with transformers' first loader

            for keyword, argument, change, status in removed_keywords_passed(
                    file, call, "transformers", removed):
                yield self.diagnostic(
                    argument.span,
                    f"transformers {change['removed']} removed from_pretrained's {keyword}: "
                    f"{written_callee(call)}(..., {keyword}=...) raises 'TypeError: ...__init__() got an "
                    f"unexpected keyword argument '{keyword}'' after downloading the "
                    f"checkpoint; pass {change['replacement']} (from transformers) instead"
                    f"{status.pin_note('reject it')}")
