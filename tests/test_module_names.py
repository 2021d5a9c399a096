"""The derived module names (``catalog/data/module_names.json``) against real models.

The data is derived statically from transformers wheels by ``dev/derive_module_names.py``. Here
it is checked against the model skeletons transformers builds on the meta device (the families
the catalog verifies with PEFT), against the measured ``architectures.json``, and for the
differences between transformers 4 and 5 that the data is keyed by.
"""

from __future__ import annotations

import json
import os
import warnings

import pytest

from lora_lint_plugin.catalog import _data_text, all_architectures, all_entries
from lora_lint_plugin.catalog.identify import families
from lora_lint_plugin.catalog.module_names import known_model_types, module_names, peft_default_targets

DOCUMENT = json.loads(_data_text("module_names.json"))
VERIFIED_TYPES = sorted({entry.model_type for entry in all_entries()})
# remote-code types have no transformers skeleton to compare with
NATIVE_TYPES = [t for t in VERIFIED_TYPES if not module_names(t).remote_code]
# A 4.x record the static reader could not finish (its names are never used to call a name unknown)
INCOMPLETE_IN_4 = {"gptj",  # GPTJAttention builds its positions through an unresolved helper
                   "mistral3"}  # 4.x's pixtral record names sub-configs the static reader left open
# model types transformers 4 does not implement (added in 5.x): no 4.x record to compare
ONLY_IN_5 = {"qwen3_5", "glm4_moe_lite"}
# transformers 4 hands T5's shared embedding module itself to the encoder and decoder, so their
# embed_tokens are that one module (PEFT sees it once, as 'shared'); transformers 5 builds them apart
SHARED_IN_4 = {"t5": {"embed_tokens"}, "mt5": {"embed_tokens"}}

# Names the data lists for a verified family that its default-config skeleton lacks, because
# another config builds them: GPT-2's cross-attention (add_cross_attention=True), Qwen3-MoE's
# dense MLP layers (mlp_only_layers / decoder_sparse_step).
CONFIG_DEPENDENT = {
    "gpt2": {"q_attn"},
    "gpt_bigcode": {"q_attn"},
    "qwen3_moe": {"gate_proj", "up_proj", "down_proj"},
    "opt": {"project_in", "project_out"},  # only when word_embed_proj_dim != hidden_size (opt-350m)
    "lfm2": {"conv", "in_proj"},  # short-convolution layers: the 2-layer default skeleton has none
    "qwen3_5": {"q_proj", "k_proj", "v_proj", "o_proj"},  # full attention every 4th layer: none in 2 layers
    # attention only where layer_types says: the 2-layer default skeleton has Mamba-2 layers only
    "granitemoehybrid": {"q_proj", "k_proj", "v_proj", "o_proj"},
    # multi-head latent attention: q_proj only without a q_lora_rank (the Lite checkpoints)
    "deepseek_v2": {"q_proj"},
    "glm4_moe_lite": {"q_proj"},
    "t5": {"wi_0", "wi_1"},  # the gated MLP of T5 v1.1/FLAN-T5 (feed_forward_proj gated-gelu)
    "mt5": {"wi"},  # the ungated MLP (feed_forward_proj relu); mT5's default is gated-gelu
}


def test_sources_name_the_wheels_of_both_major_versions():
    assert set(DOCUMENT["transformers"]) == {"4", "5"}
    assert DOCUMENT["source"]["4"].startswith("transformers 4.")
    assert DOCUMENT["source"]["5"].startswith("transformers 5.")
    assert "peft" in DOCUMENT["peft_default_target_modules"]["source"]


@pytest.mark.parametrize("major", ["4", "5"])
def test_every_record_is_well_formed(major):
    for model_type, record in DOCUMENT["transformers"][major].items():
        assert isinstance(record["complete"], bool), model_type
        assert record["classes"], model_type
        assert record["linear"] or record["embedding"] or record.get("other") \
            or record.get("sub_models") or not record["complete"], model_type
        if not record["complete"]:
            assert record["unresolved"], model_type  # incomplete always says why
        for name in record["linear"] + record["embedding"]:
            assert name.isidentifier() and not name.isdigit(), (model_type, name)


def test_remote_code_records_carry_their_sources():
    remote = DOCUMENT["remote_code"]
    assert {"chatglm", "baichuan", "internlm2", "qwen"} <= set(remote)
    for model_type, record in remote.items():
        assert record["source"] and all("@" in source for source in record["source"]), model_type
        assert model_type not in DOCUMENT["transformers"]["5"], model_type
        names = module_names(model_type)
        assert names is not None and names.remote_code and names.complete
    assert {"query_key_value", "dense_h_to_4h", "dense_4h_to_h", "output_layer"} <= module_names("chatglm").linear
    assert {"W_pack", "o_proj"} <= module_names("baichuan").linear
    assert {"wqkv", "wo", "w1", "w2", "w3"} <= module_names("internlm2").linear
    assert {"c_attn", "c_proj", "w1", "w2"} <= module_names("qwen").linear
    assert {"qkv_proj", "out_proj", "proj_1", "proj_2"} <= module_names("openelm").linear
    assert module_names("openelm").embedding == {"token_embeddings"}


def test_names_that_differ_between_transformers_4_and_5():
    assert "embed_out" in module_names("gpt_neox", 4).linear
    assert "embed_out" not in module_names("gpt_neox", 5).linear
    assert "lm_head" in module_names("gpt_neox", 5).linear
    assert {"w1", "w2", "w3"} <= module_names("mixtral", 4).linear
    assert not {"w1", "w2", "w3"} & module_names("mixtral", 5).valid_leaves
    assert module_names("mixtral", 5).fused_expert_parameters
    assert not module_names("mixtral", 4).fused_expert_parameters
    # without a version: the union, since a project may pin either
    assert {"w1", "embed_out"} <= module_names("mixtral").linear | module_names("gpt_neox").linear


def test_incomplete_and_config_dependent_records_are_not_complete():
    # Llava's language model is whatever its text_config says
    assert not module_names("llava", 5).complete
    assert module_names("llava", 5, (("text_config", "llama"),)).complete
    assert "q_proj" in module_names("llava", 5, (("text_config", "llama"),)).linear
    assert module_names("no_such_model_type") is None
    assert module_names("gemma3", 5).complete  # vision tower: the config class's SigLIP default


def test_records_the_meta_device_check_found_wanting_are_incomplete():
    # RT-DETR builds convolutions through code the static walk does not follow: --verify
    # marked it rather than let LOR103 call a real module unknown
    record = DOCUMENT["transformers"]["5"]["rt_detr"]
    assert not record["complete"] and "static walk missed" in record["unresolved"][0]


def test_peft_defaults_match_the_measured_architectures():
    for model_type, architecture in all_architectures().items():
        expected = architecture.peft_default_target_modules
        assert peft_default_targets(model_type) == expected, model_type


def _family_sub_models(model_type):
    """A composite model's language model type, as its family's checkpoints use it (SmolVLM's
    idefics3: llama); without it the record is incomplete by design."""
    return {f.model_type: f.sub_model_types for f in families()}.get(model_type, ())


@pytest.mark.parametrize("model_type", VERIFIED_TYPES)
def test_covers_the_measured_architecture_names(model_type):
    architecture = all_architectures()[model_type]
    sub_model_types = _family_sub_models(model_type)
    for major in (4, 5):
        if major == 4 and model_type in ONLY_IN_5:
            assert model_type not in DOCUMENT["transformers"]["4"]
            continue
        names = module_names(model_type, major, sub_model_types)
        assert names is not None, (model_type, major)
        assert names.complete or (major == 4 and model_type in INCOMPLETE_IN_4), (model_type, major)
        shared = SHARED_IN_4.get(model_type, set()) if major == 4 else set()
        assert architecture.valid_leaves(major) - shared <= names.valid_leaves, (model_type, major)


def test_covers_many_model_types():
    complete5 = [t for t, r in DOCUMENT["transformers"]["5"].items() if r["complete"]]
    complete4 = [t for t, r in DOCUMENT["transformers"]["4"].items() if r["complete"]]
    assert len(complete5) > 500 and len(complete4) > 300
    assert {"falcon", "gpt_neox", "bloom", "opt", "phi", "starcoder2", "gpt_bigcode", "smollm3",
            "granite", "olmo2", "gemma3n", "qwen2_vl", "qwen2_5_vl"} <= known_model_types()


# --------------------------------------------------------------------------- meta-device skeletons

def _skeleton_leaves(model_type, major):
    """Leaf names of PEFT-adaptable modules in the default-config model, built on the meta device."""
    import torch
    import transformers
    from transformers.pytorch_utils import Conv1D

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    record = DOCUMENT["transformers"][str(major)][model_type]
    config = transformers.AutoConfig.for_model(model_type)
    for part in (config, getattr(config, "text_config", None), getattr(config, "vision_config", None)):
        if part is not None and hasattr(part, "num_hidden_layers"):
            part.num_hidden_layers = 2
    adaptable = (torch.nn.Linear, Conv1D, torch.nn.Embedding, torch.nn.Conv1d, torch.nn.Conv2d,
                 torch.nn.Conv3d, torch.nn.MultiheadAttention)
    leaves = set()
    for class_name in record["classes"]:
        model_class = getattr(transformers, class_name)
        # a composite type's text-only class (Qwen3_5ForCausalLM) takes its own sub-config
        parts = (config, getattr(config, "text_config", None))
        part = next(p for p in parts if p is not None and isinstance(p, model_class.config_class))
        with warnings.catch_warnings(), torch.device("meta"):
            warnings.simplefilter("ignore")
            model = model_class(part)
        for name, module in model.named_modules():
            leaf = name.rsplit(".", 1)[-1]
            if leaf and not leaf.isdigit() and isinstance(module, adaptable):
                leaves.add(leaf)
    return leaves


@pytest.mark.verify
@pytest.mark.parametrize("model_type", NATIVE_TYPES)
def test_data_equals_the_meta_device_skeleton(model_type):
    """Every module of the real model is listed (no false LOR103), and nothing more than the
    task heads and the documented config-dependent names."""
    pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    major = int(transformers.__version__.split(".")[0])
    if str(major) not in DOCUMENT["transformers"]:
        pytest.skip(f"no data for transformers {major}")
    names = module_names(model_type, major, _family_sub_models(model_type))
    skeleton = _skeleton_leaves(model_type, major)
    assert skeleton <= names.valid_leaves
    extra = names.valid_leaves - skeleton - names.task_heads
    assert extra <= CONFIG_DEPENDENT.get(model_type, set())


# Decoder families whose task heads transformers builds in the generic mixins of
# ``transformers.modeling_layers`` (``LlamaForSequenceClassification(GenericForSequenceClassification,
# ...)`` with an empty body): the derivation walks those mixins.
GENERIC_HEAD_TYPES = ("llama", "qwen2", "qwen3", "mistral", "gemma2", "phi3")


@pytest.mark.parametrize("major", ["4", "5"])
@pytest.mark.parametrize("model_type", GENERIC_HEAD_TYPES)
def test_generic_task_heads_are_listed(model_type, major):
    assert "score" in DOCUMENT["transformers"][major][model_type]["task_heads"]
    assert "score" in module_names(model_type, int(major)).valid_leaves


@pytest.mark.parametrize("model_type", ["llama", "qwen2"])
def test_task_heads_equal_the_meta_device_classifier(model_type):
    """The sequence-classification model transformers builds has exactly the data's names plus
    its head, and the head is listed."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    major = int(transformers.__version__.split(".")[0])
    if str(major) not in DOCUMENT["transformers"]:
        pytest.skip(f"no data for transformers {major}")
    config = transformers.AutoConfig.for_model(model_type, num_hidden_layers=1, num_labels=2)
    with warnings.catch_warnings(), torch.device("meta"):
        warnings.simplefilter("ignore")
        model = transformers.AutoModelForSequenceClassification.from_config(config)
    leaves = {name.rsplit(".", 1)[-1] for name, module in model.named_modules()
              if name and isinstance(module, (torch.nn.Linear, torch.nn.Embedding))}
    names = module_names(model_type, major)
    assert "score" in leaves
    assert leaves <= names.valid_leaves
