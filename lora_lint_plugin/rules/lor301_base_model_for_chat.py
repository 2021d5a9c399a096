"""LOR301: a base checkpoint trained on chat-formatted data when an Instruct sibling exists.

This module also holds the base-model helpers LOR302 and LOR903 share: which setups train a
base checkpoint, what its Instruct sibling is, and where the model id is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from ..analysis.diagnostics import Diagnostic, FixSafety
from ..analysis.model import FileModel
from ._chat import (
    base_model_reason,
    base_model_uses,
    family_base_uses,
    shows_chat_format,
    trained_from_base_by_design,
    untrained_token_crash,
)
from ._chat_templates import untrained_tokens_reach_unsloth
from .base import Invalid, Rule, RuleContext, register

if TYPE_CHECKING:  # pragma: no cover
    pass


@register
class BaseModelForChat(Rule):
    """
    ## What it does
    Flags a base (pretrained-only) checkpoint that is fine-tuned on chat-formatted data when
    the same model exists as an Instruct/chat checkpoint. Chat formatting is recognised from
    `apply_chat_template`, Unsloth's `get_chat_template` / `standardize_sharegpt` /
    `train_on_responses_only`, TRL's `setup_chat_format`, `chat_template=` arguments,
    `SFTConfig(assistant_only_loss=True)` and chat special-token literals (`<|eot_id|>`,
    `<|im_start|>`, `<start_of_turn>`, `[INST]`), except tokens the file adds to the
    tokenizer itself (`add_special_tokens`, `add_tokens`): those define the file's own format.

    ## Why is this bad?
    A base checkpoint has not been trained on its chat template. On Llama-3/3.1 base the
    template's special tokens (`<|start_header_id|>`, `<|eot_id|>`) have untrained embeddings:
    the loss turns NaN, or Unsloth stops with "Untrained tokens ... found ... Are you using the
    `base` model? Instead, use the `instruct` version". The other workaround that error offers,
    adding `embed_tokens` and `lm_head` to `target_modules`, trains and saves both full
    embedding matrices (for Llama-3-8B 1.05 B parameters, 2.1 GB in bf16). The Instruct model
    already knows its template, so SFT only has to teach the task.

    Base vs instruct comes from lora-lint's model table: `Qwen/Qwen3-8B` and `unsloth/phi-4`
    are post-trained models, Llama-3.3 has no base. For a checkpoint the table does not list,
    the reviewed naming rules of its family decide (`01-ai/Yi-6B` is a base model, `-Chat` its
    chat sibling), and only for families that publish instruct checkpoints (StarCoderBase does
    not); such a message names no sibling and has no fix.
    Plain-text, Alpaca-style or continued-pretraining scripts (no chat signal, or a lower
    `embedding_learning_rate`) are not reported; LOR903 is the opt-in form for those.
    Where Unsloth would certainly crash, LOR302 is reported instead.

    What counts as chat-formatted *training* data: a template text of the file's own that
    holds no special token (an Alpaca-style text with `### Instruction:` / `### Response:`
    headings and `{INPUT}` / `{OUTPUT}` slots, given to Unsloth's `apply_chat_template` or
    `get_chat_template`) is plain text, which the Instruct model does not know either, and so
    are conversations normalised with `standardize_sharegpt` and then rendered with it;
    `apply_chat_template` called after `trainer.train()` in the same scope formats prompts for
    the trained model (inference) and says nothing about the training data. A chat-token
    literal that the model's own tokenizer does not have (Mistral's `[INST]` written into a
    text template for Llama 3.1, whose tokenizer reads it as plain characters) is such a text
    format of the file's own too; this needs the tokenizer's tokens in lora-lint's data
    (`tokenizer_tokens.json`: Llama 3/3.x/4, Qwen, Gemma), otherwise the literal counts.

    Out of scope: runs whose trainer is built to start from a base checkpoint. ORPO aligns a
    base model in one stage (its loss holds the supervised term; there is no SFT stage and no
    reference model), and GRPO from a base model is the R1-Zero-style experiment, usually with a
    reasoning format of the run's own; a file that trains the model with `ORPOTrainer` or
    `GRPOTrainer` (also after an SFT stage that primes that format), or a trainer config with
    `rl: orpo` / `rl: grpo`, is not reported. DPO, KTO
    and CPO normally start from a supervised model and stay in scope.

    ## Example
    ```python
    model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
    tokenizer = get_chat_template(tokenizer, chat_template="llama-3")
    ```

    ## How to fix
    Train the Instruct sibling: `unsloth/llama-3-8b-bnb-4bit` -> `unsloth/llama-3-8b-Instruct-bnb-4bit`,
    `google/gemma-2-9b` -> `google/gemma-2-9b-it`, `unsloth/gemma-3-4b-pt` -> `unsloth/gemma-3-4b-it`,
    `Qwen/Qwen2.5-7B` -> `Qwen/Qwen2.5-7B-Instruct`, `unsloth/Qwen3-8B-Base` -> `unsloth/Qwen3-8B`.

    ## Fix safety
    Unsafe (`lora-lint fix --unsafe-fixes`, and the `base_to_instruct` codemod): the fix
    rewrites the model-name literal to the Instruct id (keeping its quotes), which changes the
    checkpoint that is fine-tuned, so the code no longer means what it did. The script runs
    either way; whether the base model was deliberate is the user's call. The replacement is
    only made with an id listed in lora-lint's model table, in the same org and with the same
    quantisation suffix where that repo exists. Local paths and computed names are reported
    without a fix.
    """

    code = "LOR301"
    name = "base-model-for-chat"
    summary = "Base checkpoint fine-tuned on chat data while an Instruct sibling exists"
    # only files that show a chat format: chat signals or assistant-only loss
    TRIGGERS = {"signals": ("chat_signals",), "arguments": ("assistant_only_loss",)}
    fix_safety = FixSafety.UNSAFE

    VALID = (
        # A family without instruct checkpoints (StarCoderBase): nothing to switch to.
        """
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from peft import LoraConfig, get_peft_model
        model = AutoModelForCausalLM.from_pretrained("bigcode/starcoderbase-3b")
        tokenizer = AutoTokenizer.from_pretrained("bigcode/starcoderbase-3b")
        model = get_peft_model(model, LoraConfig(r=16, target_modules=["c_attn"]))
        texts = [tokenizer.apply_chat_template(m, tokenize=False) for m in dataset["messages"]]
        """,
        """
        from unsloth import FastLanguageModel
        from unsloth.chat_templates import get_chat_template
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-Instruct-bnb-4bit")
        tokenizer = get_chat_template(tokenizer, chat_template="llama-3")
        model = FastLanguageModel.get_peft_model(model, r=16)
        """,
        """
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/Qwen3-8B")
        model = FastLanguageModel.get_peft_model(model, r=16)
        text = tokenizer.apply_chat_template(messages, tokenize=False)
        """,
        """
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/phi-4")
        model = FastLanguageModel.get_peft_model(model, r=16)
        text = tokenizer.apply_chat_template(messages, tokenize=False)
        """,
        """
        from transformers import AutoModelForCausalLM
        from peft import LoraConfig, get_peft_model
        model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-3.3-70B-Instruct")
        model = get_peft_model(model, LoraConfig(r=16, target_modules="all-linear"))
        text = tokenizer.apply_chat_template(messages, tokenize=False)
        """,
        # Another family's chat markers as text: '[INST]' is no token of Llama 3.1's tokenizer.
        """
        from unsloth import FastLanguageModel
        from trl import SFTTrainer, SFTConfig
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/Meta-Llama-3.1-8B")
        model = FastLanguageModel.get_peft_model(model, r=16)
        prompt = "<s>[INST] {instruction} [/INST]\\n{response}"
        trainer = SFTTrainer(model=model, train_dataset=dataset, args=SFTConfig())
        """,
        # Alpaca-style plain text on a base model: no chat signal (LOR903 covers it, opt-in).
        """
        from unsloth import FastLanguageModel
        from trl import SFTTrainer, SFTConfig
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(model, r=16)
        alpaca_prompt = "### Instruction:\\n{}\\n\\n### Response:\\n{}"
        trainer = SFTTrainer(model=model, args=SFTConfig(dataset_text_field="text"))
        """,
        # Unknown model (a user's own repo) and a name from the command line: never guessed.
        """
        import argparse
        from unsloth import FastLanguageModel
        name = argparse.ArgumentParser().parse_args().model
        model, tokenizer = FastLanguageModel.from_pretrained(name)
        other, tokenizer = FastLanguageModel.from_pretrained("acme/support-bot-8b")
        model = FastLanguageModel.get_peft_model(model, r=16)
        other = FastLanguageModel.get_peft_model(other, r=16)
        text = tokenizer.apply_chat_template(messages, tokenize=False)
        """,
        # Chat tokens the file adds to the tokenizer itself: its own format, not a template
        # the base model was meant to learn (LOR111 looks at how the new rows are trained).
        """
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from peft import LoraConfig, get_peft_model
        model = AutoModelForCausalLM.from_pretrained("mistralai/Mistral-7B-v0.1")
        tokenizer = AutoTokenizer.from_pretrained("mistralai/Mistral-7B-v0.1")
        special = ["<|user|>", "<|assistant|>"]
        tokenizer.add_special_tokens({"additional_special_tokens": special})
        model.resize_token_embeddings(len(tokenizer))
        model = get_peft_model(model, LoraConfig(r=16, target_modules="all-linear"))
        prompt = "<|user|>{question}<|assistant|>{answer}"
        """,
        # Inference only: no LoRA, no trainer.
        """
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("Qwen/Qwen2.5-7B")
        prompt = tokenizer.apply_chat_template(messages, tokenize=False)
        """,
    )
    INVALID = (
        # The model's own chat tokens written as text: Qwen's tokenizer has <|im_start|>.
        Invalid("""
        from transformers import AutoModelForCausalLM
        from peft import LoraConfig, get_peft_model
        model = AutoModelForCausalLM.from_pretrained("Qwen/Qwen2.5-7B")  # expect: LOR301
        model = get_peft_model(model, LoraConfig(r=16, target_modules="all-linear"))
        prompt = "<|im_start|>user\\n{question}<|im_end|>\\n<|im_start|>assistant\\n{answer}<|im_end|>"
        """, fixed="""
        from transformers import AutoModelForCausalLM
        from peft import LoraConfig, get_peft_model
        model = AutoModelForCausalLM.from_pretrained("Qwen/Qwen2.5-7B-Instruct")  # expect: LOR301
        model = get_peft_model(model, LoraConfig(r=16, target_modules="all-linear"))
        prompt = "<|im_start|>user\\n{question}<|im_end|>\\n<|im_start|>assistant\\n{answer}<|im_end|>"
        """),
        # Known by its family's name only: base by its naming, no sibling id to switch to.
        Invalid("""
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from peft import LoraConfig, get_peft_model
        model = AutoModelForCausalLM.from_pretrained("01-ai/Yi-6B")  # expect: LOR301
        tokenizer = AutoTokenizer.from_pretrained("01-ai/Yi-6B")
        model = get_peft_model(model, LoraConfig(r=16, target_modules=["q_proj", "v_proj"]))
        texts = [tokenizer.apply_chat_template(m, tokenize=False) for m in dataset["messages"]]
        """, fixed=None),
        Invalid("""
        from unsloth import FastLanguageModel
        from unsloth.chat_templates import get_chat_template
        model, tokenizer = FastLanguageModel.from_pretrained(
            model_name="unsloth/gemma-3-4b-pt",  # expect: LOR301
            max_seq_length=2048,
        )
        tokenizer = get_chat_template(tokenizer, chat_template="gemma-3")
        model = FastLanguageModel.get_peft_model(model, r=16)
        """, fixed="""
        from unsloth import FastLanguageModel
        from unsloth.chat_templates import get_chat_template
        model, tokenizer = FastLanguageModel.from_pretrained(
            model_name="unsloth/gemma-3-4b-it",  # expect: LOR301
            max_seq_length=2048,
        )
        tokenizer = get_chat_template(tokenizer, chat_template="gemma-3")
        model = FastLanguageModel.get_peft_model(model, r=16)
        """),
        Invalid("""
        from transformers import AutoModelForCausalLM
        from peft import LoraConfig, get_peft_model
        from trl import SFTTrainer, SFTConfig
        MODEL = "Qwen/Qwen2.5-7B"  # expect: LOR301
        model = AutoModelForCausalLM.from_pretrained(MODEL)
        model = get_peft_model(model, LoraConfig(r=16, target_modules="all-linear"))
        trainer = SFTTrainer(model=model, args=SFTConfig(assistant_only_loss=True))
        """, fixed="""
        from transformers import AutoModelForCausalLM
        from peft import LoraConfig, get_peft_model
        from trl import SFTTrainer, SFTConfig
        MODEL = "Qwen/Qwen2.5-7B-Instruct"  # expect: LOR301
        model = AutoModelForCausalLM.from_pretrained(MODEL)
        model = get_peft_model(model, LoraConfig(r=16, target_modules="all-linear"))
        trainer = SFTTrainer(model=model, args=SFTConfig(assistant_only_loss=True))
        """),
        Invalid("""
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/Qwen3-8B-Base")  # expect: LOR301
        model = FastLanguageModel.get_peft_model(model, r=16)
        texts = [tokenizer.apply_chat_template(m, tokenize=False) for m in dataset["messages"]]
        """, fixed="""
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/Qwen3-8B")  # expect: LOR301
        model = FastLanguageModel.get_peft_model(model, r=16)
        texts = [tokenizer.apply_chat_template(m, tokenize=False) for m in dataset["messages"]]
        """),
    )

    def check(self, file: FileModel, context: RuleContext) -> Iterator[Diagnostic]:
        if not shows_chat_format(file):
            return
        for use in base_model_uses(file, context):
            if not shows_chat_format(file, use.model_id.python):
                continue  # only chat markers this model's tokenizer does not have: plain text
            if untrained_token_crash(file, use) is not None:
                continue  # LOR302 reports the certain crash
            if trained_from_base_by_design(file, use.model_id):
                continue  # ORPO / GRPO from a base model: the experiment itself
            trainer = use.setup.trainer
            used = untrained_tokens_reach_unsloth(file, trainer.span) if trainer is not None else None
            yield self.diagnostic(
                use.span,
                f"'{use.model_id.python}' is a base checkpoint but this file trains it on "
                f"chat-formatted data: {base_model_reason(use.match, used)}; use the Instruct model "
                f"'{use.suggestion}', which already knows its chat template",
                use.fix(FixSafety.UNSAFE))
        for family_use in family_base_uses(file, context):
            if trained_from_base_by_design(file, family_use.model_id) or \
                    not shows_chat_format(file, family_use.model_id.python):
                continue
            yield self.diagnostic(
                family_use.span,
                f"'{family_use.model_id.python}' is a base checkpoint ({family_use.family}, by its "
                f"name) but this file trains it on chat-formatted data: {base_model_reason(None)}; "
                "use the family's Instruct/chat checkpoint of the same size, which already knows "
                "its chat template")
