"""``lora-lint check``, ``rules``, ``explain``: exit codes, inputs, output, noqa, parallelism.

Every test runs the installed console script in a subprocess on real files in tmp_path.
Expected positions are computed from the test sources themselves (the column of the offending
literal), and rule messages are never compared, so rules may reword them freely.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import jsonschema
import pytest

from lora_lint_plugin.reporters import JSON_SCHEMA_PATH

from .conftest import dedent

SCRIPT = Path(sys.executable).with_name("lora-lint")

# One LOR101 (embedding in target_modules, unsafe fix) on line 2.
LOR101_SOURCE = dedent("""
    from peft import LoraConfig
    config = LoraConfig(r=16, target_modules=["q_proj", "v_proj", "embed_tokens"])
""")
CLEAN_SOURCE = "import os\nprint(os.getcwd())\n"


def lora_lint(*args: str, cwd: Path, stdin: Optional[bytes] = None,
              env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
    """Run the console script (``python -m lora_lint_plugin`` if the script is missing)."""
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "lora_lint_plugin"]
    result = subprocess.run(command + list(args), cwd=cwd, input=stdin if stdin is not None else b"",
                            capture_output=True, timeout=300, env=env)
    assert b"Traceback" not in result.stderr, result.stderr.decode()
    return result


def out(result: subprocess.CompletedProcess) -> str:
    return result.stdout.decode("utf-8")


def err(result: subprocess.CompletedProcess) -> str:
    return result.stderr.decode("utf-8")


def check_json(cwd: Path, *args: str, stdin: Optional[bytes] = None) -> Tuple[int, List[Dict[str, Any]]]:
    result = lora_lint("check", "--output-format", "json", *args, cwd=cwd, stdin=stdin)
    assert result.returncode in (0, 1), err(result)
    return result.returncode, json.loads(out(result))


def rows(items: Sequence[Dict[str, Any]]) -> List[Tuple[str, Optional[int], int, int, str]]:
    return sorted((d["filename"], d["cell"], d["location"]["row"], d["location"]["column"], d["code"])
                  for d in items)


def literal_position(source: str, literal: str, occurrence: int = 0) -> Tuple[int, int]:
    """1-based (row, column) of ``literal`` in ``source``."""
    for number, line in enumerate(source.splitlines(), start=1):
        if literal in line:
            if occurrence == 0:
                return number, line.index(literal) + 1
            occurrence -= 1
    raise AssertionError(f"{literal!r} not in source")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# -- exit codes ----------------------------------------------------------------------------------

def test_clean_file_exits_0(tmp_path: Path):
    write(tmp_path / "clean.py", CLEAN_SOURCE)
    result = lora_lint("check", "clean.py", cwd=tmp_path)
    assert result.returncode == 0
    assert out(result) == "All checks passed!\n"


def test_diagnostic_exits_1_and_points_at_the_offending_literal(tmp_path: Path):
    write(tmp_path / "train.py", LOR101_SOURCE)
    code, items = check_json(tmp_path, "train.py")
    row, column = literal_position(LOR101_SOURCE, '"embed_tokens"')
    assert code == 1
    lor101 = [d for d in items if d["code"] == "LOR101"]
    assert [(d["location"], d["end_location"]) for d in lor101] == [
        ({"row": row, "column": column}, {"row": row, "column": column + len('"embed_tokens"')})]
    assert lor101[0]["filename"] == "train.py" and lor101[0]["fix"]["applicability"] == "unsafe"


def test_exit_zero_and_text_summary(tmp_path: Path):
    write(tmp_path / "train.py", LOR101_SOURCE)
    result = lora_lint("check", "--exit-zero", "--select", "LOR101", "train.py", cwd=tmp_path)
    assert result.returncode == 0
    row, column = literal_position(LOR101_SOURCE, '"embed_tokens"')
    lines = out(result).splitlines()
    assert lines[0].startswith(f"train.py:{row}:{column}: LOR101 ")
    assert lines[-1] == "Found 1 diagnostic."


USAGE_ERRORS = [
    ("check", "--bogus-option"),
    ("check", "--select", "lor101"),
    ("check", "--select", "E501"),
    ("check", "--extend-ignore", "LOR1001"),
    ("check", "--output-format", "xml"),
    ("check", "--jobs", "0"),
    ("check", "--gpu-memory", "lots"),
    ("check", "--long-context", "-5"),
    ("check", "--config", "does-not-exist.toml"),
    ("fix", "--statistics", "--output-format", "sarif"),
    (),
    ("explain", "LOR999"),
]


@pytest.mark.parametrize("args", USAGE_ERRORS)
def test_usage_errors_exit_2_with_a_message(tmp_path: Path, monkeypatch, capsys, args: Tuple[str, ...]):
    """In-process (fast): ``main`` returns 2, prints nothing on stdout and a message on stderr."""
    from lora_lint_plugin.cli.main import main

    write(tmp_path / "train.py", LOR101_SOURCE)
    monkeypatch.chdir(tmp_path)
    assert main(list(args)) == 2, args
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.strip()


def test_usage_errors_exit_2_from_the_console_script(tmp_path: Path):
    for args in (("check", "--bogus-option"), ("check", "--select", "E501", ".")):
        result = lora_lint(*args, cwd=tmp_path)
        assert result.returncode == 2 and out(result) == "" and err(result).strip()


def test_invalid_selector_message_names_the_fix(tmp_path: Path):
    result = lora_lint("check", "--select", "lor1", cwd=tmp_path)
    assert result.returncode == 2
    assert err(result).strip().splitlines() == [
        "lora-lint: invalid rule selector 'lor1' in --select: expected LOR followed by up to three "
        "digits, e.g. LOR, LOR1, LOR101 (codes are upper case: LOR1)"]


def test_no_files_is_exit_0_with_a_warning(tmp_path: Path):
    (tmp_path / "empty").mkdir()
    result = lora_lint("check", "empty", cwd=tmp_path)
    assert result.returncode == 0
    assert "no Python files found" in err(result)


# -- files that cannot be analysed ---------------------------------------------------------------

def test_unanalysable_files_are_lor000_and_exit_1(tmp_path: Path):
    write(tmp_path / "syntax.py", "from peft import LoraConfig\nconfig = LoraConfig(r=16,\n")
    (tmp_path / "undecodable.py").write_bytes(b"from peft import LoraConfig\nx = '\xff\xfe'\n")
    write(tmp_path / "broken.ipynb", '{"cells": [')
    write(tmp_path / "nbformat3.ipynb", json.dumps({"worksheets": [], "metadata": {}}))
    os.symlink("loop_b.py", tmp_path / "loop_a.py")
    os.symlink("loop_a.py", tmp_path / "loop_b.py")
    names = ["syntax.py", "undecodable.py", "broken.ipynb", "nbformat3.ipynb", "loop_a.py", "missing.py"]
    result = lora_lint("check", "--output-format", "json", *names, cwd=tmp_path)
    assert result.returncode == 1
    items = json.loads(out(result))
    assert sorted(d["filename"] for d in items) == sorted(names)
    assert {d["code"] for d in items} == {"LOR000"}
    messages = {d["filename"]: d["message"] for d in items}
    assert "syntax error" in messages["syntax.py"]
    assert "utf-8" in messages["undecodable.py"] and "line 2" in messages["undecodable.py"]
    assert "symbolic links" in messages["loop_a.py"]
    assert "no such file" in messages["missing.py"]
    assert all("\n" not in message for message in messages.values())


def test_non_python_notebook_is_skipped_silently(tmp_path: Path):
    notebook = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                           "source": ["library(peft)\n", "LoraConfig <- 1\n"]}],
                "metadata": {"kernelspec": {"language": "R", "name": "ir"}},
                "nbformat": 4, "nbformat_minor": 5}
    write(tmp_path / "r.ipynb", json.dumps(notebook))
    result = lora_lint("check", "r.ipynb", cwd=tmp_path)
    assert result.returncode == 0
    assert out(result) == "All checks passed!\n" and err(result) == ""


# -- stdin ---------------------------------------------------------------------------------------

def test_stdin_is_reported_under_the_given_name(tmp_path: Path):
    write(tmp_path / "train.py", LOR101_SOURCE)
    _, from_file = check_json(tmp_path, "train.py")
    code, from_stdin = check_json(tmp_path, "-", "--stdin-filename", "train.py",
                                  stdin=LOR101_SOURCE.encode())
    assert code == 1 and from_stdin == from_file
    code, unnamed = check_json(tmp_path, "-", stdin=LOR101_SOURCE.encode())
    assert {d["filename"] for d in unnamed} == {"-"} and rows(unnamed) == [
        ("-",) + r[1:] for r in rows(from_file)]


def test_stdin_filename_alone_reads_stdin_and_force_exclude_applies(tmp_path: Path):
    code, items = check_json(tmp_path, "--stdin-filename", "build/train.py", stdin=LOR101_SOURCE.encode())
    assert code == 1 and {d["filename"] for d in items} == {"build/train.py"}
    code, items = check_json(tmp_path, "--force-exclude", "--stdin-filename", "build/train.py",
                             stdin=LOR101_SOURCE.encode())
    assert code == 0 and items == []


# -- output --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def json_schema() -> Dict[str, Any]:
    return json.loads(JSON_SCHEMA_PATH.read_text(encoding="utf-8"))


def test_json_and_json_lines_validate_against_the_schema(tmp_path: Path, json_schema: Dict[str, Any]):
    write(tmp_path / "train.py", LOR101_SOURCE)
    write(tmp_path / "syntax.py", "from peft import LoraConfig\nLoraConfig(\n")
    code, items = check_json(tmp_path, ".")
    assert code == 1 and {d["code"] for d in items} >= {"LOR000", "LOR101"}
    jsonschema.validate(items, json_schema)
    result = lora_lint("check", "--output-format", "json-lines", ".", cwd=tmp_path)
    lines = [json.loads(line) for line in out(result).splitlines()]
    assert lines == items
    diagnostic_schema = dict(json_schema["$defs"]["diagnostic"], **{"$defs": json_schema["$defs"]})
    for line in lines:
        jsonschema.validate(line, diagnostic_schema)


def test_output_file_and_other_formats(tmp_path: Path):
    write(tmp_path / "train.py", LOR101_SOURCE)
    result = lora_lint("check", "-o", "reports/out.sarif", "--output-format", "sarif", "train.py", cwd=tmp_path)
    assert result.returncode == 1 and out(result) == ""
    sarif = json.loads((tmp_path / "reports" / "out.sarif").read_text(encoding="utf-8"))
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["LOR101"]
    github = lora_lint("check", "--output-format", "github", "--select", "LOR101", "train.py", cwd=tmp_path)
    assert out(github).startswith("::warning title=lora-lint (LOR101),file=train.py,line=2,")


def test_statistics_count_per_code(tmp_path: Path):
    two = LOR101_SOURCE.replace('"embed_tokens"]', '"embed_tokens", "lm_head"]')
    write(tmp_path / "a.py", two)
    write(tmp_path / "b.py", LOR101_SOURCE)
    write(tmp_path / "c.py", "from peft import LoraConfig\nLoraConfig(\n")
    result = lora_lint("check", "--statistics", "--select", "LOR101", ".", cwd=tmp_path)
    assert result.returncode == 1
    assert [line.split("\t")[:2] for line in out(result).splitlines()] == [["3", "LOR101"], ["1", "LOR000"]]
    result = lora_lint("check", "--statistics", "--output-format", "json", "--select", "LOR101", ".",
                       cwd=tmp_path)
    assert [(s["code"], s["count"]) for s in json.loads(out(result))] == [("LOR101", 3), ("LOR000", 1)]


# -- parallel ------------------------------------------------------------------------------------

def test_parallel_output_equals_serial_output(tmp_path: Path):
    for index in range(12):
        source = LOR101_SOURCE if index % 3 else CLEAN_SOURCE
        write(tmp_path / f"pkg{index % 2}" / f"mod{index}.py", source.replace("r=16", f"r={index + 1}"))
    write(tmp_path / "pkg0" / "broken.py", "from peft import LoraConfig\nLoraConfig(\n")
    serial = lora_lint("check", "--jobs", "1", "--output-format", "json", ".", cwd=tmp_path)
    parallel = lora_lint("check", "--jobs", "3", "--output-format", "json", ".", cwd=tmp_path)
    default = lora_lint("check", "--output-format", "json", ".", cwd=tmp_path)
    assert serial.returncode == parallel.returncode == default.returncode == 1
    assert out(serial) == out(parallel) == out(default)
    assert len({d["filename"] for d in json.loads(out(serial))}) == 9  # 8 with LOR101 + broken.py


# -- noqa, compared with flake8 ------------------------------------------------------------------

NOQA_COMMENTS = [
    "# noqa", "# noqa: LOR101", "# noqa:LOR101", "# NOQA: LOR101", "# NoQA:LOR101,E501",
    "# noqa: LOR1", "# noqa: LOR", "# noqa : LOR102", "# noqa: lor101", "# noqa: LOR102",
    "# noqa: LOR1010", "# noqa:E501 LOR101", "# some text # noqa: LOR101 more",
]


def test_noqa_on_the_reported_line_behaves_like_flake8(tmp_path: Path):
    names = []
    for index, comment in enumerate(NOQA_COMMENTS):
        source = dedent("""
            from peft import LoraConfig
            config = LoraConfig(
                r=16,
                target_modules=["q_proj", "embed_tokens"],  {comment}
            )
        """).format(comment=comment)
        names.append(write(tmp_path / f"n{index}.py", source).name)
    # the comment on another line of the call does not count
    write(tmp_path / "other_line.py", dedent("""
        from peft import LoraConfig
        config = LoraConfig(
            r=16,
            target_modules=["q_proj", "embed_tokens"],
        )  # noqa
    """))
    write(tmp_path / "file_level.py", "# flake8: noqa\n" + LOR101_SOURCE)
    names += ["other_line.py", "file_level.py"]
    _, items = check_json(tmp_path, "--select", "LOR101", *names)
    ours = {(d["filename"], d["location"]["row"]) for d in items}
    flake8 = subprocess.run([sys.executable, "-m", "flake8", "--isolated", "--select=LOR101", *names],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert flake8.returncode in (0, 1), flake8.stderr
    theirs = {(line.split(":")[0], int(line.split(":")[1])) for line in flake8.stdout.splitlines()}
    assert ours == theirs
    # the premise: some comments silence, some do not
    reported = {name for name, _ in ours}
    assert "n0.py" not in reported and "n8.py" in reported and "n9.py" in reported
    assert "other_line.py" in reported and "file_level.py" not in reported


def test_disable_noqa(tmp_path: Path):
    write(tmp_path / "train.py", LOR101_SOURCE.rstrip("\n") + "  # noqa: LOR101\n")
    assert check_json(tmp_path, "--select", "LOR101", "train.py")[0] == 0
    code, items = check_json(tmp_path, "--select", "LOR101", "--disable-noqa", "train.py")
    assert code == 1 and "LOR101" in {d["code"] for d in items}


# -- rules, explain, version ---------------------------------------------------------------------

def test_rules_table_and_json_agree_with_the_registry(tmp_path: Path):
    from lora_lint_plugin.rules import all_rules

    result = lora_lint("rules", "--output-format", "json", cwd=tmp_path)
    listed = json.loads(out(result))
    assert [r["code"] for r in listed] == [rule.code for rule in all_rules()]
    assert {r["code"]: r["default_enabled"] for r in listed} == {
        rule.code: rule.default_enabled for rule in all_rules()}
    text = out(lora_lint("rules", cwd=tmp_path)).splitlines()
    assert text[0].split() == ["CODE", "NAME", "DEFAULT", "FIX", "YAML", "SUMMARY"]
    lor101 = next(line for line in text if line.startswith("LOR101 "))
    assert lor101.split()[1:5] == ["embedding-in-target-modules", "on", "unsafe", "yes"]
    lor506 = next(line for line in text if line.startswith("LOR506 "))
    assert lor506.split()[4] == "no"  # Python import order: no YAML counterpart
    assert {r["code"] for r in listed if r["yaml"]} >= {"LOR102", "LOR301", "LOR401", "LOR501"}


def test_explain_prints_the_rule_page_and_suggests_on_typos(tmp_path: Path):
    from lora_lint_plugin.rules.docs import rule_page
    from lora_lint_plugin.rules import rule_by_code

    result = lora_lint("explain", "lor101", cwd=tmp_path)
    assert result.returncode == 0 and out(result) == rule_page(rule_by_code("LOR101"))
    by_name = lora_lint("explain", "embedding-in-target-modules", cwd=tmp_path)
    assert out(by_name) == out(result)
    typo = lora_lint("explain", "LOR1011", cwd=tmp_path)
    assert typo.returncode == 2 and "did you mean LOR101" in err(typo)


def test_version_and_module_entry_point(tmp_path: Path):
    from lora_lint_plugin import __version__

    result = lora_lint("--version", cwd=tmp_path)
    assert result.returncode == 0 and out(result).strip() == f"lora-lint {__version__}"
    module = subprocess.run([sys.executable, "-m", "lora_lint_plugin", "--version"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert module.stdout.strip() == f"lora-lint {__version__}"


def test_selector_matching_no_rule_is_a_warning(tmp_path: Path, monkeypatch, capsys):
    from lora_lint_plugin.cli.main import main

    write(tmp_path / "train.py", LOR101_SOURCE)
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--select", "LOR998,LOR101", "train.py"]) == 1
    captured = capsys.readouterr()
    assert "LOR998 matches no rule" in captured.err and "LOR101" in captured.out
