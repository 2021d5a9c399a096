"""Trainable parameters of a LoRA configuration on a catalog model, computed the way PEFT does.

Pure functions of a ``LoraSpec`` (the resolved LoRA arguments) and a catalog ``ModelEntry``
(module names and shapes read from model skeletons). PEFT's rules reproduced here:

* ``target_modules`` list: a module is targeted when its full name equals an entry or ends with
  ``"." + entry``; a string is a regex that must match the full name (``re.fullmatch``);
  ``"all-linear"`` is every ``Linear``/``Conv1D`` except the output layer.
* LoRA on an in->out module costs ``r * (in + out)`` (``Embedding``: rows = in); ``rank_pattern``
  keys match full names as ``(.*\\.)?(key)$``; DoRA adds a magnitude vector of ``out`` values
  (the embedding width for an ``Embedding``); ``bias="all"``/``"lora_only"`` makes biases trainable.
* ``modules_to_save``: a full trainable copy per matched module; a tied input/output pair gets two
  independent copies unless ``ensure_weight_tying`` (PEFT >= 0.18), then one.
* Unsloth moves ``embed_tokens``/``lm_head`` from ``target_modules`` to ``modules_to_save``, and on
  a tied model keeps one copy.
* transformers 5 + PEFT 0.21 turn the expert names of some MoE types into ``target_parameters``
  on fused 3-D tensors (``gate_up_proj`` with doubled rank).

Module instances are enumerated with concrete indices (``model.layers.3.self_attn.q_proj``), so
regexes, layer indices in names, ``rank_pattern`` and ``layers_to_transform`` behave as in PEFT.
"""

from __future__ import annotations

import re
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

from ..catalog import EMBEDDING_LAYER_NAMES, FusedExpertParameter, LinearModule, ModelEntry, MoeInfo
from ..fast_dataclass import dataclass, replace

ALL_LINEAR = "all-linear"
PEFT = "peft"
UNSLOTH = "unsloth"

# Unsloth's get_peft_model default target_modules (unsloth/models/llama.py _DEFAULT_TARGET_MODULES).
UNSLOTH_DEFAULT_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                           "down_proj")

# transformers 5 fuses MoE experts into 3-D parameters; PEFT 0.21
# (peft/utils/transformers_weight_conversion.py _MOE_TARGET_MODULE_MAPPING / _MOE_FUSED_TARGETS)
# rewrites the old expert names into target_parameters. A fused tensor built from two old names
# gets rank r * 2. Measured: Mixtral w1/w2/w3 -> 357,564,416 at r=16 (transformers 5.24).
_MIXTRAL_STYLE = {"w1": "gate_up_proj", "w3": "gate_up_proj", "w2": "down_proj"}
_QWEN_MOE_STYLE = {"gate_proj": "gate_up_proj", "up_proj": "gate_up_proj", "down_proj": "down_proj"}
_FUSED_FROM = {"mixtral": {"gate_up_proj": ("w1", "w3")}}
MOE_TARGET_REWRITES: Dict[str, Dict[str, str]] = {
    "mixtral": _MIXTRAL_STYLE,
    "qwen2_moe": _QWEN_MOE_STYLE,
    "qwen3_moe": _QWEN_MOE_STYLE,
    "olmoe": _QWEN_MOE_STYLE,
    "deepseek_v2": _QWEN_MOE_STYLE,
    "deepseek_v3": _QWEN_MOE_STYLE,
    "glm4_moe": _QWEN_MOE_STYLE,
    "glm4_moe_lite": _QWEN_MOE_STYLE,
}

LORA = "lora"                # LoRA A/B matrices on a Linear/Conv1D (fp32 in the adapter)
LORA_EMBEDDING = "lora_embedding"  # LoRA A/B on an nn.Embedding
LORA_PARAMETER = "lora_parameter"  # LoRA on a fused 3-D expert tensor (target_parameters)
DORA = "dora_magnitude"
BIAS = "bias"
FULL_COPY = "full_copy"      # modules_to_save: a full trainable copy (model dtype)


class EstimateError(ValueError):
    """The configuration cannot be estimated (PEFT itself would reject it, or it names nothing)."""


@dataclass(frozen=True)
class LoraSpec:
    """The LoRA arguments that decide what is trained, after defaults are applied."""

    r: int
    target_modules: Union[Tuple[str, ...], str, None]  # list, regex/"all-linear", None = PEFT default
    api: str = PEFT  # "peft" or "unsloth"
    rank_pattern: Tuple[Tuple[str, int], ...] = ()
    use_dora: bool = False
    bias: str = "none"
    modules_to_save: Tuple[str, ...] = ()
    target_parameters: Tuple[str, ...] = ()
    ensure_weight_tying: Optional[bool] = False  # None: Unsloth decides
    layers_to_transform: Optional[Tuple[int, ...]] = None
    layers_pattern: Optional[Tuple[str, ...]] = None
    trainable_token_indices: bool = False


@dataclass(frozen=True)
class ModuleCost:
    """Trainable parameters added for one kind of module (all its matched instances)."""

    kind: str
    name: str       # leaf name
    path: str       # pattern with "*" for indices
    instances: int
    parameters: int
    rank: Optional[int] = None
    shape: Tuple[int, ...] = ()
    is_embedding: bool = False  # input/output embedding of the model

    def as_dict(self) -> dict:
        data = {"kind": self.kind, "name": self.name, "path": self.path,
                "instances": self.instances, "parameters": self.parameters}
        if self.rank is not None:
            data["rank"] = self.rank
        if self.shape:
            data["shape"] = list(self.shape)
        return data


@dataclass(frozen=True)
class SavedMatrix:
    """A base weight matrix PEFT writes into the adapter file although it is not trained."""

    name: str
    path: str
    parameters: int
    reason: str


@dataclass(frozen=True)
class ParameterCount:
    modules: Tuple[ModuleCost, ...]
    saved_base_matrices: Tuple[SavedMatrix, ...] = ()
    notes: Tuple[str, ...] = ()

    def _sum(self, *kinds: str) -> int:
        return sum(m.parameters for m in self.modules if m.kind in kinds)

    @property
    def lora(self) -> int:
        """Adapter parameters kept in float32: LoRA matrices and DoRA magnitudes."""
        return self._sum(LORA, LORA_EMBEDDING, LORA_PARAMETER, DORA)

    @property
    def full(self) -> int:
        """Fully trained copies (``modules_to_save``), kept in the model dtype."""
        return self._sum(FULL_COPY)

    @property
    def full_embeddings(self) -> int:
        return sum(m.parameters for m in self.modules if m.kind == FULL_COPY and m.is_embedding)

    @property
    def bias(self) -> int:
        return self._sum(BIAS)

    @property
    def total(self) -> int:
        return sum(m.parameters for m in self.modules)

    @property
    def saved_base(self) -> int:
        return sum(m.parameters for m in self.saved_base_matrices)


# --------------------------------------------------------------------------- module instances


@dataclass(frozen=True)
class _Instance:
    module: LinearModule
    name: str  # concrete name, e.g. "model.layers.3.self_attn.q_proj"


def _index_ranges(module: LinearModule, entry: ModelEntry) -> List[int]:
    """How many values each ``*`` of the path takes (layers, then experts)."""
    stars = module.path.count("*")
    if stars == 0:
        return []
    if stars == 1:
        return [module.count]
    experts = entry.moe.num_experts if entry.moe is not None else 1
    inner = [experts] + [1] * (stars - 2)
    outer = module.count
    for n in inner:
        outer //= max(n, 1)
    return [outer] + inner


def _concrete_names(module: LinearModule, entry: ModelEntry) -> Iterator[str]:
    ranges = _index_ranges(module, entry)
    if not ranges:
        yield module.path
        return
    parts = module.path.split("*")

    def build(level: int, prefix: str) -> Iterator[str]:
        if level == len(ranges):
            yield prefix
            return
        for index in range(ranges[level]):
            yield from build(level + 1, prefix + str(index) + parts[level + 1])

    yield from build(0, parts[0])


def _is_vision(path: str) -> bool:
    return any(part in path for part in ("vision_tower", "vision_model", "multi_modal_projector"))


def model_modules(entry: ModelEntry, modules: Optional[Sequence[LinearModule]] = None,
                  transformers_major: int = 5, text_only: bool = False) -> Tuple[LinearModule, ...]:
    mods = tuple(modules) if modules is not None else entry.modules(transformers_major)
    if text_only:
        mods = tuple(m for m in mods if not _is_vision(m.path))
        mods = tuple(_strip_language_prefix(m) for m in mods)
    return mods


def _strip_language_prefix(module: LinearModule) -> LinearModule:
    """A multimodal checkpoint loaded as a text-only model names its decoder ``model.layers``."""
    path = module.path.replace("model.language_model.", "model.", 1)
    return replace(module, path=path) if path != module.path else module


# --------------------------------------------------------------------------- matching


def _list_match(name: str, key: str) -> bool:
    return name == key or name.endswith("." + key)


def _regex_match(pattern: str, name: str) -> bool:
    try:
        return re.fullmatch(pattern, name) is not None
    except re.error as error:
        raise EstimateError(f"target_modules is not a valid regular expression: {error}")


def _rank_for(name: str, spec: LoraSpec) -> int:
    """``rank_pattern``: the first key matching ``(.*\\.)?(key)$`` gives the rank (PEFT >= 0.14)."""
    for key, rank in spec.rank_pattern:
        try:
            if re.match(rf"(.*\.)?({key})$", name):
                return rank
        except re.error:
            continue
    return spec.r


def _layer_index(name: str, spec: LoraSpec) -> Optional[int]:
    """The layer index PEFT reads for ``layers_to_transform`` (its own regexes)."""
    patterns = spec.layers_pattern
    if patterns:
        for pattern in patterns:
            found = re.match(rf".*\.{pattern}\.(\d+)\.", name)
            if found:
                return int(found.group(1))
        return None
    found = re.match(r".*\.[^.]*\.(\d+)\.", name)
    return int(found.group(1)) if found else None


def _is_targeted(instance: _Instance, spec: LoraSpec, targets: Union[Tuple[str, ...], str],
                 output_path: Optional[str]) -> bool:
    name = instance.name
    if isinstance(targets, str):
        if targets.lower() == ALL_LINEAR:
            if instance.module.type not in ("Linear", "Conv1D") or name == output_path:
                return False
        elif not _regex_match(targets, name):
            return False
    elif not any(_list_match(name, key) for key in targets):
        return False
    if spec.layers_to_transform is not None:
        index = _layer_index(name, spec)
        if index is None or index not in spec.layers_to_transform:
            return False
    return True


# --------------------------------------------------------------------------- counting


def _default_targets(entry: ModelEntry, spec: LoraSpec, default_targets: Optional[Sequence[str]]
                     ) -> Union[Tuple[str, ...], str]:
    if spec.target_modules is not None:
        return spec.target_modules
    if spec.api == UNSLOTH:
        return UNSLOTH_DEFAULT_TARGETS
    if default_targets is None:
        raise EstimateError(
            f"PEFT has no default target_modules for model type '{entry.model_type}'; "
            "LoraConfig needs explicit target_modules")
    return tuple(default_targets)


def _embedding_leaf_names(entry: ModelEntry) -> Tuple[str, str]:
    return entry.embedding_module.name, entry.output_module.name


def _unsloth_redirect(entry: ModelEntry, spec: LoraSpec, targets: Union[Tuple[str, ...], str]
                      ) -> Tuple[Union[Tuple[str, ...], str], Tuple[str, ...], List[str]]:
    """Unsloth moves embedding names from target_modules into modules_to_save (2.3 in the notes)."""
    notes: List[str] = []
    if spec.api != UNSLOTH or isinstance(targets, str):
        return targets, spec.modules_to_save, notes
    embedding_names = set(EMBEDDING_LAYER_NAMES) | set(_embedding_leaf_names(entry))
    moved = [t for t in targets if t.rsplit(".", 1)[-1] in embedding_names]
    if not moved:
        return targets, spec.modules_to_save, notes
    kept = tuple(t for t in targets if t not in moved)
    if not kept:
        raise EstimateError(
            "Unsloth trains embed_tokens/lm_head as full modules, so target_modules would be "
            "empty (Unsloth raises a RuntimeError)")
    notes.append("Unsloth moves %s from target_modules to modules_to_save (trained as full "
                 "matrices)" % ", ".join(moved))
    saved = tuple(spec.modules_to_save) + tuple(m for m in moved if m not in spec.modules_to_save)
    return kept, saved, notes


def count_parameters(entry: ModelEntry, spec: LoraSpec, *, transformers_major: int = 5,
                     modules: Optional[Sequence[LinearModule]] = None,
                     default_targets: Optional[Sequence[str]] = None,
                     text_only: bool = False) -> ParameterCount:
    """Trainable parameters PEFT (or Unsloth) creates for ``spec`` on ``entry``, per module.

    ``modules`` overrides the entry's module list (``ModelMatch.modules`` for re-uploads with a
    different layout); ``default_targets`` is PEFT's default for the architecture, used when
    ``spec.target_modules`` is None. Raises ``EstimateError`` when PEFT would reject the config.
    """
    if not isinstance(spec.r, int) or isinstance(spec.r, bool) or spec.r <= 0:
        raise EstimateError(f"r must be a positive integer, got {spec.r!r}")
    notes: List[str] = []
    mods = model_modules(entry, modules, transformers_major, text_only)
    targets = _default_targets(entry, spec, default_targets)
    if isinstance(targets, str) and transformers_major >= 5 and \
            entry.model_type in MOE_TARGET_REWRITES and entry.moe is not None:
        targets = _moe_string_targets(entry, targets, mods)
        notes.append("transformers 5 + PEFT 0.21 resolve a string target_modules on this MoE "
                     "model to the leaf names it matches, in every layer")
    targets, modules_to_save, redirect_notes = _unsloth_redirect(entry, spec, targets)
    notes.extend(redirect_notes)
    output_path = _output_path(entry, text_only)
    embedding_paths = {_input_path(entry, text_only), output_path}

    costs: List[ModuleCost] = []
    wrapped_paths = set()
    module_targets = _after_moe_rewrite(entry, targets, transformers_major, mods, notes)
    for module in mods:
        module_costs = _adapter_costs(module, entry, spec, module_targets, output_path,
                                      module.path in embedding_paths)
        if module_costs:
            wrapped_paths.add(module.path)
            costs.extend(module_costs)

    costs.extend(_fused_expert_costs(entry, spec, targets, transformers_major, notes))
    if not any(c.kind in (LORA, LORA_EMBEDDING, LORA_PARAMETER) for c in costs):
        raise EstimateError("target_modules matches no module of this model (PEFT raises "
                            "'Target modules ... not found in the base model')")

    if spec.bias == "all":
        costs.extend(_all_bias_costs(mods, notes))
    full_costs, full_notes = _modules_to_save_costs(entry, spec, modules_to_save, mods, text_only)
    costs.extend(full_costs)
    notes.extend(full_notes)
    saved = _saved_embedding_matrices(entry, spec, targets, mods, wrapped_paths, text_only)
    return ParameterCount(tuple(costs), tuple(saved), tuple(notes))


def _adapter_costs(module: LinearModule, entry: ModelEntry, spec: LoraSpec,
                   targets: Union[Tuple[str, ...], str], output_path: str,
                   is_embedding: bool) -> List[ModuleCost]:
    """The LoRA (and DoRA, ``lora_only`` bias) parameters on the targeted instances of one
    catalog module, a cost per rank; empty when no instance is targeted."""
    by_rank: Dict[int, int] = {}
    bias_instances = 0
    for name in _concrete_names(module, entry):
        if not _is_targeted(_Instance(module, name), spec, targets, output_path):
            continue
        rank = _rank_for(name, spec)
        by_rank[rank] = by_rank.get(rank, 0) + 1
        if module.bias:
            bias_instances += 1
    if not by_rank:
        return []
    kind = LORA_EMBEDDING if module.type == "Embedding" else LORA
    costs = [ModuleCost(kind, module.name, module.path, instances,
                        rank * (module.in_features + module.out_features) * instances,
                        rank=rank, shape=(module.in_features, module.out_features),
                        is_embedding=is_embedding)
             for rank, instances in sorted(by_rank.items())]
    total_instances = sum(by_rank.values())
    if spec.use_dora:
        costs.append(ModuleCost(DORA, module.name, module.path, total_instances,
                                module.out_features * total_instances, is_embedding=is_embedding))
    if spec.bias == "lora_only" and bias_instances:
        costs.append(ModuleCost(BIAS, module.name, module.path, bias_instances,
                                module.out_features * bias_instances))
    return costs


def _all_bias_costs(mods: Sequence[LinearModule], notes: List[str]) -> List[ModuleCost]:
    """``bias="all"``: every bias of the catalog's modules is trained."""
    if any(m.type == "Conv1D" for m in mods) or any(_is_vision(m.path) for m in mods):
        notes.append("bias='all': biases of normalisation layers are not in the catalog and "
                     "are not counted")
    return [ModuleCost(BIAS, module.name, module.path, module.count,
                       module.out_features * module.count)
            for module in mods if module.bias]


def _moe_string_targets(entry: ModelEntry, targets: str, mods: Sequence[LinearModule]
                        ) -> Tuple[str, ...]:
    """PEFT 0.21 ``_resolve_string_target_modules``: a regex or "all-linear" on a converted MoE
    model becomes the set of leaf names it matches (so a layer restriction in a regex is lost)."""
    output_path = entry.output_module.path
    rewrite = MOE_TARGET_REWRITES[entry.model_type]
    leaves = set()
    for module in mods:
        for name in _concrete_names(module, entry):
            if _is_targeted(_Instance(module, name), LoraSpec(r=1, target_modules=targets),
                            targets, output_path):
                leaves.add(module.name)
                break
    fused = entry.moe.fused_expert_parameters if entry.moe is not None else ()
    leaves |= _old_expert_names(targets, rewrite, fused)
    if targets.lower() == ALL_LINEAR:
        leaves.add("gate")
    return tuple(sorted(leaves))


def _after_moe_rewrite(entry: ModelEntry, targets: Union[Tuple[str, ...], str], transformers_major: int,
                       mods: Sequence[LinearModule], notes: List[str]) -> Union[Tuple[str, ...], str]:
    """PEFT 0.21 moves the expert names it rewrites out of ``target_modules`` (an entry equal to
    or ending in ``.gate_proj`` ...), so no nn.Linear of that name is adapted any more: a dense
    first layer's MLP and the shared experts (DeepSeek-V2, GLM-4.5) lose their LoRA."""
    rewrite = MOE_TARGET_REWRITES.get(entry.model_type) if transformers_major >= 5 else None
    if not rewrite or isinstance(targets, str) or entry.moe is None:
        return targets
    kept = tuple(t for t in targets if not any(t == old or t.endswith("." + old) for old in rewrite))
    dropped = sorted({m.name for m in mods if m.name in rewrite and m.name in targets})
    if kept != targets and dropped:
        notes.append("transformers 5 + PEFT 0.21: %s leave target_modules for the fused experts, so "
                     "the dense and shared-expert MLP modules of those names get no LoRA" % ", ".join(dropped))
    return kept


def _input_path(entry: ModelEntry, text_only: bool) -> str:
    path = entry.embedding_module.path
    return path.replace("model.language_model.", "model.", 1) if text_only else path


def _output_path(entry: ModelEntry, text_only: bool) -> str:
    return entry.output_module.path


def _fused_expert_costs(entry: ModelEntry, spec: LoraSpec, targets: Union[Tuple[str, ...], str],
                        transformers_major: int, notes: List[str]) -> List[ModuleCost]:
    """LoRA on fused 3-D expert tensors: explicit ``target_parameters`` and PEFT's MoE rewrite."""
    if entry.moe is None or not entry.moe.fused_expert_parameters:
        return []
    fused = entry.moe.fused_expert_parameters
    ranks: Dict[str, int] = {}
    for target in spec.target_parameters:
        for param in fused:
            if _list_match(param.param.replace("*", "0"), target) or _list_match(param.param, target):
                ranks[param.name] = spec.r
    rewrite = MOE_TARGET_REWRITES.get(entry.model_type) if transformers_major >= 5 else None
    if rewrite:
        ranks.update(_rewritten_expert_ranks(spec, targets, rewrite, fused, notes))
    costs = [_fused_cost(param, ranks[param.name]) for param in fused if param.name in ranks]
    if rewrite and _router_targeted(targets):
        costs.append(_router_cost(entry, entry.moe, spec))
    return costs


def _rewritten_expert_ranks(spec: LoraSpec, targets: Union[Tuple[str, ...], str],
                            rewrite: Dict[str, str], fused: Sequence[FusedExpertParameter],
                            notes: List[str]) -> Dict[str, int]:
    """PEFT's MoE rewrite: targeted expert names become the fused tensors they live in, at the
    rank times the number of names fused into one tensor."""
    old_names = _old_expert_names(targets, rewrite, fused)
    fused_from: Dict[str, List[str]] = {}
    for old, new in rewrite.items():
        fused_from.setdefault(new, []).append(old)
    ranks: Dict[str, int] = {}
    for new, olds in fused_from.items():
        present = [o for o in olds if o in old_names]
        if not present:
            continue
        if len(present) < len(olds):
            raise EstimateError(
                f"PEFT cannot convert {', '.join(present)} without also targeting "
                f"{', '.join(sorted(set(olds) - set(present)))}: they are fused into {new} "
                "(transformers 5)")
        ranks[new] = spec.r * len(olds)
    if old_names:
        notes.append("transformers 5 + PEFT 0.21: expert names are rewritten to "
                     "target_parameters on the fused expert tensors (gate_up_proj at rank "
                     f"{spec.r * 2})")
    return ranks


def _router_cost(entry: ModelEntry, moe: MoeInfo, spec: LoraSpec) -> ModuleCost:
    """The router ("gate", nn.Linear on transformers 4) becomes target_parameters "gate.weight"."""
    router = moe.router.split(" ")[0].replace("block_sparse_moe.", "mlp.")
    layers = entry.num_hidden_layers
    return ModuleCost(LORA_PARAMETER, "gate", f"model.layers.*.{router}.weight", layers,
                      spec.r * (moe.num_experts + entry.hidden_size) * layers,
                      rank=spec.r, shape=(moe.num_experts, entry.hidden_size))


def _router_targeted(targets: Union[Tuple[str, ...], str]) -> bool:
    if isinstance(targets, str):
        return targets.lower() == ALL_LINEAR
    return any(t == "gate" or t.endswith(".gate") for t in targets)


def _old_expert_names(targets: Union[Tuple[str, ...], str], rewrite: Dict[str, str],
                      fused: Sequence[FusedExpertParameter]) -> set:
    if isinstance(targets, str):
        if targets.lower() == ALL_LINEAR:
            return set(rewrite)  # all-linear matched every expert nn.Linear on transformers 4
        found = set()
        for param in fused:
            container = param.param.replace("*", "0").rsplit(".", 1)[0]
            for old in rewrite:
                if _regex_match(targets, f"{container}.{old}"):
                    found.add(old)
        return found
    return {old for old in rewrite for t in targets if _list_match(old, t) or t == old
            or t.endswith("." + old)}


def _fused_cost(param: FusedExpertParameter, rank: int) -> ModuleCost:
    return ModuleCost(LORA_PARAMETER, param.name, param.param, param.count,
                      param.lora_parameters(rank), rank=rank, shape=tuple(param.shape))


def _modules_to_save_costs(entry: ModelEntry, spec: LoraSpec, names: Sequence[str],
                           mods: Sequence[LinearModule], text_only: bool
                           ) -> Tuple[List[ModuleCost], List[str]]:
    notes: List[str] = []
    if not names:
        return [], notes
    input_path, output_path = _input_path(entry, text_only), _output_path(entry, text_only)
    tied = entry.output_module.tied_to_embedding
    matched: List[LinearModule] = []
    unknown: List[str] = []
    for key in names:
        found = [m for m in mods if m.count == 1 and _list_match(m.path, key)]
        if not found:
            unknown.append(key)
        for module in found:
            if module not in matched:
                matched.append(module)
    if unknown:
        notes.append("modules_to_save entries not in the catalog's module list (norm layers, "
                     "heads) are not counted: " + ", ".join(unknown))
    paths = {m.path for m in matched}
    one_tied_copy = tied and input_path in paths and output_path in paths and (
        spec.ensure_weight_tying or spec.api == UNSLOTH and spec.ensure_weight_tying is not False)
    if tied and {input_path, output_path} <= paths:
        if one_tied_copy:
            notes.append("tied embeddings: one shared trainable copy (ensure_weight_tying)")
            matched = [m for m in matched if m.path != output_path]
        else:
            notes.append("tied embeddings: modules_to_save trains two independent copies "
                         "(set ensure_weight_tying=True, PEFT >= 0.18, for one)")
    costs = []
    for module in matched:
        parameters = module.in_features * module.out_features
        if module.bias:
            parameters += module.out_features
        costs.append(ModuleCost(FULL_COPY, module.name, module.path, 1, parameters,
                                shape=(module.in_features, module.out_features),
                                is_embedding=module.path in (input_path, output_path)))
    return costs, notes


def _saved_embedding_matrices(entry: ModelEntry, spec: LoraSpec,
                              targets: Union[Tuple[str, ...], str], mods: Sequence[LinearModule],
                              wrapped_paths: set, text_only: bool) -> List[SavedMatrix]:
    """PEFT's ``save_embedding_layers="auto"``: base embedding weights written into the adapter.

    Triggered when "embed_tokens" or "lm_head" is itself an entry of a list ``target_modules``
    (or a regex matches a module named so); then every input/output embedding that carries LoRA
    is saved whole (peft/utils/save_and_load.py). Unsloth never leaves them as LoRA targets.
    """
    if spec.api == UNSLOTH or spec.trainable_token_indices:
        return []
    if isinstance(targets, str):
        if targets.lower() == ALL_LINEAR:
            return []
        triggered = any(
            _regex_match(targets, m.path) for m in mods if "*" not in m.path
            and any(re.match(rf"(.*\.)?{e}$", m.path) for e in EMBEDDING_LAYER_NAMES))
    else:
        triggered = any(name in targets for name in EMBEDDING_LAYER_NAMES)
    if not triggered:
        return []
    saved = []
    for module in mods:
        if module.path in (_input_path(entry, text_only), _output_path(entry, text_only)) and \
                module.path in wrapped_paths:
            saved.append(SavedMatrix(module.name, module.path,
                                     module.in_features * module.out_features,
                                     "save_embedding_layers='auto' with an embedding in "
                                     "target_modules"))
    return saved


def without_embeddings(entry: ModelEntry, spec: LoraSpec) -> Optional[LoraSpec]:
    """The same spec with input/output embeddings removed from target_modules and modules_to_save
    (None when nothing would change or nothing would remain)."""
    names = set(EMBEDDING_LAYER_NAMES) | set(_embedding_leaf_names(entry))

    def keep(items: Sequence[str]) -> Tuple[str, ...]:
        return tuple(i for i in items if i.rsplit(".", 1)[-1] not in names)

    targets = spec.target_modules
    new_targets = keep(targets) if isinstance(targets, tuple) else targets
    new_saved = keep(spec.modules_to_save)
    if new_targets == targets and new_saved == spec.modules_to_save:
        return None
    if isinstance(new_targets, tuple) and not new_targets:
        return None
    return replace(spec, target_modules=new_targets, modules_to_save=new_saved)


__all__ = [
    "ALL_LINEAR", "BIAS", "DORA", "EstimateError", "FULL_COPY", "LORA", "LORA_EMBEDDING",
    "LORA_PARAMETER", "LoraSpec", "ModuleCost", "ParameterCount", "PEFT", "SavedMatrix",
    "UNSLOTH", "count_parameters", "model_modules", "without_embeddings",
]
