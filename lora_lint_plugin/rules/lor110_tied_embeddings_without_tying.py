from __future__ import annotations

from typing import Iterator, List

from ..analysis.diagnostics import Diagnostic, FixSafety
from ..analysis.model import ABSENT, LORA_CONFIG
from ..analysis.values import Value
from ._common import embedding_leaves, is_unsloth_setup, leaf, module_list
from .base import Invalid, Rule, register


@register
class TiedEmbeddingsWithoutTying(Rule):
    """
    ## What it does
    Flags a PEFT `LoraConfig` that adapts an embedding (`embed_tokens`, `lm_head`, `wte`, ...
    in `target_modules` or `modules_to_save`) of a checkpoint whose input and output
    embeddings are tied (all Gemma, Llama-3.2-1B/3B, Qwen2.5 up to 3B, SmolLM, GPT-2, ...)
    without `ensure_weight_tying=True`.

    ## Why is this bad?
    Tied checkpoints use one matrix as both the input embedding and the output layer. PEFT
    adapts (or copies, for `modules_to_save`) each side separately, so training produces two
    diverging versions of what must stay one matrix. PEFT warns (`Model has
    tie_word_embeddings=True and a tied layer is part of the adapter, but ensure_weight_tying
    is not set to True`); merges and exports then lose the trained head or reload a re-tied,
    wrong model (peft#2018, peft#2777, transformers#45127). With `ensure_weight_tying=True`
    (PEFT >= 0.18) one shared copy is trained, which also halves its memory.

    Not reported under Unsloth: its `get_peft_model` turns weight tying on by itself
    (2026.10). Tie status is per checkpoint, so unknown models are not reported.

    ## Example
    ```python
    model = AutoModelForCausalLM.from_pretrained("google/gemma-2-2b")
    config = LoraConfig(target_modules=["q_proj", "v_proj"], modules_to_save=["lm_head"])
    ```

    ## How to fix
    Add `ensure_weight_tying=True` to the `LoraConfig` (PEFT >= 0.18), or do not adapt the
    embeddings.

    ## Fix safety
    Safe: adds `ensure_weight_tying=True`, which keeps the tie the checkpoint was built with.
    Not offered when the keyword is given as `False`.
    """

    code = "LOR110"
    name = "tied-embeddings-without-tying"
    summary = "Embedding of a tied-embedding checkpoint adapted without ensure_weight_tying=True"
    TRIGGERS = {"roles": (LORA_CONFIG,)}  # only LoraConfig calls are judged
    fix_safety = FixSafety.SAFE

    VALID = (
        """
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("google/gemma-2-2b")
        config = LoraConfig(target_modules=["q_proj", "v_proj"], modules_to_save=["lm_head"],
                            ensure_weight_tying=True)
        model = get_peft_model(model, config)
        """,
        """
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-3.1-8B")
        config = LoraConfig(target_modules=["q_proj", "v_proj"], modules_to_save=["lm_head"])
        model = get_peft_model(model, config)
        """,
        """
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/Llama-3.2-1B-Instruct")
        model = FastLanguageModel.get_peft_model(
            model, r=16, target_modules=["q_proj", "v_proj"],
            modules_to_save=["embed_tokens", "lm_head"])
        """,
        """
        import peft as p
        from transformers import AutoModelForCausalLM
        import json
        model = AutoModelForCausalLM.from_pretrained("google/gemma-2-2b")
        options = json.load(open("peft.json"))
        model = p.get_peft_model(model, p.LoraConfig(modules_to_save=["lm_head"], **options))
        """,
    )
    INVALID = (
        Invalid("""
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("google/gemma-2-2b")
        config = LoraConfig(  # expect: LOR110
            target_modules=["q_proj", "v_proj"],
            modules_to_save=["lm_head"],
        )
        model = get_peft_model(model, config)
        """, fixed="""
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("google/gemma-2-2b")
        config = LoraConfig(  # expect: LOR110
            target_modules=["q_proj", "v_proj"],
            modules_to_save=["lm_head"],
            ensure_weight_tying=True,
        )
        model = get_peft_model(model, config)
        """),
        Invalid("""
        import peft as p
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("Qwen/Qwen2.5-0.5B-Instruct")
        model = p.get_peft_model(model, p.LoraConfig(  # expect: LOR110
            target_modules=["q_proj", "v_proj", "embed_tokens"]))
        """, fixed="""
        import peft as p
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("Qwen/Qwen2.5-0.5B-Instruct")
        model = p.get_peft_model(model, p.LoraConfig(  # expect: LOR110
            target_modules=["q_proj", "v_proj", "embed_tokens"], ensure_weight_tying=True))
        """),
    )

    def check(self, file, context) -> Iterator[Diagnostic]:
        for call in file.calls_with_role(LORA_CONFIG):
            setup = file.setup_of(call)
            if setup is None or is_unsloth_setup(call, setup):
                continue
            tying = call.args.value("ensure_weight_tying")
            explicit_false = isinstance(tying, Value) and tying.python is False
            if not (tying is ABSENT or explicit_false):
                continue
            match = context.model_match(setup)
            if match is None or not match.entry.tie_word_embeddings:
                continue
            embeddings = embedding_leaves(match)
            adapted: List[str] = []
            for parameter in ("target_modules", "modules_to_save"):
                sequence = module_list(call, parameter)
                if sequence is None:
                    continue
                for item in sequence.strings():
                    name = leaf(item.python)
                    if name in embeddings and name not in adapted:
                        adapted.append(name)
            if not adapted:
                continue
            entry = match.entry
            shape = f"{entry.embedding_module.rows:,} x {entry.embedding_module.cols:,}"
            names = ", ".join(f"'{name}'" for name in adapted)
            message = (f"LoraConfig adapts {names} of {match.hub_id}, whose input and output "
                       f"embeddings are one tied {shape} matrix, without "
                       "ensure_weight_tying=True: PEFT trains separate copies that diverge and "
                       "merging or exporting breaks the tie; set ensure_weight_tying=True "
                       "(peft >= 0.18)")
            if explicit_false:
                argument = call.args.get("ensure_weight_tying")
                yield self.diagnostic(argument.report_span, message)
                continue
            from ..fixing.edits import add_keyword, make_fix  # loaded with the first fix
            fix = make_fix(FixSafety.SAFE, "add ensure_weight_tying=True",
                           add_keyword(call.span, "ensure_weight_tying", "True"))
            yield self.diagnostic(call.head_span, message, fix)
