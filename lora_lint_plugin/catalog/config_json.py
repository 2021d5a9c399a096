"""Model facts from a ``config.json`` found on disk (``hf_config.identify`` imports this only
then), combined with the bundled catalog.

For the decoder architectures in ``data/config_layouts.json`` the module table (every
``nn.Linear``/``Embedding`` with its exact shape) is built from the config's values, so parameter
counts are exact for private fine-tunes and re-uploads the catalog cannot list; a multimodal or
mixture-of-experts model keeps its module names when its ``model_type`` is described.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any, Dict, Mapping, Optional, Tuple

from . import (
    Architecture,
    LinearModule,
    ModelEntry,
    ModelMatch,
    ModuleShape,
    _data_text,
    architecture_for,
    config_sizes,
)
from ..fast_dataclass import dataclass, replace
from .found_config import FoundConfig
from .hf_config import Identification, from_catalog, looks_local

# ``ModelMatch.variant`` of a model known only from its config: neither base nor instruct is
# claimed, so the base/instruct rules stay silent.
UNKNOWN_VARIANT = "unknown"

# Nested text configurations of multimodal models, in the order transformers searches them.
_TEXT_CONFIG_KEYS = ("text_config", "decoder", "generator", "text_encoder")
_TERM = r"\s*(\d+|[A-Za-z_][A-Za-z0-9_]*)\s*"   # compiled on first use (re caches it)

__all__ = ["ModelConfig", "UNKNOWN_VARIANT", "config_entry", "evaluate", "from_config",
           "layout_model_types", "model_config"]


@dataclass(frozen=True)
class ModelConfig:
    """The fields of a ``config.json`` lora-lint reads, flattened (text part of multimodal models)."""

    model_type: str  # the outer type (what names the architecture)
    text_model_type: str  # the nested text config's type, or model_type when flat
    nested: bool  # the text fields came from a nested text config
    fields: Mapping[str, Any]
    architectures: Tuple[str, ...]
    text_key: str = ""  # the key of the nested text config ("text_config"), "" when flat
    # ("4bit" or "8bit", bitsandbytes double quantisation) for a pre-quantised checkpoint
    quantization: Optional[Tuple[str, bool]] = None


# --------------------------------------------------------------------------- layouts


@dataclass(frozen=True)
class _Layouts:
    required: Tuple[str, ...]
    aliases: Dict[str, Tuple[str, ...]]
    layouts: Dict[str, Dict[str, Any]]


@functools.lru_cache(maxsize=1)
def _layouts() -> _Layouts:
    doc = json.loads(_data_text("config_layouts.json"))
    return _Layouts(
        required=tuple(doc["required_fields"]),
        aliases={k: tuple(v) for k, v in doc["field_aliases"].items()},
        layouts=doc["layouts"],
    )


def layout_model_types() -> Tuple[str, ...]:
    """The ``model_type``s whose module shapes are built from config values."""
    return tuple(sorted(_layouts().layouts))


def evaluate(expression: str, values: Mapping[str, Any]) -> int:
    """An integer expression of ``data/config_layouts.json``: ``+``, ``*``, ``//``, names, ints.

    Raises ValueError when a name is missing or not a whole number.
    """
    total = 0
    for term in expression.split("+"):
        parts = re.split(r"(//|\*)", term)
        product = _factor(parts[0], values)
        for operator, factor in zip(parts[1::2], parts[2::2]):
            number = _factor(factor, values)
            if operator == "*":
                product *= number
            elif number == 0:
                raise ValueError("division by zero")
            else:
                product //= number
        total += product
    return total


def _factor(text: str, values: Mapping[str, Any]) -> int:
    found = re.fullmatch(_TERM, text)
    if found is None:
        raise ValueError(f"bad expression term {text!r}")
    token = found.group(1)
    number = int(token) if token.isdigit() else values.get(token)
    if isinstance(number, bool) or not isinstance(number, int):
        raise ValueError(f"{token} is not a whole number")
    return number


# --------------------------------------------------------------------------- reading a config


def model_config(data: Mapping[str, Any]) -> Optional[ModelConfig]:
    """The fields lora-lint reads from a parsed ``config.json``; None without a ``model_type``."""
    model_type = data.get("model_type")
    if not isinstance(model_type, str) or not model_type:
        return None
    text: Mapping[str, Any] = data
    nested = False
    text_key = ""
    for key in _TEXT_CONFIG_KEYS:
        inner = data.get(key)
        if isinstance(inner, dict):
            text, nested, text_key = inner, True, key
            break
    text_type = text.get("model_type") if nested else model_type
    fields = dict(text)
    if nested:  # transformers 5 keeps tying at the root of a composite config
        for key in ("tie_word_embeddings", "vocab_size"):
            if key in data and key not in fields:
                fields[key] = data[key]
    for canonical, legacy in _layouts().aliases.items():
        if fields.get(canonical) is None:
            for name in legacy:
                if fields.get(name) is not None:
                    fields[canonical] = fields[name]
                    break
    architectures = data.get("architectures")
    names = tuple(a for a in architectures if isinstance(a, str)) if isinstance(
        architectures, list) else ()
    return ModelConfig(model_type, text_type if isinstance(text_type, str) else model_type,
                       nested, fields, names, text_key, quantization_bits(data.get("quantization_config")))


def quantization_bits(quantization: Any) -> Optional[Tuple[str, bool]]:
    """("4bit" or "8bit", double quantisation) for the ``quantization_config`` of a pre-quantised
    checkpoint (bitsandbytes ``load_in_4bit``/``load_in_8bit``, GPTQ/AWQ ``bits``); None for
    anything else (an unknown method is not guessed)."""
    if not isinstance(quantization, dict):
        return None
    if quantization.get("load_in_4bit") is True:
        return "4bit", quantization.get("bnb_4bit_use_double_quant") is True
    if quantization.get("load_in_8bit") is True:
        return "8bit", False
    bits = quantization.get("bits", quantization.get("w_bit"))
    if quantization.get("quant_method") in ("gptq", "awq") and bits in (4, 8) \
            and not isinstance(bits, bool):
        return f"{bits}bit", False
    return None


def config_entry(config: ModelConfig, key: str = "") -> Optional[ModelEntry]:
    """A catalog-style entry with exact module shapes, or None when the layout is not known.

    Only flat (text-only) configs of a ``model_type`` listed in ``data/config_layouts.json``
    with every required field are built: a multimodal model's vision tower is not described by
    the text fields, so its counts would be wrong.
    """
    if config.nested:
        return None
    layout = _layouts().layouts.get(config.model_type)
    if layout is None:
        return None
    values = dict(config.fields)
    try:
        for field, default in layout["defaults"].items():
            if values.get(field) is None:
                values[field] = evaluate(default, values) if isinstance(default, str) else default
        for field in _layouts().required:
            evaluate(field, values)  # present and a whole number
        modules = tuple(_module(spec, values) for spec in layout["modules"])
    except ValueError:
        return None
    by_path = {m.path: m for m in modules}
    embedding, output = by_path[layout["input_embedding"]], by_path[layout["output_embedding"]]
    tied = values["tie_word_embeddings"] is True
    return ModelEntry(
        key=key,
        family=config.model_type,
        size="from config.json",
        model_type=config.model_type,
        hf_architectures=config.architectures,
        vocab_size=values["vocab_size"],
        embedding_rows=embedding.in_features,
        **config_sizes(values),
        tie_word_embeddings=tied,
        max_position_embeddings=_whole(values.get("max_position_embeddings")),
        linear_modules=modules,
        linear_modules_transformers_4=None,
        moe=None,
        standard_target_modules=tuple(layout["standard_target_modules"]),
        embedding_module=ModuleShape(embedding.name, embedding.path, embedding.in_features,
                                     embedding.out_features),
        output_module=ModuleShape(output.name, output.path, output.out_features,
                                  output.in_features, tied),
        base=None,
        instruct=None,
        distilled_from=None,
        chat_tokens_untrained_in_base=False,
        architecture_overrides=(),
        confidence="config.json",
        notes=(),
        source=(layout["source"],),
    )


def _whole(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _module(spec: Mapping[str, Any], values: Mapping[str, Any]) -> LinearModule:
    bias = spec["bias"]
    if isinstance(bias, str):
        bias = values.get(bias)
        if not isinstance(bias, bool):
            raise ValueError(f"{spec['bias']} is not true or false")
    return LinearModule(
        name=spec["path"].rsplit(".", 1)[-1],
        path=spec["path"],
        type=spec["type"],
        in_features=evaluate(spec["in"], values),
        out_features=evaluate(spec["out"], values),
        bias=bias,
        count=evaluate(spec["count"], values),
    )


# --------------------------------------------------------------------------- with the catalog


def from_config(model_id: str, catalog: Optional[ModelMatch],
                found: FoundConfig) -> Identification:
    """What the config found on disk says of ``model_id``, with the catalog's entry of it."""
    where = f"config.json at {found.path}"
    config = model_config(found.data) if found.data is not None else None
    if config is None:
        problem = found.problem or "has no model_type"
        return from_catalog(catalog, (f"{where} {problem}: skipped",))
    catalog_type = _effective_model_type(catalog)
    same = catalog if catalog is not None and catalog_type == config.model_type else None
    entry = config_entry(config, key=same.entry.key if same is not None else "")
    if entry is None and not config.nested and config.model_type in _layouts().layouts:
        # the sizes of a type lora-lint reads are missing or not numbers: a malformed config
        return from_catalog(catalog, (f"{where} lacks readable sizes for model type "
                                      f"'{config.model_type}': skipped",))
    if entry is None:
        if same is not None:
            listed = from_catalog(same, (f"{where}: the module shapes of model type "
                                         f"'{config.model_type}' are not derived from config "
                                         "values; the catalog's numbers are used",))
            return replace(listed, prequantized=config.quantization)
        names = architecture_for(config.model_type) or names_architecture(config)
        known = "its module names are known, its sizes are not: " if names is not None else ""
        return Identification(None, where, config_path=found.path, names_only=names, notes=(
            f"{where}: {known}the module shapes of model type '{config.model_type}' are not "
            "derived from config values",))
    notes: Tuple[str, ...] = ()
    if catalog is not None and same is None:
        notes = (f"the catalog's '{catalog.entry.key}' ({catalog_type}) does not match the "
                 f"config's model type '{config.model_type}': the config is used",)
    match = _config_match(model_id, entry, same, catalog)
    return Identification(match, where, config_path=found.path, notes=notes,
                          prequantized=config.quantization)


def names_architecture(config: ModelConfig) -> Optional[Architecture]:
    """The module names of a config's ``model_type`` that ``architectures.json`` does not
    describe, from the names derived per model_type (``module_names.py``), with the nested text
    config's model_type deciding a composite model's language layers; None unless complete."""
    from .module_names import module_names, peft_default_targets

    sub_types = ((config.text_key, config.text_model_type),) if config.nested else ()
    names = module_names(config.model_type, None, sub_types)
    if names is None or not names.complete:
        return None
    linear = names.linear | names.other | names.task_heads
    return Architecture(
        model_type=config.model_type, linear_leaves=frozenset(linear),
        embedding_leaves=names.embedding, linear_leaves_transformers_4=None,
        input_embedding="", output_embedding=None,
        peft_default_target_modules=peft_default_targets(config.model_type), moe=names.moe,
        moe_expert_parameters=tuple(p.rsplit(".", 1)[-1] for p in names.fused_expert_parameters),
        tied_by_default=False,
        llama_style_names={"q_proj", "k_proj", "v_proj", "o_proj"} <= linear,
        confidence="derived", source=names.source)


def _config_match(model_id: str, entry: ModelEntry, same: Optional[ModelMatch],
                  catalog: Optional[ModelMatch]) -> ModelMatch:
    """The match of a config-built entry; the catalog's identity is kept when it is the same model."""
    architecture = architecture_for(entry.model_type)
    if same is not None:
        merged = replace(entry, family=same.entry.family, size=same.entry.size,
                         base=same.entry.base, instruct=same.entry.instruct,
                         distilled_from=same.entry.distilled_from,
                         chat_tokens_untrained_in_base=same.entry.chat_tokens_untrained_in_base)
        return replace(same, entry=merged, architecture=architecture, override=None)
    is_local = catalog.is_local_path if catalog is not None else looks_local(model_id)
    return ModelMatch(entry=entry, variant=UNKNOWN_VARIANT, hub_id=model_id, quant_suffix="",
                      exact=True, is_local_path=is_local, architecture=architecture,
                      override=None)


def _effective_model_type(match: Optional[ModelMatch]) -> Optional[str]:
    if match is None:
        return None
    return match.override.model_type if match.override is not None else match.entry.model_type
