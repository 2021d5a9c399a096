"""Where gradient checkpointing is certainly off for a setup (LOR401), and the fix that turns
it on in the file's own quote style (LOR901 too).

Apart from ``_training.py`` because LOR401 asks only about a long-context setup (1 % of the
real-world training files), and a flake8 process started per save pays for every module it
loads (and for building ``CheckpointingOff``).
"""

from __future__ import annotations

from typing import List, Optional, Sequence

from ..analysis.diagnostics import Fix, FixSafety, Span
from ..analysis.model import ABSENT, UNSLOTH_PEFT, Argument, CallSite, FileModel, TrainingSetup
from ..analysis.values import Value
from ..fast_dataclass import dataclass
from ._training import CHECKPOINTING_ARGUMENTS, runs_under_unsloth


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
