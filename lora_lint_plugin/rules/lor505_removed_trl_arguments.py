from __future__ import annotations

import ast
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, Optional, Tuple

from ..analysis.diagnostics import Diagnostic, FixSafety
from ..analysis.model import TRAINER, TRAINING_ARGS, Argument, CallSite, FileModel, ImportRecord
from ..analysis.scopes import IMPORT
from ._common import first_module_level_import, peft_fact
from .base import Invalid, Rule, register

if TYPE_CHECKING:
    from ._versions import RemovalStatus


def _version(text: str) -> Tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


@lru_cache(maxsize=1)
def removed_arguments() -> Dict[str, Dict[str, Any]]:
    """Per TRL class, the arguments no supported TRL release accepts (``trl_removed_arguments``
    in ``data/peft_lora_config.json``): only removals up to ``reported_when_removed_by``. Built
    once per process (read, never changed): the check asks on every file."""
    data = peft_fact("trl_removed_arguments")
    limit = _version(data["reported_when_removed_by"])
    reported: Dict[str, Dict[str, Any]] = {}
    for class_name, entry in data["classes"].items():
        kept: Dict[str, Any] = {"config": entry.get("config")}
        for kind in ("renamed", "moved_to_config", "removed"):
            kept[kind] = {name: change for name, change in entry.get(kind, {}).items()
                          if _version(change["removed"]) <= limit}
        reported[class_name] = kept
    return reported


def unsloth_rebinding_version() -> str:
    """The Unsloth release from which a name bound from ``trl`` before Unsloth's import keeps
    TRL's unpatched class (``trl_removed_arguments.unsloth_rebinds_trl_classes``)."""
    return str(peft_fact("trl_removed_arguments")["unsloth_rebinds_trl_classes"]["from_version"])


def _type_error(call: CallSite, name: str, removed: str) -> str:
    return (f"{call.name} has no {name} since TRL {removed}: it raises 'TypeError: "
            f"{call.name}.__init__() got an unexpected keyword argument '{name}''")


def _trl_import_line_before(file: FileModel, call: CallSite, unsloth: ImportRecord) -> Optional[int]:
    """The line of the module-level ``from trl... import`` that binds the callee of ``call``
    (a plain name), when every binding of that name is such an import written before the
    ``unsloth`` import: the name then holds TRL's own class, which Unsloth rebinds in ``trl``
    but does not change. None for any other callee (``trl.SFTTrainer(...)`` is looked up when
    it runs, after Unsloth's patch)."""
    index, callee = file.scopes, call.node.func
    if index is None or callee.__class__ is not ast.Name:
        return None
    bindings, holder = index.lookup(index.scope_of(callee), callee.id)
    limit = (unsloth.node.lineno, unsloth.node.col_offset)
    if holder is not index.module_scope or not bindings or not all(
            binding.kind == IMPORT and binding.qualified_name.split(".")[0] == "trl"
            and (binding.node.lineno, binding.node.col_offset) < limit for binding in bindings):
        return None
    return max(binding.node.lineno for binding in bindings)


@register
class RemovedTrlArguments(Rule):
    """
    ## What it does
    Flags TRL arguments that no TRL 1.x release accepts, in code where Unsloth is not active,
    on `SFTTrainer`/`SFTConfig` and on the other trainers and their configs (`DPOTrainer`,
    `ORPOTrainer`, `KTOTrainer`, `CPOTrainer`, `GRPOTrainer`, `RewardTrainer`). For example:

    * `SFTConfig(max_seq_length=...)`: renamed `max_length` (deprecated in TRL 0.16, removed
      in 0.20);
    * `SFTTrainer(tokenizer=...)` and the same on the other trainers: renamed
      `processing_class` (TRL 0.12; the old name stopped working in 0.14-0.16 depending on the
      trainer);
    * `SFTTrainer(dataset_text_field=..., packing=..., max_seq_length=..., ...)` and
      `DPOTrainer(beta=..., max_length=..., loss_type=..., ...)`: moved to `SFTConfig` /
      `DPOConfig` (removed from the trainers in TRL 0.13);
    * `DPOTrainer(max_prompt_length=...)`, `DPOConfig(max_prompt_length=...,
      max_completion_length=...)`, `GRPOConfig(max_prompt_length=...)`: removed (DPOConfig in
      0.29, GRPOConfig in 0.28); TRL now truncates with `max_length` only.

    The release of each removal was read from TRL's own tagged sources; the full list is in
    `catalog/data/peft_lora_config.json` (`trl_removed_arguments`). lora-lint does not know the
    installed TRL version, so an argument that some TRL 1.x release still accepts is not
    reported.

    The check follows the TRL version the code states it runs with (docs/versions.md): a pin
    in the file (a notebook's `!pip install trl==0.8.6` / `%pip install "trl<0.12"` lines, a
    script's `# /// script` metadata), else an install command in its comments
    (`# !pip install trl==0.7.1`), else the install lines of a notebook that runs the script
    (`!torchrun scripts/train.py`, `%%writefile scripts/train.py`), else the nearest project
    file (`requirements*.txt`, `pyproject.toml`, `setup.py`, `setup.cfg`, the `pip:` list of
    `environment.yml`), looked for from the file's directory up to the repository root. Per
    argument, against the TRL release that removed it:

    * no pin: reported as above (users install the current TRL);
    * a pin that cannot be placed among releases (a commit hash, `trl===x`): not reported
      (the version is unknown);
    * every version the pin allows is older than the removal: not reported (the code runs
      as written);
    * every allowed version has the removal: reported, naming the pin ("trl>=0.20 pinned in
      requirements.txt:3 removed it"; a pin in the file itself is cited by its line);
    * the pin allows versions on both sides (`trl>=0.9`): reported, naming the pin: it runs
      today and breaks on upgrade. No automatic fix then, because the new spelling may not
      exist in the older versions the pin still allows.

    When several pins apply (a `requirements.txt` and a `pyproject.toml` in the same
    directory), the argument is accepted only if every one of them says so. Comments that are
    not install commands (`# requires trl==0.8`) are not pins.

    ## Why is this bad?
    The script stops with `TypeError: SFTConfig.__init__() got an unexpected keyword argument
    'max_seq_length'` (or the same for the trainer or the other classes). These spellings come
    from older tutorials and Unsloth notebooks: Unsloth, when imported first, patches TRL to
    accept them again, which is why the same code runs there and fails without it. Files that
    import Unsloth are therefore not reported (LOR506 checks that it is imported first),
    except for calls of a name bound by a module-level `from trl import ...` written before
    the file's first module-level `unsloth` import: since Unsloth 2025.2.5, importing it
    rebinds `trl.SFTTrainer` and the like to Unsloth's own classes and leaves TRL's classes
    as they are, so such a name still holds TRL's own class (`trl.SFTTrainer(...)`, looked up
    when it runs, gets Unsloth's). Before 2025.2.5 Unsloth wrapped TRL's own classes, so a
    file whose Unsloth pin allows only older releases is not reported. Neither are modules of
    a program that may have imported Unsloth before: a local module the file
    imports (`from .model import load_model`, resolved on disk) imports `unsloth`, or the
    file's package imports it in its `__init__.py` or its entry point `__main__.py`. Unsloth
    rebinds `trl.SFTTrainer` and the like rather than changing TRL's classes, so a file that
    takes them with module-level `from trl import ...` lines keeps TRL's own classes when the
    helper imports Unsloth only inside a function (called later): that does not count. What
    is read, and what is not, is described in `analysis/program.py`; the files are read only
    when the rule has found something, once per process.

    ## Example
    ```python
    trainer = SFTTrainer(model=model, tokenizer=tokenizer, dataset_text_field="text",
                         args=SFTConfig(output_dir="out", max_seq_length=2048))
    trainer = DPOTrainer(model, ref_model, beta=0.1, args=DPOConfig(output_dir="out"))
    ```

    ## How to fix
    Write `processing_class=tokenizer`, `SFTConfig(max_length=2048)`, pass the data and loss
    options in the config (`SFTConfig(...)`, `DPOConfig(beta=0.1)`), and drop settings current
    TRL no longer has (filter over-long prompts out of the dataset instead of
    `max_prompt_length`).

    ## Fix safety
    Safe: a rename whose new name does the same (`max_seq_length` to `max_length` in
    `SFTConfig`, `tokenizer` to `processing_class`, when the new name is not already passed)
    keeps the meaning. A keyword is moved from the trainer call into its config call only when
    that config call is known and does not set it already. The moved value must mean the same
    where the config is built: when it reads a name that is bound only later in execution order
    (a config cell above the cell that sets `max_seq_length`), the literal the name holds is
    written instead (`max_length=2048`), or there is no fix. Renames that change what the
    setting does (`use_liger_loss` -> `use_liger_kernel`) and removed settings get no automatic
    fix. None is offered when the TRL pin still allows versions older than the removal.
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
        # transformers' own Trainer is not TRL's: its tokenizer= is LOR510's.
        """
        from trl import SFTTrainer
        from transformers import Trainer
        trainer = Trainer(model=model, tokenizer=tokenizer)
        """,
        # Current spellings, and arguments some TRL 1.x release still accepts (KTOConfig's
        # generate_during_eval was removed in 1.2: the installed version is not known).
        """
        from trl import DPOConfig, DPOTrainer, GRPOConfig, KTOConfig
        args = DPOConfig(output_dir="out", beta=0.1, max_length=1024, loss_type="sigmoid")
        trainer = DPOTrainer(model, ref_model, args=args, processing_class=tokenizer)
        grpo = GRPOConfig(max_completion_length=256, use_liger_kernel=True,
                          gradient_accumulation_steps=4)
        kto = KTOConfig(generate_during_eval=True)
        """,
        # Not TRL's classes.
        """
        from trl import SFTTrainer
        from my_project import DPOTrainer, DPOConfig
        trainer = DPOTrainer(model, beta=0.1, tokenizer=tokenizer, args=DPOConfig(max_prompt_length=1))
        """,
        """
        # /// script
        # dependencies = ["trl==0.8.6", "peft"]
        # ///
        from trl import SFTTrainer
        trainer = SFTTrainer(model=model, tokenizer=tokenizer, max_seq_length=2048)
        """,
        # Imported before Unsloth, but looked up on trl when it runs: Unsloth's class.
        """
        import trl
        from unsloth import FastLanguageModel
        trainer = trl.SFTTrainer(model=model, tokenizer=tokenizer)
        """,
        # Bound before Unsloth, under a release that wrapped TRL's own classes.
        """
        # /// script
        # dependencies = ["unsloth==2025.1.8", "trl>=0.15"]
        # ///
        from trl import SFTTrainer
        from unsloth import FastLanguageModel
        trainer = SFTTrainer(model=model, tokenizer=tokenizer)
        """,
    )

    INVALID = (
        Invalid("""
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
        """, fixed="""
        from trl import SFTConfig, SFTTrainer
        args = SFTConfig(
            output_dir="out",
            max_length=2048,  # expect: LOR505
            dataset_text_field="text",
        )
        trainer = SFTTrainer(
            model=model,
            args=args,
            processing_class=tokenizer,  # expect: LOR505
        )
        """),
        Invalid("""
        import trl
        trainer = trl.SFTTrainer(model=model, packing=True)  # expect: LOR505
        """, fixed=None),
        Invalid("""
        from trl import DPOConfig, DPOTrainer
        args = DPOConfig(
            output_dir="out",
            max_prompt_length=512,  # expect: LOR505
            max_length=1024,
        )
        trainer = DPOTrainer(
            model,
            ref_model,
            args=args,
            beta=0.1,  # expect: LOR505
            tokenizer=tokenizer,  # expect: LOR505
        )
        """, fixed="""
        from trl import DPOConfig, DPOTrainer
        args = DPOConfig(
            output_dir="out",
            max_prompt_length=512,  # expect: LOR505
            max_length=1024,
            beta=0.1,
        )
        trainer = DPOTrainer(
            model,
            ref_model,
            args=args,
            processing_class=tokenizer,  # expect: LOR505
        )
        """),
        Invalid("""
        from trl import GRPOConfig, GRPOTrainer, ORPOTrainer, KTOConfig
        config = GRPOConfig(max_prompt_length=256,  # expect: LOR505
                            use_liger_loss=True)  # expect: LOR505
        trainer = GRPOTrainer(model="Qwen/Qwen2.5-0.5B-Instruct", reward_funcs=[reward], args=config)
        orpo = ORPOTrainer(model=model, tokenizer=tokenizer)  # expect: LOR505
        kto = KTOConfig(max_completion_length=512)  # expect: LOR505
        """, fixed="""
        from trl import GRPOConfig, GRPOTrainer, ORPOTrainer, KTOConfig
        config = GRPOConfig(max_prompt_length=256,  # expect: LOR505
                            use_liger_loss=True)  # expect: LOR505
        trainer = GRPOTrainer(model="Qwen/Qwen2.5-0.5B-Instruct", reward_funcs=[reward], args=config)
        orpo = ORPOTrainer(model=model, processing_class=tokenizer)  # expect: LOR505
        kto = KTOConfig(max_completion_length=512)  # expect: LOR505
        """),
        Invalid("""
        from trl import SFTTrainer
        from unsloth import FastLanguageModel
        trainer = SFTTrainer(model=model, tokenizer=tokenizer)  # expect: LOR505
        """, fixed="""
        from trl import SFTTrainer
        from unsloth import FastLanguageModel
        trainer = SFTTrainer(model=model, processing_class=tokenizer)  # expect: LOR505
        """),
        Invalid("""
        # /// script
        # dependencies = ["trl>=0.9"]
        # ///
        from trl import SFTTrainer
        trainer = SFTTrainer(model=model, max_seq_length=2048)  # expect: LOR505
        """, fixed=None),
    )

    def _renamed_keyword(self, call: CallSite, argument: Argument, change: dict,
                         status: RemovalStatus, why: str) -> Diagnostic:
        """``call`` was given a keyword TRL renamed."""
        from ..fixing.edits import make_fix, rename_keyword  # loaded with the first fix
        old, new = argument.name, change["replacement"]
        fix = None
        same_meaning = change.get("same_meaning", True)
        if new not in call.args and same_meaning and status.fixable:
            fix = make_fix(FixSafety.SAFE, f"rename {old}= to {new}=", rename_keyword(argument, new))
        caveat = "" if same_meaning else " (check its documentation: it does not do exactly the same)"
        return self.diagnostic(argument.span,
                               f"{_type_error(call, old, change['removed'])}{why}; use {new}={caveat}"
                               f"{status.note()}",
                               fix)

    def _moved_keyword(self, file: FileModel, trainer: CallSite, argument: Argument,
                       change: dict, config_class: str, status: RemovalStatus, why: str) -> Diagnostic:
        """The trainer was given a keyword that now belongs to its config class."""
        config_name = change["config_name"]
        from ..fixing.relocation import move_to_config_fix  # loaded with the first move

        fix = move_to_config_fix(file, trainer, argument, config_name, config_class) \
            if status.fixable else None
        return self.diagnostic(
            argument.span,
            f"{_type_error(trainer, argument.name, change['removed'])}{why}; set it in "
            f"{config_class}(..., {config_name}=...) instead{status.note()}",
            fix)

    def _removed_keyword(self, call: CallSite, argument: Argument, change: dict,
                         config_class: Optional[str], config: Optional[Dict[str, Any]],
                         status: RemovalStatus, why: str) -> Diagnostic:
        """No supported TRL release accepts the keyword, on the call or (for a trainer) on
        its config class."""
        config_change = config["removed"].get(argument.name) if config is not None else None
        where = f" (nor does {config_class})" if config_change else ""
        advice = change.get("advice") or (config_change or {}).get("advice")
        return self.diagnostic(
            argument.span,
            f"{_type_error(call, argument.name, change['removed'])}{where}{why}; "
            f"{advice or 'no current TRL release has this setting: remove it'}{status.note()}")

    def check(self, file, context) -> Iterator[Diagnostic]:
        if file.imports_unsloth:
            yield from self._bound_before_unsloth(file)
            return
        found = list(self._removed_arguments(file, lambda call: ""))
        # Only now, when there is something to say, is the program around the file read.
        if found and not file.unsloth_may_be_active:
            yield from found

    def _bound_before_unsloth(self, file: FileModel) -> Iterator[Diagnostic]:
        """In a file that imports Unsloth: the calls of TRL names bound before that import."""
        unsloth = first_module_level_import(file, "unsloth")
        if unsloth is None or unsloth.node is None:
            return   # imported only in functions: when it runs relative to the calls is not read

        def why(call: CallSite) -> Optional[str]:
            line = _trl_import_line_before(file, call, unsloth)
            if line is None:
                return None
            return (f" ({call.name} was imported from trl on line {line}, before unsloth on line "
                    f"{unsloth.node.lineno}: it is TRL's own class, and Unsloth's patch does not reach it)")

        found = list(self._removed_arguments(file, why))
        if not found or file.unsloth_in_program:
            return   # another module may have imported Unsloth before the trl import ran
        # Unsloth releases before the rebinding wrapped TRL's own classes (data: the source).
        from ._versions import removal_against_pins  # loaded with the first removed argument

        if removal_against_pins(file, "unsloth", unsloth_rebinding_version()).silent:
            return
        yield from found

    def _removed_arguments(self, file: FileModel,
                           why: Callable[[CallSite], Optional[str]]) -> Iterator[Diagnostic]:
        """The removed arguments of the TRL calls for which ``why`` gives an explanation (None:
        the call is not reported; "" reports it without one)."""
        for call in file.calls_with_role(TRAINER, TRAINING_ARGS):
            explanation = why(call) if call.library == "trl" else None
            if explanation is None:
                continue   # asked first: the facts are built only for a call that may be reported
            facts = removed_arguments()
            entry = facts.get(call.name)
            if entry is None:
                continue
            config_class = entry.get("config")
            config = facts.get(config_class) if config_class else None
            for name, argument in call.args.by_name.items():
                kind = next((kind for kind in ("renamed", "moved_to_config", "removed")
                             if name in entry[kind]), None)
                if kind is None or (kind == "moved_to_config" and not config_class):
                    continue
                change = entry[kind][name]
                # The pinned TRL may predate the removal (rules/_versions.py: the policy).
                from ._versions import removal_against_pins  # loaded with the first removed argument

                status = removal_against_pins(file, "trl", change["removed"])
                if status.silent:
                    continue
                if kind == "renamed":
                    yield self._renamed_keyword(call, argument, change, status, explanation)
                elif kind == "removed":
                    yield self._removed_keyword(call, argument, change, config_class, config,
                                                status, explanation)
                elif config_class:
                    yield self._moved_keyword(file, call, argument, change, config_class, status,
                                              explanation)
