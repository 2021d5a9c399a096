"""Queries on call arguments shared by several rules: given or absent, accepted values."""

from __future__ import annotations

from typing import Iterator, Optional, Tuple

from ..analysis.model import ABSENT, Argument, CallSite, FileModel
from ..analysis.values import Value
from ._common import lora_calls, peft_fact


def absent_or_none(value: object) -> bool:
    """A resolved argument value that is certainly not given: absent, or given as None."""
    return value is ABSENT or (isinstance(value, Value) and value.python is None)


def given_argument(call: CallSite, name: str) -> Optional[Argument]:
    """The argument ``name`` when it is certainly passed with a value other than None."""
    argument = call.args.get(name)
    if argument is None or not isinstance(argument.value, Value) or argument.value.python is None:
        return None
    return argument


def resolved_lora_arguments(file: FileModel, name: str) -> Iterator[Tuple[Argument, Value]]:
    """The argument ``name`` of every LoRA call that passes it with a resolved value."""
    for call, _setup in lora_calls(file):
        argument = call.args.get(name)
        if argument is not None and isinstance(argument.value, Value):
            yield argument, argument.value


def given_peft_config(trainer: CallSite) -> Optional[Argument]:
    """The trainer's ``peft_config`` argument when it is certainly passed and not None."""
    return given_argument(trainer, "peft_config")


def accepted_bias(bias: object) -> bool:
    """What PEFT's get_peft_model accepts: "none", "all", or any string ending in "_only"."""
    return isinstance(bias, str) and (
        bias in peft_fact("bias_values") or bias.endswith(peft_fact("bias_accepted_suffix")))
