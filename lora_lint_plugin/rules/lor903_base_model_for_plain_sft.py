"""LOR903 (opt-in): plain-text/Alpaca SFT of a base checkpoint that has an Instruct sibling."""

from __future__ import annotations

from typing import Iterator

from ..analysis.diagnostics import Diagnostic, FixSafety
from ..analysis.model import SUPERVISED_TRAINERS, FileModel
from .base import Invalid, Rule, RuleContext, register
from ._chat import base_model_uses, family_base_uses, shows_chat_format


@register
class BaseModelForPlainSft(Rule):
    """
    ## What it does
    Informational form of LOR301 for scripts without any chat signal: a supervised
    fine-tuning run (`SFTTrainer`, `transformers.Trainer`) starts from a base checkpoint that
    also exists as an Instruct model, with plain-text or Alpaca-style prompts. Opt-in: select
    `LOR9` or `LOR903`.

    ## Why is this bad?
    It is not wrong: Unsloth's Alpaca notebooks do exactly this. But when the goal is a model
    that follows instructions, the Instruct checkpoint starts from instruction-following
    behaviour and usually needs less data and fewer steps. Continued pretraining on raw text
    is what base checkpoints are for; `UnslothTrainer` runs and setups with a lower
    `embedding_learning_rate` (continued pretraining) are not reported. A checkpoint the model
    table does not list counts as a base model when its family's naming says so and the family
    publishes instruct checkpoints (LOR301 explains); that message names no sibling.

    ## Example
    ```python
    model, tokenizer = FastLanguageModel.from_pretrained("unsloth/mistral-7b-v0.3-bnb-4bit")
    trainer = SFTTrainer(model=model, train_dataset=alpaca_dataset)
    ```

    ## How to fix
    If the model should follow instructions, train the Instruct sibling named in the message
    (`unsloth/mistral-7b-v0.3-bnb-4bit` -> `unsloth/mistral-7b-instruct-v0.3-bnb-4bit`).
    Keep the base model for raw-text completion or continued pretraining.

    ## Fix safety
    Unsafe (`--unsafe-fixes`, and the `base_to_instruct` codemod when LOR903 is selected):
    switching the checkpoint changes what is trained, and nothing in the script says the run is
    about chat or instruction following, so it is a judgement the user has to make.
    """

    code = "LOR903"
    name = "base-model-for-plain-sft"
    summary = "Plain-text SFT of a base checkpoint that has an Instruct sibling"
    default_enabled = False
    fix_safety = FixSafety.UNSAFE

    VALID = (
        # Continued pretraining with UnslothTrainer: what a base model is for.
        """
        from unsloth import FastLanguageModel, UnslothTrainer, UnslothTrainingArguments
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/mistral-7b-v0.3-bnb-4bit")
        model = FastLanguageModel.get_peft_model(model, r=128)
        trainer = UnslothTrainer(model=model, args=UnslothTrainingArguments(learning_rate=5e-5))
        """,
        # Chat signals: LOR301's case, not this one.
        """
        from unsloth import FastLanguageModel
        from trl import SFTTrainer
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/gemma-2-9b")
        model = FastLanguageModel.get_peft_model(model, r=16)
        text = tokenizer.apply_chat_template(messages, tokenize=False)
        trainer = SFTTrainer(model=model, train_dataset=dataset)
        """,
        # Already an Instruct model, and a model with no base/instruct pair.
        """
        from unsloth import FastLanguageModel
        from trl import SFTTrainer
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/Qwen3-8B")
        model = FastLanguageModel.get_peft_model(model, r=16)
        trainer = SFTTrainer(model=model, train_dataset=dataset)
        other, tokenizer = FastLanguageModel.from_pretrained("unsloth/phi-4")
        other = FastLanguageModel.get_peft_model(other, r=16)
        trainer = SFTTrainer(model=other, train_dataset=dataset)
        """,
        # Preference tuning is not plain SFT.
        """
        from unsloth import FastLanguageModel
        from trl import DPOConfig, DPOTrainer
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/mistral-7b-v0.3-bnb-4bit")
        model = FastLanguageModel.get_peft_model(model, r=16)
        trainer = DPOTrainer(model=model, train_dataset=dataset, args=DPOConfig())
        """,
    )
    INVALID = (
        Invalid("""
        from transformers import AutoModelForCausalLM
        from trl import SFTTrainer, SFTConfig
        model = AutoModelForCausalLM.from_pretrained("01-ai/Yi-6B")  # expect: LOR903
        alpaca_prompt = "### Instruction:\\n{}\\n\\n### Response:\\n{}"
        trainer = SFTTrainer(model=model, train_dataset=dataset, args=SFTConfig())
        """, fixed=None),
        Invalid("""
        from unsloth import FastLanguageModel
        from trl import SFTTrainer, SFTConfig
        model, tokenizer = FastLanguageModel.from_pretrained(
            model_name="unsloth/mistral-7b-v0.3-bnb-4bit",  # expect: LOR903
            max_seq_length=2048,
        )
        model = FastLanguageModel.get_peft_model(model, r=16)
        alpaca_prompt = "### Instruction:\\n{}\\n\\n### Response:\\n{}"
        trainer = SFTTrainer(model=model, train_dataset=dataset, args=SFTConfig())
        """, fixed="""
        from unsloth import FastLanguageModel
        from trl import SFTTrainer, SFTConfig
        model, tokenizer = FastLanguageModel.from_pretrained(
            model_name="unsloth/mistral-7b-instruct-v0.3-bnb-4bit",  # expect: LOR903
            max_seq_length=2048,
        )
        model = FastLanguageModel.get_peft_model(model, r=16)
        alpaca_prompt = "### Instruction:\\n{}\\n\\n### Response:\\n{}"
        trainer = SFTTrainer(model=model, train_dataset=dataset, args=SFTConfig())
        """),
    )

    def check(self, file: FileModel, context: RuleContext) -> Iterator[Diagnostic]:
        for use in base_model_uses(file, context):
            if shows_chat_format(file, use.model_id.python):
                continue  # LOR301's case (chat markers its tokenizer lacks are plain text)
            trainer = use.setup.trainer
            if trainer is None or trainer.name not in SUPERVISED_TRAINERS \
                    or trainer.name == "UnslothTrainer":
                continue  # not a plain SFT run (continued pretraining, DPO, GRPO, ...)
            yield self.diagnostic(
                use.span,
                f"'{use.model_id.python}' is a base checkpoint; if this fine-tune should follow "
                f"instructions, the Instruct model '{use.suggestion}' starts from "
                "instruction-following behaviour (keep the base model for raw-text completion "
                "or continued pretraining)",
                use.fix(FixSafety.UNSAFE))
        for family_use in family_base_uses(file, context):
            trainer = family_use.setup.trainer
            if shows_chat_format(file, family_use.model_id.python) or trainer is None \
                    or trainer.name not in SUPERVISED_TRAINERS or trainer.name == "UnslothTrainer":
                continue
            yield self.diagnostic(
                family_use.span,
                f"'{family_use.model_id.python}' is a base checkpoint ({family_use.family}, by its "
                "name); if this fine-tune should follow instructions, the family's Instruct/chat "
                "checkpoint of the same size starts from instruction-following behaviour (keep "
                "the base model for raw-text completion or continued pretraining)")
