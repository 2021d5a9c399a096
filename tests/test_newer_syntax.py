"""Code in a newer Python's syntax than the running one is left out, not reported as broken.

Through the real ``lora-lint`` console script on real notebooks and files. Python 3.12's
f-strings (PEP 701) are the case met in real notebooks (Colab runs 3.12); on a Python that
parses them the cell is simply analysed, and the assertions that hold everywhere are checked.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from lora_lint_plugin.analysis.syntax_versions import newer_python_syntax

from .test_cli import check_json, err, lora_lint
from .test_notebook_cells import write_notebook

PEP_701_CELL = 'row = {"user": "hi"}\nprint(f"prompt: {row["user"]}")\n'
LOR505_CELL = ("from trl import SFTTrainer\n"
               "trainer = SFTTrainer(model=model, train_dataset=data, max_seq_length=512)\n")
BEFORE_312 = sys.version_info < (3, 12)


def test_pep_701_cell_is_no_lor000_and_the_rest_is_analysed(tmp_path: Path):
    write_notebook(tmp_path / "train.ipynb", LOR505_CELL, PEP_701_CELL)
    _, items = check_json(tmp_path, "--isolated", "train.ipynb")
    assert [(item["cell"], item["code"]) for item in items] == [(1, "LOR505")]


@pytest.mark.skipif(not BEFORE_312, reason="this Python parses PEP 701 f-strings: nothing left out")
def test_verbose_says_which_cell_was_left_out(tmp_path: Path):
    write_notebook(tmp_path / "train.ipynb", LOR505_CELL, PEP_701_CELL)
    quiet = lora_lint("check", "--isolated", "train.ipynb", cwd=tmp_path)
    assert "note:" not in err(quiet)
    verbose = lora_lint("check", "--isolated", "-v", "train.ipynb", cwd=tmp_path)
    assert verbose.returncode == 1   # the LOR505 of cell 1
    assert "note: train.ipynb: cell 2, line 2 uses f-string syntax of Python 3.12 (PEP 701)" in err(verbose)


def test_python_file_in_newer_syntax_is_not_an_error(tmp_path: Path):
    (tmp_path / "train.py").write_text(LOR505_CELL + PEP_701_CELL, encoding="utf-8")
    code, items = check_json(tmp_path, "--isolated", "train.py")
    assert "LOR000" not in [item["code"] for item in items]
    if BEFORE_312:   # unreadable here: left out entirely, said only in verbose mode
        assert (code, items) == (0, [])
        verbose = lora_lint("check", "--isolated", "--verbose", "train.py", cwd=tmp_path)
        assert "note: train.py: line 4 uses f-string syntax of Python 3.12" in err(verbose)
    else:
        assert [item["code"] for item in items] == ["LOR505"]


def test_a_broken_cell_is_still_lor000(tmp_path: Path):
    write_notebook(tmp_path / "train.ipynb", LOR505_CELL, 'print(f"{x!}")\nx = = 1\n')
    _, items = check_json(tmp_path, "--isolated", "train.ipynb")
    assert sorted((item["cell"], item["code"]) for item in items) == [(1, "LOR505"), (2, "LOR000")]


@pytest.mark.parametrize("message, line, running, expected", [
    ("f-string: unmatched '['", 'print(f"{row["user"]}")', (3, 11), "PEP 701"),
    ("f-string expression part cannot include a backslash", 'f"{"\\n".join(x)}"', (3, 11), "PEP 701"),
    ("f-string: unmatched '['", 'print(f"{row["user"]}")', (3, 12), None),
    ("invalid syntax", "type Vector = list[float]", (3, 11), "PEP 695"),
    ("invalid syntax", "def first[T](items: list[T]) -> T:", (3, 11), "PEP 695"),
    ("invalid syntax", "except* ValueError:", (3, 10), "PEP 654"),
    ("invalid syntax", "match command:", (3, 9), "PEP 634"),
    ("invalid syntax", "match command:", (3, 10), None),
    ("invalid syntax", "x = = 1", (3, 9), None),
    ("f-string: empty expression not allowed", 'f"{}"', (3, 11), None),
    ("f-string: single '}' is not allowed", 'f"}"', (3, 11), None),
])
def test_newer_python_syntax(message: str, line: str, running: tuple, expected: str):
    found = newer_python_syntax(message, line, running)
    assert (found if found is None else found.split("(")[-1].rstrip(")")) == expected
