"""The model catalog: architectures and checkpoints lora-lint knows, read from bundled JSON.

``data/architectures.json`` holds one entry per transformers ``model_type`` (valid module leaf
names, embedding names, PEFT's default targets, MoE/tying flags); ``data/models.json`` one entry per
checkpoint (config dimensions, module shapes, hub ids per base/instruct variant, flags). Both are
loaded once, lazily, and never change at run time. Nothing here imports torch or transformers.

Base vs instruct is decided by the table only, never by a naming rule: ``Qwen3-8B`` is the
post-trained model, ``phi-4`` has no base, a Gemma ``-pt`` is a base. ``instruct_sibling`` never
builds an id: every id it returns is listed in ``models.json``.
"""

from __future__ import annotations

import functools
import json
import os
import re
from typing import TYPE_CHECKING, Any, Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple

from ..fast_dataclass import dataclass

if TYPE_CHECKING:
    from typing_extensions import TypeAlias

    from .json_index import IndexedDocument

# PEFT's EMBEDDING_LAYER_NAMES: the module names PEFT (and Unsloth) treat as embeddings whatever
# the architecture; an architecture may name its own as well (wte, embed_in, embed_out, ...).
EMBEDDING_LAYER_NAMES: Tuple[str, ...] = ("embed_tokens", "lm_head")
BASE = "base"
INSTRUCT = "instruct"
_VARIANTS = (BASE, INSTRUCT)

# Quantisation / format suffixes of re-uploads, longest first so "-unsloth-bnb-4bit" wins over
# "-bnb-4bit" and "-fp8-dynamic" over "-fp8". Matching only: a suffix is never appended to an id.
_QUANT_SUFFIXES = (
    "-unsloth-bnb-4bit",
    "-unsloth-bnb-8bit",
    "-bnb-4bit",
    "-bnb-8bit",
    "-fp8-dynamic",
    "-fp8-block",
    "-fp8",
    "-gptq-int4",
    "-gptq-int8",
    "-gptq",
    "-awq",
    "-4bit",
    "-8bit",
)
# a Hugging Face cache folder: models--{org}--{name}, its checkpoint under snapshots/{commit}
_HF_CACHE_PREFIX = "models--"


# --------------------------------------------------------------------------- data classes


@dataclass(frozen=True)
class LinearModule:
    """One kind of module as PEFT sees it (``named_modules``), repeated ``count`` times.

    ``path`` uses ``*`` for layer/expert indices, e.g. ``model.layers.*.self_attn.q_proj``.
    For ``Embedding`` modules ``in_features`` is the number of rows (vocabulary) and
    ``out_features`` the embedding width, so LoRA costs ``r * (in + out)`` for every type.
    """

    name: str
    path: str
    type: str  # "Linear", "Conv1D" or "Embedding"
    in_features: int
    out_features: int
    bias: bool
    count: int


@dataclass(frozen=True)
class FusedExpertParameter:
    """A fused 3-D MoE expert tensor (transformers 5), reachable only via ``target_parameters``."""

    param: str  # path pattern, e.g. "model.layers.*.mlp.experts.gate_up_proj"
    shape: Tuple[int, ...]  # as stored: (experts, dim, dim)
    count: int

    @property
    def name(self) -> str:
        return self.param.rsplit(".", 1)[-1]

    def lora_parameters(self, r: int) -> int:
        """LoRA on a (E, a, b) parameter with rank r costs r * E * (a + b) per instance."""
        experts, a, b = self.shape
        return r * experts * (a + b) * self.count


@dataclass(frozen=True)
class MoeInfo:
    num_experts: int
    num_experts_per_tok: int
    expert_intermediate_size: int
    router: str
    fused_expert_parameters: Tuple[FusedExpertParameter, ...]
    # PEFT 0.21 + transformers 5 turns gate_proj/up_proj/down_proj in target_modules into
    # target_parameters on the fused tensors for some types (qwen3_moe): (tensor leaf, rank
    # multiplier) pairs; None when PEFT leaves the experts alone. Pairs keep the class hashable.
    peft_rewrites_mlp_targets_to_parameters: Optional[Tuple[Tuple[str, int], ...]]


@dataclass(frozen=True)
class Architecture:
    """What a ``model_type`` looks like to PEFT's ``target_modules`` matching."""

    model_type: str
    linear_leaves: FrozenSet[str]
    embedding_leaves: FrozenSet[str]
    linear_leaves_transformers_4: Optional[FrozenSet[str]]  # None: same as transformers 5
    input_embedding: str
    output_embedding: Optional[str]
    peft_default_target_modules: Optional[Tuple[str, ...]]  # None: PEFT has no default
    moe: bool
    moe_expert_parameters: Tuple[str, ...]
    tied_by_default: bool
    llama_style_names: bool  # attention/MLP named q/k/v/o_proj, gate/up/down_proj
    confidence: str
    source: str

    def valid_leaves(self, transformers_major: int = 5) -> FrozenSet[str]:
        """Leaf names a ``target_modules`` entry may end with (linear and embedding modules)."""
        linear = self.linear_leaves
        if transformers_major < 5 and self.linear_leaves_transformers_4 is not None:
            linear = self.linear_leaves_transformers_4
        return linear | self.embedding_leaves

    @property
    def embedding_module_names(self) -> FrozenSet[str]:
        """The input and output embedding leaves (what LOR101/LOR102 care about)."""
        names = {self.input_embedding}
        if self.output_embedding:
            names.add(self.output_embedding)
        return frozenset(names)


@dataclass(frozen=True)
class HubIds:
    """Hub ids of one variant of a checkpoint, in the table's casing."""

    original: Optional[str]
    aliases: Tuple[str, ...]  # other spellings of the original repo (renames, legacy ids)
    unsloth: Tuple[str, ...]

    @property
    def all_ids(self) -> Tuple[str, ...]:
        ids = ((self.original,) if self.original else ()) + self.aliases + self.unsloth
        return ids


@dataclass(frozen=True)
class ArchitectureOverride:
    """A re-upload whose module layout differs from the original (Unsloth's Llama-fied Phi)."""

    ids: Tuple[str, ...]
    model_type: str
    standard_target_modules: Tuple[str, ...]
    linear_modules: Tuple[LinearModule, ...]
    confidence: str
    source: str


@dataclass(frozen=True)
class ModuleShape:
    name: str
    path: str
    rows: int
    cols: int
    tied_to_embedding: bool = False


@dataclass(frozen=True)
class ModelEntry:
    key: str
    family: str
    size: str
    model_type: str
    hf_architectures: Tuple[str, ...]
    vocab_size: int
    embedding_rows: int
    hidden_size: int
    intermediate_size: int
    num_hidden_layers: int
    num_attention_heads: int
    num_key_value_heads: int
    head_dim: int
    tie_word_embeddings: bool
    max_position_embeddings: int
    linear_modules: Tuple[LinearModule, ...]
    linear_modules_transformers_4: Optional[Tuple[LinearModule, ...]]
    moe: Optional[MoeInfo]
    standard_target_modules: Tuple[str, ...]
    embedding_module: ModuleShape
    output_module: ModuleShape
    base: Optional[HubIds]  # None: no base checkpoint exists
    instruct: Optional[HubIds]  # None: no instruct/chat checkpoint exists
    distilled_from: Optional[str]
    chat_tokens_untrained_in_base: bool
    architecture_overrides: Tuple[ArchitectureOverride, ...]
    confidence: str
    notes: Tuple[str, ...]
    source: Tuple[str, ...]

    def hub_ids(self, variant: str) -> Optional[HubIds]:
        return self.base if variant == BASE else self.instruct

    def modules(self, transformers_major: int = 5) -> Tuple[LinearModule, ...]:
        if transformers_major < 5 and self.linear_modules_transformers_4 is not None:
            return self.linear_modules_transformers_4
        return self.linear_modules


@dataclass(frozen=True)
class ModelMatch:
    """The result of ``lookup``: which checkpoint and variant a model id refers to."""

    entry: ModelEntry
    variant: str  # "base" or "instruct"
    hub_id: str  # the table id matched (table casing)
    quant_suffix: str  # as written in the input, "" when none
    exact: bool  # the (org/)name tail of the input is exactly an id in the table
    is_local_path: bool
    architecture: Optional[Architecture]  # with a per-id override applied
    override: Optional[ArchitectureOverride]

    @property
    def is_base(self) -> bool:
        return self.variant == BASE

    @property
    def standard_target_modules(self) -> Tuple[str, ...]:
        if self.override is not None:
            return self.override.standard_target_modules
        return self.entry.standard_target_modules

    def modules(self, transformers_major: int = 5) -> Tuple[LinearModule, ...]:
        if self.override is not None:
            return self.override.linear_modules
        return self.entry.modules(transformers_major)


# --------------------------------------------------------------------------- loading


def _data_text(filename: str) -> str:
    """Read a bundled data file; works from a source tree, an installed wheel and a zip."""
    return _data_bytes(filename).decode("utf-8")


def _data_bytes(filename: str) -> bytes:
    """A bundled data file's bytes (``json.loads`` reads UTF-8 bytes as they are).

    The file next to this module is read directly: importing ``importlib.resources`` costs more
    than reading the whole catalog, and it is needed only when the package is not on disk.
    """
    try:
        with open(os.path.join(os.path.dirname(__file__), "data", filename), "rb") as handle:
            return handle.read()
    except OSError:
        from importlib.resources import files  # Python 3.9+

        return (files(__package__) / "data" / filename).read_bytes()


# The config.json sizes a ModelEntry keeps under their own names, from a catalog record's
# ``config`` or from a config.json read from disk or the Hub (``hf_config``).
CONFIG_SIZES = ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                "num_key_value_heads", "head_dim")


def config_sizes(config: Mapping[str, Any]) -> Dict[str, Any]:
    return {name: config[name] for name in CONFIG_SIZES}


def _module(d: dict) -> LinearModule:
    return LinearModule(
        name=d["name"],
        path=d["path"],
        type=d["type"],
        in_features=d["in_features"],
        out_features=d["out_features"],
        bias=d["bias"],
        count=d["count"],
    )


def _hub(d: Optional[dict]) -> Optional[HubIds]:
    if d is None:
        return None
    return HubIds(original=d["original"], aliases=tuple(d["aliases"]), unsloth=tuple(d["unsloth"]))


def _architecture(model_type: str, d: dict) -> Architecture:
    leaves4 = d["linear_leaves_transformers_4"]
    defaults = d["peft_default_target_modules"]
    return Architecture(
        model_type=model_type,
        linear_leaves=frozenset(d["linear_leaves"]),
        embedding_leaves=frozenset(d["embedding_leaves"]),
        linear_leaves_transformers_4=frozenset(leaves4) if leaves4 is not None else None,
        input_embedding=d["input_embedding"],
        output_embedding=d["output_embedding"],
        peft_default_target_modules=tuple(defaults) if defaults is not None else None,
        moe=d["moe"],
        moe_expert_parameters=tuple(d["moe_expert_parameters"]),
        tied_by_default=d["tied_by_default"],
        llama_style_names=d["llama_style_names"],
        confidence=d["confidence"],
        source=d["source"],
    )


def _entry(d: dict) -> ModelEntry:
    cfg = d["config"]
    moe = None
    if d.get("moe"):
        m = d["moe"]
        moe = MoeInfo(
            num_experts=m["num_experts"],
            num_experts_per_tok=m["num_experts_per_tok"],
            expert_intermediate_size=m["expert_intermediate_size"],
            router=m["router"],
            fused_expert_parameters=tuple(
                FusedExpertParameter(param=p["param"], shape=tuple(p["shape"]), count=p["count"])
                for p in m["fused_expert_parameters"]
            ),
            peft_rewrites_mlp_targets_to_parameters=(
                tuple(m["peft_rewrites_mlp_targets_to_parameters"].items())
                if m["peft_rewrites_mlp_targets_to_parameters"] is not None
                else None
            ),
        )
    emb, out = d["embedding_module"], d["output_module"]
    tf4 = d.get("linear_modules_transformers_4")
    return ModelEntry(
        key=d["key"],
        family=d["family"],
        size=d["size"],
        model_type=d["model_type"],
        hf_architectures=tuple(d["hf_architectures"]),
        vocab_size=cfg["vocab_size"],
        embedding_rows=cfg.get("embedding_rows", cfg["vocab_size"]),
        **config_sizes(cfg),
        tie_word_embeddings=cfg["tie_word_embeddings"],
        max_position_embeddings=cfg["max_position_embeddings"],
        linear_modules=tuple(_module(x) for x in d["linear_modules"]),
        linear_modules_transformers_4=tuple(_module(x) for x in tf4) if tf4 is not None else None,
        moe=moe,
        standard_target_modules=tuple(d["standard_target_modules"]),
        embedding_module=ModuleShape(emb["name"], emb["path"], emb["shape"][0], emb["shape"][1]),
        output_module=ModuleShape(
            out["name"], out["path"], out["shape"][0], out["shape"][1], out["tied_to_embedding"]
        ),
        base=_hub(d["hub_ids"]["base"]),
        instruct=_hub(d["hub_ids"]["instruct"]),
        distilled_from=d["hub_ids"].get("distilled_from"),
        chat_tokens_untrained_in_base=d["chat_tokens_untrained_in_base"],
        architecture_overrides=tuple(
            ArchitectureOverride(
                ids=tuple(o["ids"]),
                model_type=o["model_type"],
                standard_target_modules=tuple(o["standard_target_modules"]),
                linear_modules=tuple(_module(x) for x in o["linear_modules"]),
                confidence=o["confidence"],
                source=o["source"],
            )
            for o in d["architecture_overrides"]
        ),
        confidence=d["confidence"],
        notes=tuple(d["notes"]),
        source=tuple(d["source"]),
    )


# (index of the entry in models.json, variant, table id) for one listed hub id
_Listed: TypeAlias = "Tuple[int, str, str]"


class _Catalog:
    """The architecture and model tables (each record parsed when first needed, through
    ``data/architectures.index`` and ``data/models.index``) and the ids the model table
    lists. Entries and architectures are built from their JSON records on first use (a lint run
    needs the one or two models its files name), and so are ``listed`` and ``by_id``: an id
    spelt as the table lists it is found in the index's text (``exact``)."""

    def __init__(self, architectures: "IndexedDocument", models: "IndexedDocument",
                 listed_text: Optional[str], one_spelling: bool = False) -> None:
        self.architectures = architectures
        self.models = models
        # the index's "entry<TAB>variant<TAB>id" lines (None: the index is stale), with a
        # newline at each end
        self._text = "\n" + listed_text + "\n" if listed_text is not None else None
        # the index's word that no id is listed in two spellings (``Org/Name`` and
        # ``org/name``): then an id written as listed is found without lowering the lines
        self._one_spelling = one_spelling and self._text is not None

    @functools.cached_property
    def _lowered(self) -> Optional[str]:
        """The lines lowercased, when lowering keeps every position (None: it does not, or the
        index is stale). Lowering the ~33 KB costs ~0.2 M instructions: only an id not written
        as the table spells it needs it."""
        if self._text is None:
            return None
        lowered = self._text.lower()
        return lowered if len(lowered) == len(self._text) else None

    @functools.cached_property
    def listed(self) -> List[_Listed]:
        """Every listed id in table order."""
        if self._text is None:  # the index is stale: the ids from the whole table
            return _listed_ids(self.models.get("models"))
        parts = self._text.strip("\n").replace("\n", "\t").split("\t") if self._text != "\n\n" else []
        return list(zip(map(int, parts[0::3]), parts[1::3], parts[2::3]))

    @functools.cached_property
    def by_id(self) -> Dict[str, _Listed]:
        """"org/name" lowercased (or bare legacy name) -> its first listing."""
        by_id: Dict[str, _Listed] = {}
        for item in self.listed:
            by_id.setdefault(item[2].lower(), item)
        return by_id

    def exact(self, lowered_id: str, spelt: Optional[str] = None) -> Optional[_Listed]:
        """``by_id.get(lowered_id)``, found in the index's lines while ``by_id`` is not built;
        ``spelt`` is the id as written (``lowered_id`` lowercased), looked for as it is first."""
        if self._text is None or "by_id" in self.__dict__:
            return self.by_id.get(lowered_id)
        if "\t" in lowered_id or "\n" in lowered_id:
            return None
        if self._one_spelling and spelt is not None and spelt.lower() == lowered_id:
            # every listing of the id has this spelling: its first line is by_id's
            found = self._text.find("\t" + spelt + "\n")
            if found >= 0:
                return self._line_ending_at(found + len(spelt) + 1)
        lowered = self._lowered
        if lowered is None:
            return self.by_id.get(lowered_id)
        found = lowered.find("\t" + lowered_id + "\n")
        return self._line_ending_at(found + len(lowered_id) + 1) if found >= 0 else None

    def _line_ending_at(self, end: int) -> _Listed:
        """The listing whose line of ``_text`` ends (before its newline) at ``end``."""
        text: str = self._text  # type: ignore[assignment]
        entry, variant, hub_id = text[text.rfind("\n", 0, end) + 1:end].split("\t")
        return int(entry), variant, hub_id


def _listed_ids(model_records: List[dict]) -> List[_Listed]:
    """(entry index, variant, hub id) for every id the table lists, in table order
    (``dev/build_catalog_index.py`` stores them in the index)."""
    listed: List[_Listed] = []
    for index, record in enumerate(model_records):
        for variant in _VARIANTS:
            hub = _hub(record["hub_ids"][variant])
            if hub is not None:
                listed.extend((index, variant, hub_id) for hub_id in hub.all_ids)
    return listed


@functools.lru_cache(maxsize=1)
def _catalog() -> _Catalog:
    from .json_index import IndexedDocument

    models = IndexedDocument("models.json")
    listed_text = models.index.pop("listed") if models.index is not None else None
    one_spelling = models.index is not None and models.index.get("one_spelling") is True
    return _Catalog(IndexedDocument("architectures.json"), models, listed_text, one_spelling)


@functools.lru_cache(maxsize=1)
def _by_name_and_stem() -> Tuple[Dict[str, List[_Listed]], Dict[str, List[_Listed]]]:
    """Listed ids by name part, and by name part without a quantisation suffix (lowercased);
    built only when an id is not found by its exact spelling."""
    by_name: Dict[str, List[_Listed]] = {}
    by_stem: Dict[str, List[_Listed]] = {}
    for listed in _catalog().listed:
        name = listed[2].rsplit("/", 1)[-1].lower()
        by_name.setdefault(name, []).append(listed)
        by_stem.setdefault(_split_suffix(name)[0], []).append(listed)
    return by_name, by_stem


@functools.lru_cache(maxsize=None)
def _entry_at(index: int) -> ModelEntry:
    return _entry(_catalog().models.get("models", index))


@functools.lru_cache(maxsize=None)
def _architecture_of(model_type: str) -> Optional[Architecture]:
    record = _catalog().architectures.get("architectures", model_type)
    return _architecture(model_type, record) if record is not None else None


@functools.lru_cache(maxsize=1)
def _by_normalised_name() -> Dict[str, List[_Listed]]:
    """Listed ids by ``normalised_name`` of their name part; built only when an id is not
    found by its exact spelling (the common case pays nothing for it)."""
    index: Dict[str, List[_Listed]] = {}
    for listed in _catalog().by_id.values():
        index.setdefault(normalised_name(listed[2].rsplit("/", 1)[-1]), []).append(listed)
    return index


# --------------------------------------------------------------------------- id parsing


def _split_suffix(name: str) -> Tuple[str, str]:
    """("Llama-3-8B-bnb-4bit") -> ("Llama-3-8B", "-bnb-4bit"); case-insensitive, one suffix."""
    lowered = name.lower()
    for suffix in _QUANT_SUFFIXES:
        if lowered.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], name[-len(suffix):]
    return name, ""


def _parse(model_id: str) -> Optional[Tuple[Optional[str], str, bool]]:
    """Split a hub id or a local path into (org, name, is_local_path); None if unusable."""
    text = model_id.strip().replace("\\", "/")
    if not text:
        return None
    is_local = (
        text.startswith(("/", "./", "../", "~"))
        or text in (".", "..")
        or _is_windows_drive(text.split("/", 1)[0])
    )
    parts = [p for p in text.split("/") if p not in ("", ".", "..", "~")]
    if parts and _is_windows_drive(parts[0]):
        parts = parts[1:]
    if not parts:
        return None
    kaggle = None if is_local else _kaggle_transformers_handle(parts)
    if kaggle is not None:
        return kaggle[0], kaggle[1], True  # a download, like a local copy: never rewritten
    if len(parts) > 2:
        is_local = True
    cached = _hf_cache_repo(parts)
    if cached is not None:
        return cached[0], cached[1], True
    org = parts[-2] if len(parts) >= 2 else None
    return org, parts[-1], is_local


def _kaggle_transformers_handle(parts: Sequence[str]) -> Optional[Tuple[str, str]]:
    """(owner, Hub-style name) of a Kaggle model handle in the Transformers format,
    ``owner/model/transformers/variation[/version]`` (what ``kagglehub.model_download`` takes):
    the variation names the checkpoint, after the model's name unless it already starts with it
    (``google/vaultgemma/transformers/1b`` is ``vaultgemma-1b``,
    ``google/gemma-2/transformers/gemma-2-2b-it`` is ``gemma-2-2b-it``)."""
    if len(parts) == 5 and parts[4].isdigit():
        parts = parts[:4]
    if len(parts) != 4 or parts[2].lower() != "transformers":
        return None
    owner, model, _, variation = parts
    if variation.lower().startswith(model.lower()):
        return owner, variation
    return owner, "%s-%s" % (model, variation)


def _is_windows_drive(part: str) -> bool:
    """``C:`` (what ``re.match(r"^[A-Za-z]:$", part)`` accepts; string tests: every model id
    is checked, and compiling the pattern in each fresh process cost more than all the checks)."""
    return 2 <= len(part) <= 3 and part[0].isascii() and part[0].isalpha() and part[1] == ":" \
        and part[2:] in ("", "\n")


def _hf_cache_repo(parts: Sequence[str]) -> Optional[Tuple[str, str]]:
    """(org, name) of a path into the Hugging Face cache: the repo folder itself or a snapshot
    (``models--{org}--{name}``: the org ends at the first ``--`` that leaves a name)."""
    tail = 3 if len(parts) >= 3 and parts[-2] == "snapshots" else 1
    folder = parts[-tail] if len(parts) >= tail else ""
    if not folder.startswith(_HF_CACHE_PREFIX):
        return None
    rest = folder[len(_HF_CACHE_PREFIX):]
    end = rest.find("--", 1)
    while end != -1:
        if end + 2 < len(rest):
            return rest[:end], rest[end + 2:]
        end = rest.find("--", end + 1)
    return None


@functools.lru_cache(maxsize=1)
def model_families_document() -> Dict[str, Any]:
    """``data/model_families.json``, parsed once: the re-upload suffixes, the name spellings and
    the families (``identify.py``) all come from it."""
    return json.loads(_data_bytes("model_families.json"))


@functools.lru_cache(maxsize=1)
def _format_suffixes() -> Tuple[Tuple[str, ...], FrozenSet[str]]:
    """Re-upload suffixes that keep the architecture (``data/model_families.json``), longest
    first, and their last ``-`` parts (a cheap test that most names pass without a scan)."""
    document = model_families_document()
    suffixes = tuple(sorted(document["format_suffixes"]["suffixes"], key=len, reverse=True))
    return suffixes, frozenset(suffix.rsplit("-", 1)[-1] for suffix in suffixes)


@functools.lru_cache(maxsize=1)
def _name_spellings() -> Tuple[Tuple["re.Pattern[str]", str], ...]:
    """Other spellings of one checkpoint's name (``llama2-`` for ``llama-2-``), as reviewed data."""
    document = model_families_document()
    rewrites = document.get("name_spellings", {}).get("rewrites", [])
    return tuple((re.compile(pattern), replacement) for pattern, replacement in rewrites)


@functools.lru_cache(maxsize=4096)
def normalised_name(name: str) -> str:
    """The name part of an id as the tables compare it: lowercased, ModelScope's ``___`` read
    as ``.`` (``Meta-Llama-3___1-8B`` is how ModelScope stores ``Meta-Llama-3.1-8B``), other
    spellings of the same name rewritten (``llama2-7b`` as ``llama-2-7b``), and re-upload
    suffixes (``-GPTQ-Int4``, ``-fp16``, ``-sharded-bf16``, ...) removed from the end."""
    text = name.lower().replace("___", ".")
    for pattern, replacement in _name_spellings():
        text = pattern.sub(replacement, text)
    suffixes, last_parts = _format_suffixes()
    changed = True
    while changed and text.rsplit("-", 1)[-1] in last_parts:
        changed = False
        for suffix in suffixes:
            if text.endswith(suffix) and len(text) > len(suffix):
                text = text[: -len(suffix)]
                changed = True
                break
    return text


def _org(hub_id: str) -> Optional[str]:
    return hub_id.split("/", 1)[0].lower() if "/" in hub_id else None


def _unambiguous(candidates: Sequence[_Listed], org: Optional[str]) -> Optional[_Listed]:
    """A normalised-name match, only when every candidate is the same checkpoint (or one has
    the input's org): two different checkpoints sharing a name are never guessed between."""
    if not candidates:
        return None
    org_l = org.lower() if org else None
    same_org = [c for c in candidates if _org(c[2]) == org_l]
    if len({c[0] for c in candidates}) > 1 and not same_org:
        return None
    return _pick(same_org or candidates, org)


def _pick(candidates: Sequence[_Listed], org: Optional[str]) -> _Listed:
    """Prefer an id of the same org, then one without a quant suffix, then table order."""
    org_l = org.lower() if org else None

    def rank(item: Tuple[int, _Listed]) -> Tuple[bool, bool, int]:
        index, (_, _, hub_id) = item
        name = hub_id.rsplit("/", 1)[-1]
        return (_org(hub_id) == org_l, _split_suffix(name)[1] == "", -index)

    return max(enumerate(candidates), key=rank)[1]


# --------------------------------------------------------------------------- public API


def lookup(model_id: str) -> Optional[ModelMatch]:
    """Find the checkpoint a hub id or local path refers to, or None when it is not in the table.

    Case-insensitive; any org (an unknown org still matches the checkpoint by name, with
    ``exact=False``); quantisation suffixes (``-bnb-4bit``, ``-unsloth-bnb-4bit``, ``-FP8`` ...);
    re-upload suffixes and ModelScope directory names (``normalised_name``: ``-fp16``,
    ``-sharded-bf16``, ``Meta-Llama-3___1-8B-Instruct``), when the name is unambiguous;
    local paths whose last one or two components are an id (``/models/meta-llama/Meta-Llama-3-8B``,
    ``.\\ckpt\\llama-3-8b-bnb-4bit``); trailing slashes.
    """
    if not isinstance(model_id, str):
        return None
    parsed = _parse(model_id)
    if parsed is None:
        return None
    org, name, is_local = parsed
    catalog = _catalog()
    stem, suffix = _split_suffix(name)
    spelt = "%s/%s" % (org, name) if org else name
    listed = catalog.exact(spelt.lower(), spelt)
    exact = listed is not None
    if listed is None and org is not None and is_local:
        listed = catalog.exact(name.lower(), name)  # "./gpt2" style: a bare legacy id
        exact = listed is not None
    if listed is None:
        by_name, by_stem = _by_name_and_stem()
        if name.lower() in by_name:
            listed = _pick(by_name[name.lower()], org)
        elif stem.lower() in by_stem:
            listed = _pick(by_stem[stem.lower()], org)
    if listed is None:
        listed = _unambiguous(_by_normalised_name().get(normalised_name(name), []), org)
    if listed is None:
        return None
    index, variant, hub_id = listed
    entry = _entry_at(index)
    override = None
    for candidate in entry.architecture_overrides:
        if hub_id.lower() in {i.lower() for i in candidate.ids}:
            override = candidate
            break
    model_type = override.model_type if override is not None else entry.model_type
    return ModelMatch(
        entry=entry,
        variant=variant,
        hub_id=hub_id,
        quant_suffix=suffix,
        exact=exact,
        is_local_path=is_local,
        architecture=_architecture_of(model_type),
        override=override,
    )


def _suffix_family(suffix: str) -> str:
    s = suffix.lower()
    if "4bit" in s or "int4" in s or "awq" in s:
        return "4bit"
    if "fp8" in s:
        return "fp8"
    if "8bit" in s or "int8" in s:
        return "8bit"
    return "other" if s else ""


def _common_prefix(a: str, b: str) -> int:
    """How many leading ``-``-separated words two names share (``Qwen3-30B-A3B-Base`` is as
    close to ``Qwen3-30B-A3B`` as to ``Qwen3-30B-A3B-Instruct-2507``: table order decides)."""
    n = 0
    for x, y in zip(a.lower().split("-"), b.lower().split("-")):
        if x != y:
            break
        n += 1
    return n


def instruct_sibling(model_id: str) -> Optional[str]:
    """The instruct id to switch a base checkpoint to, or None.

    Only ids listed in the table are returned, in the table's casing: the same org as the input
    (never another org), the same quantisation suffix when that exact id exists, else the closest
    one of that org (same suffix family, then unquantised). None for instruct checkpoints, bases
    without an instruct variant, unknown orgs and local paths (paths are never rewritten).
    """
    match = lookup(model_id)
    if match is None or match.is_local_path or match.variant != BASE or match.entry.instruct is None:
        return None
    parsed = _parse(model_id)
    if parsed is None or parsed[0] is None:
        return None  # a bare name has no org to keep
    org = parsed[0].lower()
    in_stem, in_suffix = _split_suffix(parsed[1])
    candidates = [i for i in match.entry.instruct.all_ids if _org(i) == org]
    if not candidates:
        return None
    # between equally close names, the checkpoint's own ids before other spellings and later
    # releases that share its shapes (Qwen3-30B-A3B-Instruct-2507)
    aliases = frozenset(match.entry.instruct.aliases)

    def rank(item: Tuple[int, str]) -> Tuple[bool, bool, bool, int, bool, int]:
        index, hub_id = item
        stem, suffix = _split_suffix(hub_id.rsplit("/", 1)[-1])
        return (
            suffix.lower() == in_suffix.lower(),
            _suffix_family(suffix) == _suffix_family(in_suffix),
            suffix == "",
            _common_prefix(stem, in_stem),
            hub_id not in aliases,
            -index,
        )

    return max(enumerate(candidates), key=rank)[1]


def architecture_for(model_type: str) -> Optional[Architecture]:
    """The architecture entry of a transformers ``model_type`` (exact spelling), or None."""
    if not isinstance(model_type, str):
        return None
    return _architecture_of(model_type)


def all_architectures() -> Dict[str, Architecture]:
    return {model_type: _architecture_of(model_type)  # type: ignore[misc]
            for model_type in _catalog().architectures.keys("architectures")}


def all_entries() -> Tuple[ModelEntry, ...]:
    return tuple(_entry_at(index) for index in range(_catalog().models.length("models")))


def all_hub_ids() -> FrozenSet[str]:
    """Every id listed in the table, in the table's casing."""
    return frozenset(listed[2] for listed in _catalog().by_id.values())


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insert, delete, substitute; each costs 1)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]
