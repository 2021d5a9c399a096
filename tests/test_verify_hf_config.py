"""Module tables built from config.json against transformers and PEFT (needs the [verify] extra).

For every ``model_type`` whose shapes lora-lint derives from config values, a small config is
written by transformers' own ``save_pretrained`` (so fields equal to the class defaults are left
out exactly as on the Hub), the model is built from it on the meta device, and:

* every ``nn.Linear`` / ``nn.Embedding`` / ``Conv1D`` of the skeleton must be in lora-lint's table
  with the same shape, bias and count, and nothing more;
* ``lora-lint estimate`` (the real CLI) on a script loading that directory must report exactly
  the trainable parameter count PEFT's ``get_peft_model`` produces.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import warnings
from collections import Counter
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
peft = pytest.importorskip("peft")

from transformers.pytorch_utils import Conv1D  # noqa: E402

from lora_lint_plugin.catalog.config_json import (  # noqa: E402
    config_entry, layout_model_types, model_config)

from .conftest import write_source  # noqa: E402

pytestmark = pytest.mark.verify

SMALL = dict(vocab_size=1000, hidden_size=64, intermediate_size=96, num_hidden_layers=2,
             num_attention_heads=4)
# Per-type values beyond SMALL (grouped-query attention, optional biases).
EXTRA = {
    "llama": dict(num_key_value_heads=2, attention_bias=True, mlp_bias=True),
    "granite": dict(num_key_value_heads=2, mlp_bias=True),
    "smollm3": dict(num_key_value_heads=2, attention_bias=True, pad_token_id=0, bos_token_id=1,
                    eos_token_id=2),
    "qwen3": dict(num_key_value_heads=2, head_dim=32),
    "gemma": dict(num_key_value_heads=1, head_dim=24),
    "gemma2": dict(num_key_value_heads=2, head_dim=16),
    "gemma3_text": dict(num_key_value_heads=2, head_dim=16),
    "mistral": dict(num_key_value_heads=2),
    "ministral": dict(num_key_value_heads=2, head_dim=16),
    "qwen2": dict(num_key_value_heads=2, use_sliding_window=False),
    "phi3": dict(num_key_value_heads=2, pad_token_id=0, bos_token_id=1, eos_token_id=2),
    "starcoder2": dict(num_key_value_heads=2),
    "cohere": dict(num_key_value_heads=2, pad_token_id=0, bos_token_id=1, eos_token_id=2),
    "olmo2": dict(pad_token_id=0, eos_token_id=2),
    "olmo": dict(pad_token_id=0, eos_token_id=2),
}
GPT2 = dict(vocab_size=1000, n_embd=64, n_layer=2, n_head=4, n_positions=128)
MODEL_TYPES = layout_model_types()


def _save(model_type: str, directory: Path) -> None:
    values = GPT2 if model_type == "gpt2" else dict(SMALL, **EXTRA.get(model_type, {}))
    config = transformers.AutoConfig.for_model(model_type, **values)
    config.save_pretrained(str(directory))


def _skeleton(directory: Path):
    config = transformers.AutoConfig.from_pretrained(str(directory))
    with torch.device("meta"):
        return transformers.AutoModelForCausalLM.from_config(config)


def _modules(model) -> Counter:
    """(path with * for indices, type, in, out, bias) -> count, for what PEFT can adapt."""
    found: Counter = Counter()
    for name, module in model.named_modules():
        if isinstance(module, torch.nn.Embedding):
            row = ("Embedding", module.num_embeddings, module.embedding_dim, False)
        elif isinstance(module, Conv1D):
            row = ("Conv1D", module.weight.shape[0], module.weight.shape[1], module.bias is not None)
        elif isinstance(module, torch.nn.Linear):
            row = ("Linear", module.in_features, module.out_features, module.bias is not None)
        else:
            continue
        found[(re.sub(r"\.\d+(?=\.|$)", ".*", name),) + row] += 1
    return found


def test_every_layout_type_is_verified():
    assert set(MODEL_TYPES) <= set(EXTRA) | {"gpt2", "ministral"}


@pytest.mark.parametrize("model_type", MODEL_TYPES)
def test_module_table_equals_the_transformers_skeleton(model_type, tmp_path):
    _save(model_type, tmp_path)
    data = json.loads((tmp_path / "config.json").read_text())
    entry = config_entry(model_config(data))
    assert entry is not None
    ours = Counter()
    for m in entry.linear_modules:
        ours[(m.path, m.type, m.in_features, m.out_features, m.bias)] += m.count
    assert ours == _modules(_skeleton(tmp_path))


# A hand-written config.json with only the sizes: every other field takes the configuration
# class's default (tying, key/value heads, head_dim, biases), as it does when transformers loads
# a sparse config from the Hub. Sizes that every class's default token ids and head counts fit.
MINIMAL = dict(vocab_size=130000, hidden_size=64, intermediate_size=96, num_hidden_layers=2,
               num_attention_heads=32)


@pytest.mark.parametrize("model_type", [t for t in MODEL_TYPES if t not in ("gpt2", "ministral")])
def test_class_defaults_fill_missing_fields(model_type, tmp_path):
    (tmp_path / "config.json").write_text(json.dumps(dict(MINIMAL, model_type=model_type)))
    entry = config_entry(model_config(json.loads((tmp_path / "config.json").read_text())))
    assert entry is not None
    ours = Counter()
    for m in entry.linear_modules:
        ours[(m.path, m.type, m.in_features, m.out_features, m.bias)] += m.count
    skeleton = _skeleton(tmp_path)
    assert ours == _modules(skeleton)
    assert entry.tie_word_embeddings == (skeleton.lm_head.weight is
                                         skeleton.get_input_embeddings().weight)


def _targets(model_type: str) -> list:
    entry_types = {"phi3": ["qkv_proj", "o_proj", "gate_up_proj", "down_proj"],
                   "gpt2": ["c_attn", "c_proj", "c_fc"],
                   "starcoder2": ["q_proj", "k_proj", "v_proj", "o_proj", "c_fc", "c_proj"]}
    return entry_types.get(model_type, ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
                                        "up_proj", "down_proj"])


def test_cli_estimate_equals_peft_for_every_layout(tmp_path):
    scripts, expected = [], {}
    for model_type in MODEL_TYPES:
        directory = tmp_path / "models" / model_type
        _save(model_type, directory)
        targets = _targets(model_type)
        extra = {"fan_in_fan_out": True} if model_type == "gpt2" else {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            peft_model = peft.get_peft_model(_skeleton(directory), peft.LoraConfig(
                r=8, target_modules=targets, modules_to_save=["lm_head"], **extra))
        expected[model_type] = peft_model.get_nb_trainable_parameters()[0]
        scripts.append(write_source(tmp_path, f"""
            from peft import LoraConfig, get_peft_model
            from transformers import AutoModelForCausalLM
            model = AutoModelForCausalLM.from_pretrained("models/{model_type}")
            model = get_peft_model(model, LoraConfig(r=8, target_modules={targets!r},
                                                     modules_to_save=["lm_head"]))
        """, f"{model_type}.py"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE"))}
    env["HF_HUB_CACHE"] = str(tmp_path / "empty")
    result = subprocess.run([sys.executable, "-m", "lora_lint_plugin.cli.main", "estimate",
                             "--isolated", "--output-format", "json", *map(str, scripts)],
                            capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    counts = {Path(f["path"]).stem: f["setups"][0]["trainable_parameters"]["total"]
              for f in json.loads(result.stdout)["files"]}
    assert counts == expected
