"""The trainer's effective sequence length and gradient checkpointing, as it runs them.

Unsloth's defaults included; used by LOR401, LOR402, LOR901 and LOR902.
"""

from __future__ import annotations
import math
from typing import List, Literal, Optional, Sequence, Union
from ..analysis.diagnostics import Fix, FixSafety, Span
from ..analysis.model import ABSENT, UNSLOTH_PEFT, Argument, CallSite, FileModel, TrainingSetup
from ..analysis.values import Value, is_number
from ..fast_dataclass import dataclass
from .base import RuleContext


# Unsloth's FastLanguageModel.from_pretrained default since 2024.
UNSLOTH_DEFAULT_MAX_SEQ_LENGTH = 2048


# Argument names of a sequence length on SFTConfig (max_seq_length: TRL <= 0.19 and Unsloth).
CONFIG_LENGTH_ARGUMENTS = ("max_length", "max_seq_length")


SFT_CONFIGS = ("SFTConfig", "UnslothTrainingArguments")


CHECKPOINTING_ARGUMENTS = ("gradient_checkpointing", "activation_checkpointing")


def is_whole_number(value: object) -> bool:
    """An int, or a float with an integral finite value (``8e3``); never inf/nan."""
    return is_number(value) and math.isfinite(value) and int(value) == value


class ContextLength:
    """A sequence length and how it is written (a plain class: a data class's build, ~0.08 M
    instructions on every process's first training script, for a pair nothing compares)."""

    __slots__ = ("tokens", "argument")

    def __init__(self, tokens: int, argument: str) -> None:
        self.tokens = tokens
        self.argument = argument   # how it is written, for messages: "max_seq_length=16384"


def runs_under_unsloth(setup: TrainingSetup, file: FileModel) -> bool:
    """Unsloth loads or adapts the model (or may: it is imported and the loader is not linked)."""
    if setup.uses_unsloth_api:
        return True
    if setup.adapter_call is not None and setup.adapter_call.is_unsloth:
        return True
    return file.imports_unsloth and setup.model_load is None


def _length_of(call: CallSite, name: str) -> Union[int, None, Literal[False]]:
    """An int, None when not passed, or False when not knowable."""
    value = call.args.value(name)
    if value is ABSENT:
        return None
    if isinstance(value, Value) and is_whole_number(value.python):
        return int(value.python)
    return False


def _explicit_lengths(calls: List[CallSite]) -> Optional[List[ContextLength]]:
    """Explicit lengths on the training args / trainer; None when one of them is not knowable."""
    lengths = []
    for call in calls:
        names = CONFIG_LENGTH_ARGUMENTS if call.name in SFT_CONFIGS else ("max_seq_length",)
        for name in names:
            found = _length_of(call, name)
            if found is False:
                return None
            if found is not None:
                lengths.append(ContextLength(found, f"{name}={found}"))
    return lengths


def sequence_length(setup: TrainingSetup, file: FileModel) -> Optional[ContextLength]:
    """The sequence length the setup trains with, when it is known from the file.

    Under Unsloth the loader's ``max_seq_length`` (default 2048) caps the config's length
    (Unsloth reduces a larger one); otherwise SFTConfig's ``max_length``/``max_seq_length``
    (or an old-style ``SFTTrainer(max_seq_length=)``) decide.
    """
    extra = [call for call in (setup.training_args, setup.trainer) if call is not None]
    explicit = _explicit_lengths(extra)
    if explicit is None:
        return None
    loader = setup.model_load
    if runs_under_unsloth(setup, file) and loader is not None and loader.is_unsloth:
        found = _length_of(loader, "max_seq_length")
        if found is False:
            return None
        if found is None:
            loaded = ContextLength(UNSLOTH_DEFAULT_MAX_SEQ_LENGTH, "max_seq_length (default)")
        else:
            loaded = ContextLength(found, f"max_seq_length={found}")
        return min([loaded] + explicit, key=lambda length: length.tokens)
    if not explicit:
        return None
    return max(explicit, key=lambda length: length.tokens)


def long_context(setup: TrainingSetup, file: FileModel, context: RuleContext) -> Optional[ContextLength]:
    length = sequence_length(setup, file)
    if length is None or length.tokens < context.settings.long_context:
        return None
    return length


def _quote_of(value: object) -> Optional[str]:
    """The quote character of the first plain string literal in ``value`` (or its items)."""
    if not isinstance(value, Value):
        return None
    if value.raw is not None:
        body = value.raw.lstrip("rRuU")
        if body[:3] not in ('"""', "'''") and body[:1] in ('"', "'"):
            return body[0]
        return None
    for item in value.items:
        quote = _quote_of(item)
        if quote is not None:
            return quote
    return None


def string_like(calls: Sequence[Optional[CallSite]], text: str) -> str:
    """A string literal in the quote style of the first string argument of ``calls``."""
    for call in calls:
        if call is None:
            continue
        for argument in sorted(call.args.by_name.values(), key=lambda a: a.span):
            quote = _quote_of(argument.value)
            if quote is not None:
                return f"{quote}{text}{quote}"
    return f'"{text}"'


def setup_calls(setup: Optional[TrainingSetup]) -> List[Optional[CallSite]]:
    if setup is None:
        return []
    return [setup.adapter_call, setup.model_load, setup.lora, setup.training_args, setup.trainer]


@dataclass(frozen=True)
class CheckpointingOff:
    """Where checkpointing is switched off (``argument``) or left at an off default (None)."""

    call: CallSite
    argument: Optional[Argument]
    unsloth: bool
    setup: Optional[TrainingSetup] = None

    @property
    def span(self) -> Span:
        return self.argument.report_span if self.argument is not None else self.call.head_span

    def fix(self) -> Optional[Fix]:
        from ..fixing.edits import add_keyword, make_fix, replace_with_code  # loaded with the first fix
        if self.argument is None:
            return make_fix(FixSafety.SAFE, "add gradient_checkpointing=True",
                            add_keyword(self.call.span, "gradient_checkpointing", "True"))
        value = self.argument.value
        if not isinstance(value, Value) or not value.literal:
            return None
        if self.unsloth:
            unsloth_string = string_like([self.call] + setup_calls(self.setup), "unsloth")
            return make_fix(FixSafety.SAFE, 'use use_gradient_checkpointing="unsloth"',
                            replace_with_code(value, unsloth_string))
        return make_fix(FixSafety.SAFE, f"set {self.argument.name}=True",
                        replace_with_code(value, "True"))


def _unsloth_checkpointing_call(setup: TrainingSetup) -> Optional[CallSite]:
    """The Unsloth call whose ``use_gradient_checkpointing`` applies: get_peft_model, else the loader."""
    if setup.adapter_call is not None and setup.adapter_call.role == UNSLOTH_PEFT:
        return setup.adapter_call
    if setup.model_load is not None and setup.model_load.is_unsloth:
        return setup.model_load
    return None


def checkpointing_off(setup: TrainingSetup, file: FileModel) -> Optional[CheckpointingOff]:
    """Where gradient checkpointing is certainly off for the setup, or None."""
    if file.gradient_checkpointing_calls:
        return None  # gradient_checkpointing_enable() / prepare_model_for_kbit_training
    args = setup.training_args
    if args is not None:
        values = [args.args.value(name) for name in CHECKPOINTING_ARGUMENTS]
        if any(isinstance(v, Value) and v.python is True for v in values):
            return None
        if any(v is not ABSENT and not isinstance(v, Value) for v in values):
            return None  # unknown (argparse, **kwargs)
    if runs_under_unsloth(setup, file):
        call = _unsloth_checkpointing_call(setup)
        if call is None:
            return None
        argument = call.args.get("use_gradient_checkpointing")
        if argument is not None and isinstance(argument.value, Value) \
                and argument.value.python is False:
            return CheckpointingOff(call, argument, unsloth=True, setup=setup)
        return None  # absent means "unsloth"; unknown stays silent
    if args is None:
        return None
    for name in CHECKPOINTING_ARGUMENTS:
        argument = args.args.get(name)
        if argument is not None and isinstance(argument.value, Value) \
                and argument.value.python is False:
            return CheckpointingOff(args, argument, unsloth=False)
    if args.name == "TrainingArguments" and args.args.complete \
            and not any(name in args.args for name in CHECKPOINTING_ARGUMENTS):
        return CheckpointingOff(args, None, unsloth=False)  # transformers' default is off
    return None
