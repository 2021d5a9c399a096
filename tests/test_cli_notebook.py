"""Notebooks in ``lora-lint check``: the same findings as flake8 on the equivalent ``.py``.

The ``.py`` is the notebook's code cells joined in order (IPython lines written as the plain
Python the masking stands for); every line of it is mapped to (cell, row) by construction, so
flake8's (line, column, code) on the ``.py`` predicts lora-lint's (cell, row, column, code) on
the notebook, with cells numbered over all cells as Jupyter shows them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

from .conftest import dedent
from .test_cli import check_json, lora_lint, out, write

MARKDOWN = {"cell_type": "markdown", "metadata": {}, "source": ["# Title\n", "text"]}

CODE_CELLS = [
    dedent("""
        %pip install -q peft unsloth
        from unsloth import FastLanguageModel
        from peft import LoraConfig
    """),
    dedent("""
        MODEL = "unsloth/llama-3-8b-bnb-4bit"
        TARGETS = ["q_proj", "k_proj", "v_proj",
                   "embed_tokens",
                   "lm_head"]
    """),
    dedent("""
        !nvidia-smi
        model, tokenizer = FastLanguageModel.from_pretrained(MODEL, max_seq_length=32768)
        model = FastLanguageModel.get_peft_model(
            model, r=0,
            target_modules=TARGETS,
            use_gradient_checkpointing=False,
        )
    """),
    dedent("""
        config = LoraConfig(r=8, target_modules=["q_proj", "v_prj", "wte"], bias="some")
    """).rstrip("\n"),  # Jupyter stores the last line without a newline
]


LAYOUT = ["markdown", 0, 1, "markdown", 2, 3]  # code cells by index into CODE_CELLS


def _notebook() -> Tuple[Dict[str, Any], List[Tuple[int, int]], str]:
    """The notebook, the (cell, row) of each line of the equivalent module, and the module."""
    cells: List[Dict[str, Any]] = []
    line_map: List[Tuple[int, int]] = []
    module_lines: List[str] = []
    for number, item in enumerate(LAYOUT, start=1):
        if item == "markdown":
            cells.append(dict(MARKDOWN))
            continue
        text = CODE_CELLS[item]
        cells.append({"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                      "source": text.splitlines(keepends=True)})
        for row, line in enumerate(text.splitlines(), start=1):
            stripped = line.strip()
            module_lines.append(line.replace(stripped, "pass") if stripped.startswith(("%", "!")) else line)
            line_map.append((number, row))
    notebook = {"cells": cells, "metadata": {"language_info": {"name": "python"}},
                "nbformat": 4, "nbformat_minor": 5}
    return notebook, line_map, "\n".join(module_lines) + "\n"


def _where(module: str, line_map: List[Tuple[int, int]], needle: str) -> Tuple[int, int, int]:
    """(cell, row, column) of ``needle`` in the notebook, found through the module."""
    for index, line in enumerate(module.splitlines()):
        if needle in line:
            return line_map[index] + (line.index(needle) + 1,)
    raise AssertionError(needle)


def test_notebook_findings_equal_flake8_on_the_equivalent_module(tmp_path: Path):
    notebook, line_map, module = _notebook()
    write(tmp_path / "nb.ipynb", json.dumps(notebook, indent=1))
    write(tmp_path / "nb.py", module)
    flake8 = subprocess.run([sys.executable, "-m", "flake8", "--isolated", "--select=LOR", "nb.py"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert flake8.returncode == 1, flake8.stdout + flake8.stderr
    expected = []
    for line in flake8.stdout.splitlines():
        _, row, column, rest = line.split(":", 3)
        cell, cell_row = line_map[int(row) - 1]
        expected.append((cell, cell_row, int(column), rest.split()[0]))
    code, items = check_json(tmp_path, "--select=LOR", "nb.ipynb")
    found = [(d["cell"], d["location"]["row"], d["location"]["column"], d["code"]) for d in items]
    assert code == 1 and sorted(found) == sorted(expected)
    # the premise: findings in several cells, none in markdown cells
    assert len({cell for cell, _, _, _ in found}) >= 2
    assert all(notebook["cells"][cell - 1]["cell_type"] == "code" for cell, _, _, _ in found)


def test_text_output_names_cells(tmp_path: Path):
    notebook, line_map, module = _notebook()
    write(tmp_path / "nb.ipynb", json.dumps(notebook))
    result = lora_lint("check", "--select", "LOR101", "nb.ipynb", cwd=tmp_path)
    cell, row, column = _where(module, line_map, '"embed_tokens"')
    assert LAYOUT[cell - 1] == 1 and cell == 3  # the premise: the markdown cell counts
    assert out(result).splitlines()[0].startswith(f"nb.ipynb:cell {cell}:{row}:{column}: LOR101 ")


def test_noqa_in_a_cell(tmp_path: Path):
    notebook, line_map, module = _notebook()
    cell, row, _ = _where(module, line_map, '"embed_tokens"')
    source = notebook["cells"][cell - 1]["source"]
    source[row - 1] = source[row - 1].rstrip("\n") + "  # noqa: LOR101\n"
    write(tmp_path / "nb.ipynb", json.dumps(notebook))
    _, items = check_json(tmp_path, "--select", "LOR101", "nb.ipynb")
    assert [(d["cell"], d["location"]["row"]) for d in items] == [_where(module, line_map, '"lm_head"')[:2]]
