from __future__ import annotations

from typing import Iterator

from ..analysis.diagnostics import Diagnostic
from ..analysis.model import UNSLOTH_PEFT
from ..analysis.values import Value
from ._common import accepted_bias, DEFAULT_EMBEDDING_LEAVES, leaf, module_list, peft_fact
from .base import Rule, register


@register
class UnslothSlowPath(Rule):
    """
    ## What it does
    Flags settings of Unsloth's `FastLanguageModel.get_peft_model(...)` that take training off
    Unsloth's fused LoRA kernels:

    * `bias` other than `"none"` (`"all"`, `"lora_only"`);
    * a `target_modules` entry other than `q_proj`, `k_proj`, `v_proj`, `o_proj`, `gate_proj`,
      `up_proj`, `down_proj` (and the embeddings, which Unsloth handles separately) for a model
      whose architecture uses those names: a real module of the model such as `fc1`, or a
      dotted spelling such as `"self_attn.q_proj"` (Unsloth compares whole entries).

    `lora_dropout != 0` also left the fast path in Unsloth releases before 2026.10; since then
    dropout is fused. Which Unsloth a project runs is not visible from one file, so this rule
    does not report dropout.

    ## Why is this bad?
    Training still works but is noticeably slower and uses more memory. Unsloth says so at run
    time: ``Unsloth: bias = `none` is supported for fast patching. You are using bias = all.``
    / `Unsloth: You added custom modules, but Unsloth hasn't optimized for this. Beware - your
    finetuning might be noticeably slower!`, and its patch summary reports 0 patched layers.

    ## Example
    ```python
    model = FastLanguageModel.get_peft_model(
        model, r=16, bias="all",
        target_modules=["self_attn.q_proj", "self_attn.v_proj"],
    )
    ```

    ## How to fix
    Keep `bias="none"` unless trainable biases are needed, and list the plain leaf names
    `q_proj`, `k_proj`, `v_proj`, `o_proj`, `gate_proj`, `up_proj`, `down_proj`.
    """

    code = "LOR205"
    name = "unsloth-slow-path"
    summary = "Unsloth get_peft_model setting that disables the fused LoRA kernels"
    TRIGGERS = {"roles": (UNSLOTH_PEFT,)}  # only Unsloth's get_peft_model is judged

    VALID = (
        """
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(
            model, r=16, bias="none", lora_dropout=0.05,
            target_modules=["q_proj", "k_proj", "v_proj", "o_proj",
                            "gate_proj", "up_proj", "down_proj"],
        )
        """,
        """
        from unsloth import FastLanguageModel
        import sys
        model, tokenizer = FastLanguageModel.from_pretrained(sys.argv[1])
        model = FastLanguageModel.get_peft_model(model, r=16, target_modules=["fc1", "fc2"])
        """,
        """
        from peft import LoraConfig
        config = LoraConfig(r=16, bias="all", target_modules=["self_attn.q_proj"])
        """,
    )
    INVALID = (
        """
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(
            model,
            r=16,
            bias="all",  # expect: LOR205
            target_modules=["self_attn.q_proj", "v_proj"],  # expect: LOR205
        )
        """,
    )

    def check(self, file, context) -> Iterator[Diagnostic]:
        fast_modules = frozenset(peft_fact("unsloth_fast_lora_modules"))
        for call in file.calls_with_role(UNSLOTH_PEFT):
            if call.name != "FastLanguageModel.get_peft_model":
                continue  # FastModel/FastVisionModel take another code path
            bias = call.args.get("bias")
            if bias is not None and isinstance(bias.value, Value) \
                    and accepted_bias(bias.value.python) and bias.value.python != "none":
                yield self.diagnostic(
                    bias.report_span,
                    f"bias={bias.value.python!r} takes Unsloth off its fused LoRA kernels "
                    "('Unsloth: bias = `none` is supported for fast patching ... causing a "
                    "performance hit'); use bias=\"none\" unless you need trainable biases")
            targets = module_list(call, "target_modules")
            setup = file.setup_of(call)
            if targets is None or setup is None:
                continue
            match = context.model_match(setup)
            architecture = match.architecture if match is not None else None
            if architecture is None or not architecture.llama_style_names:
                continue
            real_leaves = architecture.valid_leaves()
            for item in targets.strings():
                name = item.python
                name_leaf = leaf(name)
                if name in fast_modules or name_leaf in DEFAULT_EMBEDDING_LEAVES \
                        or name_leaf not in real_leaves:
                    continue  # fast, an embedding (LOR101), or not a module at all (LOR103)
                if name_leaf in fast_modules:
                    advice = f"write the plain leaf name '{name_leaf}'"
                else:
                    advice = ("drop it unless you need it, or accept the slowdown")
                yield self.diagnostic(
                    item.span,
                    f"'{name}' in target_modules is not one of Unsloth's fused LoRA modules "
                    "(q/k/v/o_proj, gate/up/down_proj): Unsloth prints 'You added custom "
                    "modules, but Unsloth hasn't optimized for this' and trains noticeably "
                    f"slower; {advice}")
