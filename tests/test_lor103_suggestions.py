"""LOR103's advice through the real ``lora-lint`` CLI: it never proposes a name whose use another
rule reports (an embedding in target_modules, LOR101), and it maps a split projection only to
the model's names that compute the same thing (``k_proj`` on multi-head latent attention is
``kv_a_proj_with_mqa``/``kv_b_proj``, never the query's ``q_proj``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import List

from .conftest import REPO_ROOT, write_source
from .test_cli import lora_lint, out

TEMPLATE = """
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM
model = AutoModelForCausalLM.from_pretrained({model_id!r})
config = LoraConfig(r=8, target_modules={targets!r})
model = get_peft_model(model, config)
"""


def _check(tmp_path: Path, model_id: str, targets: List[str]) -> List[dict]:
    write_source(tmp_path, TEMPLATE.format(model_id=model_id, targets=targets), "train.py")
    result = lora_lint("check", "--select", "LOR101,LOR103", "--output-format", "json", ".",
                       cwd=tmp_path)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(out(result))


def test_misspelled_embedding_is_not_fixed_into_an_embedding(tmp_path):
    diagnostics = _check(tmp_path, "meta-llama/Llama-3.1-8B", ["q_proj", "embed_tokns"])
    assert [d["code"] for d in diagnostics] == ["LOR103"]
    message = diagnostics[0]["message"]
    assert "'embed_tokens', an embedding, which does not belong in target_modules" in message
    assert "did you mean" not in message
    # no fix writes the embedding in: the file is left as it is
    before = (tmp_path / "train.py").read_text()
    result = lora_lint("fix", "--select", "LOR103", ".", cwd=tmp_path)
    assert result.returncode in (0, 1), result.stderr
    assert (tmp_path / "train.py").read_text() == before


def test_plain_typo_still_gets_its_safe_fix(tmp_path):
    diagnostics = _check(tmp_path, "meta-llama/Llama-3.1-8B", ["q_proj", "v_prj"])
    assert [d["code"] for d in diagnostics] == ["LOR103"]
    assert "did you mean 'v_proj'?" in diagnostics[0]["message"]
    lora_lint("fix", "--select", "LOR103", ".", cwd=tmp_path)
    assert "'v_proj'" in (tmp_path / "train.py").read_text()


def test_split_projection_on_latent_attention_is_mapped_to_the_latent_names(tmp_path):
    diagnostics = _check(tmp_path, "/root/autodl-fs/ZhipuAI/GLM-4.7-Flash",
                         ["q_proj", "k_proj", "v_proj", "o_proj"])
    assert sorted(d["code"] for d in diagnostics) == ["LOR103", "LOR103"]
    for diagnostic in diagnostics:
        message = diagnostic["message"]
        assert "'kv_a_proj_with_mqa', 'kv_b_proj'" in message, message
        assert "'q_proj'" not in message.split(";", 1)[1], message


def test_fused_names_still_map_to_the_split_ones(tmp_path):
    diagnostics = _check(tmp_path, "meta-llama/Llama-3.1-8B", ["qkv_proj", "o_proj"])
    assert [d["code"] for d in diagnostics] == ["LOR103"]
    assert "'q_proj', 'k_proj', 'v_proj'" in diagnostics[0]["message"]


CLASSIFIER = """
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForSequenceClassification
model = AutoModelForSequenceClassification.from_pretrained({model_id!r}, num_labels=2)
config = LoraConfig(r=8, task_type="SEQ_CLS", target_modules={targets!r})
model = get_peft_model(model, config)
"""


def _check_classifier(tmp_path: Path, model_id: str, targets: List[str]) -> List[dict]:
    """``python -m lora_lint_plugin`` run from this checkout, so it reads this checkout's data."""
    path = write_source(tmp_path, CLASSIFIER.format(model_id=model_id, targets=targets), "train.py")
    result = subprocess.run([sys.executable, "-m", "lora_lint_plugin", "check", "--isolated",
                             "--select", "LOR103", "--output-format", "json", str(path)],
                            capture_output=True, text=True, cwd=REPO_ROOT, timeout=300)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def test_head_of_a_generic_sequence_classifier_is_a_module_of_the_model(tmp_path):
    # LlamaForSequenceClassification (and Qwen2's, Mistral's, ...) inherit transformers'
    # GenericForSequenceClassification, which builds the 'score' head: it is a real module.
    # Seen on a real script (llama_seq_clf.py in the real-world benchmark) told "'score' is
    # not a module of llama".
    for model_id in ("meta-llama/Llama-2-7b-hf", "Qwen/Qwen2.5-7B-Instruct"):
        assert _check_classifier(tmp_path, model_id, ["q_proj", "v_proj", "score"]) == [], model_id


def test_a_misspelled_head_is_still_reported_with_the_real_name(tmp_path):
    diagnostics = _check_classifier(tmp_path, "meta-llama/Llama-2-7b-hf", ["q_proj", "scoer"])
    assert [d["code"] for d in diagnostics] == ["LOR103"]
    assert "'score'" in diagnostics[0]["message"]
