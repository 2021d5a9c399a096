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
from .base import Invalid, Rule, register


@register
class EmbeddingInTargetModules(Rule):
    """
    ## What it does
    Flags an input or output embedding (`embed_tokens`, `lm_head`, or the architecture's own
    names such as `wte`) listed in `target_modules` of a LoRA call.

    ## Why is this bad?
    The adapter stops being small. Plain PEFT puts LoRA on the embedding, but on save
    (`save_embedding_layers="auto"`) it writes the *full* input and output embedding matrices
    into the adapter file. Unsloth moves both names to `modules_to_save` and trains them as
    full matrices. For Llama-3-8B that is 2 x 128,256 x 4,096 = 1.05 B parameters: 2.1 GB in
    bf16, 4.2 GB in fp32, plus AdamW's states in GPU memory, instead of a ~100 MB adapter.
    The usual reason to add them, Unsloth's "Untrained tokens found" error on a base model,
    is better solved by training the Instruct variant of the model.

    The rule is silent when the same setup sets an `embedding_learning_rate` lower than the
    learning rate: that is deliberate continued pretraining. It is also silent when that cannot
    be ruled out: the trainer is `UnslothTrainer` but its arguments are not visible (a launcher
    passing `--embedding_learning_rate`, argparse, an argument dataclass), or there is no
    trainer in the file and it names `embedding_learning_rate` or `UnslothTrainingArguments`.
    A linked `Trainer`/`SFTTrainer` settles it: only `UnslothTrainer` reads an embedding
    learning rate. The Instruct model is suggested only for a base checkpoint known to have one.

    It is silent, too, when the file resizes the embeddings to a tokenizer loaded from another
    source than the model (a merged, extended vocabulary whose new rows the file does not
    count): training the whole embeddings is then the method.

    ## Example
    ```python
    model = FastLanguageModel.get_peft_model(
        model, r=16,
        target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "embed_tokens", "lm_head"],
    )
    ```

    ## How to fix
    Remove the embedding names from `target_modules`; use the Instruct model for chat
    templates, or `trainable_token_indices` (PEFT >= 0.15) to train only new tokens.

    ## Fix safety
    Unsafe (`--unsafe-fixes`): removing the entries changes what is trained.
    """

    code = "LOR101"
    name = "embedding-in-target-modules"
    summary = "Embedding matrix in target_modules: the adapter holds full embedding matrices"
    fix_safety = FixSafety.UNSAFE

    VALID = (
        # the embeddings resized to another tokenizer (an extended vocabulary): on purpose
        """
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM, LlamaTokenizer
        tokenizer = LlamaTokenizer.from_pretrained("./merged_tokenizer_hf")
        model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-2-7b-hf")
        model.resize_token_embeddings(len(tokenizer))
        config = LoraConfig(target_modules=["q_proj", "v_proj", "embed_tokens", "lm_head"])
        model = get_peft_model(model, config)
        """,
        """
        from peft import LoraConfig
        config = LoraConfig(r=16, target_modules=["q_proj", "k_proj", "v_proj", "o_proj"])
        """,
        """
        from unsloth import FastLanguageModel, UnslothTrainer, UnslothTrainingArguments
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(
            model, r=16, target_modules=["q_proj", "v_proj", "embed_tokens", "lm_head"])
        trainer = UnslothTrainer(
            model=model,
            args=UnslothTrainingArguments(learning_rate=5e-5, embedding_learning_rate=1e-5),
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
        """
        from peft import LoraConfig
        import argparse
        targets = argparse.ArgumentParser().parse_args().targets
        config = LoraConfig(r=16, target_modules=targets)
        """,
    )
    INVALID = (
        Invalid("""
        from peft import LoraConfig
        config = LoraConfig(
            r=16,
            target_modules=["q_proj", "v_proj", "embed_tokens"],  # expect: LOR101
        )
        """, fixed="""
        from peft import LoraConfig
        config = LoraConfig(
            r=16,
            target_modules=["q_proj", "v_proj"],  # expect: LOR101
        )
        """),
        Invalid("""
        from unsloth import FastLanguageModel
        from trl import SFTTrainer, SFTConfig
        TARGETS = [
            "q_proj", "k_proj",
            "lm_head",  # expect: LOR101
        ]
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(model, r=16, target_modules=TARGETS)
        trainer = SFTTrainer(model=model, args=SFTConfig(learning_rate=2e-4))
        """, fixed="""
        from unsloth import FastLanguageModel
        from trl import SFTTrainer, SFTConfig
        TARGETS = [
            "q_proj", "k_proj",  # expect: LOR101
        ]
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(model, r=16, target_modules=TARGETS)
        trainer = SFTTrainer(model=model, args=SFTConfig(learning_rate=2e-4))
        """),
    )

    def check(self, file, context) -> Iterator[Diagnostic]:
        for call, setup, targets in listed_modules(file, "target_modules"):
            if may_lower_embedding_learning_rate(file, setup) or extends_vocabulary(file, setup):
                continue
            match = context.model_match(setup) if setup is not None else None
            embeddings = embedding_leaves(match)
            offending = [item for item in targets.strings() if leaf(item.python) in embeddings]
            if not offending:
                continue
            if is_unsloth_setup(call, setup):
                consequence = "Unsloth trains it as a full matrix (moved to modules_to_save)"
            else:
                consequence = "PEFT then saves the full embedding matrices in the adapter file"
            from ._embedding_cost import embedding_cost_phrase  # loaded with the first report

            cost = embedding_cost_phrase(call, setup, match)
            from ..fixing.edits import make_fix, remove_elements  # loaded with the first fix
            fix = make_fix(FixSafety.UNSAFE, "remove the embedding modules from target_modules",
                           remove_elements(targets, offending))
            for item in offending:
                yield self.diagnostic(
                    item.span,
                    f"'{item.python}' in target_modules: {consequence}{cost}; "
                    f"remove it ({embedding_removal_advice(match)})",
                    fix)
