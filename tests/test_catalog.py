"""The model catalog: schema of the bundled JSON, id lookup, instruct siblings, LoRA counts.

Expected LoRA counts come from tests/data/lora_r16_expected.json (PEFT's own numbers, copied from
the reference data); everything else is checked against first principles or the rule spec.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lora_lint_plugin import catalog
from lora_lint_plugin.catalog import (
    all_entries,
    all_hub_ids,
    architecture_for,
    instruct_sibling,
    levenshtein,
    lookup,
)
from lora_lint_plugin.estimate.params import EstimateError, LoraSpec, count_parameters

DATA = Path(catalog.__file__).parent / "data"
ARCHS = json.loads((DATA / "architectures.json").read_text(encoding="utf-8"))
MODELS = json.loads((DATA / "models.json").read_text(encoding="utf-8"))
EXPECTED = json.loads((Path(__file__).parent / "data" / "lora_r16_expected.json").read_text(encoding="utf-8"))

STD7 = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")

# ----------------------------------------------------------------------------- schemas

POS = {"type": "integer", "minimum": 1}
STR = {"type": "string", "minLength": 1}
STRS = {"type": "array", "items": STR}
NOTE_LIST = {"type": "array", "items": STR}
# "remote-code": module names and shapes read from a checkpoint's own modeling code (the model type
# needs trust_remote_code, so no transformers skeleton could be built)
CONFIDENCE = {"enum": ["high", "medium", "low", "remote-code"]}
MODULE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "path", "type", "in_features", "out_features", "bias", "count"],
    "properties": {
        "name": STR,
        "path": STR,
        "type": {"enum": ["Linear", "Conv1D", "Embedding"]},
        "in_features": POS,
        "out_features": POS,
        "bias": {"type": "boolean"},
        "count": POS,
    },
}
MODULES = {"type": "array", "items": MODULE, "minItems": 1}
HUB_VARIANT = {
    "oneOf": [
        {"type": "null"},
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["original", "aliases", "unsloth"],
            "properties": {"original": {"type": ["string", "null"]}, "aliases": STRS, "unsloth": STRS},
        },
    ]
}
SHAPE2 = {"type": "array", "items": POS, "minItems": 2, "maxItems": 2}
MODELS_SCHEMA = {
    "type": "object",
    "required": ["schema_version", "description", "models"],
    "properties": {
        "schema_version": {"const": 1},
        "models": {
            "type": "array",
            "minItems": 67,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": [
                    "key", "family", "size", "model_type", "hf_architectures", "config", "linear_modules",
                    "standard_target_modules", "embedding_module", "output_module", "hub_ids",
                    "chat_tokens_untrained_in_base", "architecture_overrides", "confidence", "notes", "source",
                ],
                "properties": {
                    "key": STR,
                    "family": STR,
                    "size": STR,
                    "model_type": STR,
                    "hf_architectures": {"type": "array", "items": STR, "minItems": 1},
                    "config": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": [
                            "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                            "num_attention_heads", "num_key_value_heads", "head_dim", "tie_word_embeddings",
                            "max_position_embeddings",
                        ],
                        "properties": {
                            "vocab_size": POS, "embedding_rows": POS, "hidden_size": POS, "intermediate_size": POS,
                            "num_hidden_layers": POS, "num_attention_heads": POS, "num_key_value_heads": POS,
                            "head_dim": POS, "tie_word_embeddings": {"type": "boolean"},
                            "max_position_embeddings": POS, "sliding_window": POS,
                        },
                    },
                    "vision_config": {"type": "object"},
                    "linear_modules": MODULES,
                    "linear_modules_transformers_4": MODULES,
                    "moe": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": [
                            "num_experts", "num_experts_per_tok", "expert_intermediate_size", "router",
                            "experts_transformers_4", "experts_transformers_5", "fused_expert_parameters",
                            "peft_rewrites_mlp_targets_to_parameters",
                        ],
                        "properties": {
                            "num_experts": POS, "num_experts_per_tok": POS, "expert_intermediate_size": POS,
                            "router": STR, "experts_transformers_4": STR, "experts_transformers_5": STR,
                            "fused_expert_parameters": {
                                "type": "array",
                                "minItems": 1,
                                "items": {
                                    "type": "object",
                                    "additionalProperties": False,
                                    "required": ["param", "shape", "count"],
                                    "properties": {
                                        "param": STR,
                                        "shape": {"type": "array", "items": POS, "minItems": 3, "maxItems": 3},
                                        "count": POS,
                                    },
                                },
                            },
                            "peft_rewrites_mlp_targets_to_parameters": {
                                "type": ["object", "null"],
                                "additionalProperties": POS,
                            },
                        },
                    },
                    "standard_target_modules": {"type": "array", "items": STR, "minItems": 1},
                    "embedding_module": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["name", "path", "shape"],
                        "properties": {"name": STR, "path": STR, "shape": SHAPE2},
                    },
                    "output_module": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["name", "path", "shape", "tied_to_embedding"],
                        "properties": {
                            "name": STR, "path": STR, "shape": SHAPE2, "tied_to_embedding": {"type": "boolean"},
                        },
                    },
                    "hub_ids": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["base", "instruct"],
                        "properties": {"base": HUB_VARIANT, "instruct": HUB_VARIANT, "distilled_from": STR},
                    },
                    "chat_tokens_untrained_in_base": {"type": "boolean"},
                    "architecture_overrides": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": [
                                "ids", "model_type", "standard_target_modules", "linear_modules", "confidence",
                                "source",
                            ],
                            "properties": {
                                "ids": {"type": "array", "items": STR, "minItems": 1},
                                "model_type": STR,
                                "standard_target_modules": STRS,
                                "linear_modules": MODULES,
                                "confidence": CONFIDENCE,
                                "source": STR,
                            },
                        },
                    },
                    "confidence": CONFIDENCE,
                    "notes": NOTE_LIST,
                    "source": {"type": "array", "items": STR, "minItems": 1},
                },
            },
        },
    },
}
ARCH_SCHEMA = {
    "type": "object",
    "required": ["schema_version", "description", "architectures"],
    "properties": {
        "schema_version": {"const": 1},
        "architectures": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": [
                    "linear_leaves", "embedding_leaves", "linear_leaves_transformers_4", "input_embedding",
                    "output_embedding", "peft_default_target_modules", "moe", "moe_expert_parameters",
                    "tied_by_default", "llama_style_names", "confidence", "source",
                ],
                "properties": {
                    "linear_leaves": {"type": "array", "items": STR, "minItems": 1, "uniqueItems": True},
                    "embedding_leaves": {"type": "array", "items": STR, "minItems": 1, "uniqueItems": True},
                    "linear_leaves_transformers_4": {
                        "oneOf": [{"type": "null"}, {"type": "array", "items": STR, "minItems": 1}]
                    },
                    "input_embedding": STR,
                    "output_embedding": {"type": ["string", "null"]},
                    "peft_default_target_modules": {
                        "oneOf": [{"type": "null"}, {"type": "array", "items": STR, "minItems": 1}]
                    },
                    "moe": {"type": "boolean"},
                    "moe_expert_parameters": STRS,
                    "tied_by_default": {"type": "boolean"},
                    "llama_style_names": {"type": "boolean"},
                    "confidence": CONFIDENCE,
                    "source": STR,
                    "notes": NOTE_LIST,
                },
            },
        },
    },
}


def test_architectures_json_matches_schema():
    jsonschema.validate(ARCHS, ARCH_SCHEMA)


def test_models_json_matches_schema():
    jsonschema.validate(MODELS, MODELS_SCHEMA)


def test_model_keys_unique_and_cover_reference_checkpoints():
    keys = [m["key"] for m in MODELS["models"]]
    assert len(keys) == len(set(keys))
    # every checkpoint PEFT was run on (the fixture) has an entry
    assert set(EXPECTED["counts"]) <= set(keys)
    assert len(EXPECTED["counts"]) == 67


def test_architectures_cover_the_model_types_of_the_spec():
    wanted = {
        "llama", "mistral", "qwen2", "qwen3", "gemma", "gemma2", "gemma3_text", "gemma3", "mllama", "phi3",
        "phi", "gpt2", "gpt_neox", "falcon", "bloom", "gptj", "opt", "mpt", "mixtral", "qwen3_moe",
        "qwen2_moe", "gpt_oss", "deepseek_v3", "starcoder2", "cohere", "granite", "olmo2",
    }
    assert wanted <= set(ARCHS["architectures"])


def test_every_model_type_used_exists_and_modules_are_valid_leaves():
    archs = ARCHS["architectures"]
    for m in MODELS["models"]:
        arch = archs[m["model_type"]]
        leaves5 = set(arch["linear_leaves"]) | set(arch["embedding_leaves"])
        leaves4 = set(arch["linear_leaves_transformers_4"] or arch["linear_leaves"]) | set(arch["embedding_leaves"])
        # "*": a module known only by its index in a Sequential (Qwen2-VL's merger.mlp.0)
        assert {x["name"] for x in m["linear_modules"]} - {"*"} <= leaves5, m["key"]
        assert {x["name"] for x in m.get("linear_modules_transformers_4", [])} <= leaves4, m["key"]
        # the standard recipe names modules of the model, except on MoE models where the MLP
        # names miss the fused experts (the LOR107 trap) -- recorded as measured by PEFT
        missing = set(m["standard_target_modules"]) - (leaves5 | leaves4)
        if arch["moe"]:
            assert missing <= {"gate_proj", "up_proj", "down_proj"}, m["key"]
        else:
            assert not missing, m["key"]
        assert m["embedding_module"]["name"] == arch["input_embedding"], m["key"]
        assert m["output_module"]["name"] == arch["output_embedding"], m["key"]
        for override in m["architecture_overrides"]:
            o_arch = archs[override["model_type"]]
            o_leaves = set(o_arch["linear_leaves"]) | set(o_arch["embedding_leaves"])
            assert {x["name"] for x in override["linear_modules"]} <= o_leaves, m["key"]
            assert set(override["standard_target_modules"]) <= o_leaves, m["key"]


FACTS = json.loads((Path(__file__).parent.parent / "dev" / "catalog_facts.json").read_text(encoding="utf-8"))


def test_catalog_is_large_and_every_entry_names_its_sources():
    families = {m["family"] for m in MODELS["models"]}
    assert len(MODELS["models"]) >= 190 and len(families) >= 65, (len(MODELS["models"]), len(families))
    config_sources = ("litgpt", "mlc-llm", "torchtune", "transformers", "maxtext", "TransformerLens", "config.json",
                      "GenZ-LLM-Analyzer")
    for m in MODELS["models"]:
        assert any(name in s for s in m["source"] for name in config_sources), m["key"]


def test_built_entries_carry_the_reviewed_facts():
    """Every checkpoint of dev/catalog_facts.json is in models.json with exactly its config values,
    hub ids and model type (the module tables are derived from them by dev/build_catalog.py)."""
    by_key = {m["key"]: m for m in MODELS["models"]}
    for fact in FACTS["checkpoints"]:
        entry = by_key[fact["key"]]
        assert entry["model_type"] == fact["model_type"], fact["key"]
        assert entry["config"] == fact["config"], fact["key"]
        for variant in ("base", "instruct"):
            ids = fact["hub_ids"][variant]
            if ids is None:
                assert entry["hub_ids"][variant] is None, fact["key"]
            else:
                assert entry["hub_ids"][variant]["original"] == ids["original"], fact["key"]
                assert entry["hub_ids"][variant]["aliases"] == ids["aliases"], fact["key"]
                assert entry["hub_ids"][variant]["unsloth"] == ids["unsloth"], fact["key"]
    for key, extra in FACTS["aliases"].items():
        for variant in ("base", "instruct"):
            assert set(extra.get(variant, [])) <= set(by_key[key]["hub_ids"][variant]["aliases"]), key
        for field in ("notes", "source"):  # why the extra ids share the entry's shapes
            assert set(extra.get(field, [])) <= set(by_key[key][field]), key


def test_remote_code_entries_are_marked_and_their_types_known():
    archs = ARCHS["architectures"]
    remote_types = {t for t, info in FACTS["model_types"].items() if info.get("remote_code")}
    assert {"chatglm", "baichuan", "internlm2", "qwen"} <= remote_types
    for m in MODELS["models"]:
        if m["model_type"] in remote_types:
            assert m["confidence"] == "remote-code", m["key"]
            assert archs[m["model_type"]]["confidence"] == "remote-code", m["key"]
            assert any("remote code" in s for s in m["source"]), m["key"]
        else:
            assert m["confidence"] != "remote-code", m["key"]


def test_layer_modules_follow_from_the_config():
    """Each per-layer module repeats once per layer (or per layer and expert), and the fused
    attention projections of the remote-code layouts have the widths their heads imply."""
    for m in MODELS["models"]:
        cfg = m["config"]
        layers = cfg["num_hidden_layers"]
        for x in m["linear_modules"]:
            if ".*." in x["path"] and "vision" not in x["path"] and "visual" not in x["path"]:
                # mllama/gemma3: cross-attention or vision layers; lfm2/qwen3_5: conv or linear-attention
                # and attention layers alternate; t5/mt5: relative position biases live in the first block only
                # deepseek_v2/glm4_moe(_lite): the first layers are dense, the others add experts;
                # granitemoehybrid: Mamba-2 and attention layers as layer_types says
                hybrid = ("mllama", "gemma3", "lfm2", "qwen3_5", "t5", "mt5", "deepseek_v2", "glm4_moe",
                          "glm4_moe_lite", "granitemoehybrid")
                assert x["count"] % layers == 0 or m["model_type"] in hybrid, (
                    m["key"], x["path"])
            nq = cfg["num_attention_heads"] * cfg["head_dim"]
            nkv = cfg["num_key_value_heads"] * cfg["head_dim"]
            if x["name"] in ("wqkv", "query_key_value") and m["model_type"] in ("internlm2", "chatglm"):
                assert (x["in_features"], x["out_features"]) == (cfg["hidden_size"], nq + 2 * nkv), m["key"]


def test_embedding_and_output_shapes_agree_with_modules_and_config():
    for m in MODELS["models"]:
        cfg = m["config"]
        rows = cfg.get("embedding_rows", cfg["vocab_size"])
        emb = m["embedding_module"]
        # OPT-350m alone embeds 512 wide and projects to its 1024-wide decoder (and back)
        width = 512 if m["key"] == "opt-350m" else cfg["hidden_size"]
        assert emb["shape"] == [rows, width], m["key"]
        assert m["output_module"]["shape"] == [cfg["vocab_size"], width], m["key"]
        assert m["output_module"]["tied_to_embedding"] == cfg["tie_word_embeddings"], m["key"]
        by_path = {x["path"]: x for x in m["linear_modules"]}
        assert by_path[emb["path"]]["in_features"] == rows, m["key"]
        if cfg.get("embedding_rows") is not None:
            assert cfg["embedding_rows"] != cfg["vocab_size"]


def test_attention_shapes_follow_from_heads_and_head_dim():
    """q: H -> heads*head_dim, k/v: H -> kv_heads*head_dim, o: heads*head_dim -> H (text layers)."""
    for m in MODELS["models"]:
        # multi-head latent attention: q and o widths follow qk_head_dim and v_head_dim
        if m["model_type"] in ("gpt2", "deepseek_v2", "glm4_moe_lite"):
            continue
        cfg = m["config"]
        nq = cfg["num_attention_heads"] * cfg["head_dim"]
        nkv = cfg["num_key_value_heads"] * cfg["head_dim"]
        for mods in [m["linear_modules"]] + [o["linear_modules"] for o in m["architecture_overrides"]]:
            for x in mods:
                if "vision" in x["path"] or ".self_attn." not in x["path"]:
                    continue
                h = cfg["hidden_size"]
                # Qwen3.5's gated attention: q_proj yields the query and its output gate
                q_width = 2 * nq if m["model_type"] == "qwen3_5" else nq
                expected = {"q_proj": (h, q_width), "k_proj": (h, nkv), "v_proj": (h, nkv), "o_proj": (nq, h),
                            "qkv_proj": (h, nq + 2 * nkv)}.get(x["name"])
                if expected:
                    assert (x["in_features"], x["out_features"]) == expected, (m["key"], x["name"])


def test_hub_ids_unique_and_base_instruct_explicit():
    seen = {}
    for m in MODELS["models"]:
        hub = m["hub_ids"]
        assert "base" in hub and "instruct" in hub  # explicit null when a variant does not exist
        assert hub["base"] is not None or hub["instruct"] is not None, m["key"]
        for variant in ("base", "instruct"):
            if hub[variant] is None:
                continue
            ids = ([hub[variant]["original"]] if hub[variant]["original"] else []) + hub[variant]["aliases"]
            ids += hub[variant]["unsloth"]
            assert ids, (m["key"], variant)
            for hub_id in ids:
                assert hub_id.lower() not in seen, (hub_id, seen.get(hub_id.lower()), m["key"])
                seen[hub_id.lower()] = m["key"]
                if hub_id in hub[variant]["unsloth"]:
                    assert hub_id.startswith("unsloth/"), hub_id


def test_name_stems_identify_one_checkpoint_variant():
    """Stripping a quant suffix never makes two checkpoints (or variants) collide."""
    owners = {}
    for entry in all_entries():
        for variant in ("base", "instruct"):
            hub = entry.hub_ids(variant)
            for hub_id in hub.all_ids if hub else ():
                stem = catalog._split_suffix(hub_id.rsplit("/", 1)[-1])[0].lower()
                assert owners.setdefault(stem, (entry.key, variant)) == (entry.key, variant), hub_id


def test_spec_facts_never_base():
    """Qwen3-8B, phi-4, Phi-3/3.5, Llama-3.3, gpt-oss, DeepSeek-R1-Distill are never base (their model cards)."""
    by_key = {e.key: e for e in all_entries()}
    for key in ["phi-4", "phi-3-mini", "phi-3.5-mini", "llama-3.3-70b", "gpt-oss-20b", "gpt-oss-120b",
                "deepseek-r1-distill-llama-8b", "deepseek-r1-distill-qwen-7b", "qwen3-32b"]:
        assert by_key[key].base is None, key
    assert lookup("Qwen/Qwen3-8B").variant == "instruct"
    assert lookup("Qwen/Qwen3-8B-Base").variant == "base"
    assert lookup("google/gemma-3-1b-pt").variant == "base"
    assert by_key["gpt2"].instruct is None


def test_catalog_objects_are_hashable():
    # frozen dataclasses with only immutable fields: usable as dict keys / in caches
    assert len({hash(e) for e in all_entries()}) == len(all_entries())
    assert hash(lookup("unsloth/phi-4")) is not None
    assert all(hash(a) is not None for a in catalog.all_architectures().values())


def test_untrained_chat_token_flag_marks_llama3_bases():
    by_key = {e.key: e for e in all_entries()}
    for key in ["llama-3-8b", "llama-3-70b", "llama-3.1-8b", "llama-3.1-70b"]:
        assert by_key[key].chat_tokens_untrained_in_base, key
    for key in ["qwen2.5-7b", "gemma-2-9b", "mistral-7b-v0.3", "llama-2-7b"]:
        assert not by_key[key].chat_tokens_untrained_in_base, key


# ----------------------------------------------------------------------------- architectures


def test_architecture_for_known_and_unknown():
    llama = architecture_for("llama")
    assert llama is not None and llama.llama_style_names and not llama.moe
    assert set(STD7) <= llama.valid_leaves()
    assert llama.embedding_module_names == {"embed_tokens", "lm_head"}
    assert architecture_for("not_a_model") is None
    assert architecture_for(None) is None  # type: ignore[arg-type]


def test_peft_default_targets_follow_peft_mapping():
    assert architecture_for("llama").peft_default_target_modules == ("q_proj", "v_proj")
    assert architecture_for("gpt2").peft_default_target_modules == ("c_attn",)
    for model_type in ["phi3", "qwen3_moe", "gemma3", "mllama", "gpt_oss", "qwen2_moe", "deepseek_v3"]:
        assert architecture_for(model_type).peft_default_target_modules is None, model_type


def test_moe_and_tying_flags():
    for model_type in ["mixtral", "qwen3_moe", "qwen2_moe", "gpt_oss", "deepseek_v3"]:
        assert architecture_for(model_type).moe, model_type
    for model_type in ["gemma", "gemma2", "gemma3_text", "gpt2"]:
        assert architecture_for(model_type).tied_by_default, model_type
    assert not architecture_for("llama").tied_by_default
    # transformers 4 Mixtral has w1/w2/w3 experts, transformers 5 fused parameters
    mixtral = architecture_for("mixtral")
    assert "w1" in mixtral.valid_leaves(4) and "w1" not in mixtral.valid_leaves(5)
    assert {"gpt2": "wte", "gpt_neox": "embed_in", "falcon": "word_embeddings"} == {
        t: architecture_for(t).input_embedding for t in ["gpt2", "gpt_neox", "falcon"]
    }


def test_unsloth_phi_uploads_are_llamafied():
    ours = lookup("unsloth/phi-4")
    theirs = lookup("microsoft/phi-4")
    assert ours.entry is theirs.entry
    assert ours.architecture.model_type == "llama" and theirs.architecture.model_type == "phi3"
    assert "q_proj" in ours.architecture.valid_leaves() and "qkv_proj" not in ours.architecture.valid_leaves()
    assert "qkv_proj" in theirs.architecture.valid_leaves()
    assert ours.standard_target_modules == STD7
    assert lookup("unsloth/Phi-3-mini-4k-instruct-bnb-4bit").architecture.model_type == "llama"
    assert lookup("unsloth/Phi-3.5-mini-instruct").architecture.model_type == "llama"
    # Llama layout cost from config only: per layer r * (7H + 2Nq + 2Nkv + 3I)
    e = ours.entry
    nq, nkv = e.num_attention_heads * e.head_dim, e.num_key_value_heads * e.head_dim
    per_layer = 7 * e.hidden_size + 2 * nq + 2 * nkv + 3 * e.intermediate_size
    assert _lora(ours, STD7, 16) == 16 * per_layer * e.num_hidden_layers
    # the fused layout of microsoft/phi-4 is 3H cheaper per layer
    assert _lora(theirs, theirs.standard_target_modules, 16) == 16 * (
        per_layer - 3 * e.hidden_size
    ) * e.num_hidden_layers


def _lora(match, targets, r, transformers_major=5):
    """lora-lint's one LoRA counter (the estimator's) on a catalog match."""
    return count_parameters(match.entry, LoraSpec(r=r, target_modules=tuple(targets)),
                            transformers_major=transformers_major,
                            modules=match.modules(transformers_major)).lora


# ----------------------------------------------------------------------------- LoRA counts


@pytest.mark.parametrize("key", sorted(EXPECTED["counts"]))
def test_standard_target_lora_count_matches_peft(key):
    entry = {e.key: e for e in all_entries()}[key]
    expected = EXPECTED["counts"][key]  # PEFT's get_nb_trainable_parameters, measured
    for major in (5, 4):
        spec = LoraSpec(r=16, target_modules=entry.standard_target_modules)
        counted = count_parameters(entry, spec, transformers_major=major).lora
        assert counted == expected["transformers_%d" % major], (key, major)


def test_lora_count_suffix_targets_and_rank_linearity():
    m = lookup("meta-llama/Meta-Llama-3-8B")
    e = m.entry
    assert _lora(m, ["self_attn.q_proj"], 8) == _lora(m, ["q_proj"], 8)
    with pytest.raises(EstimateError):  # matches nothing: PEFT raises
        _lora(m, ["mlp.q_proj"], 8)
    assert _lora(m, STD7, 32) == 2 * _lora(m, STD7, 16)
    # embed_tokens as a LoRA target: r * (V + H)
    assert _lora(m, ["embed_tokens"], 16) == 16 * (e.vocab_size + e.hidden_size)
    # PEFT 0.21.2's count for Llama-3-8B, r=16, the seven projections (tests/data/lora_r16_expected.json)
    assert _lora(m, STD7, 16) == EXPECTED["counts"]["llama-3-8b"]["transformers_5"] == 41943040


# ----------------------------------------------------------------------------- lookup


@pytest.mark.parametrize(
    "model_id, key, variant, exact",
    [
        ("meta-llama/Meta-Llama-3-8B", "llama-3-8b", "base", True),
        ("unsloth/llama-3-8b-bnb-4bit", "llama-3-8b", "base", True),
        ("UNSLOTH/LLAMA-3-8B-INSTRUCT-BNB-4BIT", "llama-3-8b", "instruct", True),
        ("unsloth/Llama-3.2-1B-Instruct-unsloth-bnb-4bit", "llama-3.2-1b", "instruct", True),
        ("unsloth/Qwen3-8B", "qwen3-8b", "instruct", True),
        ("gpt2", "gpt2", "base", True),
        ("unsloth/llama-3-8b-FP8", "llama-3-8b", "base", False),
        ("RedHatAI/Meta-Llama-3.1-8B-Instruct-FP8-dynamic", "llama-3.1-8b", "instruct", False),
        ("my-mirror/gemma-2-9b-it", "gemma-2-9b", "instruct", False),
        ("mlx-community/Qwen2.5-7B-Instruct-4bit", "qwen2.5-7b", "instruct", False),
    ],
)
def test_lookup_hub_ids(model_id, key, variant, exact):
    match = lookup(model_id)
    assert match is not None, model_id
    assert (match.entry.key, match.variant, match.exact) == (key, variant, exact)
    assert not match.is_local_path
    assert match.hub_id in all_hub_ids()


def test_lookup_reports_suffix_and_canonical_id():
    match = lookup("Unsloth/Llama-3-8B-bnb-4bit")
    assert match.quant_suffix == "-bnb-4bit"
    assert match.hub_id == "unsloth/llama-3-8b-bnb-4bit"
    assert lookup("unsloth/llama-3-8b-FP8").quant_suffix == "-FP8"
    assert lookup("unsloth/llama-3-8b").quant_suffix == ""


@pytest.mark.parametrize(
    "path, key, variant",
    [
        ("/models/meta-llama/Meta-Llama-3-8B", "llama-3-8b", "base"),
        ("/models/meta-llama/Meta-Llama-3-8B/", "llama-3-8b", "base"),
        ("./checkpoints/llama-3-8b-bnb-4bit", "llama-3-8b", "base"),
        ("C:\\models\\unsloth\\Qwen3-8B-Base\\", "qwen3-8b", "base"),
        ("..\\weights\\gemma-2-9b-it", "gemma-2-9b", "instruct"),
        ("~/hf/Qwen/Qwen2.5-7B-Instruct", "qwen2.5-7b", "instruct"),
        ("./gpt2", "gpt2", "base"),
        # the Hugging Face cache: the repo folder names the checkpoint, not the snapshot's commit
        ("C:\\Users\\me\\.cache\\huggingface\\hub\\models--google--gemma-3-270m-it\\snapshots\\"
         "ac82b4e820549b854eebf28ce6dedaf9fdfa17b3", "gemma-3-270m", "instruct"),
        ("/root/.cache/huggingface/hub/models--Qwen--Qwen2.5-7B-Instruct", "qwen2.5-7b", "instruct"),
    ],
)
def test_lookup_local_paths(path, key, variant):
    match = lookup(path)
    assert match is not None, path
    assert (match.entry.key, match.variant) == (key, variant)
    assert match.is_local_path
    assert instruct_sibling(path) is None  # paths are never rewritten


@pytest.mark.parametrize(
    "model_id",
    ["", "   ", "/", "./", "meta-llama/Llama-9-8B", "unsloth/llama-3-8b-custom", "outputs/checkpoint-500",
     "Qwen2.5", "bnb-4bit", "-bnb-4bit", "/cache/models--my-org--support-bot-v3/snapshots/0123abcd"],
)
def test_lookup_unknown(model_id):
    assert lookup(model_id) is None
    assert instruct_sibling(model_id) is None


def test_lookup_rejects_non_strings():
    for value in (None, 3, b"gpt2", ["gpt2"]):
        assert lookup(value) is None  # type: ignore[arg-type]
        assert instruct_sibling(value) is None  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_lookup_never_crashes(text):
    match = lookup(text)
    assert match is None or match.hub_id in all_hub_ids()
    sibling = instruct_sibling(text)
    assert sibling is None or sibling in all_hub_ids()


# ----------------------------------------------------------------------------- instruct siblings


@pytest.mark.parametrize(
    "base, instruct",
    [
        ("unsloth/llama-3-8b-bnb-4bit", "unsloth/llama-3-8b-Instruct-bnb-4bit"),
        ("google/gemma-2-9b", "google/gemma-2-9b-it"),
        ("unsloth/gemma-3-4b-pt", "unsloth/gemma-3-4b-it"),
        ("Qwen/Qwen2.5-7B", "Qwen/Qwen2.5-7B-Instruct"),
        ("unsloth/Qwen3-8B-Base", "unsloth/Qwen3-8B"),
        ("unsloth/Qwen3-8B-Base-unsloth-bnb-4bit", "unsloth/Qwen3-8B-unsloth-bnb-4bit"),
        ("meta-llama/Meta-Llama-3.1-8B", "meta-llama/Meta-Llama-3.1-8B-Instruct"),
        ("meta-llama/Llama-3.1-8B", "meta-llama/Llama-3.1-8B-Instruct"),
        ("unsloth/Llama-3.1-8B-unsloth-bnb-4bit", "unsloth/Llama-3.1-8B-Instruct-unsloth-bnb-4bit"),
        ("unsloth/tinyllama-bnb-4bit", "unsloth/tinyllama-chat-bnb-4bit"),
        ("meta-llama/Llama-2-7b-hf", "meta-llama/Llama-2-7b-chat-hf"),
        ("mistralai/Mistral-Nemo-Base-2407", "mistralai/Mistral-Nemo-Instruct-2407"),
        ("unsloth/llama-3-70b-bnb-4bit", "unsloth/llama-3-70b-Instruct-bnb-4bit"),
        # case of the input does not leak into the answer: the table's casing is the hub's
        ("GOOGLE/GEMMA-2-9B", "google/gemma-2-9b-it"),
    ],
)
def test_instruct_sibling_examples(base, instruct):
    assert instruct_sibling(base) == instruct


def test_instruct_sibling_falls_back_within_the_org():
    # the base 4-bit key has no -unsloth-bnb-4bit twin but the instruct has; keep the org and 4-bit
    assert instruct_sibling("unsloth/Qwen3-30B-A3B-Base-bnb-4bit") == "unsloth/Qwen3-30B-A3B-bnb-4bit"
    # no unsloth 16-bit v0.1 instruct exists: the only unsloth instruct id is the 4-bit one
    assert instruct_sibling("unsloth/mistral-7b") == "unsloth/mistral-7b-instruct-v0.1-bnb-4bit"
    # an FP8 spelling unsloth does not list: fall back to an existing unsloth id
    assert instruct_sibling("unsloth/llama-3-8b-FP8") in all_hub_ids()


@pytest.mark.parametrize(
    "model_id",
    [
        "unsloth/Qwen3-8B", "Qwen/Qwen3-8B", "unsloth/phi-4", "microsoft/phi-4",
        "meta-llama/Llama-3.3-70B-Instruct", "unsloth/Llama-3.3-70B-Instruct-bnb-4bit",
        "openai/gpt-oss-20b", "unsloth/gpt-oss-120b", "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
        "unsloth/DeepSeek-R1-Distill-Llama-8B-bnb-4bit", "gpt2", "openai-community/gpt2-xl",
        "microsoft/Phi-3-mini-4k-instruct",
        # an org the table does not list: never invent "RedHatAI/...-Instruct"
        "RedHatAI/Meta-Llama-3.1-8B-FP8", "someone/gemma-2-9b",
        # no org: nothing to keep
        "Qwen2.5-7B",
        # SmolLM2 has no unsloth ids in the table: do not make one up
        "unsloth/SmolLM2-135M",
    ],
)
def test_instruct_sibling_none(model_id):
    assert instruct_sibling(model_id) is None


def test_instruct_sibling_never_invents_ids():
    table = all_hub_ids()
    for entry in all_entries():
        for variant in ("base", "instruct"):
            hub = entry.hub_ids(variant)
            for hub_id in hub.all_ids if hub else ():
                sibling = instruct_sibling(hub_id)
                if variant == "instruct":
                    assert sibling is None, hub_id
                    continue
                assert sibling is None or sibling in table, (hub_id, sibling)
                if sibling is not None:
                    assert sibling.split("/")[0] == hub_id.split("/")[0]
                    back = lookup(sibling)
                    assert (back.entry.key, back.variant) == (entry.key, "instruct")
                same_org = [i for i in (entry.instruct.all_ids if entry.instruct else ())
                            if "/" in hub_id and i.split("/")[0].lower() == hub_id.split("/")[0].lower()]
                assert (sibling is not None) == bool(same_org), hub_id


def test_every_base_with_an_instruct_variant_has_a_sibling_from_its_original_id():
    for entry in all_entries():
        if entry.base is None or entry.base.original is None or entry.instruct is None:
            continue
        if entry.instruct.original is None:
            continue
        if entry.base.original.split("/")[0] != entry.instruct.original.split("/")[0]:
            # e.g. alpindale/Mistral-7B-v0.2-hf: the instruct lives in another org; never switch org
            assert instruct_sibling(entry.base.original) is None, entry.key
            continue
        assert instruct_sibling(entry.base.original) == entry.instruct.original, entry.key


# ----------------------------------------------------------------------------- did you mean


def test_levenshtein():
    assert levenshtein("kitten", "sitting") == 3
    assert levenshtein("", "abc") == 3
    assert levenshtein("q_proj", "q_proj") == 0


# ----------------------------------------------------------------------------- packaging


def test_catalog_imports_nothing_heavy_and_reads_no_reference_folder(tmp_path):
    code = (
        "import sys, lora_lint_plugin.catalog as c\n"
        "assert c.lookup('unsloth/llama-3-8b-bnb-4bit') is not None\n"
        "heavy = [m for m in ('torch', 'transformers', 'peft', 'libcst') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    root = Path(catalog.__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=str(tmp_path), env={"PYTHONPATH": str(root)},
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    source = Path(catalog.__file__).read_text(encoding="utf-8")
    assert "/work/shared" not in source and "modelfacts" not in source


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="ab-:\nCé1", max_size=14))
def test_drive_and_cache_folder_tests_agree_with_their_patterns(text):
    # string tests instead of two patterns every fresh process compiled (one flake8 per save);
    # both are given the parts of a path split on "/"
    import re

    assert catalog._is_windows_drive(text) == bool(re.match(r"^[A-Za-z]:$", text))
    for folder in (text, "models--" + text):
        match = re.match(r"^models--([^/]+?)--([^/]+)$", folder)
        assert catalog._hf_cache_repo([folder]) == (match.groups() if match else None)
