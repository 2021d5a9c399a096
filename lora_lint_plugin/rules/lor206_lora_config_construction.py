from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, FrozenSet, Iterator, List, Optional

from ..catalog import levenshtein
from ..analysis.diagnostics import Diagnostic, Fix, FixSafety
from ..analysis.model import ABSENT, LORA_CONFIG, UNSLOTH_PEFT, Argument, CallSite, TrainingSetup
from ..analysis.values import UNKNOWN, Value
from ._common import absent_or_none, peft_fact
from .base import Invalid, Rule, register

if TYPE_CHECKING:
    from typing_extensions import TypeGuard

MAX_KEYWORD_DISTANCE = 2

# What Unsloth's get_peft_model does with a keyword LoraConfig lacks (data: peft_lora_config.json).
RAISES = "raises"      # FastLanguageModel's own path: LoraConfig(**kwargs) -> TypeError
DROPPED = "dropped"    # FastModel's path: only LoraConfig's keywords are kept, the rest ignored
EITHER = "either"      # which path runs is not known statically


def allowed_keywords(call: CallSite) -> FrozenSet[str]:
    """Keywords the callee accepts: LoraConfig's dataclass fields (with PeftConfig's), and for
    Unsloth's get_peft_model its own parameters plus what it forwards to LoraConfig."""
    return _allowed_keywords(call.role == UNSLOTH_PEFT)


@lru_cache(maxsize=2)
def _allowed_keywords(unsloth: bool) -> FrozenSet[str]:
    """``allowed_keywords`` by callee kind, built once (files like PEFT's tests make hundreds
    of ``LoraConfig`` calls)."""
    names = set(peft_fact("lora_config_fields")) | set(peft_fact("peft_config_fields"))
    if unsloth:
        names |= set(peft_fact("unsloth_get_peft_model_parameters"))
    return frozenset(names)


def unsloth_keyword_fate(call: CallSite, setup: Optional[TrainingSetup],
                         model_type: Optional[str]) -> str:
    """RAISES, DROPPED or EITHER for an unknown keyword of Unsloth's ``get_peft_model``.

    ``FastModel``-style classes keep only LoraConfig's keywords. ``FastLanguageModel`` passes
    them to LoraConfig, unless the model was loaded through ``FastModel``'s path: by a
    ``FastModel``-style loader, or by ``FastLanguageModel.from_pretrained`` for an architecture
    without a fast path or with a load option that hands over to ``FastModel``."""
    filtering = set(peft_fact("unsloth_keyword_filtering_classes"))
    if call.name.split(".")[0] in filtering:
        return DROPPED
    loader = setup.model_load if setup is not None else None
    if loader is None or not loader.is_unsloth:
        return EITHER
    if loader.name.split(".")[0] in filtering:
        return DROPPED
    exits = [loader.args.plain(name, None) for name in peft_fact("unsloth_fast_path_exits")]
    if any(value is not UNKNOWN and value for value in exits):
        return DROPPED
    if model_type is None:
        return EITHER
    if model_type not in peft_fact("unsloth_fast_path_model_types"):
        return DROPPED
    return EITHER if any(value is UNKNOWN for value in exits) else RAISES


def close_keywords(name: str, allowed: FrozenSet[str]) -> List[str]:
    # Long names may differ more (as Python's own "Did you mean" allows): a seventh of the length.
    limit = max(MAX_KEYWORD_DISTANCE, len(name) // 7)
    # The edit distance is at least the difference in length: skip hopeless candidates.
    scored = sorted((levenshtein(name, candidate), candidate) for candidate in allowed
                    if abs(len(candidate) - len(name)) <= limit)
    if not scored or scored[0][0] > limit:
        return []
    best = scored[0][0]
    return [candidate for distance, candidate in scored if distance == best]


def _given(argument: Optional[Argument]) -> TypeGuard[Argument]:
    """Given with a value known not to be None."""
    return argument is not None and isinstance(argument.value, Value) \
        and argument.value.python is not None


@register
class LoraConfigConstruction(Rule):
    """
    ## What it does
    Flags `LoraConfig(...)` arguments that make the constructor raise:

    * `task_type` that is not one of `SEQ_CLS`, `SEQ_2_SEQ_LM`, `CAUSAL_LM`, `TOKEN_CLS`,
      `QUESTION_ANS`, `FEATURE_EXTRACTION` (case-sensitive);
    * a keyword `LoraConfig` does not have, with the closest real name; also for Unsloth's
      `get_peft_model` when it is not one of its own parameters either: on
      `FastLanguageModel`'s fast path (Llama, Mistral, Gemma, Gemma 2, Qwen2, Qwen3) Unsloth
      passes it on to `LoraConfig`, which raises; on its `FastModel` path (`FastModel`,
      `FastVisionModel`, and `FastLanguageModel` on any other architecture or with
      `load_in_8bit`/`full_finetuning`/`qat_scheme`) it keeps only `LoraConfig`'s keywords and
      drops the rest silently, so the setting has no effect;
    * a string `target_modules` together with `layers_to_transform` or `layers_pattern`;
    * `layers_pattern` without `layers_to_transform`;
    * `init_lora_weights="loftq"` without a `loftq_config`.

    The keyword list is the one of peft 0.21 (`LoraConfig` and its base `PeftConfig`); the
    Unsloth paths are those of Unsloth 2026.10. When the model's architecture is not known, the
    message names both outcomes.

    ## Why is this bad?
    The script dies before training starts, often after minutes of model loading:
    `ValueError: Invalid task type: 'causal_lm'. Must be one of the following task types: ...`,
    `TypeError: LoraConfig.__init__() got an unexpected keyword argument 'target_module'`,
    ``ValueError: `layers_to_transform` cannot be used when `target_modules` is a str.``,
    ``ValueError: When `layers_pattern` is specified, `layers_to_transform` must also be
    specified.``, ``ValueError: `loftq_config` must be specified when `init_lora_weights` is
    'loftq'.``

    ## Example
    ```python
    config = LoraConfig(r=16, lora_droput=0.05, task_type="causal_lm")
    ```

    ## How to fix
    Use the exact task type (`"CAUSAL_LM"` or `TaskType.CAUSAL_LM`), spell keywords as PEFT
    does, give `target_modules` as a list when restricting layers, and pass
    `loftq_config=LoftQConfig(...)` with LoftQ initialisation.

    ## Fix safety
    Safe: a task type that is valid in upper case is upper-cased, and an unknown keyword with
    exactly one close match (edit distance <= 2, or a seventh of the name's length for long
    names) that the call does not already pass is
    renamed where it made the run fail. Unsafe: the same rename where Unsloth dropped the
    keyword (or may have): the setting then takes effect and the run trains differently. The
    other cases have no automatic fix.
    """

    code = "LOR206"
    name = "lora-config-construction-error"
    summary = "LoraConfig arguments that make its constructor raise"
    fix_safety = FixSafety.SAFE

    VALID = (
        """
        from peft import LoraConfig, TaskType
        config = LoraConfig(
            r=16, lora_alpha=32, lora_dropout=0.05, task_type=TaskType.CAUSAL_LM,
            target_modules=["q_proj", "v_proj"], layers_to_transform=[0, 1, 2],
            layers_pattern="layers", ensure_weight_tying=False,
        )
        """,
        """
        from peft import LoraConfig
        def build(options):
            return LoraConfig(task_type="CAUSAL_LM", **options)
        """,
        """
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(
            model, r=16, use_gradient_checkpointing="unsloth", random_state=3407,
            use_dora=False, finetune_last_n_layers=None,
        )
        """,
        """
        from peft import LoraConfig, LoftQConfig
        config = LoraConfig(init_lora_weights="loftq", loftq_config=LoftQConfig(loftq_bits=4))
        """,
    )
    INVALID = (
        Invalid("""
        from peft import LoraConfig
        config = LoraConfig(
            r=16,
            lora_droput=0.05,  # expect: LOR206
            task_type="causal_lm",  # expect: LOR206
        )
        """, fixed="""
        from peft import LoraConfig
        config = LoraConfig(
            r=16,
            lora_dropout=0.05,  # expect: LOR206
            task_type="CAUSAL_LM",  # expect: LOR206
        )
        """),
        Invalid("""
        import peft as p
        config = p.LoraConfig(
            target_modules=r".*\\.(q_proj|v_proj)",
            layers_to_transform=[0, 1],  # expect: LOR206
        )
        """, fixed=None),
        Invalid("""
        from peft import LoraConfig
        config = LoraConfig(target_modules=["q_proj"], layers_pattern="layers")  # expect: LOR206
        loftq = LoraConfig(init_lora_weights="loftq")  # expect: LOR206
        """, fixed=None),
        Invalid("""
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(
            model, r=16,
            target_module=["q_proj", "v_proj"],  # expect: LOR206
        )
        """, fixed="""
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/llama-3-8b-bnb-4bit")
        model = FastLanguageModel.get_peft_model(
            model, r=16,
            target_modules=["q_proj", "v_proj"],  # expect: LOR206
        )
        """),
        Invalid("""
        from unsloth import FastModel
        model, tokenizer = FastModel.from_pretrained("unsloth/gemma-3-4b-it")
        model = FastModel.get_peft_model(
            model, r=16,
            lora_droput=0.05,  # expect: LOR206
        )
        """, fixed="""
        from unsloth import FastModel
        model, tokenizer = FastModel.from_pretrained("unsloth/gemma-3-4b-it")
        model = FastModel.get_peft_model(
            model, r=16,
            lora_dropout=0.05,  # expect: LOR206
        )
        """),
    )

    def check(self, file, context) -> Iterator[Diagnostic]:
        for call in file.calls_with_role(LORA_CONFIG, UNSLOTH_PEFT):
            fate = RAISES if call.role == LORA_CONFIG else self._unsloth_fate(call, file, context)
            yield from self._unknown_keywords(call, fate)
            if call.role != LORA_CONFIG:
                continue  # Unsloth handles the remaining cases itself (or differently)
            yield from self._task_type(call)
            yield from self._layer_selection(call)
            yield from self._loftq(call)

    def _unsloth_fate(self, call: CallSite, file, context) -> str:
        setup = file.setup_of(call)
        architecture = context.model_architecture(setup) if setup is not None else None
        return unsloth_keyword_fate(call, setup,
                                    architecture.model_type if architecture is not None else None)

    def _unknown_keywords(self, call: CallSite, fate: str) -> Iterator[Diagnostic]:
        allowed = allowed_keywords(call)
        for name, argument in call.args.by_name.items():
            if name in allowed:
                continue
            matches = close_keywords(name, allowed)
            fix: Optional[Fix] = None
            if len(matches) == 1:
                suggestion = f"did you mean '{matches[0]}'?"
                if matches[0] not in call.args:
                    # Where the keyword was ignored, the renamed one takes effect: the run
                    # changes (unsafe); where it raised, the run could not start (safe).
                    from ..fixing.edits import make_fix, rename_keyword  # loaded with the first fix
                    fix = make_fix(FixSafety.SAFE if fate == RAISES else FixSafety.UNSAFE,
                                   f"rename '{name}' to '{matches[0]}'",
                                   rename_keyword(argument, matches[0]))
            elif matches:
                suggestion = "did you mean one of " + ", ".join(f"'{m}'" for m in matches) + "?"
            elif call.role == LORA_CONFIG:
                suggestion = "remove it or check the PEFT documentation for the right name"
            else:
                suggestion = f"remove it or check the parameters of {call.name} for the right name"
            yield self.diagnostic(argument.span, _unknown_keyword_message(call, name, fate, suggestion),
                                  fix)

    def _task_type(self, call: CallSite) -> Iterator[Diagnostic]:
        argument = call.args.get("task_type")
        if argument is None or not isinstance(argument.value, Value) \
                or not isinstance(argument.value.python, str):
            return
        task_types = peft_fact("task_types")
        task_type = argument.value.python
        if task_type in task_types:
            return
        fix = None
        if task_type.upper() in task_types:
            advice = f"write \"{task_type.upper()}\""
            from ..fixing.edits import make_fix, replace_string  # loaded with the first fix
            fix = make_fix(FixSafety.SAFE, f"write task_type=\"{task_type.upper()}\"",
                           replace_string(argument.value, task_type.upper()))
        else:
            nearest = min(task_types, key=lambda t: (levenshtein(task_type.upper(), t), t))
            advice = f"use one of {', '.join(task_types)} (closest: \"{nearest}\")"
        yield self.diagnostic(
            argument.report_span,
            f"task_type='{task_type}' is not a PEFT task type: LoraConfig raises 'ValueError: "
            f"Invalid task type: '{task_type}'. Must be one of the following task types: "
            f"{', '.join(task_types)}.'; {advice}",
            fix)

    def _layer_selection(self, call: CallSite) -> Iterator[Diagnostic]:
        targets = call.args.value("target_modules")
        string_targets = isinstance(targets, Value) and isinstance(targets.python, str)
        for name in ("layers_to_transform", "layers_pattern"):
            argument = call.args.get(name)
            if string_targets and _given(argument):
                yield self.diagnostic(
                    argument.span,
                    f"{name} with a string target_modules: LoraConfig raises 'ValueError: "
                    f"`{name}` cannot be used when `target_modules` is a str.'; give "
                    "target_modules as a list of module names")
        pattern = call.args.get("layers_pattern")
        if not string_targets and _given(pattern) and call.args.plain("layers_pattern") \
                and absent_or_none(call.args.value("layers_to_transform")):
            yield self.diagnostic(
                pattern.span,
                "layers_pattern without layers_to_transform: LoraConfig raises 'ValueError: "
                "When `layers_pattern` is specified, `layers_to_transform` must also be "
                "specified.'; add layers_to_transform=[...] or remove layers_pattern")

    def _loftq(self, call: CallSite) -> Iterator[Diagnostic]:
        init = call.args.get("init_lora_weights")
        if init is None or not isinstance(init.value, Value) or init.value.python != "loftq":
            return
        config = call.args.value("loftq_config")
        missing = config is ABSENT or (isinstance(config, Value) and not config.python)
        if not missing:
            return
        yield self.diagnostic(
            init.report_span,
            "init_lora_weights=\"loftq\" without loftq_config: LoraConfig raises 'ValueError: "
            "`loftq_config` must be specified when `init_lora_weights` is 'loftq'.'; pass "
            "loftq_config=LoftQConfig(loftq_bits=4)")


def _unknown_keyword_message(call: CallSite, name: str, fate: str, suggestion: str) -> str:
    raised = f"'TypeError: LoraConfig.__init__() got an unexpected keyword argument '{name}''"
    if call.role == LORA_CONFIG:
        return f"'{name}' is not a LoraConfig keyword: it raises {raised}; {suggestion}"
    if fate == RAISES:
        return (f"'{name}' is not a LoraConfig keyword ({call.name} passes it on to LoraConfig): "
                f"it raises {raised}; {suggestion}")
    if fate == DROPPED:
        return (f"'{name}' is neither a keyword of {call.name} nor of LoraConfig: Unsloth's "
                f"FastModel path keeps only LoraConfig's keywords and drops it silently, so the "
                f"setting has no effect; {suggestion}")
    return (f"'{name}' is neither a keyword of {call.name} nor of LoraConfig: on Unsloth's fast "
            f"path (Llama, Mistral, Gemma, Qwen) it raises {raised}, on its FastModel path (other "
            f"architectures) it is dropped silently and has no effect; {suggestion}")
