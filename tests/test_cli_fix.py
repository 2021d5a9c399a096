"""``lora-lint fix``: safe/unsafe fixes, ``--diff``, notebooks, byte preservation, safe writes.

Fix results are derived from what the fix must do (remove one list element, swap a model id)
applied to the test's own bytes; the rules' messages are never compared.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any, Dict, List

import pytest

from lora_lint_plugin.fixing import writing
from lora_lint_plugin.config.settings import Settings

from .conftest import dedent
from .test_cli import LOR101_SOURCE, CLEAN_SOURCE, check_json, err, lora_lint, out, write

LOR101_FIXED = LOR101_SOURCE.replace(', "embed_tokens"]', "]")

BASE_ID = "unsloth/llama-3-8b-bnb-4bit"
BASE_SOURCE = dedent(f"""
    from unsloth import FastLanguageModel
    from unsloth.chat_templates import get_chat_template
    model, tokenizer = FastLanguageModel.from_pretrained("{BASE_ID}")
    tokenizer = get_chat_template(tokenizer, chat_template="llama-3")
    model = FastLanguageModel.get_peft_model(
        model, r=16,
        target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    )
""")


def snapshot(path: Path):
    info = path.stat()
    return path.read_bytes(), info.st_mtime_ns


# -- .py files -----------------------------------------------------------------------------------

def test_unsafe_fix_needs_the_flag(tmp_path: Path):
    path = write(tmp_path / "train.py", LOR101_SOURCE)
    before = snapshot(path)
    result = lora_lint("fix", "--select", "LOR101", "train.py", cwd=tmp_path)
    assert result.returncode == 1
    assert snapshot(path) == before
    assert "--unsafe-fixes" in err(result)
    assert out(result).splitlines()[0].startswith("train.py:2:")


def test_unsafe_fix_is_applied_and_idempotent(tmp_path: Path):
    path = write(tmp_path / "train.py", LOR101_SOURCE)
    result = lora_lint("fix", "--unsafe-fixes", "--select", "LOR101", "train.py", cwd=tmp_path)
    assert result.returncode == 0, out(result) + err(result)
    assert path.read_text(encoding="utf-8") == LOR101_FIXED
    assert "fixed 1 diagnostic in 1 file" in err(result)
    before = snapshot(path)
    again = lora_lint("fix", "--unsafe-fixes", "--select", "LOR101", "train.py", cwd=tmp_path)
    assert again.returncode == 0 and "fixed" not in err(again)
    assert snapshot(path) == before  # not even rewritten with the same bytes


def test_many_repeats_in_one_list_are_fixed_in_one_run(tmp_path: Path):
    # Each repeat is its own LOR109 finding editing the same list; removals from one list
    # merge into one fix per round, so one run cleans the list (fix rounds are capped).
    repeats = ", ".join(['"q_proj"'] * 25)
    path = write(tmp_path / "train.py", "from peft import LoraConfig\n"
                 f"config = LoraConfig(r=8, target_modules=[{repeats}, \"v_proj\"],\n"
                 "                    modules_to_save=[\"lm_head\", \"lm_head\"])\n")
    result = lora_lint("fix", "--select", "LOR109", "train.py", cwd=tmp_path)
    assert result.returncode == 0, out(result) + err(result)
    assert path.read_text(encoding="utf-8") == (
        "from peft import LoraConfig\n"
        'config = LoraConfig(r=8, target_modules=["q_proj", "v_proj"],\n'
        '                    modules_to_save=["lm_head"])\n')
    assert "fixed 25 diagnostics in 1 file" in err(result)
    before = snapshot(path)
    again = lora_lint("fix", "--select", "LOR109", "train.py", cwd=tmp_path)
    assert again.returncode == 0 and "fixed" not in err(again)
    assert snapshot(path) == before


def test_safe_fix_base_to_instruct(tmp_path: Path):
    path = write(tmp_path / "train.py", BASE_SOURCE)
    code, items = check_json(tmp_path, "train.py")
    safe = [d for d in items if d["fix"] and d["fix"]["applicability"] == "safe"]
    if not any(BASE_ID in json.dumps(d["fix"]) or d["location"]["row"] == 3 for d in safe):
        pytest.skip("no safe base->instruct fix in this rule set yet")
    result = lora_lint("fix", "train.py", cwd=tmp_path)
    fixed = path.read_text(encoding="utf-8")
    model_line = fixed.splitlines()[2]
    assert f'"{BASE_ID}"' not in fixed and "instruct" in model_line.lower()
    untouched = fixed.splitlines()[:2] + fixed.splitlines()[3:]
    assert untouched == BASE_SOURCE.splitlines()[:2] + BASE_SOURCE.splitlines()[3:]
    compile(fixed, "train.py", "exec")
    assert "fixed" in err(result)
    before = snapshot(path)
    lora_lint("fix", "train.py", cwd=tmp_path)
    assert snapshot(path) == before


def test_exit_non_zero_on_fix(tmp_path: Path):
    write(tmp_path / "train.py", LOR101_SOURCE)
    result = lora_lint("fix", "--unsafe-fixes", "--select", "LOR101", "--exit-non-zero-on-fix", "train.py",
                       cwd=tmp_path)
    assert result.returncode == 1 and (tmp_path / "train.py").read_text() == LOR101_FIXED
    again = lora_lint("fix", "--unsafe-fixes", "--select", "LOR101", "--exit-non-zero-on-fix", "train.py",
                      cwd=tmp_path)
    assert again.returncode == 0


def test_diff_writes_nothing_and_applies_cleanly(tmp_path: Path):
    path = write(tmp_path / "sub" / "train.py", LOR101_SOURCE)
    clean = write(tmp_path / "clean.py", CLEAN_SOURCE)
    before, clean_before = snapshot(path), snapshot(clean)
    result = lora_lint("fix", "--diff", "--unsafe-fixes", "--select", "LOR101", ".", cwd=tmp_path)
    assert result.returncode == 1
    assert snapshot(path) == before and snapshot(clean) == clean_before
    diff = out(result)
    assert diff.startswith("--- a/sub/train.py\n+++ b/sub/train.py\n")
    assert [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("---", "+++")] == [
        "-" + LOR101_SOURCE.splitlines()[1], "+" + LOR101_FIXED.splitlines()[1]]
    if shutil.which("git"):
        subprocess.run(["git", "apply", "-"], input=diff, text=True, cwd=tmp_path, check=True)
        assert path.read_text() == LOR101_FIXED
    nothing = lora_lint("fix", "--diff", "clean.py", cwd=tmp_path)
    assert nothing.returncode == 0 and out(nothing) == ""


def test_unanalysable_file_is_left_alone(tmp_path: Path):
    path = write(tmp_path / "broken.py", "from peft import LoraConfig\nLoraConfig(r=16,\n")
    before = snapshot(path)
    code_result = lora_lint("fix", "--output-format", "json", "broken.py", cwd=tmp_path)
    assert code_result.returncode == 1 and snapshot(path) == before
    assert [d["code"] for d in json.loads(out(code_result))] == ["LOR000"]


def test_parallel_fix(tmp_path: Path):
    paths = [write(tmp_path / f"m{index}.py", LOR101_SOURCE.replace("r=16", f"r={index + 1}"))
             for index in range(10)]
    result = lora_lint("fix", "--jobs", "2", "--unsafe-fixes", "--select", "LOR101", ".", cwd=tmp_path)
    assert result.returncode == 0, err(result)
    assert [p.read_text() for p in paths] == [LOR101_FIXED.replace("r=16", f"r={i + 1}") for i in range(10)]
    assert "fixed 10 diagnostics in 10 files" in err(result)


def test_stdin_fix_prints_the_fixed_source(tmp_path: Path):
    result = lora_lint("fix", "--unsafe-fixes", "--select", "LOR101", "-", "--stdin-filename", "t.py",
                       cwd=tmp_path, stdin=LOR101_SOURCE.encode())
    assert result.returncode == 0
    assert out(result) == LOR101_FIXED
    unchanged = lora_lint("fix", "--select", "LOR101", "-", cwd=tmp_path, stdin=LOR101_SOURCE.encode())
    assert out(unchanged) == LOR101_SOURCE and unchanged.returncode == 1
    assert "LOR101" in err(unchanged)  # the report goes to stderr


# -- bytes that must survive ---------------------------------------------------------------------

@pytest.mark.parametrize("name, raw", [
    ("crlf", LOR101_SOURCE.replace("\n", "\r\n").encode()),
    ("bom", b"\xef\xbb\xbf" + LOR101_SOURCE.encode()),
    ("latin1", ("# -*- coding: latin-1 -*-\n# caf\xe9 \xbd\n" + LOR101_SOURCE).encode("latin-1")),
    ("mixed", LOR101_SOURCE.replace("\n", "\r\n", 1).encode() + b"x = 1\n"),
])
def test_encoding_bom_and_newlines_are_preserved(tmp_path: Path, name: str, raw: bytes):
    path = tmp_path / f"{name}.py"
    path.write_bytes(raw)
    path.chmod(0o640)
    result = lora_lint("fix", "--unsafe-fixes", "--select", "LOR101", path.name, cwd=tmp_path)
    assert result.returncode == 0, err(result)
    assert path.read_bytes() == raw.replace(b', "embed_tokens"]', b"]")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_symlink_is_written_through(tmp_path: Path):
    real = write(tmp_path / "real.py", LOR101_SOURCE)
    os.symlink("real.py", tmp_path / "link.py")
    result = lora_lint("fix", "--unsafe-fixes", "--select", "LOR101", "link.py", cwd=tmp_path)
    assert result.returncode == 0
    assert (tmp_path / "link.py").is_symlink() and real.read_text() == LOR101_FIXED


# -- notebooks -----------------------------------------------------------------------------------

def _notebook() -> Dict[str, Any]:
    def code(lines: List[str], **extra: Any) -> Dict[str, Any]:
        cell = {"cell_type": "code", "execution_count": 1, "id": f"c{len(lines)}", "metadata": {},
                "outputs": [{"name": "stdout", "output_type": "stream", "text": ["ok\n"]}], "source": lines}
        cell.update(extra)
        return cell

    lines = LOR101_SOURCE.splitlines(keepends=True)
    return {
        "cells": [
            {"cell_type": "markdown", "id": "md", "metadata": {}, "source": ["# Fine-tune \u00e9\n"]},
            code(["%pip install peft\n", "!nvidia-smi\n", lines[0]]),
            code([lines[1].rstrip("\n")], id="cfg"),
            code(["print(config)  # caf\u00e9"], id="last"),
        ],
        "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5,
    }


def _dump(notebook: Dict[str, Any]) -> str:
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def test_notebook_fix_changes_only_the_fixed_cell(tmp_path: Path):
    notebook = _notebook()
    path = write(tmp_path / "nb.ipynb", _dump(notebook))
    code, items = check_json(tmp_path, "--select", "LOR101", "nb.ipynb")
    assert [(d["cell"], d["location"]["row"]) for d in items] == [(3, 1)]
    result = lora_lint("fix", "--unsafe-fixes", "--select", "LOR101", "nb.ipynb", cwd=tmp_path)
    assert result.returncode == 0, err(result)
    expected = _notebook()
    expected["cells"][2]["source"] = [LOR101_FIXED.splitlines()[1]]
    assert path.read_text(encoding="utf-8") == _dump(expected)
    before = snapshot(path)
    lora_lint("fix", "--unsafe-fixes", "--select", "LOR101", "nb.ipynb", cwd=tmp_path)
    assert snapshot(path) == before


def test_notebook_diff_is_the_diff_of_the_notebook_file(tmp_path: Path):
    path = write(tmp_path / "nb.ipynb", _dump(_notebook()))
    before = snapshot(path)
    result = lora_lint("fix", "--diff", "--unsafe-fixes", "--select", "LOR101", "nb.ipynb", cwd=tmp_path)
    assert result.returncode == 1 and snapshot(path) == before
    diff = out(result)
    assert diff.startswith("--- a/nb.ipynb\n+++ b/nb.ipynb\n")
    changed = [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("---", "+++")]
    assert changed == ["-" + json.dumps(LOR101_SOURCE.splitlines()[1]).join(['    ', '']),
                       "+" + json.dumps(LOR101_FIXED.splitlines()[1]).join(['    ', ''])]


# -- writing.py in-process: a file that changes while it is being fixed -------------------------

def _intruder(monkeypatch, target: Path, content: bytes, keep_stamp: bool = False) -> None:
    """Make another writer change ``target`` after the temporary file is written."""
    original = writing._write_temporary

    def write_then_intrude(directory: str, name: str, data: bytes, mode: int) -> str:
        temporary = original(directory, name, data, mode)
        info = target.stat()
        target.write_bytes(content)
        if keep_stamp:  # same size, same mtime: only the re-read can notice
            os.utime(target, ns=(info.st_atime_ns, info.st_mtime_ns))
        return temporary

    monkeypatch.setattr(writing, "_write_temporary", write_then_intrude)


@pytest.mark.parametrize("keep_stamp", [False, True])
def test_file_changed_between_read_and_write_is_not_overwritten(tmp_path: Path, monkeypatch, keep_stamp: bool):
    path = write(tmp_path / "train.py", LOR101_SOURCE)
    original = path.read_bytes()
    stamp = writing.stamp_of(str(path))
    theirs = LOR101_SOURCE.replace("r=16", "r=32").encode()
    assert len(theirs) == len(original)
    _intruder(monkeypatch, path, theirs, keep_stamp)
    with pytest.raises(writing.FileChangedError):
        writing.write_if_unchanged(str(path), LOR101_FIXED.encode(), original, stamp)
    assert path.read_bytes() == theirs
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.py"]  # no temporary file left


def test_fix_path_reports_the_conflict(tmp_path: Path, monkeypatch):
    path = write(tmp_path / "train.py", LOR101_SOURCE)
    theirs = b"# rewritten by someone else\n"
    _intruder(monkeypatch, path, theirs)
    result = writing.fix_path(str(path), "train.py", Settings(), frozenset({"LOR101"}), unsafe=True)
    assert result.problem == "train.py: changed on disk while it was being fixed; not written"
    assert not result.written and path.read_bytes() == theirs
    assert [d.code for d in result.result.diagnostics] == ["LOR101"]  # what was read is reported


def test_write_if_unchanged_skips_identical_content(tmp_path: Path):
    path = write(tmp_path / "train.py", LOR101_SOURCE)
    before = snapshot(path)
    assert writing.write_if_unchanged(str(path), path.read_bytes(), path.read_bytes(),
                                      writing.stamp_of(str(path))) is False
    assert snapshot(path) == before
