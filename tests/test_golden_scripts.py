"""Realistic training scripts through the real flake8 and the real `lora-lint check`.

Each script in tests/data/scripts marks every expected diagnostic with
``# expect: LORnnn@COL`` on the reported line (COL as flake8 displays it, 1-based). The
scripts mirror real code: Unsloth's notebook style, PEFT with import aliases and module
constants, TRL's model-id + peft_config pattern, dict-unpacked configs, already-adapted
models, and a file of unresolvable or shadowed values that must stay silent.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import run_flake8

SCRIPTS = Path(__file__).parent / "data" / "scripts"
MARKER = re.compile(r"# expect: (.*)$")


def expected(path: Path) -> list:
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        match = MARKER.search(line)
        if match:
            for item in match.group(1).split(","):
                code, column = item.strip().split("@")
                found.append((number, int(column), code))
    return sorted(found)


def parse_flake8(stdout: str) -> dict:
    reported: dict = {}
    for line in stdout.splitlines():
        path, row, col, rest = line.split(":", 3)
        reported.setdefault(Path(path).name, []).append((int(row), int(col), rest.split()[0]))
    return {name: sorted(items) for name, items in reported.items()}


@pytest.fixture(scope="module")
def flake8_results():
    result = run_flake8(SCRIPTS, "--select=LOR,E9", "--extend-select=LOR9")
    assert "Traceback" not in result.stderr, result.stderr
    return parse_flake8(result.stdout)


@pytest.mark.parametrize("path", sorted(SCRIPTS.glob("*.py")), ids=lambda p: p.stem)
def test_flake8_reports_exactly_the_marked_diagnostics(path, flake8_results):
    assert flake8_results.get(path.name, []) == expected(path)


def test_cli_agrees_with_flake8(flake8_results):
    result = subprocess.run(
        [sys.executable, "-m", "lora_lint_plugin", "check", "--isolated", "--select=LOR",
         "--output-format=json", str(SCRIPTS)],
        capture_output=True, text=True)
    assert result.returncode == 1, result.stderr
    from_cli: dict = {}
    for item in json.loads(result.stdout):
        from_cli.setdefault(Path(item["filename"]).name, []).append(
            (item["location"]["row"], item["location"]["column"], item["code"]))
    assert {name: sorted(items) for name, items in from_cli.items()} == flake8_results


def test_the_silent_script_really_has_lora_calls():
    """Guard against a vacuous pass: the silent script is analysed, not skipped."""
    from lora_lint_plugin.analysis.engine import analyse_source

    source = (SCRIPTS / "unresolvable_and_shadowed.py").read_text(encoding="utf-8")
    analysis = analyse_source(source)
    assert not analysis.skipped and analysis.error is None
    assert len(list(analysis.model.calls)) >= 5
    assert analysis.diagnostics == []
