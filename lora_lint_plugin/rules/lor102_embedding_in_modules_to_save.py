from __future__ import annotations

from typing import Iterator

from ..analysis.diagnostics import Diagnostic, FixSafety
from ._common import (
    embedding_leaves,
    embedding_removal_advice,
    is_unsloth_setup,
    leaf,
    listed_modules,
    may_lower_embedding_learning_rate,
)
from ._vocabulary import extends_vocabulary
from .base import YAML, Invalid, Rule, register


@register
class EmbeddingInModulesToSave(Rule):
    """
    ## What it does
    Flags an input or output embedding (`embed_tokens`, `lm_head`, or the architecture's own
    names such as `wte`) listed in `modules_to_save` of a LoRA call.

    ## Why is this bad?
    `modules_to_save` is not LoRA: PEFT wraps the module in a `ModulesToSaveWrapper`, keeps the
    frozen original *and* a full trainable copy, and writes that copy whole into the adapter
    file. Unsloth does the same (its `get_peft_model` trains these two names as full matrices).
    For Llama-3-8B one embedding matrix is 128,256 x 4,096 = 525 M parameters: 1.05 GB in bf16
    per matrix in the adapter, plus its gradient and AdamW's two fp32 moments (transformers keeps
    32-bit optimizer state for embeddings even with 8-bit optimizers) in GPU memory.
    The usual reason, Unsloth's "Untrained tokens found" error on a base model, is better solved
    by training the Instruct variant of the model; new tokens are better served by
    `trainable_token_indices`.

    The rule is silent when the same setup sets an `embedding_learning_rate` lower than the
    learning rate: that is deliberate continued pretraining. It is also silent when that cannot
    be ruled out: the trainer is `UnslothTrainer` but its arguments are not visible (a launcher
    passing `--embedding_learning_rate`, argparse, an argument dataclass), or there is no
    trainer in the file and it names `embedding_learning_rate` or `UnslothTrainingArguments`.
    A linked `Trainer`/`SFTTrainer` settles it: only `UnslothTrainer` reads an embedding
    learning rate. The Instruct model is suggested only for a base checkpoint known to have one.

    It is silent, too, when the file resizes the embeddings to a tokenizer loaded from another
    source than the model (`model.resize_token_embeddings(len(tokenizer))`, the tokenizer from
    its own path or option): that is a vocabulary extension (Chinese-LLaMA merges 23,296
    Chinese tokens into Llama-2's 32,000), whose new rows, as many as the file does not show,
    are learnt by training the whole matrices on purpose; neither the Instruct model nor
    `trainable_token_indices` for a few tokens applies. A tokenizer loaded from the model's id
    or from the same expression is the model's own.

    ## Example
    ```python
    config = LoraConfig(r=16, target_modules=["q_proj", "v_proj"],
                        modules_to_save=["embed_tokens", "lm_head"])
    ```

    ## How to fix
    Remove the embedding names from `modules_to_save`: train the Instruct model for chat
    templates, or use `trainable_token_indices` (PEFT >= 0.15) to train only the rows of new
    tokens. For deliberate continued pretraining, set a lower `embedding_learning_rate` with
    `UnslothTrainer`/`UnslothTrainingArguments`.

    ## Fix safety
    Unsafe (it changes what gets trained), and only in YAML configs: the embedding names are
    removed from the list (the whole setting when nothing else is in it), comments and layout
    kept. Python code gets no automatic fix.
    """

    code = "LOR102"
    name = "embedding-in-modules-to-save"
    summary = "Embedding matrix in modules_to_save: a full copy is trained and saved in the adapter"
    TRIGGERS = {"arguments": ("modules_to_save",)}  # only a modules_to_save list is judged
    fix_safety = FixSafety.UNSAFE

    VALID = (
        """
        from peft import LoraConfig
        config = LoraConfig(r=16, target_modules=["q_proj", "v_proj"],
                            modules_to_save=["score"])
        """,
        """
        from unsloth import FastLanguageModel, UnslothTrainer, UnslothTrainingArguments
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(
            model, r=16, target_modules=["q_proj", "v_proj"],
            modules_to_save=["embed_tokens", "lm_head"])
        trainer = UnslothTrainer(
            model=model,
            args=UnslothTrainingArguments(learning_rate=5e-5, embedding_learning_rate=5e-6),
        )
        """,
        # Continued pretraining whose arguments come from the command line (a launcher
        # passes --embedding_learning_rate): unknown, so not read as "no lower rate".
        """
        from unsloth import FastLanguageModel, UnslothTrainer, UnslothTrainingArguments
        from transformers import HfArgumentParser
        (arguments,) = HfArgumentParser(UnslothTrainingArguments).parse_args_into_dataclasses()
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(
            model, r=16, target_modules=["q_proj", "v_proj", "embed_tokens", "lm_head"],
            modules_to_save=["embed_tokens", "lm_head"])
        trainer = UnslothTrainer(model=model, args=arguments)
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
        import sys
        extra = sys.argv[1:]
        config = p.LoraConfig(r=16, target_modules=["q_proj"], modules_to_save=extra)
        """,
        """
        class LoraConfig:  # a local class, not PEFT's
            def __init__(self, **kwargs):
                self.kwargs = kwargs
        config = LoraConfig(modules_to_save=["lm_head"])
        """,
    )
    INVALID = (
        # the model's own tokenizer with one added token: no vocabulary extension
        Invalid("""
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM, AutoTokenizer
        MODEL = "meta-llama/Llama-2-7b-hf"
        tokenizer = AutoTokenizer.from_pretrained(MODEL)
        model = AutoModelForCausalLM.from_pretrained(MODEL)
        tokenizer.add_special_tokens({"pad_token": "<pad>"})
        model.resize_token_embeddings(len(tokenizer))
        config = LoraConfig(target_modules=["q_proj", "v_proj"],
                            modules_to_save=["lm_head"])  # expect: LOR102
        model = get_peft_model(model, config)
        """, fixed=None),
        Invalid("""
        from peft import LoraConfig
        config = LoraConfig(
            r=16,
            target_modules=["q_proj", "v_proj"],
            modules_to_save=["embed_tokens"],  # expect: LOR102
        )
        """, fixed=None),
        Invalid("""
        import peft as p
        from transformers import AutoModelForCausalLM
        SAVE = [
            "embed_tokens",  # expect: LOR102
            "lm_head",  # expect: LOR102
        ]
        model = AutoModelForCausalLM.from_pretrained("meta-llama/Meta-Llama-3-8B")
        model = p.get_peft_model(model, p.LoraConfig(target_modules=["q_proj"], modules_to_save=SAVE))
        """, fixed=None),
        Invalid("""
        from unsloth import FastLanguageModel
        from trl import SFTTrainer
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(
            model, r=16, target_modules=["q_proj", "v_proj"],
            modules_to_save=["lm_head"],  # expect: LOR102
        )
        trainer = SFTTrainer(model=model, train_dataset=dataset)
        """, fixed=None),
        Invalid("""
        base_model: NousResearch/Meta-Llama-3-8B
        adapter: lora
        lora_r: 32
        lora_alpha: 16
        lora_target_linear: true
        lora_modules_to_save:
          - embed_tokens  # expect: LOR102
          - lm_head  # expect: LOR102
        sequence_len: 4096  # the special tokens below already exist
        special_tokens:
          pad_token: <|end_of_text|>
        """, fixed="""
        base_model: NousResearch/Meta-Llama-3-8B
        adapter: lora
        lora_r: 32
        lora_alpha: 16
        lora_target_linear: true
        sequence_len: 4096  # the special tokens below already exist
        special_tokens:
          pad_token: <|end_of_text|>
        """, language=YAML),
        Invalid("""
        model_name_or_path: Qwen/Qwen2.5-7B-Instruct
        stage: sft
        finetuning_type: lora
        lora_target: all
        additional_target: "embed_tokens,lm_head,score"  # expect: LOR102, LOR102
        template: qwen
        """, fixed="""
        model_name_or_path: Qwen/Qwen2.5-7B-Instruct
        stage: sft
        finetuning_type: lora
        lora_target: all
        additional_target: "score"  # expect: LOR102, LOR102
        template: qwen
        """, language=YAML),
    )

    def check(self, file, context) -> Iterator[Diagnostic]:
        for call, setup, saved in listed_modules(file, "modules_to_save"):
            if may_lower_embedding_learning_rate(file, setup) or extends_vocabulary(file, setup):
                continue
            match = context.model_match(setup) if setup is not None else None
            embeddings = embedding_leaves(match)
            offending = [item for item in saved.strings() if leaf(item.python) in embeddings]
            if not offending:
                continue
            unsloth = is_unsloth_setup(call, setup)
            from ._embedding_cost import embedding_cost_phrase  # loaded with the first report

            cost = embedding_cost_phrase(call, setup, match)
            trainer = "Unsloth" if unsloth else "PEFT"
            argument = call.args.get("modules_to_save")
            # YAML configs only (a Python list gets no fix): the whole setting may go
            from ..fixing.yaml_edits import remove_items  # not imported for Python files without findings

            from ..fixing.edits import make_fix  # loaded with the first fix
            fix = make_fix(FixSafety.UNSAFE, "remove the embedding modules from modules_to_save",
                           remove_items(saved, offending, argument.span if argument else None))
            for item in offending:
                yield self.diagnostic(
                    item.span,
                    f"'{item.python}' in modules_to_save: {trainer} trains a full copy of the "
                    f"embedding matrix and saves it whole in the adapter{cost}; remove it "
                    f"({embedding_removal_advice(match)})", fix)
