"""Notebooks as Jupyter runs them: one cell that does not parse stops only that cell, bare
``pip install`` lines are IPython, and parsing the user's code prints nothing.

Through the real ``lora-lint`` console script (and flake8 on the equivalent ``.py``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any, Dict, List, Tuple

from .conftest import dedent
from .test_cli import check_json, err, lora_lint, out, write

HEADER = "from unsloth import FastLanguageModel\nfrom peft import LoraConfig\n"
LORA_CELL = 'config = LoraConfig(r=8, target_modules=["q_proj", "embed_tokens"])\n'
# A string Python warns about while parsing: SyntaxWarning on 3.12+, DeprecationWarning before.
WARNING_STRING = 'template = "\\{user\\}: {text}"\n'


def notebook(*cells: str) -> Dict[str, Any]:
    return {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                       "source": text.splitlines(keepends=True)} for text in cells],
            "metadata": {"language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5}


def write_notebook(path: Path, *cells: str) -> Path:
    write(path, json.dumps(notebook(*cells), indent=1))
    return path


def found(items: List[Dict[str, Any]]) -> List[Tuple[Any, int, int, str]]:
    return sorted((d["cell"], d["location"]["row"], d["location"]["column"], d["code"]) for d in items)


BROKEN_CELL = "x = [1, 2\nprint(x)\n"  # an unclosed bracket: SyntaxError in this cell only


def test_broken_cell_is_one_lor000_and_the_other_cells_are_analysed(tmp_path: Path):
    cells = [
        "pip install -q peft\nfrom peft import LoraConfig\n",
        "TARGETS = ['q_proj', 'embed_tokens']\n",
        BROKEN_CELL,
        "config = LoraConfig(\n    r=0,\n    target_modules=TARGETS,\n)\n",
    ]
    write_notebook(tmp_path / "nb.ipynb", *cells)
    code, items = check_json(tmp_path, "nb.ipynb")
    assert code == 1
    errors = [d for d in items if d["code"] == "LOR000"]
    assert len(errors) == 1 and errors[0]["cell"] == 3, items
    assert errors[0]["location"]["row"] == 1
    assert "this cell was skipped" in errors[0]["message"]
    # the other cells, with their own rows: r=0 in cell 4 row 2, the constant in cell 2
    rest = [(cell, row, rule) for cell, row, _, rule in found(items) if rule != "LOR000"]
    assert (4, 2, "LOR201") in rest and (2, 1, "LOR101") in rest, rest

    # The same findings flake8 reports on the cells that parse, joined as a module (one
    # line per cell boundary), mapped back to (cell, row).
    kept = [(number, text) for number, text in enumerate(cells, start=1) if text != BROKEN_CELL]
    module_lines, line_map = [], []
    for number, text in kept:
        for row, line in enumerate(text.splitlines(), start=1):
            module_lines.append("pass" if line.startswith("pip ") else line)
            line_map.append((number, row))
    write(tmp_path / "nb.py", "\n".join(module_lines) + "\n")
    flake8 = subprocess.run([sys.executable, "-m", "flake8", "--isolated", "--select=LOR", "nb.py"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    expected = []
    for line in flake8.stdout.splitlines():
        _, row, column, rest_of_line = line.split(":", 3)
        expected.append(line_map[int(row) - 1] + (int(column), rest_of_line.split()[0]))
    assert expected and sorted(expected) == [item for item in found(items) if item[3] != "LOR000"]


def test_text_report_names_the_broken_cell(tmp_path: Path):
    write_notebook(tmp_path / "nb.ipynb", HEADER, "def f(:\n    pass\n", LORA_CELL)
    result = lora_lint("check", "nb.ipynb", cwd=tmp_path)
    lines = out(result).splitlines()
    assert result.returncode == 1
    assert lines[0].startswith("nb.ipynb:cell 2:1:7: LOR000 could not analyse: syntax error: ")
    assert lines[1].startswith("nb.ipynb:cell 3:1:") and " LOR101 " in lines[1]


def test_notebook_without_lora_code_is_not_parsed(tmp_path: Path):
    write_notebook(tmp_path / "nb.ipynb", "import numpy\n", BROKEN_CELL)
    result = lora_lint("check", "nb.ipynb", cwd=tmp_path)
    assert result.returncode == 0, out(result)


def test_file_noqa_skips_cell_errors_too(tmp_path: Path):
    write_notebook(tmp_path / "nb.ipynb", "# flake8: noqa\n" + HEADER, BROKEN_CELL, LORA_CELL)
    result = lora_lint("check", "nb.ipynb", cwd=tmp_path)
    assert result.returncode == 0, out(result)


def test_fix_keeps_the_broken_cell_byte_for_byte(tmp_path: Path):
    path = write_notebook(tmp_path / "nb.ipynb", "%pip install peft\n" + HEADER, BROKEN_CELL,
                          'config = LoraConfig(r=8, target_modules=["q_proj", "q_proj"])\n')
    result = lora_lint("fix", "nb.ipynb", cwd=tmp_path)
    fixed = json.loads(path.read_text(encoding="utf-8"))
    assert "".join(fixed["cells"][2]["source"]) == 'config = LoraConfig(r=8, target_modules=["q_proj"])\n'
    assert "".join(fixed["cells"][1]["source"]) == BROKEN_CELL
    assert "".join(fixed["cells"][0]["source"]).startswith("%pip install peft\n")
    assert result.returncode == 1 and " LOR000 " in out(result)  # the broken cell remains


def test_bare_install_lines_are_ipython(tmp_path: Path):
    install = dedent("""
        pip install -q --upgrade peft "trl<0.20"
        pip uninstall -y unsloth
        conda install -y -c conda-forge cudatoolkit
        mamba install -y bitsandbytes
    """)
    write_notebook(tmp_path / "nb.ipynb", install + HEADER, LORA_CELL)
    code, items = check_json(tmp_path, "nb.ipynb")
    assert found(items) == [(2, 1, LORA_CELL.index('"embed_tokens"') + 1, "LOR101")]


# -- parsing prints nothing -------------------------------------------------------------------

def _warnings_as_errors() -> Dict[str, str]:
    """Every warning an error, also in worker processes: on Python < 3.12 the invalid-escape
    DeprecationWarning becomes a SyntaxError (a LOR000) unless parsing silences it."""
    return dict(os.environ, PYTHONWARNINGS="error")


def test_check_prints_no_python_warning_about_the_users_strings(tmp_path: Path):
    write_notebook(tmp_path / "nb.ipynb", HEADER, WARNING_STRING + LORA_CELL)
    write(tmp_path / "train.py", HEADER + WARNING_STRING + LORA_CELL)
    for extra in ([], ["-j", "2"]):
        for env in (None, _warnings_as_errors()):
            result = lora_lint("check", "--output-format", "json", *extra, "nb.ipynb", "train.py",
                               cwd=tmp_path, env=env)
            assert err(result) == ""
            items = json.loads(out(result))
            assert sorted((d["filename"], d["code"]) for d in items) == \
                [("nb.ipynb", "LOR101"), ("train.py", "LOR101")]


def test_fix_prints_no_python_warning_about_the_users_strings(tmp_path: Path):
    source = HEADER + WARNING_STRING + 'config = LoraConfig(r=8, target_modules=["q_proj", "q_proj"])\n'
    path = write(tmp_path / "train.py", source)
    result = lora_lint("fix", "train.py", cwd=tmp_path, env=_warnings_as_errors())
    assert result.returncode == 0, out(result) + err(result)
    assert "Warning" not in err(result)
    assert path.read_text(encoding="utf-8") == source.replace('"q_proj", "q_proj"', '"q_proj"')


def test_engine_parse_raises_no_warning():
    """The path the flake8 plugin takes when flake8 hands it no tree."""
    from lora_lint_plugin.analysis.engine import analyse_source

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        analysis = analyse_source(HEADER + WARNING_STRING + LORA_CELL)
    assert analysis.error is None
    assert [d.code for d in analysis.diagnostics] == ["LOR101"]


def test_messages_name_other_places_by_cell_and_row(tmp_path: Path):
    write_notebook(tmp_path / "nb.ipynb", "from peft import LoraConfig\n", "x = 1\ntokenizer.add_tokens(['<tool>'])\n",
                   'config = LoraConfig(r=8, target_modules=["q_proj"], modules_to_save=["embed_tokens"])\n')
    _, items = check_json(tmp_path, "nb.ipynb")
    [message] = [d["message"] for d in items if d["code"] == "LOR111"]
    assert "(add_tokens on cell 2, line 2)" in message, message
