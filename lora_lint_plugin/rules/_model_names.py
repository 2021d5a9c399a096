"""Which module names the model of a training setup has.

From the catalog when the checkpoint is listed (its measured architecture, with Unsloth's
re-upload layouts), else from the names derived per ``model_type`` for a model known only by its
family (``catalog/module_names.py``): then sizes are unknown and messages leave numbers out.
Only complete name lists are returned: a name missing from an incomplete list proves nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, FrozenSet, Iterable, List, Optional, Tuple

from ..analysis.model import UNSLOTH_PEFT, CallSite, TrainingSetup
from ..catalog import Architecture, ModelMatch, architecture_for
from ..catalog.module_names import module_names, peft_default_targets, peft_rewritten_expert_targets
from ._common import is_unsloth_setup, peft_fact

if TYPE_CHECKING:  # pragma: no cover
    from .base import RuleContext


# A plain class, not a data class: made for LoRA calls by LOR103 and LOR107 on most training
# scripts, never compared or printed, and building the data class on its first instance cost
# ~0.1 M instructions per process.
class KnownNames:
    """The module names of a setup's model, and how to name the model in a message."""

    __slots__ = ("model", "model_type", "valid", "moe", "peft_rewrites", "match",
                 "unsloth_expert_targets")

    def __init__(self, model: str, model_type: str, valid: FrozenSet[str], moe: bool,
                 peft_rewrites: FrozenSet[str], match: Optional[ModelMatch],
                 unsloth_expert_targets: FrozenSet[str] = frozenset()) -> None:
        self.model = model  # "llama (meta-llama/Llama-3.1-8B)"
        self.model_type = model_type
        self.valid = valid  # leaves a target_modules entry may end with (transformers 4 or 5)
        self.moe = moe  # routed experts are fused parameters target_modules cannot reach
        self.peft_rewrites = peft_rewrites  # expert names PEFT turns into target_parameters itself
        self.match = match  # the catalog entry, when sizes are known
        # Names Unsloth's get_peft_model turns into LoRA on the fused experts' parameters of this
        # MoE model (``unsloth_expert_targets``); empty when the LoRA call is not Unsloth's.
        self.unsloth_expert_targets = unsloth_expert_targets

    def widened(self) -> "KnownNames":
        """With the names derived from transformers added (task heads, names only some configs
        build). Loading them costs a few milliseconds, so a rule asks only before reporting."""
        derived = module_names(self.model_type)
        if derived is None or derived.valid_leaves <= self.valid:
            return self
        return KnownNames(self.model, self.model_type, self.valid | derived.valid_leaves, self.moe,
                          self.peft_rewrites, self.match, self.unsloth_expert_targets)


def possible_architectures(match: ModelMatch, unsloth: bool) -> List[Architecture]:
    """The layouts the loaded model may have.

    Unsloth's loader maps upstream ids to its own re-uploads, some of which are converted to
    Llama layout (Phi-3/Phi-4): an upstream id loaded through Unsloth may have either layout.
    """
    found = [match.architecture] if match.architecture is not None else []
    if unsloth and match.override is None:
        for override in match.entry.architecture_overrides:
            other = architecture_for(override.model_type)
            if other is not None and other not in found:
                found.append(other)
    return found


def known_names(context: "RuleContext", call: CallSite,
                setup: Optional[TrainingSetup]) -> Optional[KnownNames]:
    """The module names of the model ``call`` adapts, or None when they are not known."""
    if setup is None:
        return None
    identity = context.model_identity(setup)
    if identity is None:
        return None
    match = identity.match
    if match is not None and match.architecture is not None:
        architectures = possible_architectures(match, is_unsloth_setup(call, setup))
        valid: FrozenSet[str] = frozenset()
        for architecture in architectures:
            valid |= architecture.valid_leaves(5) | architecture.valid_leaves(4)
        first = architectures[0]
        return KnownNames(f"{first.model_type} ({match.hub_id})", first.model_type, valid,
                          any(a.moe for a in architectures),
                          peft_rewritten_expert_targets(first.model_type), match,
                          unsloth_expert_targets(call, [name for architecture in architectures
                                                        for name in architecture.moe_expert_parameters]))
    if identity.architecture is not None:  # config.json on disk: measured names, no sizes
        architecture = identity.architecture
        return KnownNames(f"{architecture.model_type} ({identity.model_id})", architecture.model_type,
                          architecture.valid_leaves(5) | architecture.valid_leaves(4), architecture.moe,
                          peft_rewritten_expert_targets(architecture.model_type), None,
                          unsloth_expert_targets(call, architecture.moe_expert_parameters))
    names = identity.module_names()
    if names is None or not names.complete:
        return None
    return KnownNames(f"{identity.model_type} ({identity.model_id})", identity.model_type,
                      names.valid_leaves, names.moe, peft_rewritten_expert_targets(identity.model_type),
                      match, unsloth_expert_targets(call, names.fused_expert_parameters))


def unsloth_expert_targets(call: CallSite, expert_parameters: Iterable[str]) -> FrozenSet[str]:
    """The ``target_modules`` names Unsloth's ``get_peft_model`` maps to the fused experts'
    parameters (``mlp.experts.gate_up_proj`` or ``gate_up_proj``) of an MoE layout
    (``unsloth_moe_expert_targets`` in ``data/peft_lora_config.json``): ``gate_up_proj`` on
    Qwen3-MoE under transformers 5. Empty for another LoRA call or a dense model."""
    if call.role != UNSLOTH_PEFT:
        return frozenset()
    parameters = {name.rsplit(".", 1)[-1] for name in expert_parameters}
    if not parameters:
        return frozenset()
    mapping = peft_fact("unsloth_moe_expert_targets")["target_to_parameter"]
    return frozenset(target for target, parameter in mapping.items() if parameter in parameters)


def default_targets(names: KnownNames) -> Optional[Tuple[str, ...]]:
    """PEFT's default target_modules for the model (None: PEFT has none and raises)."""
    if names.match is not None and names.match.architecture is not None:
        return names.match.architecture.peft_default_target_modules
    return peft_default_targets(names.model_type)
