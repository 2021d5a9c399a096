"""Small helpers shared by several rules (queries on the file model, number formatting)."""

from __future__ import annotations

from typing import TYPE_CHECKING, FrozenSet, Iterator, List, Optional, Tuple

from ..model import LORA_CONFIG, UNSLOTH_PEFT, CallSite, FileModel, TrainingSetup
from ..values import Value, is_number

if TYPE_CHECKING:  # pragma: no cover
    from ..catalog import ModelMatch

# PEFT's EMBEDDING_LAYER_NAMES; the architecture may add its own (wte, embed_in, ...).
DEFAULT_EMBEDDING_LEAVES: FrozenSet[str] = frozenset({"embed_tokens", "lm_head"})
KNOWN_EMBEDDING_LEAVES: FrozenSet[str] = DEFAULT_EMBEDDING_LEAVES | {
    "wte", "embed_in", "word_embeddings", "embed_out", "output", "token_embeddings"}

# Default learning rates when the training arguments leave it unset.
DEFAULT_LEARNING_RATE = {"TrainingArguments": 5e-5, "SFTConfig": 2e-5,
                         "UnslothTrainingArguments": 2e-5}


def leaf(module_name: str) -> str:
    """``"model.layers.0.self_attn.q_proj"`` -> ``"q_proj"``."""
    return module_name.rsplit(".", 1)[-1]


def lora_calls(file: FileModel) -> Iterator[Tuple[CallSite, Optional[TrainingSetup]]]:
    """Every LoRA call (``LoraConfig`` or Unsloth ``get_peft_model``) with its setup."""
    for call in file.calls_with_role(LORA_CONFIG, UNSLOTH_PEFT):
        yield call, file.setup_of(call)


def module_list(call: CallSite, parameter: str) -> Optional[Value]:
    """The resolved list/tuple/set given for ``parameter``, or None (absent, unknown, a string)."""
    value = call.args.value(parameter)
    if isinstance(value, Value) and value.is_sequence:
        return value
    return None


def embedding_leaves(match: Optional["ModelMatch"]) -> FrozenSet[str]:
    """Leaf names that are input/output embeddings for this model (defaults when unknown)."""
    if match is None or match.architecture is None:
        return DEFAULT_EMBEDDING_LEAVES
    return DEFAULT_EMBEDDING_LEAVES | match.architecture.embedding_module_names


def embedding_matrices(match: "ModelMatch", leaves: List[str]) -> List[Tuple[str, int, int]]:
    """(leaf, rows, cols) of the distinct embedding matrices named by ``leaves``.

    A tied output layer shares the input embedding's matrix, so it adds nothing of its own.
    """
    entry = match.entry
    matrices = []
    wanted = set(leaves)
    embedding, output = entry.embedding_module, entry.output_module
    if embedding.name in wanted or (output.tied_to_embedding and output.name in wanted):
        matrices.append((embedding.name, embedding.rows, embedding.cols))
    if output.name in wanted and not output.tied_to_embedding:
        matrices.append((output.name, output.rows, output.cols))
    return matrices


def embedding_cost_phrase(match: Optional["ModelMatch"], leaves: List[str], unsloth: bool) -> str:
    """`` (Llama-3-8B: 2 x 128,256 x 4,096 = 1.05 B parameters, 2.1 GB in bf16)`` or ``""``.

    Plain PEFT saves *both* full matrices once any embedding is targeted; Unsloth trains (and
    saves) the ones listed.
    """
    if match is None:
        return ""
    if not unsloth:
        entry = match.entry
        leaves = [entry.embedding_module.name, entry.output_module.name]
    matrices = embedding_matrices(match, leaves)
    if not matrices:
        return ""
    parameters = sum(rows * cols for _, rows, cols in matrices)
    shapes = {(rows, cols) for _, rows, cols in matrices}
    if len(shapes) == 1:
        rows, cols = next(iter(shapes))
        factor = f"{len(matrices)} x " if len(matrices) > 1 else ""
        formula = f"{factor}{rows:,} x {cols:,} = "
    else:
        formula = " + ".join(f"{rows:,} x {cols:,}" for _, rows, cols in matrices) + " = "
    return (f" ({match.hub_id}: {formula}{count(parameters)} parameters, "
            f"{size(2 * parameters)} in bf16, {size(4 * parameters)} in fp32, "
            "plus optimizer states when trained)")


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
