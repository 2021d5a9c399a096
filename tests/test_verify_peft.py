"""Cross-check of the cost estimator against PEFT itself (needs the ``[verify]`` extra).

LoRA arguments are read from sample scripts by the real extractor; the same arguments build a
``peft.LoraConfig`` that is applied to a model skeleton built on the meta device from the catalog
entry's config values. The estimator's trainable count must equal PEFT's exactly. Adapter file
sizes are compared with a real ``save_pretrained`` of a SmolLM2-135M-shaped model with random
bf16 weights on the CPU.

Install: ``pip install -e .[verify]`` (CPU torch is enough). Run: ``pytest -m verify``.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import pytest

# Everything is built from config values; never wait for the Hugging Face Hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
peft = pytest.importorskip("peft")

from lora_lint_plugin.catalog import all_entries  # noqa: E402
from lora_lint_plugin.analysis.engine import analyse_source  # noqa: E402
from lora_lint_plugin.estimate import adapter_file_size, count_parameters  # noqa: E402
from lora_lint_plugin.estimate.setup import lora_spec  # noqa: E402
from lora_lint_plugin.analysis.model import LORA_CONFIG  # noqa: E402

from .conftest import dedent  # noqa: E402

pytestmark = pytest.mark.verify

ENTRIES = {entry.key: entry for entry in all_entries()}
TRANSFORMERS_MAJOR = int(transformers.__version__.split(".")[0])
PEFT_KEYWORDS = ("r", "target_modules", "modules_to_save", "bias", "use_dora", "rank_pattern",
                 "layers_to_transform", "ensure_weight_tying", "target_parameters")


def _config(entry):
    """A transformers config with the catalog entry's dimensions."""
    if entry.model_type == "gpt2":
        return transformers.AutoConfig.for_model(
            "gpt2", vocab_size=entry.vocab_size, n_embd=entry.hidden_size,
            n_layer=entry.num_hidden_layers, n_head=entry.num_attention_heads,
            n_positions=entry.max_position_embeddings, n_inner=entry.intermediate_size,
            tie_word_embeddings=entry.tie_word_embeddings)
    values = dict(vocab_size=entry.vocab_size, hidden_size=entry.hidden_size,
                  intermediate_size=entry.intermediate_size,
                  num_hidden_layers=entry.num_hidden_layers,
                  num_attention_heads=entry.num_attention_heads,
                  num_key_value_heads=entry.num_key_value_heads, head_dim=entry.head_dim,
                  tie_word_embeddings=entry.tie_word_embeddings)
    if entry.model_type == "qwen2":
        values["use_sliding_window"] = False
    if entry.model_type == "mixtral":
        values.update(num_local_experts=entry.moe.num_experts,
                      num_experts_per_tok=entry.moe.num_experts_per_tok)
    if entry.model_type == "qwen3_moe":
        values.update(num_experts=entry.moe.num_experts,
                      num_experts_per_tok=entry.moe.num_experts_per_tok,
                      moe_intermediate_size=entry.moe.expert_intermediate_size,
                      decoder_sparse_step=1, mlp_only_layers=[])
    return transformers.AutoConfig.for_model(entry.model_type, **values)


def _skeleton(entry):
    with torch.device("meta"):
        return transformers.AutoModelForCausalLM.from_config(_config(entry))


def _lora_calls(source):
    analysis = analyse_source(dedent(source))
    assert analysis.error is None, analysis.error
    return [(call, analysis.model.setup_of(call)) for call in analysis.model.calls
            if call.role == LORA_CONFIG]


def _peft_kwargs(call):
    kwargs = {name: call.args.plain(name) for name in PEFT_KEYWORDS if name in call.args}
    return kwargs


def _sample(targets, extra=""):
    return f"""
        from peft import LoraConfig
        config = LoraConfig(r=16, lora_alpha=16, target_modules={targets!r}{extra})
    """


FAMILIES = {
    "llama-3-8b": ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"),
    "llama-3.2-1b": ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"),
    "qwen2.5-0.5b": ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"),
    "phi-3-mini": ("qkv_proj", "o_proj", "gate_up_proj", "down_proj"),
    "gpt2": ("c_attn", "c_proj", "c_fc"),
    "qwen3-30b-a3b": ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"),
}


def _samples(key, standard):
    entry = ENTRIES[key]
    embed, head = entry.embedding_module.name, entry.output_module.name
    samples = [
        _sample(list(standard)),
        _sample(list(standard), f", modules_to_save=[{embed!r}, {head!r}]"),
        _sample(list(standard) + [embed, head]),
        _sample(list(standard[:2]), ", use_dora=True, bias='all', rank_pattern={'%s': 4}"
                % standard[0]),
        _sample(list(standard[:3]), ", layers_to_transform=[0, 1], bias='lora_only'"),
        f"""
        from peft import LoraConfig
        config = LoraConfig(r=8, target_modules=r".*\\.(0|1)\\..*{standard[0]}")
        """,
        """
        from peft import LoraConfig
        config = LoraConfig(r=8, target_modules="all-linear")
        """,
    ]
    if entry.tie_word_embeddings:
        samples.append(_sample(list(standard), f", modules_to_save=[{embed!r}, {head!r}], "
                                               "ensure_weight_tying=True"))
    return samples


# MoE skeletons take ~20 s each under PEFT: only the cases where MoE differs (standard names
# rewritten to fused tensors, a regex, all-linear with the router).
MOE_SAMPLES = (0, 5, 6)
CASES = [pytest.param(key, index, source, id=f"{key}-{index}")
         for key, standard in FAMILIES.items()
         for index, source in enumerate(_samples(key, standard))
         if ENTRIES[key].moe is None or index in MOE_SAMPLES]


@pytest.mark.parametrize("key,index,source", CASES)
def test_trainable_count_equals_peft(key, index, source):
    entry = ENTRIES[key]
    if key == "gpt2" and "bias='all'" in source:
        pytest.skip("GPT-2's LayerNorm biases are not in the catalog (documented limit)")
    (call, setup), = _lora_calls(source)
    spec = lora_spec(call, setup)
    kwargs = _peft_kwargs(call)
    if key == "gpt2":
        kwargs["fan_in_fan_out"] = True
    model = _skeleton(entry)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peft_model = peft.get_peft_model(model, peft.LoraConfig(**kwargs))
    trainable, _ = peft_model.get_nb_trainable_parameters()
    estimated = count_parameters(entry, spec, transformers_major=TRANSFORMERS_MAJOR).total
    assert estimated == trainable


ADAPTER_SAMPLES = {
    "plain": _sample(list(FAMILIES["llama-3-8b"])),
    "modules_to_save": _sample(list(FAMILIES["llama-3-8b"]),
                               ", modules_to_save=['embed_tokens', 'lm_head']"),
    "embeddings_as_targets": _sample(list(FAMILIES["llama-3-8b"]) + ["embed_tokens", "lm_head"]),
}


@pytest.fixture(scope="module")
def smollm2_weights():
    """A SmolLM2-135M-shaped model with random bf16 weights (built once, copied per test)."""
    entry = ENTRIES["smollm2-135m"]
    torch.manual_seed(0)
    model = transformers.AutoModelForCausalLM.from_config(_config(entry), dtype=torch.bfloat16)
    return entry, model.state_dict()


@pytest.mark.parametrize("name", sorted(ADAPTER_SAMPLES))
def test_adapter_size_within_one_percent_of_save_pretrained(name, smollm2_weights, tmp_path):
    entry, state = smollm2_weights
    (call, setup), = _lora_calls(ADAPTER_SAMPLES[name])
    spec = lora_spec(call, setup)
    model = transformers.AutoModelForCausalLM.from_config(_config(entry), dtype=torch.bfloat16)
    model.load_state_dict(state)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peft_model = peft.get_peft_model(model, peft.LoraConfig(**_peft_kwargs(call)))
        peft_model.save_pretrained(str(tmp_path))
    actual = (tmp_path / "adapter_model.safetensors").stat().st_size
    count = count_parameters(entry, spec, transformers_major=TRANSFORMERS_MAJOR)
    assert count.total == peft_model.get_nb_trainable_parameters()[0]
    estimated = adapter_file_size(count, full_dtype_bytes=2).total_bytes
    assert abs(estimated - actual) / actual < 0.01, (estimated, actual)


# --------------------------------------------------------------------------- every family

# The catalog's module tables are derived by dev/build_catalog.py from the reviewed facts in
# dev/catalog_facts.json. Here the same builder makes each family's skeleton again and PEFT counts
# LoRA on it; the estimator must agree. One checkpoint per family (its smallest) by default;
# LORA_LINT_VERIFY_ALL=1 checks every natively built checkpoint.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "dev"))
import build_catalog  # noqa: E402

FACTS = build_catalog.load_facts()


def _native(fact):
    return FACTS["model_types"][fact["model_type"]].get("remote_code") is None


def _family_representatives():
    natives = [f for f in FACTS["checkpoints"] if _native(f)]
    if os.environ.get("LORA_LINT_VERIFY_ALL"):
        return natives
    smallest = {}
    for fact in natives:
        config = fact["config"]
        size = config["hidden_size"] ** 2 * config["num_hidden_layers"]
        if fact["family"] not in smallest or size < smallest[fact["family"]][0]:
            smallest[fact["family"]] = (size, fact)
    return [fact for _, fact in smallest.values()]


REPRESENTATIVES = _family_representatives()


def test_every_natively_built_family_has_a_representative():
    families = {f["family"] for f in FACTS["checkpoints"] if _native(f)}
    assert families == {f["family"] for f in REPRESENTATIVES}


def _peft_trainable(fact, kwargs, layers=None):
    """PEFT's trainable count on the checkpoint's skeleton, optionally with fewer layers."""
    if layers is not None:
        fact = dict(fact, config=dict(fact["config"], num_hidden_layers=layers))
    model = build_catalog.build_skeleton(fact, FACTS["model_types"][fact["model_type"]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peft_model = peft.get_peft_model(model, peft.LoraConfig(**kwargs))
    return peft_model.get_nb_trainable_parameters()[0]


@pytest.mark.parametrize("fact", REPRESENTATIVES, ids=[f["key"] for f in REPRESENTATIVES])
def test_family_trainable_count_equals_peft(fact):
    """Standard targets plus the input and output embeddings as LoRA targets, on the real shapes.

    Decoder layers of these families are identical, so PEFT's count for L layers is
    count(1) + (L - 1) * (count(2) - count(1)); deep checkpoints are measured that way (two small
    skeletons instead of one 80-layer one) unless LORA_LINT_VERIFY_ALL=1 asks for the full build.
    """
    entry = ENTRIES[fact["key"]]
    targets = list(entry.standard_target_modules) + [entry.embedding_module.name, entry.output_module.name]
    (call, setup), = _lora_calls(_sample(targets))
    kwargs = _peft_kwargs(call)
    layers = fact["config"]["num_hidden_layers"]
    layer_dependent = FACTS["model_types"][fact["model_type"]].get("layer_dependent_config", False)
    if layers <= 8 or layer_dependent or os.environ.get("LORA_LINT_VERIFY_ALL"):
        trainable = _peft_trainable(fact, kwargs)
    else:
        one, two = _peft_trainable(fact, kwargs, 1), _peft_trainable(fact, kwargs, 2)
        trainable = one + (layers - 1) * (two - one)
    estimated = count_parameters(entry, lora_spec(call, setup), transformers_major=TRANSFORMERS_MAJOR).total
    assert estimated == trainable
