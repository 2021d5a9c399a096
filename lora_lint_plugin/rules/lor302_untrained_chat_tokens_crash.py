"""LOR302: Unsloth will stop with "Untrained tokens ... found" (Llama-3 base + chat template)."""

from __future__ import annotations

from typing import Iterator

from ..analysis.diagnostics import Diagnostic, FixSafety
from ..analysis.model import FileModel
from .base import Invalid, Rule, RuleContext, register
from ._chat import base_model_uses, untrained_token_crash


@register
class UntrainedChatTokensCrash(Rule):
    """
    ## What it does
    Flags the combination that makes Unsloth raise at `SFTTrainer(...)` / `trainer.train()`:
    Unsloth is used, the model is a base checkpoint whose chat tokens have untrained
    embeddings (Llama-3 and Llama-3.1 base), those tokens certainly reach Unsloth's check, and
    `get_peft_model` does not train both `embed_tokens` and `lm_head`. The tokens reach the
    check when the chat template set last before the trainer uses them (Unsloth's
    `get_chat_template(tokenizer, chat_template="llama-3")` or another Llama-3 template name,
    `apply_chat_template(dataset, tokenizer)` with its default Llama-3 template, or a template
    string holding them), or when a string written before the trainer holds them (data text
    such as `"<|start_header_id|>user<|end_header_id|>..."`).

    ## Why is this bad?
    Unsloth checks the embedding rows of every token in the tokenizer's current chat template
    and in the first and last rows of the dataset. On a Llama-3 base model
    `<|start_header_id|>`, `<|eot_id|>` and the reserved tokens are all-zero rows, and with the
    embeddings frozen training would produce NaNs, so it stops with:
    `ValueError: Unsloth: Untrained tokens in rows [...] found. ... The issue is the
    embed_tokens & lm_head not trainable, which will cause NaNs. ... Are you using the base
    model? Instead, use the instruct version to silence this warning.`
    Adding `embed_tokens` and `lm_head` to `target_modules`, the error's first suggestion,
    trains both full matrices (1.05 B parameters for Llama-3-8B) and puts them in the adapter.

    When neither the template nor the data uses those tokens (a custom Alpaca-style template,
    ChatML from `get_chat_template`'s default), Unsloth does not raise; when the template is not
    known (the checkpoint's own, a name from a config file), the crash is not certain. Both are
    left to LOR301's advice. This rule replaces LOR301 for the setups it reports.

    ## Example
    ```python
    model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
    tokenizer = get_chat_template(tokenizer, chat_template="llama-3")
    model = FastLanguageModel.get_peft_model(model, r=16)
    trainer = SFTTrainer(model=model, train_dataset=dataset)
    ```

    ## How to fix
    Train the Instruct model: `unsloth/llama-3-8b-bnb-4bit` -> `unsloth/llama-3-8b-Instruct-bnb-4bit`,
    `unsloth/Meta-Llama-3.1-8B` -> `unsloth/Meta-Llama-3.1-8B-Instruct`.

    ## Fix safety
    Safe: the script cannot run as written, and switching to the Instruct id is what the error
    itself recommends. The model-name literal is rewritten (quotes kept) only to an id listed in
    lora-lint's model table, in the same org and with the same quantisation suffix.
    """

    code = "LOR302"
    name = "untrained-chat-tokens-crash"
    summary = "Unsloth will raise \"Untrained tokens found\": chat template on a Llama-3 base model"
    # only files with a chat template or token reaching Unsloth
    TRIGGERS = {"signals": ("chat_signals",)}
    fix_safety = FixSafety.SAFE

    VALID = (
        # Both embeddings trained: Unsloth resets the untrained rows instead of raising.
        """
        from unsloth import FastLanguageModel
        from unsloth.chat_templates import get_chat_template
        from trl import SFTTrainer
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b")
        tokenizer = get_chat_template(tokenizer, chat_template="llama-3")
        model = FastLanguageModel.get_peft_model(
            model, r=16, target_modules=["q_proj", "v_proj"],
            modules_to_save=["embed_tokens", "lm_head"])
        trainer = SFTTrainer(model=model, train_dataset=dataset)
        """,
        # The Instruct model has trained chat tokens.
        """
        from unsloth import FastLanguageModel
        from unsloth.chat_templates import get_chat_template
        from trl import SFTTrainer
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-Instruct-bnb-4bit")
        tokenizer = get_chat_template(tokenizer, chat_template="llama-3")
        model = FastLanguageModel.get_peft_model(model, r=16)
        trainer = SFTTrainer(model=model, train_dataset=dataset)
        """,
        # Gemma base: chat tokens are not known to be untrained (LOR301 reports it instead).
        """
        from unsloth import FastLanguageModel
        from trl import SFTTrainer
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/gemma-2-9b")
        model = FastLanguageModel.get_peft_model(model, r=16)
        text = tokenizer.apply_chat_template(messages, tokenize=False)
        trainer = SFTTrainer(model=model, train_dataset=dataset)  # LOR301 only
        """,
        # A custom Alpaca-style template replaces the tokenizer's: no Llama-3 token in it, so
        # Unsloth's check finds nothing (LOR301 advises the Instruct model instead).
        """
        from unsloth import FastLanguageModel, apply_chat_template
        from trl import SFTTrainer
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(model, r=16)
        chat_template = "### Instruction:\\n{INPUT}\\n\\n### Response:\\n{OUTPUT}"
        dataset = apply_chat_template(dataset, tokenizer=tokenizer, chat_template=chat_template)
        trainer = SFTTrainer(model=model, train_dataset=dataset)
        """,
        # The template is the checkpoint's own (not set here) or comes from a config: unknown.
        """
        from unsloth import FastLanguageModel
        from unsloth.chat_templates import get_chat_template
        from trl import SFTTrainer
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(model, r=16)
        texts = [tokenizer.apply_chat_template(m, tokenize=False) for m in conversations]
        tokenizer = get_chat_template(tokenizer, chat_template=config["template"])
        trainer = SFTTrainer(model=model, train_dataset=dataset)
        """,
        # Target list from a config file: whether embeddings are trained is unknown.
        """
        import json
        from unsloth import FastLanguageModel
        from trl import SFTTrainer
        targets = json.load(open("lora.json"))["targets"]
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(model, r=16, target_modules=targets)
        text = tokenizer.apply_chat_template(messages, tokenize=False)
        trainer = SFTTrainer(model=model, train_dataset=dataset)
        """,
    )
    INVALID = (
        Invalid("""
        from unsloth import FastLanguageModel
        from unsloth.chat_templates import get_chat_template
        from trl import SFTTrainer, SFTConfig
        model, tokenizer = FastLanguageModel.from_pretrained(
            model_name="unsloth/llama-3-8b-bnb-4bit",  # expect: LOR302
            max_seq_length=2048,
            load_in_4bit=True,
        )
        tokenizer = get_chat_template(tokenizer, chat_template="llama-3")
        model = FastLanguageModel.get_peft_model(
            model, r=16,
            target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "embed_tokens"],
        )
        trainer = SFTTrainer(model=model, train_dataset=dataset, args=SFTConfig())
        """, fixed="""
        from unsloth import FastLanguageModel
        from unsloth.chat_templates import get_chat_template
        from trl import SFTTrainer, SFTConfig
        model, tokenizer = FastLanguageModel.from_pretrained(
            model_name="unsloth/llama-3-8b-Instruct-bnb-4bit",  # expect: LOR302
            max_seq_length=2048,
            load_in_4bit=True,
        )
        tokenizer = get_chat_template(tokenizer, chat_template="llama-3")
        model = FastLanguageModel.get_peft_model(
            model, r=16,
            target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "embed_tokens"],
        )
        trainer = SFTTrainer(model=model, train_dataset=dataset, args=SFTConfig())
        """),
        Invalid("""
        from unsloth import FastLanguageModel
        from trl import SFTTrainer
        BASE = "unsloth/Meta-Llama-3.1-8B"  # expect: LOR302
        model, tokenizer = FastLanguageModel.from_pretrained(BASE)
        model = FastLanguageModel.get_peft_model(model, r=16)
        prompt = "<|start_header_id|>user<|end_header_id|>\\n\\n{}<|eot_id|>"
        trainer = SFTTrainer(model=model, train_dataset=dataset)
        """, fixed="""
        from unsloth import FastLanguageModel
        from trl import SFTTrainer
        BASE = "unsloth/Meta-Llama-3.1-8B-Instruct"  # expect: LOR302
        model, tokenizer = FastLanguageModel.from_pretrained(BASE)
        model = FastLanguageModel.get_peft_model(model, r=16)
        prompt = "<|start_header_id|>user<|end_header_id|>\\n\\n{}<|eot_id|>"
        trainer = SFTTrainer(model=model, train_dataset=dataset)
        """),
        # Unsloth's apply_chat_template without chat_template= sets its Llama-3 template.
        Invalid("""
        from unsloth import FastLanguageModel
        from unsloth.chat_templates import apply_chat_template
        from trl import SFTTrainer
        model, tokenizer = FastLanguageModel.from_pretrained(
            "unsloth/llama-3-8b-bnb-4bit")  # expect: LOR302
        model = FastLanguageModel.get_peft_model(model, r=16)
        dataset = apply_chat_template(dataset, tokenizer=tokenizer)
        trainer = SFTTrainer(model=model, train_dataset=dataset)
        """, fixed="""
        from unsloth import FastLanguageModel
        from unsloth.chat_templates import apply_chat_template
        from trl import SFTTrainer
        model, tokenizer = FastLanguageModel.from_pretrained(
            "unsloth/llama-3-8b-Instruct-bnb-4bit")  # expect: LOR302
        model = FastLanguageModel.get_peft_model(model, r=16)
        dataset = apply_chat_template(dataset, tokenizer=tokenizer)
        trainer = SFTTrainer(model=model, train_dataset=dataset)
        """),
    )

    def check(self, file: FileModel, context: RuleContext) -> Iterator[Diagnostic]:
        for use in base_model_uses(file, context):
            frozen = untrained_token_crash(file, use)
            if frozen is None:
                continue
            not_trained = " and ".join(frozen)
            verb = "are" if len(frozen) > 1 else "is"
            yield self.diagnostic(
                use.span,
                f"'{use.model_id.python}' is a base checkpoint whose chat-template tokens "
                f"(<|start_header_id|>, <|eot_id|>) are untrained and {not_trained} {verb} not "
                "trained here: Unsloth raises \"Untrained tokens ... found\" at SFTTrainer()/train(); "
                f"use the Instruct model '{use.suggestion}' rather than training the full "
                "embedding matrices",
                use.fix(FixSafety.SAFE))
