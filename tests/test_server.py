"""``lora-lint server`` end to end: a scripted editor speaks LSP to the real console script.

initialize, didOpen, publishDiagnostics (line and UTF-16 column), codeAction (the quick fix,
"disable for this line", source.fixAll), didChange (incremental and full), the diagnostics
cleared after the fix, notebooks (LSP notebook sync and ``.ipynb`` opened as JSON text),
configuration reloaded when ``pyproject.toml`` changes, broken buffers, shutdown and exit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest

from .conftest import dedent
from .lsp_client import LspClient, apply_edits

pytest.importorskip("pygls")

NON_ASCII_TRAINING = dedent('''
    # Réglage fin 😀 d'un modèle
    from peft import LoraConfig

    note = "entraînement 😀"; config = LoraConfig(r=16, target_modules=["q_proj", "embed_tokens"])
''')


def utf16_column(line: str, index: int) -> int:
    return len(line[:index].encode("utf-16-le")) // 2


def only(diagnostics: List[Dict[str, Any]], code: str) -> Dict[str, Any]:
    found = [d for d in diagnostics if d["code"] == code]
    assert len(found) == 1, diagnostics
    return found[0]


def actions_for(client: LspClient, uri: str, diagnostic: Dict[str, Any], **context: Any) -> List[Dict[str, Any]]:
    return client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": diagnostic["range"],
        "context": {"diagnostics": [diagnostic], **context}})


def edits_of(action: Dict[str, Any], uri: str) -> List[Dict[str, Any]]:
    edit = action["edit"]
    if "documentChanges" in edit:
        return [e for change in edit["documentChanges"] if change["textDocument"]["uri"] == uri
                for e in change["edits"]]
    return edit["changes"][uri]


@pytest.fixture
def client(tmp_path: Path):
    started = LspClient(tmp_path)
    started.initialize(tmp_path)
    yield started
    if started.process.poll() is None:
        started.close()


def test_diagnostic_quick_fix_and_cleared_diagnostics(tmp_path: Path, client: LspClient):
    uri = client.open(tmp_path / "train.py", NON_ASCII_TRAINING)
    diagnostic = only(client.diagnostics(uri, version=1), "LOR101")

    line = NON_ASCII_TRAINING.splitlines()[3]
    start = line.index('"embed_tokens"')
    assert diagnostic["range"] == {
        "start": {"line": 3, "character": utf16_column(line, start)},
        "end": {"line": 3, "character": utf16_column(line, start + len('"embed_tokens"'))}}
    assert utf16_column(line, start) == start + 1  # the emoji counts twice in UTF-16
    assert diagnostic["severity"] == 2 and diagnostic["source"] == "lora-lint"
    assert diagnostic["codeDescription"]["href"].endswith("LOR101.md")

    actions = actions_for(client, uri, diagnostic)
    fix = next(a for a in actions if a["kind"] == "quickfix" and "noqa" not in a["title"].lower()
               and not a["title"].startswith("Disable"))
    assert fix["title"].endswith("(unsafe)") and fix["isPreferred"] is False  # it changes what is trained
    assert fix["diagnostics"] == [diagnostic]
    edits = edits_of(fix, uri)
    fixed = apply_edits(NON_ASCII_TRAINING, edits)
    assert 'target_modules=["q_proj"])' in fixed and "embed_tokens" not in fixed
    assert fixed.splitlines()[:3] == NON_ASCII_TRAINING.splitlines()[:3]

    # the editor applies the edit and sends it as an incremental change
    client.notify("textDocument/didChange", {
        "textDocument": {"uri": uri, "version": 2},
        "contentChanges": [{"range": e["range"], "text": e["newText"]} for e in edits]})
    assert client.diagnostics(uri, version=2) == []
    assert client.close() == 0


def test_disable_for_this_line_merges_with_an_existing_noqa(tmp_path: Path, client: LspClient):
    text = dedent('''
        from peft import LoraConfig

        config = LoraConfig(target_modules=["q_proj", "embed_tokens"])  # noqa: E501
    ''')
    uri = client.open(tmp_path / "train.py", text)
    diagnostic = only(client.diagnostics(uri, version=1), "LOR101")
    actions = actions_for(client, uri, diagnostic, only=["quickfix"])
    disable = next(a for a in actions if a["title"] == "Disable LOR101 for this line")
    silenced = apply_edits(text, edits_of(disable, uri))
    assert silenced.splitlines()[2].endswith("# noqa: E501, LOR101")

    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                             "contentChanges": [{"text": silenced}]})  # full sync
    assert client.diagnostics(uri, version=2) == []


def test_fix_all_applies_the_safe_fixes_only(tmp_path: Path, client: LspClient):
    text = dedent('''
        from peft import LoraConfig

        config = LoraConfig(target_modules=["q_proj", "v_proj", "q_proj", "embed_tokens"])
    ''')
    uri = client.open(tmp_path / "train.py", text)
    codes = sorted(d["code"] for d in client.diagnostics(uri, version=1))
    assert codes == ["LOR101", "LOR109"]
    actions = client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri},
        "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
        "context": {"diagnostics": [], "only": ["source.fixAll"]}})
    assert [a["kind"] for a in actions] == ["source.fixAll.lora-lint"]
    fixed = apply_edits(text, edits_of(actions[0], uri))
    # the duplicate goes (safe); the embedding stays: removing it changes what is trained
    assert 'target_modules=["q_proj", "v_proj", "embed_tokens"]' in fixed


def test_broken_buffers_and_bad_input_never_break_the_server(tmp_path: Path, client: LspClient):
    uri = client.open(tmp_path / "train.py", "from peft import LoraConfig\nconfig = LoraConfig(target_modules=[")
    assert client.diagnostics(uri, version=1) == []
    notebook_uri = client.open(tmp_path / "half.ipynb", '{"cells": [', language="json")
    assert client.diagnostics(notebook_uri, version=1) == []
    actions = client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri},
        "range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 5}},
        "context": {"diagnostics": []}})
    assert actions == []
    # an unknown document: no actions, no error
    assert client.request("textDocument/codeAction", {
        "textDocument": {"uri": (tmp_path / "other.py").as_uri()},
        "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
        "context": {"diagnostics": []}}) == []
    assert client.close() == 0


def test_configuration_is_the_cli_s_and_reloaded_when_it_changes(tmp_path: Path, client: LspClient):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.lora-lint]\nignore = ["LOR101"]\n', encoding="utf-8")
    text = 'from peft import LoraConfig\nconfig = LoraConfig(target_modules=["q_proj", "embed_tokens"])\n'
    uri = client.open(tmp_path / "train.py", text)
    assert client.diagnostics(uri, version=1) == []

    pyproject.write_text('[tool.lora-lint]\nignore = []\n', encoding="utf-8")
    os.utime(pyproject, ns=(pyproject.stat().st_mtime_ns + 10**9,) * 2)
    client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
    assert [d["code"] for d in client.diagnostics(uri, version=1)] == ["LOR101"]

    # a file the CLI would skip (default excludes: build/, .venv/, site-packages/...) stays silent
    (tmp_path / "build").mkdir()
    excluded = client.open(tmp_path / "build" / "train.py", text)
    assert client.diagnostics(excluded, version=1) == []

    pyproject.write_text('[tool.lora-lint]\nselect = ["nonsense"]\n', encoding="utf-8")
    os.utime(pyproject, ns=(pyproject.stat().st_mtime_ns + 10**9,) * 2)
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": pyproject.as_uri(), "type": 2}]})
    broken = client.diagnostics(uri, version=1)
    assert [d["code"] for d in broken] == ["LOR000"] and "pyproject.toml" in broken[0]["message"]
    assert broken[0]["severity"] == 1


NOTEBOOK_CELLS = [
    "%pip install peft\nfrom peft import LoraConfig",
    "# Notes",
    "# modèle 😀\nconfig = LoraConfig(target_modules=[\"q_proj\", \"embed_tokens\"])",
]


def test_notebook_synchronised_cell_by_cell(tmp_path: Path, client: LspClient):
    notebook_uri = (tmp_path / "train.ipynb").as_uri()
    cell_uris = [f"vscode-notebook-cell:{tmp_path / 'train.ipynb'}#cell{i}" for i in range(3)]
    kinds = [2, 1, 2]
    client.notify("notebookDocument/didOpen", {
        "notebookDocument": {"uri": notebook_uri, "notebookType": "jupyter-notebook", "version": 1,
                             "cells": [{"kind": k, "document": u} for k, u in zip(kinds, cell_uris)]},
        "cellTextDocuments": [
            {"uri": u, "languageId": "python" if k == 2 else "markdown", "version": 1, "text": t}
            for u, k, t in zip(cell_uris, kinds, NOTEBOOK_CELLS)]})
    published: Dict[str, List[Dict[str, Any]]] = {}
    for _ in range(2):  # the two code cells, in any order
        params = client.wait_for("textDocument/publishDiagnostics", lambda p: p["uri"] in cell_uris)
        published[params["uri"]] = params["diagnostics"]
    assert published[cell_uris[0]] == []
    diagnostic = only(published[cell_uris[2]], "LOR101")
    start = NOTEBOOK_CELLS[2].splitlines()[1].index('"embed_tokens"')
    assert diagnostic["range"]["start"] == {"line": 1, "character": start}

    actions = actions_for(client, cell_uris[2], diagnostic, only=["quickfix"])
    fix = next(a for a in actions if a["title"].startswith("LOR101"))
    fixed = apply_edits(NOTEBOOK_CELLS[2], edits_of(fix, cell_uris[2]))
    assert 'target_modules=["q_proj"]' in fixed
    client.notify("notebookDocument/didChange", {
        "notebookDocument": {"uri": notebook_uri, "version": 2},
        "change": {"cells": {"textContent": [{
            "document": {"uri": cell_uris[2], "version": 2},
            "changes": [{"range": e["range"], "text": e["newText"]} for e in edits_of(fix, cell_uris[2])]}]}}})
    assert client.diagnostics(cell_uris[2], version=2) == []


def test_notebook_opened_as_json_text_points_into_the_json(tmp_path: Path, client: LspClient):
    cells = [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
              "source": [line + "\n" for line in text.splitlines()[:-1]] + [text.splitlines()[-1]]}
             if not text.startswith("#") or "\n" in text else
             {"cell_type": "markdown", "metadata": {}, "source": [text]} for text in NOTEBOOK_CELLS]
    text = json.dumps({"cells": cells, "metadata": {"language_info": {"name": "python"}},
                       "nbformat": 4, "nbformat_minor": 5}, indent=1, ensure_ascii=False)
    uri = client.open(tmp_path / "train.ipynb", text, language="json")
    diagnostic = only(client.diagnostics(uri, version=1), "LOR101")
    lines = text.splitlines()
    row = next(i for i, line in enumerate(lines) if "embed_tokens" in line)
    escaped = lines[row].index('\\"embed_tokens\\"')
    assert diagnostic["range"]["start"] == {"line": row, "character": escaped}
    assert diagnostic["range"]["end"] == {"line": row, "character": escaped + len('\\"embed_tokens\\"')}


def test_without_the_lsp_extra_the_command_says_what_to_install(tmp_path: Path):
    blocked = ("import sys; sys.modules['pygls'] = None; sys.modules['pygls.lsp'] = None; "
               "from lora_lint_plugin.cli.main import main; sys.exit(main(['server']))")
    result = subprocess.run([sys.executable, "-c", blocked], capture_output=True, text=True,
                            cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    assert 'pip install "lora-lint-plugin[lsp]"' in result.stderr
    assert "Traceback" not in result.stderr


TRL_RECIPE = dedent('''
    # Modèle 😀
    model_name_or_path: Qwen/Qwen2.5-7B-Instruct
    use_peft: true
    lora_r: 16
    lora_target_modules:
    - q_proj
    - v_proj
    - lm_head
''')


def test_yaml_trainer_config_quick_fix_and_disable_for_this_line(tmp_path: Path, client: LspClient):
    uri = client.open(tmp_path / "sft.yaml", TRL_RECIPE, language="yaml")
    diagnostic = only(client.diagnostics(uri, version=1), "LOR101")
    assert diagnostic["range"] == {"start": {"line": 7, "character": 2}, "end": {"line": 7, "character": 9}}
    actions = {a["title"]: a for a in actions_for(client, uri, diagnostic)}
    assert "Disable LOR101 for this line" in actions
    silenced = apply_edits(TRL_RECIPE, edits_of(actions["Disable LOR101 for this line"], uri))
    assert silenced.splitlines()[7] == "- lm_head  # noqa: LOR101"
    fix = next(action for title, action in actions.items() if title.startswith("LOR101:"))
    fixed = apply_edits(TRL_RECIPE, edits_of(fix, uri))
    assert "lm_head" not in fixed and fixed.splitlines()[5:7] == ["- q_proj", "- v_proj"]
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                             "contentChanges": [{"text": fixed}]})
    assert client.diagnostics(uri, version=2) == []
    # a YAML file that is not a trainer config, and a half-typed one, stay silent
    other = client.open(tmp_path / "ci.yml", "on: push\njobs:\n  test:\n    runs-on: [", language="yaml")
    assert client.diagnostics(other, version=1) == []
