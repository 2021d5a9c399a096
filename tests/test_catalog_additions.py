"""Checkpoints added to the catalog because real fine-tuning code loads them.

Each test runs a small script on a newly listed checkpoint through flake8 or the ``lora-lint``
console script and checks the mechanism the entry enables: PEFT's default targets (LOR106),
the embedding size (LOR102), base vs instruct (LOR301).
"""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import flake8_codes, run_flake8, write_source
from .test_cli import lora_lint, out

NO_TARGETS = """
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM
model = AutoModelForCausalLM.from_pretrained({model_id!r})
config = LoraConfig(r=16, lora_alpha=32, task_type="CAUSAL_LM")
model = get_peft_model(model, config)
"""

SAVED_EMBEDDINGS = """
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM
model = AutoModelForCausalLM.from_pretrained({model_id!r})
config = LoraConfig(r=16, target_modules=["q_proj", "v_proj"], modules_to_save=["embed_tokens", "lm_head"])
model = get_peft_model(model, config)
"""

CHAT_DATA = """
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM, AutoTokenizer
model = AutoModelForCausalLM.from_pretrained({model_id!r})
tokenizer = AutoTokenizer.from_pretrained({model_id!r})
model = get_peft_model(model, LoraConfig(r=8, target_modules=["q_proj", "v_proj"]))
texts = [tokenizer.apply_chat_template(m, tokenize=False) for m in dataset["messages"]]
"""


def test_typhoon_without_target_modules_gets_peft_default_warning(tmp_path: Path) -> None:
    """The one real-world miss: scb10x/typhoon-7b (Mistral-7B shapes) with no target_modules,
    also as a local copy whose path ends in the hub id."""
    for name, model_id in (("hub.py", "scb10x/typhoon-7b"),
                           ("local.py", "/project/models/scb10x/typhoon-7b")):
        path = write_source(tmp_path, NO_TARGETS.format(model_id=model_id), name)
        assert flake8_codes(path) == [(4, 10, "LOR106")], name
        message = run_flake8(path, "--select=LOR106").stdout
        assert "PEFT's default for mistral" in message and "'q_proj', 'v_proj'" in message


def test_typhoon_embedding_cost_uses_its_extended_vocabulary(tmp_path: Path) -> None:
    """35,219 rows of 4,096 in embed_tokens and in the untied lm_head: 288.51 M parameters."""
    write_source(tmp_path, SAVED_EMBEDDINGS.format(model_id="scb10x/typhoon-7b"))
    result = lora_lint("check", "--select", "LOR102", "--no-hf-cache", "--output-format", "json",
                       "train.py", cwd=tmp_path)
    diagnostics = json.loads(out(result))
    assert [d["code"] for d in diagnostics] == ["LOR102", "LOR102"]
    assert all("scb10x/typhoon-7b: +288.51 M trainable parameters" in d["message"]
               for d in diagnostics), diagnostics


def test_typhoon_base_on_chat_data_points_to_its_instruct_checkpoint(tmp_path: Path) -> None:
    write_source(tmp_path, CHAT_DATA.format(model_id="scb10x/typhoon-7b"), "base.py")
    write_source(tmp_path, CHAT_DATA.format(model_id="scb10x/typhoon-7b-instruct-02-19-2024"),
                 "instruct.py")
    result = lora_lint("check", "--select", "LOR301", "--no-hf-cache", "--output-format", "json",
                       ".", cwd=tmp_path)
    diagnostics = json.loads(out(result))
    assert [Path(d["filename"]).name for d in diagnostics] == ["base.py"]
    assert "scb10x/typhoon-7b-instruct-02-19-2024" in diagnostics[0]["message"]


KAGGLE_DOWNLOAD = """
import kagglehub
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM
path = kagglehub.model_download({handle!r})
model = AutoModelForCausalLM.from_pretrained(path)
model = get_peft_model(model, {lora})
"""


def test_vaultgemma_from_its_kaggle_handle_is_known_by_checkpoint(tmp_path: Path) -> None:
    """kagglehub's ``google/vaultgemma/transformers/1b`` is google/vaultgemma-1b: PEFT has no
    default targets for vaultgemma (LOR106), and its tied 256,000 x 1,152 embedding is a
    294.91 M-parameter copy in modules_to_save (LOR102)."""
    handle = "google/vaultgemma/transformers/1b"
    write_source(tmp_path, KAGGLE_DOWNLOAD.format(handle=handle, lora='LoraConfig(r=8, task_type="CAUSAL_LM")'),
                 "defaults.py")
    write_source(tmp_path, KAGGLE_DOWNLOAD.format(
        handle=handle, lora='LoraConfig(r=8, target_modules=["q_proj"], modules_to_save=["embed_tokens"])'),
        "saved.py")
    write_source(tmp_path, KAGGLE_DOWNLOAD.format(handle="google/vaultgemma/keras/1b",
                                                  lora='LoraConfig(r=8, task_type="CAUSAL_LM")'), "keras.py")
    result = lora_lint("check", "--select", "LOR102,LOR106", "--no-hf-cache", "--output-format", "json",
                       ".", cwd=tmp_path)
    found = {(Path(d["filename"]).name, d["code"]): d["message"] for d in json.loads(out(result))}
    assert sorted(found) == [("defaults.py", "LOR106"), ("saved.py", "LOR102")]  # a Keras handle: unknown
    assert "PEFT has no default targets for vaultgemma (google/vaultgemma-1b)" in found[("defaults.py", "LOR106")]
    assert "google/vaultgemma-1b: +294.91 M trainable parameters" in found[("saved.py", "LOR102")]


def test_granite_4_h_micro_has_no_llama_mlp_names(tmp_path: Path) -> None:
    """Only q/k/v/o (4 attention layers), mamba in_proj/out_proj and shared_mlp
    input_linear/output_linear exist: gate_proj is reported, the real names are not."""
    path = write_source(tmp_path, """
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("ibm-granite/granite-4.0-h-micro")
        config = LoraConfig(r=16, target_modules=["q_proj", "in_proj", "input_linear", "gate_proj"])
        model = get_peft_model(model, config)
        """)
    assert flake8_codes(path) == [(4, 80, "LOR103")]
    assert "'gate_proj' in target_modules is not a module of granitemoehybrid" in run_flake8(
        path, "--select=LOR103").stdout


def test_granite_4_h_micro_lm_head_is_the_tied_embedding(tmp_path: Path) -> None:
    path = write_source(tmp_path, """
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained("unsloth/granite-4.0-h-micro")
        config = LoraConfig(r=16, target_modules=["q_proj", "v_proj", "lm_head"])
        model = get_peft_model(model, config)
        """)
    assert ("LOR110" in {code for _, _, code in flake8_codes(path)})
    assert "one tied 100,352 x 2,048 matrix" in run_flake8(path, "--select=LOR110").stdout
