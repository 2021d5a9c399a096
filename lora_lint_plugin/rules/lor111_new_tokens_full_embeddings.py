from __future__ import annotations

from typing import Iterator, List

from ..analysis.diagnostics import Diagnostic
from ..analysis.model import LORA_CONFIG
from ._chat_templates import adds_only_existing_tokens
from ._vocabulary import extends_vocabulary
from ._common import absent_or_none, embedding_leaves, is_unsloth_setup, leaf, module_list
from .base import Rule, register


@register
class NewTokensFullEmbeddings(Rule):
    """
    ## What it does
    Flags a PEFT `LoraConfig` that trains the embeddings through `modules_to_save` (full
    trainable copies of the matrices) or through `target_modules` (low-rank LoRA on the
    embedding, but PEFT then writes the full matrices into the adapter file) in a file that
    adds tokens (`add_tokens`, `add_special_tokens`, `resize_token_embeddings`), when
    `trainable_token_indices` is not set.

    ## Why is this bad?
    Adding a handful of tokens only needs their rows trained. `trainable_token_indices`
    (PEFT >= 0.15) trains and saves just those rows: measured on a small Llama, a 0.56 MB
    adapter instead of 8.9 MB with `modules_to_save`; on Llama-3-8B the full matrices are
    2.1 GB in bf16 plus their optimizer states. TRL's `SFTTrainer` uses it itself for tokens
    added by a cloned chat template.

    Only PEFT's `LoraConfig` is checked: Unsloth's `get_peft_model` has no
    `trainable_token_indices` path. Tokens the model's tokenizer already has (Llama 3.1's
    `<|finetune_right_pad_id|>`, Qwen's `<|im_end|>`; `catalog/data/tokenizer_tokens.json`) add
    no rows: a file that only "adds" such tokens is not reported. Nor is a file that resizes
    the embeddings to a tokenizer loaded from another source than the model (a merged, extended
    vocabulary: Chinese-LLaMA adds 23,296 tokens to Llama-2's 32,000): its new rows are as many
    as that tokenizer has beyond the model's, which the file does not show, and training the
    whole matrices is then the method, not a handful of rows.

    ## Example
    ```python
    tokenizer.add_special_tokens({"additional_special_tokens": ["<tool>"]})
    model.resize_token_embeddings(len(tokenizer))
    config = LoraConfig(target_modules=["q_proj", "v_proj"],
                        modules_to_save=["embed_tokens", "lm_head"])
    ```

    ## How to fix
    Pass the new token ids instead:
    `LoraConfig(..., trainable_token_indices=tokenizer.convert_tokens_to_ids(new_tokens))`
    (a dict `{"embed_tokens": ids, "lm_head": ids}` for untied output layers), and drop the
    embeddings from `modules_to_save`/`target_modules`.
    """

    code = "LOR111"
    name = "new-tokens-full-embeddings"
    summary = "New tokens trained by full embedding matrices instead of trainable_token_indices"
    TRIGGERS = {"signals": ("token_additions",)}  # only files that add tokens

    VALID = (
        """
        from peft import LoraConfig
        tokenizer.add_tokens(["<tool>"])
        ids = tokenizer.convert_tokens_to_ids(["<tool>"])
        config = LoraConfig(target_modules=["q_proj", "v_proj"], trainable_token_indices=ids)
        """,
        """
        from peft import LoraConfig
        config = LoraConfig(target_modules=["q_proj", "v_proj"], modules_to_save=["lm_head"])
        """,
        """
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        tokenizer.add_special_tokens({"additional_special_tokens": ["<tool>"]})
        model = FastLanguageModel.get_peft_model(
            model, r=16, target_modules=["q_proj", "v_proj"],
            modules_to_save=["embed_tokens", "lm_head"])
        """,
        """
        # the pad token is already one of Llama 3.1's special tokens: nothing is added
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM, AutoTokenizer
        tokenizer = AutoTokenizer.from_pretrained("meta-llama/Llama-3.1-8B")
        model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-3.1-8B")
        tokenizer.add_special_tokens({"pad_token": "<|finetune_right_pad_id|>"})
        config = LoraConfig(target_modules=["q_proj", "v_proj"], modules_to_save=["embed_tokens"])
        model = get_peft_model(model, config)
        """,
        # the embeddings resized to another tokenizer (a vocabulary merged for a new
        # language, tens of thousands of rows): trained in full on purpose
        """
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM, LlamaTokenizer
        tokenizer = LlamaTokenizer.from_pretrained("./merged_tokenizer_hf")
        model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-2-7b-hf")
        model.resize_token_embeddings(len(tokenizer))
        config = LoraConfig(target_modules=["q_proj", "v_proj"],
                            modules_to_save=["embed_tokens", "lm_head"])
        model = get_peft_model(model, config)
        """,
        """
        import peft as p
        import json
        tokenizer.add_tokens(["<tool>"])
        options = json.load(open("peft.json"))
        config = p.LoraConfig(modules_to_save=["embed_tokens"], **options)
        """,
    )
    INVALID = (
        # a config linked to no loader: the file's loader loads the tokenizer's model
        """
        from peft import LoraConfig
        from transformers import AutoModelForCausalLM, AutoTokenizer
        tokenizer = AutoTokenizer.from_pretrained("meta-llama/Llama-2-7b-hf")
        model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-2-7b-hf")
        tokenizer.add_special_tokens({"pad_token": "<pad>"})
        model.resize_token_embeddings(len(tokenizer))
        config = LoraConfig(  # expect: LOR111
            target_modules=["q_proj", "v_proj"], modules_to_save=["embed_tokens"])
        """,
        """
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM, AutoTokenizer
        tokenizer = AutoTokenizer.from_pretrained("meta-llama/Meta-Llama-3-8B")
        model = AutoModelForCausalLM.from_pretrained("meta-llama/Meta-Llama-3-8B")
        tokenizer.add_special_tokens({"additional_special_tokens": ["<tool>"]})
        model.resize_token_embeddings(len(tokenizer))
        config = LoraConfig(  # expect: LOR111
            target_modules=["q_proj", "v_proj"],
            modules_to_save=["embed_tokens", "lm_head"],
        )
        model = get_peft_model(model, config)
        """,
        """
        import peft as p
        tokenizer.add_tokens(["<tool>", "</tool>"])
        config = p.LoraConfig(target_modules=["q_proj", "embed_tokens"])  # expect: LOR111
        """,
    )

    def check(self, file, context) -> Iterator[Diagnostic]:
        if not file.token_additions:
            return
        addition = file.token_additions[0]
        for call in file.calls_with_role(LORA_CONFIG):
            setup = file.setup_of(call)
            if is_unsloth_setup(call, setup):
                continue
            model_id = setup.model_id.python if setup is not None and setup.model_id is not None else None
            if adds_only_existing_tokens(file, model_id):
                continue  # the tokenizer already has every token: no new rows to train
            if extends_vocabulary(file, setup):
                continue  # another tokenizer's vocabulary: the full matrices are the method
            indices = call.args.value("trainable_token_indices")
            if not absent_or_none(indices):
                continue
            match = context.model_match(setup) if setup is not None else None
            embeddings = embedding_leaves(match)
            full: List[str] = []  # modules_to_save: trained and saved as full matrices
            adapted: List[str] = []  # target_modules: LoRA, but saved as full matrices
            for parameter, names in (("modules_to_save", full), ("target_modules", adapted)):
                sequence = module_list(call, parameter)
                if sequence is None:
                    continue
                for item in sequence.strings():
                    name = leaf(item.python)
                    if name in embeddings and name not in full and name not in names:
                        names.append(name)
            if not full and not adapted:
                continue
            from ._embedding_cost import embedding_cost_phrase  # loaded with the first report

            cost = embedding_cost_phrase(call, setup, match)
            yield self.diagnostic(
                call.head_span,
                f"tokens are added in this file ({addition.detail} on line "
                f"{addition.span.line}) but {_how_trained(full, adapted)}{cost}; set "
                "trainable_token_indices to the new token ids (peft >= 0.15) to train and save "
                "only their rows")


def _names(names: List[str]) -> str:
    return " and ".join(f"'{name}'" for name in names)


def _how_trained(full: List[str], adapted: List[str]) -> str:
    """modules_to_save entries are full trainable copies; target_modules entries get low-rank
    LoRA, but PEFT writes the full matrices into the adapter file."""
    parts = []
    if full:
        verb = "are" if len(full) > 1 else "is"
        parts.append(f"{_names(full)} {verb} trained and saved as full matrices (modules_to_save)")
    if adapted:
        verb = "get" if len(adapted) > 1 else "gets"
        parts.append(f"{_names(adapted)} {verb} LoRA adapters whose adapter file also stores the "
                     "full embedding matrices (target_modules)")
    return "; ".join(parts)
