"""Small helpers shared by several rules: queries on the file model (LoRA calls, their module
lists, call arguments given or absent), number formatting."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any, FrozenSet, Iterator, List, Optional, Tuple

from ..analysis.model import (ABSENT, LORA_CONFIG, UNSLOTH_PEFT, Argument, CallSite, FileModel,
                              ImportRecord, TrainingSetup)
from ..catalog import EMBEDDING_LAYER_NAMES
from ..analysis.values import Value, is_number

if TYPE_CHECKING:  # pragma: no cover
    from typing_extensions import TypeAlias

    from ..catalog import ModelMatch
    from ..catalog.json_index import IndexedDocument

DEFAULT_EMBEDDING_LEAVES: FrozenSet[str] = frozenset(EMBEDDING_LAYER_NAMES)

# Default learning rates when the training arguments leave it unset.
DEFAULT_LEARNING_RATE = {"TrainingArguments": 5e-5, "SFTConfig": 2e-5,
                         "UnslothTrainingArguments": 2e-5}


def written_callee(call: CallSite) -> str:
    """The callee as written (``AutoPeftModelForCausalLM.from_pretrained``, ``MyTrainer``), not
    the canonical name the analysis files it under."""
    import ast

    try:
        return ast.unparse(call.node.func)
    except Exception:  # noqa: BLE001 - a made-up node: the canonical name will do
        return call.name


def first_module_level_import(file: FileModel, package: str) -> Optional[ImportRecord]:
    """The file's first import of ``package`` outside any function or class body (the imports
    are listed in source order): the one that runs when the module is imported."""
    return next((record for record in file.imports
                 if record.package == package and record.top_level), None)


def leaf(module_name: str) -> str:
    """``"model.layers.0.self_attn.q_proj"`` -> ``"q_proj"``."""
    return module_name.rsplit(".", 1)[-1]


def lora_calls(file: FileModel) -> Iterator[Tuple[CallSite, Optional[TrainingSetup]]]:
    """Every LoRA call (``LoraConfig`` or Unsloth ``get_peft_model``) with its setup (paired
    once per file: a dozen rules ask, and PEFT's tests make hundreds of these calls)."""
    return iter(file.derived("lora_calls", lambda: [
        (call, file.setup_of(call)) for call in file.calls_with_role(LORA_CONFIG, UNSLOTH_PEFT)]))


def module_list(call: CallSite, parameter: str) -> Optional[Value]:
    """The resolved list/tuple/set given for ``parameter``, or None (absent, unknown, a string)."""
    value = call.args.value(parameter)
    if isinstance(value, Value) and value.is_sequence:
        return value
    return None


# One LoRA call, its setup (None when it is not linked) and its resolved list/tuple/set of
# entries. A plain tuple: a NamedTuple class costs ~0.2 ms to create when the module is imported.
ListedModules: TypeAlias = "Tuple[CallSite, Optional[TrainingSetup], Value]"


def listed_modules(file: FileModel, parameter: str = "target_modules") -> Iterator[ListedModules]:
    """Every LoRA call of ``file`` whose ``parameter`` is a resolved list of entries: what the
    rules about ``target_modules`` / ``modules_to_save`` entries (LOR101, LOR102, LOR103, LOR104,
    LOR107, LOR902) look at. A list that is absent, not resolved, or a single string
    (``"all-linear"``, a regex) is not theirs: other rules, or silence."""
    for call, setup in lora_calls(file):
        modules = module_list(call, parameter)
        if modules is not None:
            yield call, setup, modules


# --------------------------------------------------------------------------- call arguments


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


def embedding_leaves(match: Optional["ModelMatch"]) -> FrozenSet[str]:
    """Leaf names that are input/output embeddings for this model (defaults when unknown)."""
    if match is None or match.architecture is None:
        return DEFAULT_EMBEDDING_LEAVES
    return DEFAULT_EMBEDDING_LEAVES | match.architecture.embedding_module_names


def lower_embedding_learning_rate(setup: Optional[TrainingSetup]) -> bool:
    """True when the setup may set a separate, lower learning rate for the embeddings.

    Unknown values count as "may": LOR101/LOR102 stay silent rather than guess.
    """
    if setup is None or setup.training_args is None:
        return False
    args = setup.training_args.args
    embedding_lr = args.plain("embedding_learning_rate", None)
    if embedding_lr is None:
        return False
    default = DEFAULT_LEARNING_RATE.get(setup.training_args.name, 5e-5)
    learning_rate = args.plain("learning_rate", default)
    if not is_number(embedding_lr) or not is_number(learning_rate):
        return True
    return embedding_lr < learning_rate


def may_lower_embedding_learning_rate(file: FileModel, setup: Optional[TrainingSetup]) -> bool:
    """True unless the file shows the embeddings get no separate, lower learning rate.

    Unknown is never read as absent: only ``UnslothTrainer`` reads ``embedding_learning_rate``,
    so a linked trainer of another class settles it, and so do arguments seen in full; an
    ``UnslothTrainer`` whose arguments are not visible (a launcher passing
    ``--embedding_learning_rate``, argparse, an argument dataclass) may use one. With no trainer
    in sight, a file that names ``embedding_learning_rate`` or ``UnslothTrainingArguments``
    (parsed from the command line) may use one.
    """
    if setup is not None and setup.training_args is not None:
        return lower_embedding_learning_rate(setup)
    trainer = setup.trainer if setup is not None else None
    if trainer is not None:
        if trainer.name != "UnslothTrainer":
            return False
        return not trainer.args.complete or trainer.args.value("args") is not ABSENT
    return file.derived("names_embedding_learning_rate", lambda: _names_embedding_learning_rate(file))


def _names_embedding_learning_rate(file: FileModel) -> bool:
    source = file.lines.source if file.lines is not None else ""
    return "embedding_learning_rate" in source or "UnslothTrainingArguments" in source


def embedding_removal_advice(match: Optional["ModelMatch"]) -> str:
    """What to do instead of training an embedding matrix in full; the Instruct model only
    where the model is known to be a base checkpoint that has one."""
    if match is not None and match.is_base and match.entry.instruct is not None:
        return "train the Instruct model for chat tokens, or use trainable_token_indices for new tokens"
    return "use trainable_token_indices for new tokens"


def is_unsloth_setup(call: CallSite, setup: Optional[TrainingSetup]) -> bool:
    """LoRA applied through Unsloth (its get_peft_model, or an Unsloth-loaded model)."""
    if call.role == UNSLOTH_PEFT:
        return True
    return setup is not None and setup.model_load is not None and setup.model_load.is_unsloth


def count(number: float) -> str:
    """``1050673152`` -> ``"1.05 B"``; small numbers with thousands separators."""
    for limit, suffix in ((1e9, "B"), (1e6, "M")):
        if number >= limit:
            return f"{number / limit:.2f} {suffix}"
    return f"{int(number):,}"


def size(n_bytes: float) -> str:
    """Decimal units, as hubs and file browsers show file sizes: ``2101346304`` -> ``"2.1 GB"``."""
    for limit, suffix in ((1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
        if n_bytes >= limit:
            return f"{n_bytes / limit:.1f} {suffix}"
    return f"{int(n_bytes)} bytes"


def quoted(names: List[str]) -> str:
    return ", ".join(f"'{name}'" for name in names)


@lru_cache(maxsize=None)
def peft_fact(key: str) -> Any:
    """One bundled fact about LoraConfig, Unsloth's get_peft_model, removed TRL keywords, ...:
    the value of ``key`` in ``data/peft_lora_config.json`` (its ``source`` says where each fact
    comes from), parsed alone through the file's span index (a script needs a few of its 28 KB)
    and kept: rules ask on every call they check."""
    value = _peft_facts_document().get(key, default=_NO_FACT)
    if value is _NO_FACT:
        raise KeyError(key)
    return value


_NO_FACT = object()


@lru_cache(maxsize=1)
def _peft_facts_document() -> IndexedDocument:
    from ..catalog.json_index import IndexedDocument

    return IndexedDocument("peft_lora_config.json")


def format_learning_rate(value: float) -> str:
    """As learning rates are written: ``0.0002`` -> ``"2e-4"``, ``2.0000000000000002e-05`` ->
    ``"2e-5"``, ``1.5e-4`` -> ``"1.5e-4"``; rates from 0.01 up print plainly (``"0.05"``)."""
    if value == 0 or abs(value) >= 1e-2:
        return f"{value:.3g}"
    mantissa, exponent = f"{value:.2e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"
