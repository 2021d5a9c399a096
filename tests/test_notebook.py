"""Notebook support: cells joined into one module, IPython masking, line mapping, write-back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

import libcst
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lora_lint_plugin.sources.notebook import (
    MASKED_COMMENT,
    MASKED_STATEMENT,
    NotebookError,
    NotebookSkipped,
    load_notebook,
)

DATA = Path(__file__).parent / "data" / "notebooks"
PLACEHOLDERS = (MASKED_STATEMENT, MASKED_COMMENT)
PY_META = {"kernelspec": {"language": "python", "name": "python3"}, "language_info": {"name": "python"}}


def cell_text(cell: Dict[str, Any]) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def make_cell(kind: str, text: str, *, as_list: bool = True, **extra: Any) -> Dict[str, Any]:
    cell: Dict[str, Any] = {"cell_type": kind, "metadata": {}}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    cell.update(extra)
    cell["source"] = text.splitlines(keepends=True) if as_list else text
    return cell


def write_notebook(path: Path, cells: List[Dict[str, Any]], **dump_args: Any) -> bytes:
    tail = dump_args.pop("tail", "\n")
    nb = {"cells": cells, "metadata": PY_META, "nbformat": 4, "nbformat_minor": 5}
    path.write_bytes((json.dumps(nb, **dump_args) + tail).encode("utf-8"))
    return path.read_bytes()


def load_path(path: Path):
    return load_notebook(path.read_bytes())


def module_line_of(source: str, needle: str) -> int:
    rows = [row for row, line in enumerate(source.splitlines(), start=1) if needle in line]
    assert len(rows) == 1, rows
    return rows[0]


# --- joining, masking and locating ------------------------------------------------------------


def test_lora_config_maps_back_to_its_cell_and_line():
    raw = (DATA / "lora_magics.ipynb").read_bytes()
    cells = json.loads(raw)["cells"]
    # Expected position computed from the notebook JSON itself: 1-based over all cells.
    expected = [
        (number, row, cell.get("id"))
        for number, cell in enumerate(cells, start=1)
        for row, line in enumerate(cell_text(cell).splitlines(), start=1)
        if "LoraConfig(r=" in line
    ]
    nb = load_notebook(raw)
    location = nb.locate(module_line_of(nb.python_source, "LoraConfig(r="))
    assert [(location.cell, location.line, location.cell_id)] == expected
    assert cells[0]["cell_type"] == "markdown" and "%pip" in cell_text(cells[1])  # the premise


def test_every_module_line_is_the_original_cell_line_or_a_placeholder():
    raw = (DATA / "lora_magics.ipynb").read_bytes()
    cells = json.loads(raw)["cells"]
    nb = load_notebook(raw)
    masked = 0
    for number, line in enumerate(nb.python_source.splitlines(), start=1):
        if line.startswith("# %% lora-lint"):
            continue
        where = nb.locate(number)
        original = cell_text(cells[where.cell - 1]).splitlines()[where.line - 1]
        assert cells[where.cell - 1]["cell_type"] == "code"
        if line.strip() in PLACEHOLDERS:
            masked += 1
            if line.strip() == MASKED_STATEMENT:  # a statement must keep the block's indentation
                assert line.startswith(original[: len(original) - len(original.lstrip())])
        else:
            assert line == original
    assert masked > 0


def test_source_with_magics_compiles_and_parses_with_libcst():
    nb = load_path(DATA / "lora_magics.ipynb")
    compile(nb.python_source, "lora_magics.ipynb", "exec")
    libcst.parse_module(nb.python_source)


def test_constant_from_an_earlier_cell_is_in_the_same_module():
    nb = load_path(DATA / "lora_magics.ipynb")
    module = compile(nb.python_source, "nb", "exec")
    assert {"RANK", "alpha", "config"} <= set(module.co_names)  # one module: cell 4 defines, cell 5 uses
    assert module_line_of(nb.python_source, "RANK = ") < module_line_of(nb.python_source, "alpha = ")


@pytest.mark.parametrize(
    "line",
    [
        "%pip install peft",
        "%matplotlib inline",
        "!nvidia-smi",
        "files = !ls data",
        "a, b = %sx ls",
        "out = %env HF_HOME",
        "config?",
        "LoraConfig??",
        "??get_peft_model",
        "peft.LoraConfig.__init__?",
        "np.*load*?",
        "%timeit f()",
        "pip install -q peft",  # automagic: %pip without the %
        "pip uninstall -y unsloth",
        "conda install -y -c conda-forge cudatoolkit",
        "mamba install bitsandbytes",
    ],
)
def test_ipython_lines_are_masked(tmp_path: Path, line: str):
    write_notebook(tmp_path / "nb.ipynb", [make_cell("code", f"x = 1\n{line}\ny = 2")])
    nb = load_path(tmp_path / "nb.ipynb")
    assert nb.python_source.splitlines() == ["x = 1", MASKED_STATEMENT, "y = 2"]


@pytest.mark.parametrize(
    "line",
    ["x = 1  # why?", 'print("?")', "x == y", "x = 5 % 3", "y = x if x else -1", "z = not_a_magic!=1",
     "pip in installed", "pip = 3", "pip -V", "conda.install(x)", "pip if ok else conda", "pip_install"],
)
def test_python_lines_are_not_masked(tmp_path: Path, line: str):
    write_notebook(tmp_path / "nb.ipynb", [make_cell("code", line)])
    assert load_path(tmp_path / "nb.ipynb").python_source == line + "\n"


def test_masked_line_in_indented_block_keeps_the_block_valid(tmp_path: Path):
    text = "if flag:\n    !pip install y\nfor i in range(2):\n    %time f(i)\n    x = !ls \\\n        -la\n"
    write_notebook(tmp_path / "nb.ipynb", [make_cell("code", text)])
    source = load_path(tmp_path / "nb.ipynb").python_source
    compile(source, "nb", "exec")
    assert source.splitlines() == [
        "if flag:",
        "    " + MASKED_STATEMENT,
        "for i in range(2):",
        "    " + MASKED_STATEMENT,
        "    " + MASKED_STATEMENT,
        MASKED_COMMENT,  # the backslash-continued rest of the magic
    ]


def test_magic_lookalikes_inside_strings_and_brackets_are_kept(tmp_path: Path):
    text = 'doc = """\n%not a magic\n!nor this\nwhat?\n"""\ncall(\n    1,\n)\nx = 1 + \\\n    2\n'
    write_notebook(tmp_path / "nb.ipynb", [make_cell("code", text)])
    assert load_path(tmp_path / "nb.ipynb").python_source == text


def test_cell_magics_analysed_or_skipped(tmp_path: Path):
    cells = [
        make_cell("code", "%%time\nmodel = train()\n!ls"),
        make_cell("code", "%%capture out\nconfig = LoraConfig(r=8)"),
        make_cell("code", "%%bash\nif [ -x y ]; then\n  echo 'it\"s'\nfi"),
        make_cell("code", "%%writefile train.py\nimport peft\nconfig = LoraConfig(r=0)"),
    ]
    write_notebook(tmp_path / "nb.ipynb", cells)
    nb = load_path(tmp_path / "nb.ipynb")
    lines = nb.python_source.splitlines()
    code = [line for line in lines if not line.startswith("#") and line.strip() not in PLACEHOLDERS]
    assert code == ["model = train()", "config = LoraConfig(r=8)"]
    assert nb.locate(module_line_of(nb.python_source, "LoraConfig(r=8)")).cell == 2
    compile(nb.python_source, "nb", "exec")


def test_each_cell_starts_on_a_new_line_even_without_trailing_newline(tmp_path: Path):
    write_notebook(tmp_path / "nb.ipynb", [make_cell("code", "a = 1"), make_cell("code", "b = 2", as_list=False)])
    nb = load_path(tmp_path / "nb.ipynb")
    assert nb.locate(module_line_of(nb.python_source, "b = 2")).cell == 2
    assert "a = 1\n" in nb.python_source


def test_notebook_without_code_cells(tmp_path: Path):
    raw = write_notebook(tmp_path / "nb.ipynb", [make_cell("markdown", "# only prose")])
    nb = load_notebook(raw)
    assert nb.python_source == ""
    assert nb.with_python_source("") is nb.raw


# --- write-back -------------------------------------------------------------------------------


def test_unchanged_source_returns_the_original_bytes_object():
    nb = load_path(DATA / "lora_magics.ipynb")
    assert nb.with_python_source(nb.python_source) is nb.raw


def test_changed_literal_changes_only_that_cells_source(tmp_path: Path):
    path = tmp_path / "nb.ipynb"
    path.write_bytes((DATA / "lora_magics.ipynb").read_bytes())
    nb = load_path(path)
    path.write_bytes(nb.with_python_source(nb.python_source.replace('"all-linear"', '["q_proj", "v_proj"]')))
    new, old = json.loads(path.read_bytes()), json.loads(nb.raw)
    changed = [number for number, (a, b) in enumerate(zip(old["cells"], new["cells"]), start=1) if a != b]
    assert changed == [nb.locate(module_line_of(nb.python_source, "all-linear")).cell]
    # Byte-identical elsewhere: undoing the edit in the bytes gives back the original file.
    edited = path.read_bytes().replace(b'[\\"q_proj\\", \\"v_proj\\"]', b'\\"all-linear\\"')
    assert edited == nb.raw


def test_fix_that_adds_lines_keeps_magics_and_other_cells():
    nb = load_path(DATA / "lora_magics.ipynb")
    old_call = 'config = LoraConfig(r=RANK, lora_alpha=alpha, target_modules="all-linear")'
    new_call = 'config = LoraConfig(\n    r=RANK,\n    lora_alpha=alpha,\n    target_modules="all-linear",\n)'
    fixed = nb.python_source.replace(old_call, new_call)
    out = nb.with_python_source(fixed)
    old_cells, new_cells = json.loads(nb.raw)["cells"], json.loads(out)["cells"]
    number = nb.locate(module_line_of(nb.python_source, old_call)).cell
    assert cell_text(new_cells[number - 1]) == cell_text(old_cells[number - 1]).replace(old_call, new_call)
    assert {**new_cells[number - 1], "source": None} == {**old_cells[number - 1], "source": None}  # outputs kept
    del new_cells[number - 1], old_cells[number - 1]
    assert new_cells == old_cells
    again = load_notebook(out)  # idempotent: the written notebook yields the fixed module
    assert again.python_source == fixed
    assert again.with_python_source(fixed) is again.raw


def test_fix_touching_the_cell_structure_is_refused():
    nb = load_path(DATA / "lora_magics.ipynb")
    no_boundary = nb.python_source.replace("# %% lora-lint: cell boundary\n", "", 1)
    with pytest.raises(NotebookError, match="one part per code cell"):
        nb.with_python_source(no_boundary)
    no_magic = nb.python_source.replace(MASKED_STATEMENT + "\n", "", 1)
    with pytest.raises(NotebookError, match="IPython lines"):
        nb.with_python_source(no_magic)


def test_code_added_to_an_empty_cell(tmp_path: Path):
    raw = write_notebook(tmp_path / "nb.ipynb", [make_cell("code", "a = 1"), make_cell("code", "")], indent=1)
    nb = load_notebook(raw)
    cells = json.loads(nb.with_python_source(nb.python_source + "b = 2\n"))["cells"]
    assert [cell_text(cell) for cell in cells] == ["a = 1", "b = 2"]


STYLE_CELLS = [
    make_cell("markdown", "# Réglage fin — 日本語\n", id="md-1"),
    make_cell("code", "%pip install peft\nfrom peft import LoraConfig\n", id="c-1"),
    make_cell("code", "", id="empty"),
    make_cell("raw", "raw %%bash text", id="raw-1"),
    make_cell("code", 'note = "héllo ✓"\nconfig = LoraConfig(r=8)', id="c-2", as_list=False,
              outputs=[{"data": {"image/png": "iVBORw0KGgo=\n", "text/plain": ["<Figure>"]},
                        "metadata": {"needs_background": "light"}, "output_type": "display_data"}],
              execution_count=3),
    make_cell("code", "if True:\r\n    !nvidia-smi\r\n    x = LoraConfig(r=8)\r\n", as_list=False),
]


@pytest.mark.parametrize("indent", [1, 2, 4, "\t", None])
@pytest.mark.parametrize("ensure_ascii", [False, True])
@pytest.mark.parametrize("tail", ["\n", ""])
@pytest.mark.parametrize("sort_keys", [False, True])
def test_round_trip_preserves_every_byte(tmp_path: Path, indent: Any, ensure_ascii: bool, tail: str, sort_keys: bool):
    path = tmp_path / "nb.ipynb"
    raw = write_notebook(path, STYLE_CELLS, indent=indent, ensure_ascii=ensure_ascii, tail=tail, sort_keys=sort_keys)
    nb = load_notebook(raw)
    assert nb.with_python_source(nb.python_source) is raw
    out = nb.with_python_source(nb.python_source.replace("r=8", "r=16"))
    assert out != raw and out.replace(b"r=16", b"r=8") == raw
    for before, after in zip(json.loads(raw)["cells"], json.loads(out)["cells"]):
        assert type(before["source"]) is type(after["source"])
    assert "\r\n    !nvidia-smi\r\n" in cell_text(json.loads(out)["cells"][5])


def test_unreproducible_formatting_is_refused_not_reformatted(tmp_path: Path):
    raw = write_notebook(tmp_path / "nb.ipynb", [make_cell("code", "r = 8")], indent=1)
    odd = raw.replace(b'"cells": [', b'"cells" :  [')
    nb = load_notebook(odd)
    assert nb.with_python_source(nb.python_source) is odd
    with pytest.raises(NotebookError, match="cannot preserve"):
        nb.with_python_source("r = 16\n")


def test_byte_order_mark_is_kept(tmp_path: Path):
    raw = b"\xef\xbb\xbf" + write_notebook(tmp_path / "nb.ipynb", [make_cell("code", "r = 8")], indent=1)
    nb = load_notebook(raw)
    assert nb.with_python_source("r = 16\n") == raw.replace(b"r = 8", b"r = 16")


# --- errors and skipping ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, reason",
    [
        (b"{not json", "invalid notebook JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[1, 2]", "not an object"),
        (b'{"metadata": {}}', "'cells'"),
        (b'{"worksheets": [], "nbformat": 3}', "nbformat 3"),
        (b'{"cells": {}}', "'cells'"),
        (b'{"cells": [1]}', "cell 1 is not an object"),
        (b'{"cells": [{"source": "x"}]}', "cell 1 has no 'cell_type'"),
        (b'{"cells": [{"cell_type": "code", "source": "x"}, {"cell_type": "code", "source": 3}]}', "cell 2 'source'"),
        (b'{"cells": [{"cell_type": "code", "source": ["x", 1]}]}', "non-string item"),
        (b'{"cells": [{"cell_type": "code"}]}', "cell 1 'source'"),
        (b"[" * 100000, "invalid notebook JSON"),
    ],
)
def test_broken_notebooks_give_a_one_line_reason(tmp_path: Path, raw: bytes, reason: str):
    path = tmp_path / "broken.ipynb"
    path.write_bytes(raw)
    with pytest.raises(NotebookError) as info:
        load_path(path)
    assert reason in str(info.value)
    assert "\n" not in str(info.value)
    assert not isinstance(info.value, NotebookSkipped)


def test_non_python_kernel_is_skipped():
    with pytest.raises(NotebookSkipped, match="not a Python notebook"):
        load_path(DATA / "r_kernel.ipynb")


@pytest.mark.parametrize(
    "metadata, skipped",
    [
        ({"kernelspec": {"language": "julia"}}, True),
        ({"language_info": {"name": "scala"}}, True),
        ({"kernelspec": {"language": "python"}, "language_info": {"name": "python"}}, False),
        ({"language_info": {"name": "Python"}}, False),
        ({}, False),
    ],
)
def test_kernel_language_decides(metadata: Dict[str, Any], skipped: bool):
    raw = json.dumps({"cells": [make_cell("code", "x = 1")], "metadata": metadata}).encode()
    if skipped:
        with pytest.raises(NotebookSkipped):
            load_notebook(raw)
    else:
        assert load_notebook(raw).python_source == "x = 1\n"


# --- property: masking never breaks code that parses without its magics ------------------------

SNIPPETS = [
    "x = 1",
    "%pip install peft",
    "!nvidia-smi",
    "files = !ls",
    "config?",
    "if x:\n    !pip install y\n    z = 2",
    "def f():\n    %time g()\n    return 1",
    's = """\n%not magic\n!not shell\n"""',
    "call(\n    1,\n)",
    "!pip install \\\n    peft",
    "y = 1 + \\\n    2",
    "%%time\nfor i in range(2):\n    !echo $i",
    "%%bash\necho 'it\"s'\n  indented",
    "# comment?",
    "",
]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from(SNIPPETS), max_size=4), min_size=1, max_size=4), st.booleans())
def test_masked_notebooks_compile_and_round_trip(cells: List[List[str]], as_list: bool):
    texts = []
    for snippets in cells:  # a cell magic is only a cell magic on the first line
        body = [s for s in snippets if not s.startswith("%%")]
        texts.append("\n".join(([snippets[0]] if snippets and snippets[0].startswith("%%") else []) + body))
    nb_cells = [make_cell("code", text, as_list=as_list) for text in texts]
    raw = (json.dumps({"cells": nb_cells, "metadata": PY_META}, indent=1) + "\n").encode()
    nb = load_notebook(raw)
    compile(nb.python_source, "nb", "exec")
    assert nb.with_python_source(nb.python_source) is raw
    out = nb.with_python_source(nb.python_source.replace("x = 1", "x = 2"))
    assert out.replace(b"x = 2", b"x = 1") == raw
