"""Shared test helpers: running the real flake8 and the real console script in subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import List, Sequence

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true",
                     help="also run the tests marked slow (CI runs them: CI is set there)")


def pytest_sessionstart(session: pytest.Session) -> None:
    """Refuse to run when the subprocesses (flake8, the console script) would import another
    source checkout than the tests do: an editable install points at one checkout, and tests
    run in a second one (a git worktree) would check that one's code in process and the
    first one's through flake8 and ``lora-lint``. An installed (non-editable) package is fine."""
    import lora_lint_plugin

    here = Path(lora_lint_plugin.__file__).resolve().parent
    found = subprocess.run(
        [sys.executable, "-c", "import lora_lint_plugin; print(lora_lint_plugin.__file__)"],
        capture_output=True, text=True, cwd=tempfile.gettempdir(), timeout=60)
    if found.returncode != 0:
        return   # not importable there: the tests that need it say so themselves
    there = Path(found.stdout.strip()).resolve().parent
    if there != here and (there.parent / "pyproject.toml").is_file():
        pytest.exit(f"the tests import {here}, but flake8 and the lora-lint script run by them "
                    f"would import {there} (an editable install of another checkout); run with "
                    f"PYTHONPATH={here.parent} or install this checkout", returncode=4)


def pytest_collection_modifyitems(config: pytest.Config, items: List[pytest.Item]) -> None:
    """Slow tests (pre-commit environments, the real corpus, fuzzing) run in CI (``CI`` set) or
    with ``--run-slow``; a local ``python -m pytest`` stays quick."""
    if config.getoption("--run-slow") or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason="slow: run with --run-slow (CI runs it)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def run_flake8(path: Path, *extra: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the installed flake8 (``python -m flake8``) on ``path`` with ``--isolated``."""
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", *extra, str(path)],
        capture_output=True, text=True, cwd=cwd, timeout=300,
    )


def flake8_codes(path: Path, *extra: str) -> List[tuple]:
    """(line, column, code) triples flake8 reports for LOR codes on ``path``."""
    result = run_flake8(path, "--select=LOR", *extra)
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    found = []
    for line in result.stdout.splitlines():
        _, row, col, rest = line.split(":", 3)
        found.append((int(row), int(col), rest.split()[0]))
    return found


def write_source(directory: Path, source: str, name: str = "train.py") -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    return path


def expected_markers(source: str) -> List[tuple]:
    """(line, code) pairs marked ``# expect: LORnnn[, LORnnn]`` in a dedented example."""
    expected = []
    for number, line in enumerate(textwrap.dedent(source).lstrip("\n").splitlines(), 1):
        if "# expect:" in line:
            for code in line.split("# expect:", 1)[1].replace(",", " ").split():
                expected.append((number, code))
    return sorted(expected)


@pytest.fixture
def tmp_source(tmp_path: Path):
    def write(source: str, name: str = "train.py") -> Path:
        return write_source(tmp_path, source, name)
    return write


def dedent(source: str) -> str:
    return textwrap.dedent(source).lstrip("\n")


def lint(source: str, language: str = "python", **settings) -> Sequence:
    """Diagnostics of the engine on a dedented source (in-process); ``language="yaml"``: a
    YAML trainer config."""
    from lora_lint_plugin.analysis.config_analysis import analyse_config
    from lora_lint_plugin.analysis.engine import analyse_source
    from lora_lint_plugin.config.settings import Settings

    analyse = analyse_config if language == "yaml" else analyse_source
    analysis = analyse(dedent(source), Settings(**settings))
    assert analysis.error is None, analysis.error
    return analysis.diagnostics
