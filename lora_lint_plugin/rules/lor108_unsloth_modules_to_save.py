from __future__ import annotations

from typing import Iterator

from ..analysis.diagnostics import Diagnostic
from ..analysis.model import UNSLOTH_PEFT
from ._common import DEFAULT_EMBEDDING_LEAVES, leaf, module_list
from .base import Rule, register

# The names FastLanguageModel.get_peft_model lets through; every norm layer is allowed too.
ALLOWED = DEFAULT_EMBEDDING_LEAVES  # Unsloth accepts the embeddings (and norm layers) only
CHECKED_CALL = "FastLanguageModel.get_peft_model"


def allowed(entry: str) -> bool:
    name = leaf(entry)
    return name in ALLOWED or "norm" in name.lower()


@register
class UnslothModulesToSave(Rule):
    """
    ## What it does
    Flags a `modules_to_save` entry of Unsloth's `FastLanguageModel.get_peft_model` that is
    not `lm_head`, `embed_tokens` or a normalization layer.

    ## Why is this bad?
    Unsloth refuses it before any training starts: `TypeError: Unsloth: Module = score is not
    allowed. Only 'lm_head', 'embed_tokens' and normalization layers (e.g. 'input_layernorm',
    'norm') are allowed. To fully train other modules, load and call get_peft_model through
    FastModel.` (releases before 2026.10 allowed only the two embeddings).

    ## Example
    ```python
    model = FastLanguageModel.get_peft_model(model, r=16, modules_to_save=["score"])
    ```

    ## How to fix
    Drop the entry, or load the model with `FastModel.from_pretrained` and call
    `FastModel.get_peft_model`, which accepts other modules.
    """

    code = "LOR108"
    name = "unsloth-modules-to-save"
    summary = "modules_to_save entry that Unsloth's FastLanguageModel rejects with a TypeError"
    TRIGGERS = {"arguments": ("modules_to_save",)}  # only a modules_to_save list is judged

    VALID = (
        """
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(
            model, r=16, modules_to_save=["lm_head", "embed_tokens", "model.norm",
                                          "input_layernorm"])
        """,
        """
        from unsloth import FastModel
        model, tokenizer = FastModel.from_pretrained("unsloth/gemma-3-4b-it")
        model = FastModel.get_peft_model(model, r=16, modules_to_save=["multi_modal_projector"])
        """,
        """
        from peft import LoraConfig
        config = LoraConfig(target_modules=["q_proj"], modules_to_save=["score"])
        """,
        """
        import unsloth as u
        import sys
        model, tokenizer = u.FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = u.FastLanguageModel.get_peft_model(model, r=16, modules_to_save=sys.argv[1:])
        """,
    )
    INVALID = (
        """
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(
            model, r=16,
            modules_to_save=["lm_head", "score"],  # expect: LOR108
        )
        """,
        """
        import unsloth as u
        SAVE = ("embed_tokens", "classifier")  # expect: LOR108
        model, tokenizer = u.FastLanguageModel.from_pretrained("unsloth/Qwen2.5-7B")
        model = u.FastLanguageModel.get_peft_model(model, r=16, modules_to_save=SAVE)
        """,
    )

    def check(self, file, context) -> Iterator[Diagnostic]:
        for call in file.calls_with_role(UNSLOTH_PEFT):
            if call.name != CHECKED_CALL:
                continue  # FastModel/FastVisionModel accept other modules
            saved = module_list(call, "modules_to_save")
            if saved is None:
                continue
            for item in saved.strings():
                if allowed(item.python):
                    continue
                yield self.diagnostic(
                    item.span,
                    f"'{item.python}' in modules_to_save: FastLanguageModel.get_peft_model "
                    f"raises 'TypeError: Unsloth: Module = {item.python} is not allowed' (only "
                    "lm_head, embed_tokens and norm layers are); drop it, or load and call "
                    "get_peft_model through FastModel to train other modules fully")
