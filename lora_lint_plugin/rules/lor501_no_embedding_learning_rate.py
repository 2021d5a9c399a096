from __future__ import annotations

from typing import Any, Iterator, List, Optional, Tuple

from ..analysis.diagnostics import Diagnostic, Fix, FixSafety, Span
from ..analysis.model import ABSENT, SUPERVISED_TRAINERS, CallSite, TrainingSetup
from ..analysis.values import Value, is_number
from ._common import DEFAULT_LEARNING_RATE, absent_or_none, embedding_leaves, format_learning_rate, \
    is_unsloth_setup, leaf, module_list
from .base import Invalid, Rule, register

# Trainer arguments that bring their own optimizer (and so their own parameter groups).
CUSTOM_OPTIMIZER_ARGUMENTS = ("optimizers", "optimizer_cls_and_kwargs")


def trained_embeddings(lora: CallSite, match, unsloth: bool) -> List[Tuple[str, Value]]:
    """(parameter, entry) for every embedding module the LoRA call trains as a full matrix:
    ``modules_to_save`` entries, and ``target_modules`` entries under Unsloth (which moves them
    to ``modules_to_save``); plain PEFT puts low-rank LoRA adapters on a targeted embedding."""
    embeddings = embedding_leaves(match)
    found: List[Tuple[str, Value]] = []
    parameters = ("target_modules", "modules_to_save") if unsloth else ("modules_to_save",)
    for parameter in parameters:
        modules = module_list(lora, parameter)
        if modules is None:
            continue
        found.extend((parameter, item) for item in modules.strings()
                     if leaf(item.python) in embeddings)
    return found


def default_learning_rate(setup: TrainingSetup) -> float:
    if setup.training_args is not None:
        return DEFAULT_LEARNING_RATE.get(setup.training_args.name, 5e-5)
    if setup.trainer is not None and setup.trainer.name == "Trainer":
        return DEFAULT_LEARNING_RATE["TrainingArguments"]
    return DEFAULT_LEARNING_RATE["SFTConfig"]


def _lower_rate_advice(setup: TrainingSetup, config: Any, unsloth_script: bool,
                       learning_rate: Any, suggestion: str) -> str:
    """How to give the embeddings a lower rate, in the terms of what the file uses."""
    trainer, args = setup.trainer, setup.training_args
    if config is not None:  # a YAML trainer config: what that tool offers
        return config.embedding_rate_advice(learning_rate)
    if not unsloth_script:
        return ("give them their own optimizer parameter group with a 2-10x smaller rate "
                "(the trainer's optimizers= or optimizer_cls_and_kwargs), or train only "
                "new tokens' rows with trainable_token_indices")
    if trainer is not None and trainer.name != "UnslothTrainer":
        return (f"{trainer.name} has no separate embedding rate; use UnslothTrainer with "
                f"UnslothTrainingArguments({suggestion})")
    if args is None:
        return f"pass args=UnslothTrainingArguments({suggestion})"
    if args.name != "UnslothTrainingArguments":
        return f"use UnslothTrainingArguments({suggestion})"
    return f"set {suggestion}"


@register
class NoEmbeddingLearningRate(Rule):
    """
    ## What it does
    Flags a training setup that trains the input/output embeddings as full matrices
    (`embed_tokens`, `lm_head` in `modules_to_save`, or in `target_modules` under Unsloth,
    which moves them to `modules_to_save`) without a lower learning rate for them: the trainer
    is not `UnslothTrainer`, or `embedding_learning_rate` is unset, or it is not lower than
    `learning_rate`. An embedding in `target_modules` under plain PEFT gets low-rank LoRA
    adapters like any other layer, and is not reported here (LOR101 covers its adapter size). The
    diagnostic points at the training arguments (`UnslothTrainingArguments(` ...), or at the
    trainer when it has none. Supervised runs only (`SFTTrainer`, `UnslothTrainer`,
    `transformers.Trainer`): preference and RL trainers (`DPOTrainer`, `GRPOTrainer`, ...) are
    not judged.

    ## Why is this bad?
    The embedding matrices are large, shared by every token, and start from well-trained
    values. Updating them at the LoRA learning rate (often 1e-4 to 2e-4) disturbs them much more
    than the adapters, which hurts quality and stability. Unsloth's continued-pretraining
    guide uses "a 2-10x smaller learning rate for the lm_head or embed_tokens"; only
    `UnslothTrainer` reads `UnslothTrainingArguments(embedding_learning_rate=...)` and puts the
    embedding weights in their own optimizer group. Setups that pass their own optimizer
    (`optimizers=`) are not reported.

    ## Example
    ```python
    model = FastLanguageModel.get_peft_model(
        model, r=16, target_modules=["q_proj", "v_proj"], modules_to_save=["embed_tokens", "lm_head"])
    trainer = UnslothTrainer(model=model, args=UnslothTrainingArguments(learning_rate=2e-4))
    ```

    ## How to fix
    With Unsloth, use `UnslothTrainer` with `UnslothTrainingArguments(embedding_learning_rate=...)`
    about 1/10 of `learning_rate` (e.g. `learning_rate=2e-4, embedding_learning_rate=2e-5`).
    In a plain transformers/TRL script, give the embeddings their own optimizer parameter group
    with a smaller rate (`Trainer(optimizers=...)` or `optimizer_cls_and_kwargs`), or train only
    the rows of new tokens with `trainable_token_indices`. Or stop training the embeddings
    (see LOR101/LOR102).

    ## Fix safety
    Safe when the trainer is `UnslothTrainer`, its arguments are `UnslothTrainingArguments`
    with an explicit `learning_rate`, and `embedding_learning_rate` is not passed: the fix adds
    `embedding_learning_rate=<learning_rate / 10>`. Otherwise there is no automatic fix.
    """

    code = "LOR501"
    name = "no-embedding-learning-rate"
    summary = "Embeddings trained at the full learning rate"
    fix_safety = FixSafety.SAFE

    VALID = (
        """
        from unsloth import FastLanguageModel, UnslothTrainer, UnslothTrainingArguments
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(
            model, r=16, target_modules=["q_proj", "v_proj"],
            modules_to_save=["embed_tokens", "lm_head"])
        trainer = UnslothTrainer(
            model=model,
            args=UnslothTrainingArguments(learning_rate=5e-5, embedding_learning_rate=1e-5),
        )
        """,
        """
        from unsloth import FastLanguageModel
        from trl import SFTTrainer, SFTConfig
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(model, r=16, target_modules=["q_proj", "v_proj"])
        trainer = SFTTrainer(model=model, args=SFTConfig(learning_rate=2e-4))
        """,
        """
        from unsloth import FastLanguageModel, UnslothTrainer, UnslothTrainingArguments
        import argparse
        options = argparse.ArgumentParser().parse_args()
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(model, r=16, modules_to_save=["lm_head"])
        trainer = UnslothTrainer(model=model, args=UnslothTrainingArguments(
            learning_rate=2e-4, embedding_learning_rate=options.embedding_lr))
        """,
        """
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM, Trainer
        model = AutoModelForCausalLM.from_pretrained("meta-llama/Meta-Llama-3-8B")
        model = get_peft_model(model, LoraConfig(r=16, modules_to_save=["lm_head"]))
        trainer = Trainer(model=model, optimizers=(my_optimizer, None))
        """,
        # Plain PEFT LoRA on the embedding: low-rank adapters, not a full matrix.
        """
        from peft import LoraConfig
        from trl import SFTTrainer, SFTConfig
        config = LoraConfig(r=16, target_modules=["q_proj", "v_proj", "embed_tokens"])
        args = SFTConfig(output_dir="out", learning_rate=1e-4)
        trainer = SFTTrainer(model="Qwen/Qwen2.5-7B", args=args, peft_config=config)
        """,
        # Preference and RL trainers are not judged: the advice is for supervised runs.
        """
        from peft import LoraConfig
        from trl import DPOConfig, DPOTrainer
        trainer = DPOTrainer(model="meta-llama/Meta-Llama-3-8B", args=DPOConfig(beta=0.1),
                             peft_config=LoraConfig(r=16, modules_to_save=["lm_head"]))
        """,
    )
    INVALID = (
        Invalid("""
        from unsloth import FastLanguageModel, UnslothTrainer, UnslothTrainingArguments
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(
            model, r=16, target_modules=["q_proj", "v_proj"],
            modules_to_save=["embed_tokens", "lm_head"])
        trainer = UnslothTrainer(
            model=model,
            args=UnslothTrainingArguments(  # expect: LOR501
                learning_rate=2e-4,
            ),
        )
        """, fixed="""
        from unsloth import FastLanguageModel, UnslothTrainer, UnslothTrainingArguments
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(
            model, r=16, target_modules=["q_proj", "v_proj"],
            modules_to_save=["embed_tokens", "lm_head"])
        trainer = UnslothTrainer(
            model=model,
            args=UnslothTrainingArguments(  # expect: LOR501
                learning_rate=2e-4,
                embedding_learning_rate=2e-5,
            ),
        )
        """),
        Invalid("""
        from peft import LoraConfig
        from trl import SFTTrainer, SFTConfig
        config = LoraConfig(r=16, target_modules=["q_proj", "v_proj"], modules_to_save=["embed_tokens"])
        args = SFTConfig(output_dir="out", learning_rate=1e-4)  # expect: LOR501
        trainer = SFTTrainer(model="Qwen/Qwen2.5-7B", args=args, peft_config=config)
        """, fixed=None),
        Invalid("""
        from unsloth import FastLanguageModel, UnslothTrainer, UnslothTrainingArguments
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(model, r=16, modules_to_save=["lm_head"])
        trainer = UnslothTrainer(model=model, args=UnslothTrainingArguments(
            learning_rate=5e-5,
            embedding_learning_rate=5e-5,  # expect: LOR501
        ))
        """, fixed=None),
    )

    def check(self, file, context) -> Iterator[Diagnostic]:
        for setup in file.setups:
            if setup.lora is None:
                continue
            trainer, args = setup.trainer, setup.training_args
            if trainer is None and args is None:
                continue  # training happens elsewhere: nothing to judge
            if trainer is not None and trainer.name not in SUPERVISED_TRAINERS:
                continue  # DPO, GRPO, ...: the advice below is for supervised runs
            if trainer is not None and (not trainer.args.complete or any(
                    name in trainer.args for name in CUSTOM_OPTIMIZER_ARGUMENTS)):
                continue
            if args is None and trainer is not None and trainer.args.value("args") is not ABSENT:
                continue  # arguments exist but are not known
            match = context.model_match(setup)
            unsloth = is_unsloth_setup(setup.lora, setup)
            embeddings = trained_embeddings(setup.lora, match, unsloth)
            if not embeddings:
                continue
            yield from self._judge(setup, embeddings, unsloth or file.imports_unsloth, file.config)

    def _judge(self, setup: TrainingSetup, embeddings: List[Tuple[str, Value]],
               unsloth_script: bool, config: Any = None) -> Iterator[Diagnostic]:
        trainer, args = setup.trainer, setup.training_args
        names = sorted({leaf(item.python) for _, item in embeddings})
        where = ", ".join(sorted({parameter for parameter, _ in embeddings}))
        trained = f"{'/'.join(names)} ({where}, line {embeddings[0][1].span.line})"
        embedding_lr = args.args.value("embedding_learning_rate") if args is not None else ABSENT
        learning_rate = args.args.plain("learning_rate", default_learning_rate(setup)) \
            if args is not None else default_learning_rate(setup)
        lr_text = format_learning_rate(learning_rate) if is_number(learning_rate) else None
        suggestion = (f"embedding_learning_rate={format_learning_rate(learning_rate / 10)}"
                      if lr_text else "embedding_learning_rate of about learning_rate / 10")
        if isinstance(embedding_lr, Value) and embedding_lr.python is not None:
            self_judged = trainer is None or trainer.name == "UnslothTrainer"
            if not self_judged or args is None or args.name != "UnslothTrainingArguments":
                return  # LOR502: the value is ignored or rejected
            if not (is_number(embedding_lr.python) and lr_text) \
                    or embedding_lr.python < learning_rate:
                return
            written = args.args.get("embedding_learning_rate")
            if written is None:
                return
            yield self.diagnostic(
                written.report_span,
                f"embedding_learning_rate={format_learning_rate(embedding_lr.python)} is not lower "
                f"than learning_rate={lr_text}: the trained embeddings {trained} get at least "
                f"the adapters' rate; use a 2-10x smaller one, e.g. {suggestion}")
            return
        if not absent_or_none(embedding_lr):
            return  # unknown
        rate = f"learning_rate={lr_text}" if lr_text else "learning_rate"
        advice = _lower_rate_advice(setup, config, unsloth_script, learning_rate, suggestion)
        anchor_call = args if args is not None else trainer
        if anchor_call is None:
            return
        anchor: Span = anchor_call.head_span
        written_rate = args.args.get("learning_rate") if args is not None else None
        if config is not None and written_rate is not None:
            anchor = written_rate.span  # a config: the learning_rate key that applies to them
        # Unsloth's documentation is where the 2-10x figure comes from; cite it only to its users.
        why = ("Unsloth recommends a 2-10x smaller rate" if unsloth_script and config is None
               else "a 2-10x smaller rate is the usual advice")
        yield self.diagnostic(
            anchor,
            f"the embeddings {trained} are trained at the full {rate}, which disturbs them far "
            f"more than the adapters ({why}); {advice}",
            self._fix(setup, embedding_lr, learning_rate))

    @staticmethod
    def _fix(setup: TrainingSetup, embedding_lr: object, learning_rate: object) -> Optional[Fix]:
        from ..fixing.edits import add_keyword, make_fix  # loaded with the first fix
        trainer, args = setup.trainer, setup.training_args
        if trainer is None or trainer.name != "UnslothTrainer" or args is None \
                or args.name != "UnslothTrainingArguments" or embedding_lr is not ABSENT:
            return None
        given = args.args.value("learning_rate")
        if not (isinstance(given, Value) and is_number(given.python) and given.python > 0):
            return None
        value = format_learning_rate(given.python / 10)
        return make_fix(FixSafety.SAFE, f"add embedding_learning_rate={value}",
                        add_keyword(args.span, "embedding_learning_rate", value))
