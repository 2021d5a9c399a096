"""Calls in a branch no run takes (``if False:``, the ``else`` of ``if True:``) reach no rule:
the extraction leaves them out, as Unsloth's notebooks park code that way."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import dedent, flake8_codes, write_source
from .test_cli import check_json, write


def test_parked_calls_are_not_reported_through_flake8(tmp_path: Path) -> None:
    path = write_source(tmp_path, dedent("""
        from peft import LoraConfig
        from trl import SFTConfig
        if False:
            parked = LoraConfig(r=0)
            old = SFTConfig(output_dir="out", max_seq_length=2048)
        if True:
            pass
        else:
            also_parked = LoraConfig(r=0)
        config = LoraConfig(r=0)
        args = SFTConfig(output_dir="out", max_seq_length=2048)
    """))
    found = sorted((row, code) for row, _, code in flake8_codes(path) if code in ("LOR201", "LOR505"))
    assert found == [(10, "LOR201"), (11, "LOR505")]


def test_unsloth_notebook_reload_cell_under_if_false(tmp_path: Path) -> None:
    cells = [
        "from unsloth import FastLanguageModel\n"
        "model, tokenizer = FastLanguageModel.from_pretrained('unsloth/Llama-3.2-1B-Instruct')\n"
        "model = FastLanguageModel.get_peft_model(model, r=16)\n",
        "if False:\n"
        "    from peft import LoraConfig\n"
        "    config = LoraConfig(r=-1)\n",
        "if flag:\n"
        "    from peft import LoraConfig\n"
        "    config = LoraConfig(r=-1)\n",
    ]
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": source} for source in cells]}
    write(tmp_path / "nb.ipynb", json.dumps(notebook))
    _, items = check_json(tmp_path, "nb.ipynb")
    assert [(d["cell"], d["code"]) for d in items if d["code"] == "LOR201"] == [(3, "LOR201")]
