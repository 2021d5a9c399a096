"""Chat-format facts of a file and base-model uses: what LOR301, LOR302 and LOR903 ask of a setup."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, FrozenSet, Iterator, List, Optional
from ..catalog import BASE, EMBEDDING_LAYER_NAMES, instruct_sibling
from ..analysis.diagnostics import Fix, Span
from ..analysis.model import ABSENT, TRAINING_ARGS, UNSLOTH_PEFT, CallSite, FileModel, TrainingSetup
from ..analysis.values import Value
from ..fast_dataclass import dataclass
from ._chat_templates import chat_signals, chat_signals_for_model, untrained_tokens_reach_unsloth
from ._common import leaf, lower_embedding_learning_rate
from .base import RuleContext

if TYPE_CHECKING:  # pragma: no cover
    from ..analysis.diagnostics import SafetyLabel
    from ..catalog import ModelMatch


class BaseModelUse:
    """A training setup whose model id is a base checkpoint that has an instruct variant (a
    plain class: a data class's build, ~0.08 M instructions per process, for what nothing
    compares or prints)."""

    __slots__ = ("setup", "match", "model_id", "sibling", "suggestion", "span")

    def __init__(self, setup: TrainingSetup, match: "ModelMatch", model_id: Value,
                 sibling: Optional[str], suggestion: str, span: Span) -> None:
        self.setup = setup
        self.match = match
        self.model_id = model_id
        self.sibling = sibling         # an exact table id to rewrite to (same org), or None
        self.suggestion = suggestion   # the instruct id named in messages
        self.span = span               # the model-name literal, or the argument when it is computed

    def fix(self, safety: SafetyLabel) -> Optional[Fix]:
        """Replace the model-name literal with the sibling id (same quotes)."""
        from ..fixing.edits import make_fix, replace_string  # loaded with the first fix
        if self.sibling is None or not self.model_id.literal:
            return None
        return make_fix(safety, f"use the Instruct model '{self.sibling}'",
                        replace_string(self.model_id, self.sibling))


def trains_a_model(setup: TrainingSetup) -> bool:
    """The setup fine-tunes (LoRA or trainer), so it is not an inference-only script."""
    return setup.lora is not None or setup.adapter_call is not None or setup.trainer is not None


def base_model_uses(file: FileModel, context: RuleContext) -> Iterator[BaseModelUse]:
    """Setups training a base checkpoint that has an instruct variant in the catalog.

    Hub ids need a sibling in the same org (the fix never changes the org); local paths whose
    tail is a known base id are reported with the original instruct id but get no fix.
    Deliberate continued pretraining (a lower ``embedding_learning_rate``) is left alone.
    """
    for setup in file.setups:
        if setup.model_id is None or not trains_a_model(setup):
            continue
        match = context.model_match(setup)
        if match is None or not match.is_base or match.entry.instruct is None:
            continue
        if lower_embedding_learning_rate(setup):
            continue
        sibling = instruct_sibling(setup.model_id.python)
        if sibling is not None:
            suggestion = sibling
        elif match.is_local_path:
            ids = match.entry.instruct.all_ids
            if not ids:
                continue
            suggestion = ids[0]
        else:
            continue  # another org's copy: no sibling we can name with certainty
        yield BaseModelUse(setup, match, setup.model_id, sibling, suggestion,
                           model_id_span(setup))


@dataclass(frozen=True)
class FamilyBaseUse:
    """A training setup on a base checkpoint known only by its family's name (no sizes, no
    listed instruct id): the family names instruct checkpoints, but none is suggested by id."""

    setup: TrainingSetup
    family: str
    model_id: Value
    span: Span


def family_base_uses(file: FileModel, context: RuleContext) -> Iterator[FamilyBaseUse]:
    """Setups training a base checkpoint the table does not list, whose family's naming says
    it is a base model and has instruct variants (``catalog/identify.py``)."""
    from ..catalog.identify import FAMILY_NAME

    for setup in file.setups:
        if setup.model_id is None or not trains_a_model(setup) or context.model_match(setup):
            continue
        identity = context.model_identity(setup)
        if identity is None or identity.how != FAMILY_NAME or identity.variant != BASE \
                or not identity.instruct_exists:
            continue
        if lower_embedding_learning_rate(setup):
            continue
        yield FamilyBaseUse(setup, identity.family, setup.model_id, model_id_span(setup))


# TRL trainers built to start from a base checkpoint: ORPO aligns a base model in one stage
# (its loss holds the supervised term, no SFT stage and no reference model), and GRPO runs RL
# from a base model in R1-Zero-style experiments, with a reasoning format of the run's own.
BASE_MODEL_TRAINERS = ("ORPOTrainer", "GRPOTrainer")


def trained_from_base_by_design(file: FileModel, model_id: Value) -> bool:
    """The file trains this model (the same model-name literal) with a trainer designed to
    start from a base checkpoint (``BASE_MODEL_TRAINERS``; TRL's class in Python, or a YAML
    config's ``rl: orpo`` / ``rl: grpo`` that runs it), possibly after an SFT stage that
    primes its format: the base model is the experiment, not an oversight."""
    return any(setup.trainer is not None and setup.trainer.name in BASE_MODEL_TRAINERS
               and setup.model_id is not None and setup.model_id.span == model_id.span
               for setup in file.setups)


def model_id_span(setup: TrainingSetup) -> Span:
    """The model-name literal (wherever it is written), or the argument when it is computed."""
    model_id = setup.model_id
    assert model_id is not None
    for call, name in ((setup.model_load, "model_name"), (setup.trainer, "model")):
        argument = call.args.get(name) if call is not None else None
        if argument is not None and argument.value is model_id:
            return argument.report_span
    return model_id.span


def chat_training_args(file: FileModel) -> List[CallSite]:
    """Training-argument calls with ``assistant_only_loss=True`` (needs a chat template)."""
    return file.derived("chat_training_args", lambda: [
        call for call in file.calls_with_role(TRAINING_ARGS)
        if call.args.plain("assistant_only_loss", False) is True])


def shows_chat_format(file: FileModel, model_id: Any = None) -> bool:
    """Any chat/instruction signal: template calls, chat special tokens (not ones the file adds
    to the tokenizer itself, nor, given ``model_id``, ones its tokenizer does not have),
    assistant-only loss."""
    signals = chat_signals(file) if model_id is None else chat_signals_for_model(file, model_id)
    return bool(signals) or bool(chat_training_args(file))


def _trained_leaves(call: CallSite, parameter: str) -> Optional[FrozenSet[str]]:
    """Leaves named by ``target_modules``/``modules_to_save``; None when not known."""
    value = call.args.value(parameter)
    if value is ABSENT:
        return _NO_MODULES  # Unsloth's defaults: the seven projections, nothing saved
    if not isinstance(value, Value):
        return None
    if value.python is None or value.python == "all-linear":
        return _NO_MODULES  # "all-linear" excludes the output layer and embeddings
    if not value.is_sequence:
        return None  # a regex string: which modules it reaches is not worth guessing
    names = [item.python for item in value.items]
    if not all(isinstance(name, str) for name in names):
        return None
    return frozenset(leaf(name) for name in names)


def untrained_embeddings(setup: TrainingSetup) -> Optional[List[str]]:
    """``embed_tokens``/``lm_head`` left frozen by the setup's Unsloth ``get_peft_model``.

    None when it cannot be known (no Unsloth LoRA call, unresolved lists) or both are trained.
    """
    call = setup.lora
    if call is None or call.role != UNSLOTH_PEFT:
        return None
    targets = _trained_leaves(call, "target_modules")
    saved = _trained_leaves(call, "modules_to_save")
    if targets is None or saved is None:
        return None
    missing = [name for name in EMBEDDING_LAYER_NAMES if name not in targets | saved]
    return missing or None


def untrained_token_crash(file: FileModel, use: BaseModelUse) -> Optional[List[str]]:
    """The frozen embedding names when Unsloth will raise "Untrained tokens ... found" (LOR302)."""
    setup = use.setup
    if not use.match.entry.chat_tokens_untrained_in_base:
        return None
    if not (file.imports_unsloth or setup.uses_unsloth_api) or setup.trainer is None:
        return None
    if not untrained_tokens_reach_unsloth(file, setup.trainer.span):
        return None  # a custom template without them (Alpaca-style), or not known
    return untrained_embeddings(setup)


def base_model_reason(match: Optional["ModelMatch"], untrained_tokens_used: Optional[bool] = None) -> str:
    """Why a base checkpoint is a poor start for chat; ``untrained_tokens_used`` False when the
    template the file sets is known not to use the untrained chat tokens (``match`` None: a
    model known by family, whose chat tokens are not known)."""
    untrained = match is not None and match.entry.chat_tokens_untrained_in_base
    if untrained and untrained_tokens_used is not False:
        return ("its chat-template tokens were never trained (NaN loss, or Unsloth's "
                "\"Untrained tokens found\" error whose workaround trains the full embedding "
                "matrices)")
    if untrained:
        return ("it was never trained to follow a chat format, so SFT has to teach the format "
                "from scratch (the template used here avoids its untrained chat tokens)")
    return ("it was never trained to follow the chat format, so SFT has to teach it from "
            "scratch, and chat tokens it has not trained turn the loss NaN or stop Unsloth with "
            "\"Untrained tokens found\"")


_NO_MODULES: FrozenSet[str] = frozenset()
