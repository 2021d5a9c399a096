from __future__ import annotations

from typing import Iterator, Optional

from ..analysis.diagnostics import Diagnostic, Fix, FixSafety
from ..fixing.edits import add_keyword, is_written_keyword, make_fix, remove_arguments, rename_keyword
from ..fixing.relocation import relocated_code
from ..analysis.model import TRAINER, TRAINING_ARGS, Argument, CallSite, FileModel
from ._common import peft_facts
from .base import Rule, register


def move_to_config_fix(file: FileModel, trainer: CallSite, argument: Argument,
                       config_name: str) -> Optional[Fix]:
    """Move ``argument`` from ``SFTTrainer(...)`` into its ``SFTConfig(...)`` call.

    Only in the plain case: the keyword is written in the trainer call, the trainer's
    ``args=`` is a known ``SFTConfig(...)`` call whose keywords are all visible and that does
    not already set the target name.
    """
    config = trainer.training_args
    if config is None or config.name != "SFTConfig" or not config.args.complete \
            or config_name in config.args or not is_written_keyword(argument) \
            or argument.value_span is None:
        return None
    value_code = relocated_code(file, argument, config.node)
    if value_code is None:
        return None  # the value's names are not bound where the config is built
    description = f"move {argument.name}= into SFTConfig(...) as {config_name}="
    if argument.span.contains(config.span):
        return None  # the config call is inside the argument that moves
    return make_fix(FixSafety.SAFE, description,
                    remove_arguments(trainer.span, [argument.span]),
                    add_keyword(config.span, config_name, value_code))


@register
class RemovedTrlArguments(Rule):
    """
    ## What it does
    Flags TRL arguments that current TRL no longer accepts, in files that do not import
    Unsloth:

    * `SFTConfig(max_seq_length=...)`: renamed `max_length` (deprecated in TRL 0.16, removed
      in 0.20);
    * `SFTTrainer(tokenizer=...)`: renamed `processing_class` (TRL 0.12, alias removed in 0.16);
    * `SFTTrainer(dataset_text_field=..., packing=..., max_seq_length=..., dataset_num_proc=...,
      dataset_kwargs=...)`: moved to `SFTConfig` (removed from the trainer in TRL 0.13).

    ## Why is this bad?
    The script stops with `TypeError: SFTConfig.__init__() got an unexpected keyword argument
    'max_seq_length'` (or the same for `SFTTrainer.__init__()`). These spellings come from
    older tutorials and Unsloth notebooks: Unsloth, when imported first, patches TRL to accept
    them again, which is why the same code runs there and fails without it. Files that
    import Unsloth are therefore not reported (LOR506 checks that it is imported first).

    ## Example
    ```python
    trainer = SFTTrainer(model=model, tokenizer=tokenizer, dataset_text_field="text",
                         args=SFTConfig(output_dir="out", max_seq_length=2048))
    ```

    ## How to fix
    Write `processing_class=tokenizer`, `SFTConfig(max_length=2048)`, and pass the data
    options in `SFTConfig(...)`.

    ## Fix safety
    Safe: renaming `max_seq_length` to `max_length` in `SFTConfig` and `tokenizer` to
    `processing_class` (when the new name is not already passed) keeps the meaning. A data
    keyword is moved from `SFTTrainer(...)` into its `SFTConfig(...)` only when that config call
    is known and does not set it already; otherwise there is no automatic fix. The moved value
    must mean the same where the config is built: when it reads a name that is bound only
    later in execution order (a config cell above the cell that sets `max_seq_length`), the
    literal the name holds is written instead (`max_length=2048`), or there is no fix.
    """

    code = "LOR505"
    name = "removed-trl-argument"
    summary = "TRL argument removed in current TRL (works only under Unsloth's patches)"
    fix_safety = FixSafety.SAFE

    VALID = (
        """
        from trl import SFTConfig, SFTTrainer
        args = SFTConfig(output_dir="out", max_length=2048, dataset_text_field="text",
                         packing=True)
        trainer = SFTTrainer(model=model, args=args, processing_class=tokenizer)
        """,
        """
        from unsloth import FastLanguageModel
        from trl import SFTConfig, SFTTrainer
        trainer = SFTTrainer(model=model, tokenizer=tokenizer, dataset_text_field="text",
                             args=SFTConfig(output_dir="out", max_seq_length=2048))
        """,
        """
        from trl import SFTTrainer
        from transformers import Trainer
        trainer = Trainer(model=model, tokenizer=tokenizer)
        """,
    )
    INVALID = (
        """
        from trl import SFTConfig, SFTTrainer
        args = SFTConfig(
            output_dir="out",
            max_seq_length=2048,  # expect: LOR505
        )
        trainer = SFTTrainer(
            model=model,
            args=args,
            tokenizer=tokenizer,  # expect: LOR505
            dataset_text_field="text",  # expect: LOR505
        )
        """,
        """
        import trl
        trainer = trl.SFTTrainer(model=model, packing=True)  # expect: LOR505
        """,
    )

    def _renamed_keyword(self, call: CallSite, argument: Argument, change: dict) -> Diagnostic:
        """``call`` (SFTConfig or SFTTrainer) was given a keyword TRL renamed."""
        old, new = argument.name, change["replacement"]
        fix = None
        if new not in call.args:
            fix = make_fix(FixSafety.SAFE, f"rename {old}= to {new}=", rename_keyword(argument, new))
        return self.diagnostic(
            argument.span,
            f"{call.name} has no {old} since TRL {change['removed']}: it raises 'TypeError: "
            f"{call.name}.__init__() got an unexpected keyword argument '{old}''; use {new}=",
            fix)

    def check(self, file, context) -> Iterator[Diagnostic]:
        if file.imports_unsloth:
            return
        facts = peft_facts()
        config_renamed = facts["trl_sft_config_renamed"]
        trainer_renamed = facts["trl_sft_trainer_renamed"]
        moved = facts["trl_sft_trainer_moved_to_config"]
        for config in file.calls_with_role(TRAINING_ARGS):
            if config.name != "SFTConfig":
                continue
            for old, change in config_renamed.items():
                argument = config.args.get(old)
                if argument is None:
                    continue
                yield self._renamed_keyword(config, argument, change)
        for trainer in file.calls_with_role(TRAINER):
            if trainer.name != "SFTTrainer":
                continue
            for name, argument in trainer.args.by_name.items():
                if name in trainer_renamed:
                    yield self._renamed_keyword(trainer, argument, trainer_renamed[name])
                elif name in moved:
                    config_name = moved[name]["config_name"]
                    yield self.diagnostic(
                        argument.span,
                        f"SFTTrainer has no {name} since TRL {moved[name]['removed']}: it raises "
                        f"'TypeError: SFTTrainer.__init__() got an unexpected keyword argument "
                        f"'{name}''; set it in SFTConfig(..., {config_name}=...) instead",
                        move_to_config_fix(file, trainer, argument, config_name))
