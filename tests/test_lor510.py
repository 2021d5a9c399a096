"""LOR510: ``Trainer(tokenizer=...)``, which transformers 5.0 removed (4.46 renamed it
``processing_class``), through flake8, the ``lora-lint`` CLI (check and fix) and a notebook.

transformers 5.25 (this venv): ``Trainer(model=..., args=..., tokenizer=None)`` raises
``TypeError: Trainer.__init__() got an unexpected keyword argument 'tokenizer'``.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

from .conftest import dedent, flake8_codes, run_flake8, write_source
from .test_cli import check_json, lora_lint, write

SOURCE = dedent("""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, Trainer, TrainingArguments
    model = AutoModelForCausalLM.from_pretrained("meta-llama/Llama-3.1-8B")
    model = get_peft_model(model, LoraConfig(r=16, target_modules=["q_proj", "v_proj"]))
    trainer = Trainer(
        model=model,
        args=TrainingArguments(output_dir="out"),
        tokenizer=tokenizer,
    )
""")


def lor510(items):
    return sorted((d["location"]["row"], d["message"], d["fix"] is not None)
                  for d in items if d["code"] == "LOR510")


def test_keyword_through_flake8(tmp_path: Path) -> None:
    path = write_source(tmp_path, SOURCE)
    assert [c for c in flake8_codes(path) if c[2] == "LOR510"] == [(8, 5, "LOR510")]
    output = run_flake8(path, "--select=LOR510").stdout
    assert "Trainer.__init__() got an unexpected keyword argument 'tokenizer'" in output
    assert "processing_class=" in output and "no transformers version is pinned" in output


def test_pins_decide_report_and_fix(tmp_path: Path) -> None:
    write(tmp_path / "train.py", SOURCE)
    write(tmp_path / "requirements.txt", "transformers>=5.1\n")
    _, items = check_json(tmp_path, "train.py")
    [(row, message, fixable)] = lor510(items)
    assert row == 8 and fixable and "transformers>=5.1 pinned in requirements.txt:1" in message
    # 4.x only: the code runs as written
    write(tmp_path / "requirements.txt", "transformers<5\n")
    _, items = check_json(tmp_path, "train.py")
    assert lor510(items) == []
    # both sides, and processing_class missing from 4.40-4.45: reported, no fix
    write(tmp_path / "requirements.txt", "transformers>=4.40\n")
    _, items = check_json(tmp_path, "train.py")
    [(_, message, fixable)] = lor510(items)
    assert "allows versions before 5.0" in message and not fixable
    # both sides, every allowed version has processing_class: the rename is safe
    write(tmp_path / "requirements.txt", "transformers>=4.46\n")
    _, items = check_json(tmp_path, "train.py")
    [(_, message, fixable)] = lor510(items)
    assert "allows versions before 5.0" in message and fixable
    # a pin that cannot be placed among releases: unknown, silent
    write(tmp_path / "requirements.txt", "transformers===5.0.0-custom\n")
    _, items = check_json(tmp_path, "train.py")
    assert lor510(items) == []


def test_fix_renames_and_is_idempotent(tmp_path: Path) -> None:
    path = write(tmp_path / "train.py", SOURCE)
    result = lora_lint("fix", "--select", "LOR510", "train.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    fixed = path.read_text(encoding="utf-8")
    assert fixed == SOURCE.replace("tokenizer=tokenizer", "processing_class=tokenizer")
    ast.parse(fixed)
    stamp = path.stat().st_mtime_ns
    again = lora_lint("fix", "--select", "LOR510", "train.py", cwd=tmp_path)
    assert again.returncode == 0 and path.read_text(encoding="utf-8") == fixed
    assert path.stat().st_mtime_ns == stamp   # nothing to change: not rewritten
    _, items = check_json(tmp_path, "train.py")
    assert lor510(items) == []


def test_subclasses_seq2seq_and_what_stays_silent(tmp_path: Path) -> None:
    write(tmp_path / "train.py", dedent("""
        import transformers
        from peft import LoraConfig, get_peft_model
        from transformers import Trainer
        from my_project import ProjectTrainer, options
        class LoggingTrainer(Trainer):
            def log(self, logs, *args, **kwargs):
                super().log(logs, *args, **kwargs)
        class OwnInit(Trainer):
            def __init__(self, *args, tokenizer=None, **kwargs):
                super().__init__(*args, processing_class=tokenizer, **kwargs)
        model = get_peft_model(model, LoraConfig(r=16, target_modules="all-linear"))
        a = LoggingTrainer(model=model, tokenizer=tokenizer)
        b = transformers.Seq2SeqTrainer(model=model, tokenizer=tokenizer)
        c = OwnInit(model=model, tokenizer=tokenizer)
        d = ProjectTrainer(model=model, tokenizer=tokenizer)
        e = Trainer(model=model, processing_class=tokenizer, **options)
        f = Trainer(model, None, None, None, None, tokenizer)
        if False:
            g = Trainer(model=model, tokenizer=tokenizer)
    """))
    _, items = check_json(tmp_path, "train.py")
    found = lor510(items)
    assert [row for row, _, _ in found] == [12, 13]
    assert "LoggingTrainer(..., tokenizer=...)" in found[0][1]
    assert "'TypeError: Trainer.__init__()" in found[0][1]   # the inherited constructor raises
    assert "transformers.Seq2SeqTrainer(..., tokenizer=...)" in found[1][1]


def test_trainer_subclasses_of_project_modules(tmp_path: Path) -> None:
    """A trainer class imported from a project module is followed like one of the file's own,
    and so is a constructor that passes its arguments on unchanged; a constructor that may
    change them is not (seen in real code: ``__init__(self, *args, **kwargs)`` calling
    ``super().__init__(*args, **kwargs)`` and then computing class weights)."""
    write(tmp_path / "custom_modules.py", dedent("""
        from transformers import Trainer
        class WeightedLossTrainer(Trainer):
            def __init__(self, *args, **kwargs):
                \"\"\"Class weights from the training data.\"\"\"
                super().__init__(*args, **kwargs)
                self.weights = compute(self.train_dataset)
        class ChildTrainer(WeightedLossTrainer):
            def log(self, logs, *args, **kwargs):
                super().log(logs, *args, **kwargs)
        class PoppingTrainer(Trainer):
            def __init__(self, *args, **kwargs):
                self.tok = kwargs.pop("tokenizer", None)
                super().__init__(*args, **kwargs)
        class MixedTrainer(Trainer, Mixin):
            def log(self, logs):
                pass
        class WeightedLoss(Trainer):
            pass
    """))
    write(tmp_path / "trainers" / "__init__.py", "from custom_modules import WeightedLossTrainer\n")
    path = write(tmp_path / "train.py", dedent("""
        from peft import LoraConfig, get_peft_model
        from transformers import Trainer
        from custom_modules import ChildTrainer, MixedTrainer, PoppingTrainer, WeightedLoss
        from trainers import WeightedLossTrainer
        class InFileTrainer(Trainer):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
        class Renaming(Trainer):
            def __init__(self, *args, **kwargs):
                kwargs = rename(kwargs)
                super().__init__(*args, **kwargs)
        model = get_peft_model(model, LoraConfig(r=16, target_modules="all-linear"))
        a = WeightedLossTrainer(model=model, tokenizer=tokenizer)
        b = ChildTrainer(model=model, tokenizer=tokenizer)
        c = InFileTrainer(model=model, tokenizer=tokenizer)
        d = PoppingTrainer(model=model, tokenizer=tokenizer)
        e = MixedTrainer(model=model, tokenizer=tokenizer)
        f = Renaming(model=model, tokenizer=tokenizer)
        # only imported callees named like a trainer are looked for in the project's modules
        g = WeightedLoss(model=model, tokenizer=tokenizer)
    """))
    found = [c for c in flake8_codes(path) if c[2] == "LOR510"]
    assert [row for row, _, _ in found] == [13, 14, 15]
    output = run_flake8(path, "--select=LOR510").stdout
    assert "WeightedLossTrainer(..., tokenizer=...) raises 'TypeError: Trainer.__init__()" \
        in output


def test_trl_and_unsloth_trainers_are_not_this_rule(tmp_path: Path) -> None:
    write(tmp_path / "train.py", dedent("""
        from unsloth import FastLanguageModel, UnslothTrainer
        from trl import SFTTrainer
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/Llama-3.2-1B-Instruct")
        model = FastLanguageModel.get_peft_model(model, r=16)
        a = SFTTrainer(model=model, tokenizer=tokenizer)
        b = UnslothTrainer(model=model, tokenizer=tokenizer)
    """))
    _, items = check_json(tmp_path, "train.py")
    assert lor510(items) == []


def test_notebook_install_line_pins(tmp_path: Path) -> None:
    cells = [
        "!pip install 'transformers==4.44.2' peft\n",
        "from peft import LoraConfig, get_peft_model\nfrom transformers import Trainer\n"
        "model = get_peft_model(model, LoraConfig(r=8, target_modules=['q_proj']))\n"
        "trainer = Trainer(model=model, tokenizer=tokenizer)\n",
    ]
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": source} for source in cells]}
    write(tmp_path / "nb.ipynb", json.dumps(notebook))
    _, items = check_json(tmp_path, "nb.ipynb")
    assert lor510(items) == []
    notebook["cells"][0]["source"] = "!pip install transformers peft\n"
    write(tmp_path / "nb.ipynb", json.dumps(notebook))
    _, items = check_json(tmp_path, "nb.ipynb")
    [found] = [d for d in items if d["code"] == "LOR510"]
    assert found["cell"] == 2 and found["location"]["row"] == 4
