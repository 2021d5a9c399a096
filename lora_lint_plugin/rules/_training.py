"""The trainer's effective sequence length, as it runs it (where checkpointing is off:
``_checkpointing.py``).

Unsloth's defaults included; used by LOR401, LOR402, LOR901 and LOR902.
"""

from __future__ import annotations
import math
from typing import List, Literal, Optional, Union
from ..analysis.model import ABSENT, CallSite, FileModel, TrainingSetup
from ..analysis.values import Value, is_number
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
