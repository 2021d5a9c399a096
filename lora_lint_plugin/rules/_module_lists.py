"""The LoRA calls of a file that name their modules in a resolved list.

The rules about ``target_modules`` / ``modules_to_save`` entries (LOR101, LOR102, LOR103,
LOR104, LOR107, LOR902) each look at every LoRA call (``LoraConfig`` or Unsloth's
``get_peft_model``) whose list is known, with the setup it belongs to. A list that is absent,
not resolved, or a single string (``"all-linear"``, a regex) is not theirs: other rules, or
silence.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator, Optional, Tuple

from ..analysis.model import CallSite, FileModel, TrainingSetup
from ..analysis.values import Value
from ._common import lora_calls, module_list

if TYPE_CHECKING:  # pragma: no cover
    from typing_extensions import TypeAlias

__all__ = ["ListedModules", "listed_modules"]


# One LoRA call, its setup (None when it is not linked) and its resolved list/tuple/set of
# entries. A plain tuple: a NamedTuple class costs ~0.2 ms to create when the module is imported.
ListedModules: TypeAlias = "Tuple[CallSite, Optional[TrainingSetup], Value]"


def listed_modules(file: FileModel, parameter: str = "target_modules") -> Iterator[ListedModules]:
    """Every LoRA call of ``file`` whose ``parameter`` is a resolved list of entries."""
    for call, setup in lora_calls(file):
        modules = module_list(call, parameter)
        if modules is not None:
            yield call, setup, modules
