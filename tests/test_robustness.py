"""Hostile inputs through the real flake8 (subprocess) and the engine: never a traceback, never a
changed result for the other plugins, and LoRA findings still reported where the file is fine.

Every flake8 comparison runs two real flake8 processes over the same files: one with lora-lint
installed (as users have it) and one whose plugin discovery hides lora-lint's distribution
(flake8 finds plugins through ``importlib.metadata.distributions()``). All files go through one
flake8 invocation per side, so the whole module costs a few flake8 start-ups.
"""

from __future__ import annotations

import ast

import io
import json
import subprocess
import sys
import textwrap
import tokenize
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from lora_lint_plugin.analysis.engine import analyse_source
from lora_lint_plugin.flake8_plugin import LoraLintPlugin
from lora_lint_plugin.sources.notebook import NotebookError, NotebookSkipped, load_notebook

# r=0: PEFT's LoraConfig raises "`r` should be a positive integer" (LOR201). The target list is
# the seven projections, so no target-module rule has anything to say.
LORA_LINES = [
    "from peft import LoraConfig",
    "config = LoraConfig(r=0, lora_alpha=16, target_modules=[",
    '    "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])',
]
LORA_FINDING = ("LOR201", 2)  # code, line within LORA_LINES (the ``r=0`` literal)

WITHOUT_PLUGIN = textwrap.dedent("""
    import importlib.metadata as metadata
    import sys

    _all = metadata.distributions

    def _without_lora_lint(**kwargs):
        return [d for d in _all(**kwargs) if d.metadata["Name"] != "lora-lint-plugin"]

    metadata.distributions = _without_lora_lint
    from flake8.main.cli import main

    sys.exit(main(sys.argv[1:]))
""")


def lora_block(indent: str = "") -> str:
    return "".join(indent + line + "\n" for line in LORA_LINES)


def hostile_files() -> Dict[str, Tuple[bytes, int]]:
    """name -> (file bytes, line of the LOR201 finding or 0 when none must be reported)."""
    files: Dict[str, Tuple[bytes, int]] = {}
    lora = lora_block()
    finding = LORA_FINDING[1]

    def add(name: str, text: str, line: int, encoding: str = "utf-8") -> None:
        files[name] = (text.encode(encoding), line)

    # 2,000-term expression: LibCST's visitors exceed the default recursion limit on it.
    long_sum = "total = " + " + ".join(f"a{i}" for i in range(2000)) + "\n"
    add("long_expression.py", lora + long_sum, finding)
    # Deep nesting, as deep as CPython's parser allows (ast refuses > 200 open brackets and
    # > 100 indentation levels; flake8 would report E999 then and never call plugins).
    nested_brackets = "nested = " + "[" * 150 + "0" + "]" * 150 + "\n"
    add("deep_brackets.py", nested_brackets + lora, finding + 1)
    blocks = "".join(" " * depth + "if True:\n" for depth in range(90)) + " " * 90 + "pass\n"
    add("deep_blocks.py", lora + blocks, finding)
    calls = "value = " + "f(" * 150 + "0" + ")" * 150 + "\n"
    add("deep_calls.py", calls + lora, finding + 1)
    # A big file without LoRA code, and a big one with it at the end.
    filler = "".join(f"def function_{i}(x):\n    return x + {i}\n\n\n" for i in range(5000))
    add("huge_plain.py", filler, 0)  # 20,000 lines
    some = filler[:filler.index("def function_400(")]
    add("big_with_lora.py", some + lora, some.count("\n") + finding)
    # The same names rebound thousands of times (generated or notebook-exported scripts):
    # name resolution must not look at every binding for every use.
    rebinding = "from peft import get_peft_model\nmodel = None\n" + "".join(
        "config = LoraConfig(r=8, target_modules=['q_proj'])\n"
        "model = get_peft_model(model, config)\n" for _ in range(4000))
    add("many_rebindings.py", lora + rebinding, finding)
    # A generated target_modules list of 3,000 entries (duplicate checks must stay linear).
    wide = "wide = LoraConfig(r=8, target_modules=[" + ", ".join(
        f"'model.layers.{i}.self_attn.q_proj', 'layers.{i}.self_attn.q_proj'"
        for i in range(1500)) + "])\n"
    add("wide_target_list.py", lora + wide, finding)
    # Encodings and line endings: the finding stays on its line.
    files["bom.py"] = (b"\xef\xbb\xbf" + lora.encode("utf-8"), finding)
    files["crlf.py"] = (lora.replace("\n", "\r\n").encode("utf-8"), finding)
    files["cr_only.py"] = (lora.replace("\n", "\r").encode("utf-8"), finding)
    add("latin1.py", "# -*- coding: latin-1 -*-\n# caf\u00e9\n" + lora, finding + 2, "latin-1")
    # flake8 falls back to latin-1 for undecodable files and analyses them.
    files["invalid_utf8.py"] = (b"# \xff\xfe not utf-8\n" + lora.encode("utf-8"), finding + 1)
    files["nul_byte.py"] = (lora.encode("utf-8") + b"x = 1\x00\n", 0)
    add("tabs.py", "def train():\n" + lora_block("\t") + "\treturn config\n", finding + 1)
    add("mixed_tabs_spaces.py", "def train():\n\tif True:\n        pass\n" + lora, 0)
    add("syntax_error.py", lora + "def broken(:\n    pass\n", 0)
    add("unterminated_string.py", lora + 'message = "never closed\n', 0)
    add("empty.py", "", 0)
    add("only_comment.py", "# LoraConfig from peft, but no code\n", 0)
    add("no_lora.py", "import os\n\nprint(os.getcwd())\n", 0)
    add("lora_names_without_library.py",
        "class LoraConfig:\n    pass\n\n\nconfig = LoraConfig(r=0)\n", 0)
    add("star_import.py", "from peft import *\nconfig = LoraConfig(r=0)\n", 0)
    add("python2.py", "print 'LoraConfig'\nimport peft\n", 0)
    # PEP 695 / PEP 701 syntax: flake8 on Python < 3.12 reports E999 and never runs plugins.
    modern = ("type Pair[T] = tuple[T, T]\n\n\ndef first[T](pair: Pair[T]) -> T:\n"
              "    return pair[0]\n\n\n"
              "name = f\"{'nested ' + f'{\"quotes\"}'}\"\n")
    modern_line = finding if sys.version_info >= (3, 12) else 0
    add("pep695_pep701.py", lora + modern, modern_line)
    return files


def _ast_rejects_nul_bytes_with_value_error() -> bool:
    try:
        ast.parse("x = 1\0\n")
    except ValueError as error:
        return not isinstance(error, SyntaxError)
    except SyntaxError:
        return False
    return False


# flake8 itself (not lora-lint) fails on these, taking every other file's results with it:
# pyflakes dies with RecursionError on a 2,000-term expression, and on older Pythons (3.9)
# ast.parse raises ValueError, not SyntaxError, for NUL bytes, which flake8 does not catch.
# They get flake8 runs of their own, compared with and without lora-lint.
PYFLAKES_FAILS = ("long_expression.py",) + (
    ("nul_byte.py",) if _ast_rejects_nul_bytes_with_value_error() else ())


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("hostile")
    for name, (content, _) in hostile_files().items():
        if name not in PYFLAKES_FAILS:
            (directory / name).write_bytes(content)
    notebook = directory / "broken.ipynb"
    notebook.write_text('{"cells": [{"cell_type": "code", "source": "from peft', encoding="utf-8")
    return directory


def _flake8(directory: Path, with_plugin: bool, *options: str) -> subprocess.CompletedProcess:
    files = sorted(str(path) for path in directory.iterdir())
    command = [sys.executable, "-m", "flake8"] if with_plugin else \
        [sys.executable, "-c", WITHOUT_PLUGIN]
    return subprocess.run([*command, "--isolated", "--jobs=2", *options, *files],
                          capture_output=True, text=True, timeout=600)


def _by_file(stdout: str) -> Dict[str, List[str]]:
    found: Dict[str, List[str]] = {}
    for line in stdout.splitlines():
        path, rest = line.split(":", 1)
        found.setdefault(Path(path).name, []).append(rest)
    return {name: sorted(lines) for name, lines in found.items()}


@pytest.fixture(scope="module")
def flake8_runs(hostile_dir):
    return _flake8(hostile_dir, True), _flake8(hostile_dir, False)


def test_flake8_never_shows_a_traceback_and_keeps_its_exit_status(flake8_runs):
    with_plugin, without_plugin = flake8_runs
    for run in flake8_runs:
        assert "Traceback" not in run.stderr, run.stderr
        assert "PluginExecutionFailed" not in run.stdout + run.stderr
    # Both runs find E/W/F problems in these files, so both exit 1.
    assert without_plugin.returncode == 1, without_plugin.stderr
    assert with_plugin.returncode == without_plugin.returncode


def test_other_plugins_output_is_unchanged(flake8_runs):
    with_plugin, without_plugin = flake8_runs
    others = {name: [line for line in lines if " LOR" not in line]
              for name, lines in _by_file(with_plugin.stdout).items()}
    others = {name: lines for name, lines in others.items() if lines}
    assert others == _by_file(without_plugin.stdout)


def test_lora_findings_survive_hostile_surroundings(flake8_runs):
    with_plugin, _ = flake8_runs
    lora_lines = {name: [line for line in lines if " LOR" in line]
                  for name, lines in _by_file(with_plugin.stdout).items()}
    code, _ = LORA_FINDING
    for name, (_, line) in hostile_files().items():
        if name in PYFLAKES_FAILS:
            continue
        reported = lora_lines.get(name, [])
        assert not any("LOR000" in entry for entry in reported), (name, reported)
        if line:
            assert [entry.split(":")[0] for entry in reported if f" {code} " in entry] \
                == [str(line)], (name, reported)
        else:
            assert reported == [], (name, reported)
    assert lora_lines.get("broken.ipynb") in (None, [])  # flake8 hands notebooks over as JSON: skipped


def test_a_file_that_breaks_pyflakes_breaks_it_the_same_way_with_lora_lint(tmp_path):
    for name in PYFLAKES_FAILS:
        (tmp_path / name).write_bytes(hostile_files()[name][0])
    with_plugin, without_plugin = _flake8(tmp_path, True), _flake8(tmp_path, False)
    assert ("Traceback" in with_plugin.stderr) == ("Traceback" in without_plugin.stderr)
    assert with_plugin.returncode == without_plugin.returncode
    assert with_plugin.stdout == without_plugin.stdout
    assert "lora" not in with_plugin.stdout.lower()


def test_exit_status_without_findings_is_unchanged(tmp_path):
    # Clean files: flake8 exits 0 with and without lora-lint.
    (tmp_path / "clean.py").write_text("import os\n\nprint(os.getcwd())\n", encoding="utf-8")
    (tmp_path / "empty.py").write_bytes(b"")
    (tmp_path / "modern_ok.py").write_text(
        "from peft import LoraConfig\n\nconfig = LoraConfig(r=16, target_modules='all-linear')\n",
        encoding="utf-8")
    runs = [_flake8(tmp_path, True), _flake8(tmp_path, False)]
    for run in runs:
        assert run.returncode == 0, run.stdout + run.stderr
        assert run.stdout == ""


def _decode(content: bytes) -> str:
    """What a caller hands the engine: text decoded as Python does (PEP 263 cookie, BOM),
    leniently where that fails."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(content).readline)
        return content.decode(encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return content.decode("utf-8", errors="replace")


@pytest.mark.parametrize("name", sorted(hostile_files()))
def test_engine_never_raises(name):
    content, line = hostile_files()[name]
    analysis = analyse_source(_decode(content))
    codes = [(d.code, d.span.line) for d in analysis.diagnostics]
    if name == "pep695_pep701.py":
        # The analysis reads the running Python's ast (as flake8 does): PEP 695/701 code is
        # analysed on 3.12+; before that it is not broken, only unreadable: no error, a note
        # naming the syntax and the running Python (shown by `check --verbose`).
        assert analysis.error is None
        if sys.version_info >= (3, 12):
            assert (LORA_FINDING[0], LORA_FINDING[1]) in codes
        else:
            assert codes == [] and analysis.note is not None
            assert "of Python 3.12 (PEP" in analysis.note
            assert f"Python {sys.version_info[0]}.{sys.version_info[1]} running" in analysis.note
        return
    if line:
        assert analysis.error is None, analysis.error
        assert (LORA_FINDING[0], line) in codes
    elif name in ("syntax_error.py", "unterminated_string.py", "python2.py", "nul_byte.py",
                  "mixed_tabs_spaces.py"):
        assert codes == []  # an error message at most
    else:
        assert codes == [] and analysis.error is None


@pytest.mark.parametrize("name", sorted(hostile_files()))
def test_plugin_class_never_raises(name):
    import ast

    content, _ = hostile_files()[name]
    text = _decode(content)
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return  # flake8 reports E999/E902 and never calls the plugin
    lines = text.splitlines(keepends=True)
    reports = list(LoraLintPlugin(tree, lines, name).run())
    assert all(report[2][:3] == "LOR" and report[2][3:6].isdigit() for report in reports)
    assert not any(report[2].startswith("LOR000") for report in reports), reports


def test_deep_stack_retry_restores_the_recursion_limit():
    limit = sys.getrecursionlimit()
    source = "total = " + " + ".join(f"a{i}" for i in range(1200)) + "\n" + lora_block()
    assert [(d.code, d.span.line) for d in analyse_source(source).diagnostics] == \
        [(LORA_FINDING[0], LORA_FINDING[1] + 1)]
    assert sys.getrecursionlimit() == limit


def test_deep_expression_inside_the_lora_call_is_checked_reported_and_fixed(tmp_path):
    # A 3,000-term sum inside LoraConfig(...): deeper than ast.parse builds with the default
    # recursion limit on some Pythons, and the fixes rewrite the call around it. check (text
    # and JSON with fix edits) and fix must agree, with no LOR000.
    from .test_cli import lora_lint, out

    terms = " + ".join(["1"] * 3000)
    source = ("from transformers import AutoModelForCausalLM\n"
              "from peft import LoraConfig, get_peft_model\n"
              "model = AutoModelForCausalLM.from_pretrained('meta-llama/Llama-3.2-1B')\n"
              f"config = LoraConfig(r=16, lora_alpha=({terms}),\n"
              "                    target_modules=['embed_tokens', 'q_proj', 'q_proj'])\n"
              "model = get_peft_model(model, config)\n")
    path = tmp_path / "deep_train.py"
    path.write_text(source, encoding="utf-8")
    items = json.loads(out(lora_lint("check", "--isolated", "--output-format", "json",
                                     path.name, cwd=tmp_path)))
    codes = sorted(item["code"] for item in items)
    assert codes == ["LOR101", "LOR109", "LOR110"], items
    assert all(item["fix"] and item["fix"]["edits"] for item in items)
    result = lora_lint("fix", "--isolated", path.name, cwd=tmp_path)
    fixed = path.read_text(encoding="utf-8")
    assert "ensure_weight_tying=True" in fixed and "'q_proj', 'q_proj'" not in fixed
    assert terms in fixed
    from lora_lint_plugin.analysis.ast_parsing import parse_python

    assert parse_python(fixed)[0] is not None  # still Python (parsed with a deep stack)
    assert "LOR000" not in out(result)


@pytest.mark.parametrize("deep", [
    "x = " + "-" * 20000 + "1\n",                                  # CPython: MemoryError
    "x = " + " + ".join(f"a{i}" for i in range(10000)) + "\n",     # RecursionError
    "x = " + "(" * 2000 + "1" + ")" * 2000 + "\n",                 # too many nested parentheses
])
def test_nesting_deeper_than_python_allows_is_one_clear_error_not_a_crash(deep):
    # Where the running Python rejects these as too deeply nested, the engine must answer at
    # once with an error (LibCST's native parser would overflow the C stack on them, a
    # segmentation fault). Python 3.9's parser accepts the 10,000-term sum; then the file must
    # simply be analysed correctly.
    from lora_lint_plugin.analysis.ast_parsing import TOO_DEEP, parse_python

    too_deep = parse_python(deep)[1] == TOO_DEEP
    for source in (lora_block() + deep, deep + lora_block()):
        analysis = analyse_source(source)
        if too_deep:
            assert analysis.diagnostics == []
            assert analysis.error is not None and "nested too deeply" in analysis.error
        else:
            assert analysis.error is None
            assert [d.code for d in analysis.diagnostics] == [LORA_FINDING[0]]


MALFORMED_NOTEBOOKS = [
    b"",
    b"not json at all",
    b"\xff\xfe\x00garbage",
    b"[]",
    b'{"cells": 3}',
    b'{"cells": [{"cell_type": "code", "source": 5}]}',
    b'{"cells": [{"cell_type": "code"}]}',
    b'{"cells": [{"source": "x = 1"}]}',
    b'{"cells": [null, 1, "x"]}',
    b'{"cells": [{"cell_type": "code", "source": ["from peft import LoraConfig\\n", 7]}]}',
    b'{"metadata": {"kernelspec": {"language": 5}}, "cells": []}',
    b'{"cells": [{"cell_type": "code", "source": "%%bash\\nLoraConfig(r=0)"}]}',
    json.dumps({"cells": [{"cell_type": "code", "source": "[" * 5000}]}).encode(),
]


@pytest.mark.parametrize("raw", MALFORMED_NOTEBOOKS)
def test_malformed_notebooks_fail_cleanly(raw):
    try:
        notebook = load_notebook(raw)
    except (NotebookError, NotebookSkipped):
        return
    # Loaded: the joined module goes through the engine without raising.
    analyse_source(notebook.python_source)
