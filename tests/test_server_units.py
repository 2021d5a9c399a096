"""The language server's pure parts: client columns, ``# noqa`` insertion, minimal replacement
edits, positions in a notebook's JSON text, and the notebook built from synchronised cells."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("lsprotocol")

from lora_lint_plugin.config.settings import Settings  # noqa: E402
from lora_lint_plugin.linting import lint_source  # noqa: E402
from lora_lint_plugin.server.actions import noqa_edit, replacement_span, wanted  # noqa: E402
from lora_lint_plugin.server.configuration import Configurations  # noqa: E402
from lora_lint_plugin.server.documents import (  # noqa: E402
    Cell, Document, cell_sources, notebook_json, path_of, source_of)
from lora_lint_plugin.server.lint import lint_document  # noqa: E402
from lora_lint_plugin.server.notebook_text import NotebookText  # noqa: E402
from lora_lint_plugin.server.positions import UTF8, UTF16, UTF32, client_column, code_point_column  # noqa: E402


@pytest.mark.parametrize("encoding, expected", [(UTF16, 5), (UTF8, 8), (UTF32, 4)])
def test_client_columns_count_the_negotiated_units(encoding: str, expected: int):
    line = "é😀ab = 1"  # é: 2 bytes, 1 UTF-16 unit; 😀: 4 bytes, 2 UTF-16 units
    assert client_column(line, 4, encoding) == expected
    assert code_point_column(line, expected, encoding) == 4
    assert client_column(line, 99, encoding) == client_column(line, len(line), encoding)


@pytest.mark.parametrize("text, row, expected", [
    ("x = f([1, 2])\n", 1, (1, 14, "  # noqa: LOR101")),
    ("x = f([1, 2])   \n", 1, (1, 14, "  # noqa: LOR101")),
    ("x = f([1, 2])  # noqa: E501\n", 1, (1, 28, ", LOR101")),
    ("x = f([1, 2])  # noqa:E501,W291 \n", 1, (1, 32, ", LOR101")),
    ("x = f([1, 2])  # note\n", 1, (1, 22, "  # noqa: LOR101")),
    ("x = f([1, 2])  # noqa\n", 1, None),  # already silenced
    # a diagnostic on the first line of a multi-line string: the comment goes after the string
    ('x = f("""a\nb""", [1])\ny = 2\n', 1, (2, 11, "  # noqa: LOR101")),
    ("x = f([1,\n", 1, (1, 10, "  # noqa: LOR101")),  # half-typed: that line
])
def test_noqa_edit(text: str, row: int, expected):
    assert noqa_edit(text, row, "LOR101") == expected


@pytest.mark.parametrize("old, new", [
    ("a = 1\nb = [1, 2]\n", "a = 1\nb = [1]\n"),
    ("same\n", "same\n"),
    ("x\r\ny\r\n", "x\r\nz\r\ny\r\n"),
    ("", "new\n"),
    ("é😀\n", "é\n"),
])
def test_replacement_span_turns_old_into_new(old: str, new: str):
    row, column, end_row, end_column, text = replacement_span(old, new)
    lines = old.splitlines(keepends=True) or [""]

    def offset(r: int, c: int) -> int:
        return sum(len(line) for line in lines[:r - 1]) + c - 1

    assert old[:offset(row, column)] + text + old[offset(end_row, end_column):] == new


def test_notebook_text_positions_go_through_json_escapes():
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# Titel\n"]},
             {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
              "source": ['s = "tab\\there" + "😀"\n', 'x = "q"\n']},
             {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
              "source": 'one = 1\ntwo = "2"'}]
    for ensure_ascii in (True, False):
        text = json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5},
                          indent=1, ensure_ascii=ensure_ascii)
        located = NotebookText(text)
        lines = text.splitlines()
        # cell 2, line 2, column 4: the opening quote of "q"
        row, column = located.position(2, 2, 4)
        assert lines[row][column:column + 5] == '\\"q\\"'
        # cell 2, line 1, the quote after the emoji (one escaped surrogate pair or itself)
        row, column = located.position(2, 1, 20)
        assert lines[row][column:column + 1] == "\\" and lines[row][column + 1:column + 2] == '"'
        # cell 3 is one string: line 2 lies after the escaped newline
        row, column = located.position(3, 2, 0)
        assert lines[row][column:column + 3] == "two"
        assert located.position(1, 1, 0) is not None and located.position(9, 1, 0) is None


def test_notebook_text_of_broken_json_locates_nothing():
    assert NotebookText('{"cells": [{"source": ["x = 1\\n"').position(1, 1, 0) is None


def test_synchronised_cells_become_a_notebook_with_the_same_cell_numbers():
    cells = (Cell("c1", "code", "python", "import peft\n"), Cell("c2", "markup", "markdown", "# T"),
             Cell("c3", "code", "r", "x <- 1"), Cell("c4", "code", "python", "y = 2"))
    data = notebook_json(cells)
    assert [c["cell_type"] for c in json.loads(data)["cells"]] == ["code", "markdown", "raw", "code"]
    assert cell_sources(data) == ["import peft\n", "", "", "y = 2"]


def test_paths_of_uris_and_action_kinds():
    assert path_of("file:///tmp/a%20b/train.py") == "/tmp/a b/train.py"
    assert path_of("untitled:Untitled-1") == "untitled:Untitled-1"
    assert wanted("source.fixAll.lora-lint", ["source.fixAll"]) and wanted("quickfix", None)
    assert not wanted("source.fixAll.lora-lint", ["quickfix"]) and not wanted("quickfix", ["source"])


def test_every_prefix_of_a_training_script_lints_without_an_error(tmp_path):
    """What a buffer looks like while it is typed: every cut of a real script (also inside
    strings, brackets and names) goes through the lint path without raising."""
    from .conftest import REPO_ROOT

    text = (REPO_ROOT / "examples" / "finetune_llama3_unsloth.py").read_text(encoding="utf-8")
    uri = (tmp_path / "train.py").as_uri()
    configurations = Configurations()
    for end in range(0, len(text) + 1, 5):
        document = Document(uri=uri, text=text[:end], version=end)
        lint_source(source_of(document), Settings(), None, True, fix_edits=True)  # raises on a bug
        lint_document(document, configurations)
    final = lint_document(Document(uri=uri, text=text, version=0), configurations)
    assert "LOR101" in {d.code for d in final.diagnostics[uri]}
