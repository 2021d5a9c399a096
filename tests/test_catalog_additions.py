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
