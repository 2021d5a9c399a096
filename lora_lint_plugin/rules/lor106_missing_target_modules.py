from __future__ import annotations

from typing import Iterator

from ..analysis.diagnostics import Diagnostic
from ..analysis.model import LORA_CONFIG
from ..catalog.module_names import peft_default_targets
from ._common import absent_or_none, is_unsloth_setup
from .base import Rule, register


@register
class MissingTargetModules(Rule):
    """
    ## What it does
    Flags a PEFT `LoraConfig` without `target_modules` (or with `target_modules=None`) and
    without `target_parameters`, when the model it is applied to is known.

    ## Why is this bad?
    PEFT then looks the model's `model_type` up in its own table
    (`TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING`). Many current architectures are
    not in it (Phi-3/Phi-4, Qwen3-MoE, gpt-oss, Gemma 3 multimodal, Granite, OLMo 2, ...):
    `get_peft_model` raises `` Please specify `target_modules` or `target_parameters`in
    `peft_config` ``. For the ones that are (Llama, Mistral, Qwen2/3, Gemma), the default is
    only `q_proj` and `v_proj`: attention-only LoRA, much weaker than the attention + MLP set
    that Unsloth and most recipes use, and easy to miss because nothing is printed.

    Models known only by their family (a checkpoint the catalog does not list, such as
    `tiiuae/falcon-7b` or `baichuan-inc/Baichuan2-7B-Chat`) are checked by their `model_type`
    against PEFT's table; the message then names no target list. Unsloth's `get_peft_model` has
    its own default (all seven projections) and is not checked; nor are unknown models.

    ## Example
    ```python
    model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-3.1-8B")
    model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32))
    ```

    ## How to fix
    List the modules: `target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
    "up_proj", "down_proj"]` for Llama-style models, or `target_modules="all-linear"`.
    """

    code = "LOR106"
    name = "missing-target-modules"
    summary = "LoraConfig without target_modules: PEFT's default is q_proj/v_proj or an error"

    VALID = (
        """
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-3.1-8B")
        model = get_peft_model(model, LoraConfig(r=16, target_modules="all-linear"))
        """,
        """
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("my-org/private-model")
        model = get_peft_model(model, LoraConfig(r=16))
        """,
        """
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        import json
        settings = json.load(open("lora.json"))
        model = AutoModelForCausalLM.from_pretrained("microsoft/phi-4")
        model = get_peft_model(model, LoraConfig(r=16, **settings))
        """,
        """
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/Llama-3.2-1B-Instruct")
        model = FastLanguageModel.get_peft_model(model, r=16)
        """,
        """
        import peft as p
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("openai/gpt-oss-20b")
        config = p.LoraConfig(r=8, target_parameters=["mlp.experts.gate_up_proj"])
        model = p.get_peft_model(model, config)
        """,
    )
    INVALID = (
        """
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-3.1-8B")
        model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32))  # expect: LOR106
        """,
        """
        import peft as p
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("microsoft/phi-4")
        config = p.LoraConfig(
            r=16,
            target_modules=None,  # expect: LOR106
        )
        model = p.get_peft_model(model, config)
        """,
        """
        # known by its family only: PEFT has no default for Baichuan's model_type
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("baichuan-inc/Baichuan2-7B-Chat",
                                                     trust_remote_code=True)
        model = get_peft_model(model, LoraConfig(r=8))  # expect: LOR106
        """,
    )

    def check(self, file, context) -> Iterator[Diagnostic]:
        for call in file.calls_with_role(LORA_CONFIG):
            setup = file.setup_of(call)
            if setup is None:
                continue
            targets = call.args.value("target_modules")
            if not absent_or_none(targets) \
                    or not absent_or_none(call.args.value("target_parameters")):
                continue
            unsloth = is_unsloth_setup(call, setup)
            if unsloth and setup.adapter_call is None:
                continue  # SFTTrainer(peft_config=...) under Unsloth: ignored (LOR504)
            identity = context.model_identity(setup)
            if identity is None:
                continue
            match = identity.match
            if match is not None and unsloth and match.override is None \
                    and match.entry.architecture_overrides:
                continue  # Unsloth may load its re-upload with another layout
            if match is not None and match.architecture is not None:
                model = f"{match.architecture.model_type} ({match.hub_id})"
                defaults = match.architecture.peft_default_target_modules
            else:  # known by family: PEFT's table is keyed by the model_type alone
                model = f"{identity.model_type} ({match.hub_id if match else identity.model_id})"
                defaults = peft_default_targets(identity.model_type)
            suggested = list(match.standard_target_modules) if match is not None else []
            advice = (f"set target_modules={suggested}" if suggested
                      else "set target_modules")
            if defaults is None:
                message = (f"LoraConfig without target_modules or target_parameters: PEFT has "
                           f"no default targets for {model} and get_peft_model raises "
                           "'Please specify `target_modules` or `target_parameters`in "
                           f"`peft_config`'; {advice}")
            else:
                message = (f"LoraConfig without target_modules: PEFT's default for {model} is "
                           f"only {list(defaults)}, a small subset of the model's layers; "
                           f"{advice} (or \"all-linear\")")
            argument = call.args.get("target_modules")
            span = argument.report_span if argument is not None else call.head_span
            yield self.diagnostic(span, message)
