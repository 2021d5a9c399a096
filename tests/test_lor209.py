"""LOR209: LoRA on a sequence classifier without task_type="SEQ_CLS", through flake8 and the
``lora-lint`` CLI (check and ``fix --unsafe-fixes``).

PEFT 0.21.2's own behaviour: ``get_peft_model`` builds ``PeftModelForSequenceClassification``
only for ``task_type="SEQ_CLS"``, which adds ``classifier``/``score`` to ``modules_to_save``;
otherwise a plain ``PeftModel`` freezes every non-LoRA weight.
"""

from __future__ import annotations

from pathlib import Path

from .conftest import dedent, flake8_codes, run_flake8, write_source
from .test_cli import check_json, lora_lint, write

SOURCE = dedent("""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForSequenceClassification
    model = AutoModelForSequenceClassification.from_pretrained("klue/roberta-base", num_labels=2)
    config = LoraConfig(r=8, target_modules=["query", "value"])
    model = get_peft_model(model, config)
""")


def codes(items):
    return sorted(d["location"]["row"] for d in items if d["code"] == "LOR209")


def test_reported_at_the_config_through_flake8(tmp_path: Path) -> None:
    path = write_source(tmp_path, SOURCE)
    assert [c for c in flake8_codes(path) if c[2] == "LOR209"] == [(4, 10, "LOR209")]
    assert "never trains" in run_flake8(path, "--select=LOR209").stdout


def test_unsafe_fix_adds_the_task_type(tmp_path: Path) -> None:
    path = write(tmp_path / "train.py", SOURCE)
    lora_lint("fix", "--select", "LOR209", "train.py", cwd=tmp_path)
    assert path.read_text() == SOURCE   # unsafe: not applied without --unsafe-fixes
    lora_lint("fix", "--unsafe-fixes", "--select", "LOR209", "train.py", cwd=tmp_path)
    want = SOURCE.replace('["query", "value"])', '["query", "value"], task_type="SEQ_CLS")')
    assert path.read_text() == want
    _, items = check_json(tmp_path, "train.py")
    assert codes(items) == []


def test_silent_when_the_head_may_train(tmp_path: Path) -> None:
    variants = {
        "seq_cls.py": SOURCE.replace("r=8,", 'r=8, task_type="SEQ_CLS",'),
        "saved.py": SOURCE.replace("r=8,", 'r=8, modules_to_save=["classifier"],'),
        "head_targeted.py": SOURCE.replace('["query", "value"]', '["query", "value", "classifier.dense"]'),
        "unfrozen.py": SOURCE + "model.base_model.model.classifier.requires_grad_(True)\n",
        "kwargs.py": SOURCE.replace("r=8,", "**options,"),
        "classifier_checkpoint.py": SOURCE.replace(", num_labels=2", ""),
        "causal.py": SOURCE.replace("AutoModelForSequenceClassification", "AutoModelForCausalLM"),
    }
    for name, text in variants.items():
        write(tmp_path / name, text)
    write(tmp_path / "reported.py", SOURCE)
    _, items = check_json(tmp_path, *variants, "reported.py")
    assert sorted(d["filename"] for d in items if d["code"] == "LOR209") == ["reported.py"]
