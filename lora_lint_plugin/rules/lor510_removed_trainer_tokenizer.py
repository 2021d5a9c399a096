from __future__ import annotations

from typing import Any, Dict, Iterator, Mapping, Optional

from ..analysis.diagnostics import Diagnostic, Fix, FixSafety
from ..analysis.model import TRAINER, Argument, CallSite, FileModel
from ._common import peft_fact, written_callee
from .base import Invalid, Rule, register


def _rename_fix(file: FileModel, call: CallSite, argument: Argument,
                change: Mapping[str, Any]) -> Optional[Fix]:
    """``tokenizer=`` -> ``processing_class=``, when the new name is not passed already and
    every transformers version the pins allow has it (4.46 or later)."""
    from ._versions import pins_all_from  # loaded with the first removed keyword

    new = change["replacement"]
    if new in call.args or not pins_all_from(file, "transformers", change["replacement_since"]):
        return None
    from ..fixing.edits import make_fix, rename_keyword  # loaded with the first fix

    return make_fix(FixSafety.SAFE, f"rename {argument.name}= to {new}=",
                    rename_keyword(argument, new))


@register
class RemovedTrainerTokenizer(Rule):
    """
    ## What it does
    Flags `tokenizer=` passed to transformers' `Trainer` or `Seq2SeqTrainer`, also through a
    subclass, defined in the file or imported from a project module, whose constructor is the
    trainer's: it defines none, or an `__init__(self, *args, **kwargs)` that passes them on
    unchanged to `super().__init__(*args, **kwargs)`. transformers 4.46 renamed
    the parameter `processing_class` and kept the old name as a deprecated alias; 5.0 removed
    the alias. TRL's trainers are LOR505's (they renamed it on their own schedule), and
    Unsloth's `UnslothTrainer` accepts `tokenizer=` through Unsloth's TRL patches; importing
    Unsloth does not make transformers' `Trainer` accept it. The facts, with their sources, are
    in `catalog/data/peft_lora_config.json` (`transformers_removed_trainer_keywords`).

    The check follows the transformers version the code states it runs with, as LOR509 does
    (docs/versions.md): with no pin it is reported (users install the current transformers)
    and the message says that nothing is pinned; a pin whose every version is 5.0 or later is
    named in the message; a pin that also allows 4.x is named as breaking on upgrade; a pin
    older than 5.0 (`transformers==4.46.3`), or one that cannot be placed among releases,
    keeps it silent. Like every rule, not in a branch no run takes (`if False:`).

    ## Why is this bad?
    The trainer is never built: `TypeError: Trainer.__init__() got an unexpected keyword
    argument 'tokenizer'`, after the model has been downloaded and loaded on the GPU.
    Fine-tuning tutorials written before late 2024 pass the tokenizer this way.

    ## Example
    ```python
    from transformers import Trainer
    trainer = Trainer(model=model, args=args, train_dataset=data, tokenizer=tokenizer)
    ```

    ## How to fix
    Pass it as `processing_class=tokenizer` (transformers 4.46 or later), or pin the
    transformers release the code was written for (`transformers<5`).

    ## Fix safety
    Safe: `processing_class` is the same parameter under its new name. The rename is offered
    only when every transformers version the pins allow has `processing_class` (4.46 or later;
    nothing pinned counts as the current release), when `processing_class=` is not passed
    already, and when `tokenizer=` is written in the call (not passed through `**kwargs`).
    """

    code = "LOR510"
    name = "removed-trainer-tokenizer"
    summary = "Trainer(tokenizer=...) that transformers 5 rejects (TypeError): processing_class="
    # Only a call passing one of the removed keywords. Written out, not read from the data
    # here (that would parse it on import); tests/test_rule_triggers.py holds them equal.
    TRIGGERS = {"arguments": ("tokenizer",)}
    fix_safety = FixSafety.SAFE

    VALID = (
        """
        from peft import LoraConfig, get_peft_model
        from transformers import Trainer
        model = get_peft_model(model, LoraConfig(r=16, target_modules="all-linear"))
        trainer = Trainer(model=model, args=args, processing_class=tokenizer)
        """,
        """
        # /// script
        # dependencies = ["transformers==4.45.2", "peft"]
        # ///
        from peft import LoraConfig, get_peft_model
        from transformers import Trainer
        model = get_peft_model(model, LoraConfig(r=16, target_modules="all-linear"))
        trainer = Trainer(model=model, args=args, tokenizer=tokenizer)
        """,
        # TRL's trainers are LOR505's; Unsloth patches them to take tokenizer=.
        """
        from unsloth import FastLanguageModel
        from trl import SFTTrainer
        from unsloth import UnslothTrainer
        trainer = SFTTrainer(model=model, tokenizer=tokenizer)
        trainer = UnslothTrainer(model=model, tokenizer=tokenizer)
        """,
        # A subclass with its own constructor may take anything.
        """
        from peft import LoraConfig
        from transformers import Trainer
        class MyTrainer(Trainer):
            def __init__(self, *args, tokenizer=None, **kwargs):
                super().__init__(*args, processing_class=tokenizer, **kwargs)
        trainer = MyTrainer(model=model, tokenizer=tokenizer)
        """,
        """
        from peft import LoraConfig
        from transformers import Trainer
        class MyTrainer(Trainer):
            def __init__(self, *args, **kwargs):
                kwargs["processing_class"] = kwargs.pop("tokenizer", None)
                super().__init__(*args, **kwargs)
        trainer = MyTrainer(model=model, tokenizer=tokenizer)
        """,
        """
        from peft import LoraConfig
        from transformers import Trainer
        if False:
            trainer = Trainer(model=model, tokenizer=tokenizer)
        """,
    )

    INVALID = (
        Invalid("""
        from peft import LoraConfig, get_peft_model
        from transformers import Trainer
        model = get_peft_model(model, LoraConfig(r=16, target_modules="all-linear"))
        trainer = Trainer(
            model=model,
            args=args,
            train_dataset=data,
            tokenizer=tokenizer,  # expect: LOR510
        )
        """, fixed="""
        from peft import LoraConfig, get_peft_model
        from transformers import Trainer
        model = get_peft_model(model, LoraConfig(r=16, target_modules="all-linear"))
        trainer = Trainer(
            model=model,
            args=args,
            train_dataset=data,
            processing_class=tokenizer,  # expect: LOR510
        )
        """),
        Invalid("""
        # /// script
        # dependencies = ["transformers>=4.40", "peft"]
        # ///
        import transformers
        from peft import LoraConfig
        trainer = transformers.Trainer(model=model, tokenizer=tokenizer)  # expect: LOR510
        """, fixed=None),
        Invalid("""
        from peft import LoraConfig, get_peft_model
        from transformers import Trainer
        class LoggingTrainer(Trainer):
            def log(self, logs, *args, **kwargs):
                super().log(logs, *args, **kwargs)
        model = get_peft_model(model, LoraConfig(r=16, target_modules="all-linear"))
        trainer = LoggingTrainer(model=model, tokenizer=tokenizer)  # expect: LOR510
        """, fixed="""
        from peft import LoraConfig, get_peft_model
        from transformers import Trainer
        class LoggingTrainer(Trainer):
            def log(self, logs, *args, **kwargs):
                super().log(logs, *args, **kwargs)
        model = get_peft_model(model, LoraConfig(r=16, target_modules="all-linear"))
        trainer = LoggingTrainer(model=model, processing_class=tokenizer)  # expect: LOR510
        """),
        Invalid("""
        from peft import LoraConfig, get_peft_model
        from transformers import Trainer
        class WeightedTrainer(Trainer):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.weights = class_weights(self.train_dataset)
        model = get_peft_model(model, LoraConfig(r=16, target_modules="all-linear"))
        trainer = WeightedTrainer(model=model, tokenizer=tokenizer)  # expect: LOR510
        """, fixed="""
        from peft import LoraConfig, get_peft_model
        from transformers import Trainer
        class WeightedTrainer(Trainer):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.weights = class_weights(self.train_dataset)
        model = get_peft_model(model, LoraConfig(r=16, target_modules="all-linear"))
        trainer = WeightedTrainer(model=model, processing_class=tokenizer)  # expect: LOR510
        """),
    )

    def check(self, file, context) -> Iterator[Diagnostic]:
        if file.config is not None:
            return
        facts: Dict[str, Any] = peft_fact("transformers_removed_trainer_keywords")
        classes = facts["classes"]
        for call in file.calls_with_role(TRAINER):
            if call.library != "transformers" or call.name not in classes:
                continue
            from ._versions import removed_keywords_passed  # loaded with transformers' first trainer

            for keyword, argument, change, status in removed_keywords_passed(
                    file, call, "transformers", facts["keywords"]):
                yield self.diagnostic(
                    argument.span,
                    f"transformers {change['removed']} removed {call.name}'s {keyword}=: "
                    f"{written_callee(call)}(..., {keyword}=...) raises 'TypeError: {call.name}."
                    f"__init__() got an unexpected keyword argument '{keyword}''; pass it as "
                    f"{change['replacement']}= (transformers {change['replacement_since']} or "
                    f"later){status.pin_note('reject it')}",
                    _rename_fix(file, call, argument, change))
