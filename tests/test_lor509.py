"""LOR509: ``from_pretrained(load_in_4bit=/load_in_8bit=)``, which transformers 5.0 removed,
through flake8, the ``lora-lint`` CLI and a notebook.

transformers' own history: ``PreTrainedModel.from_pretrained`` pops both keywords up to 4.57.6;
from 5.0 they reach the model class's ``__init__`` (TypeError after the download).
"""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import dedent, flake8_codes, run_flake8, write_source
from .test_cli import check_json, write

SOURCE = dedent("""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM
    model = AutoModelForCausalLM.from_pretrained(
        "meta-llama/Llama-3.1-8B",
        load_in_4bit=True,
        device_map="auto",
    )
    model = get_peft_model(model, LoraConfig(r=16, target_modules=["q_proj", "v_proj"]))
""")


def lor509(items):
    return sorted((d["location"]["row"], d["message"]) for d in items if d["code"] == "LOR509")


def test_keyword_through_flake8(tmp_path: Path) -> None:
    path = write_source(tmp_path, SOURCE)
    assert [c for c in flake8_codes(path) if c[2] == "LOR509"] == [(5, 5, "LOR509")]
    output = run_flake8(path, "--select=LOR509").stdout
    assert "unexpected keyword argument 'load_in_4bit'" in output
    assert "quantization_config=BitsAndBytesConfig(load_in_4bit=True)" in output
    assert "no transformers version is pinned" in output


def test_pins_decide(tmp_path: Path) -> None:
    write(tmp_path / "train.py", SOURCE)
    write(tmp_path / "requirements.txt", "transformers>=5.6.0\n")
    _, items = check_json(tmp_path, "train.py")
    [(row, message)] = lor509(items)
    assert row == 5 and "transformers>=5.6.0 pinned in requirements.txt:1 removed it" in message
    write(tmp_path / "requirements.txt", "transformers==4.46.3\n")
    _, items = check_json(tmp_path, "train.py")
    assert lor509(items) == []
    write(tmp_path / "requirements.txt", "transformers>=4.40\n")
    _, items = check_json(tmp_path, "train.py")
    [(row, message)] = lor509(items)
    assert "allows versions before 5.0" in message


def test_notebook_cells_peft_auto_class_and_dead_branch(tmp_path: Path) -> None:
    cells = [
        "!pip install unsloth\n",
        "from unsloth import FastLanguageModel\n"
        "model, tokenizer = FastLanguageModel.from_pretrained('unsloth/Llama-3.2-1B-Instruct', "
        "load_in_4bit=True)\nmodel = FastLanguageModel.get_peft_model(model, r=16)\n",
        # Unsloth's notebooks park the PEFT alternative under `if False:`
        "if False:\n    from peft import AutoPeftModelForCausalLM\n"
        "    model = AutoPeftModelForCausalLM.from_pretrained('lora_model', load_in_4bit=True)\n",
        "from peft import AutoPeftModelForCausalLM\n"
        "model = AutoPeftModelForCausalLM.from_pretrained('lora_model', load_in_8bit=True)\n",
    ]
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": source} for source in cells]}
    write(tmp_path / "nb.ipynb", json.dumps(notebook))
    _, items = check_json(tmp_path, "nb.ipynb")
    found = [d for d in items if d["code"] == "LOR509"]
    assert len(found) == 1, found
    assert "AutoPeftModelForCausalLM.from_pretrained(..., load_in_8bit=...)" in found[0]["message"]


def test_unsloth_and_quantization_config_are_silent(tmp_path: Path) -> None:
    write(tmp_path / "train.py", dedent("""
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModelForCausalLM, BitsAndBytesConfig
        from unsloth import FastLanguageModel
        model, tokenizer = FastLanguageModel.from_pretrained("unsloth/Llama-3.2-1B", load_in_4bit=True)
        base = AutoModelForCausalLM.from_pretrained(
            "meta-llama/Llama-3.1-8B", quantization_config=BitsAndBytesConfig(load_in_8bit=True))
        model = get_peft_model(base, LoraConfig(r=16, target_modules=["q_proj", "v_proj"]))
    """))
    _, items = check_json(tmp_path, "train.py")
    assert lor509(items) == []
