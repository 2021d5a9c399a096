"""The engine and the flake8 plugin over a real corpus (transformers, peft, trl, unsloth, axolotl,
llamafactory; ~5,400 files). Skipped unless the corpus is present: fetch it with
``benchmarks/get-corpus.sh`` (it lands in ``$LORA_LINT_CORPUS`` or ~/.cache/lora-lint-corpus).

The engine runs in-process on every ``.py`` file with a 2-process pool (~1 minute on 2 cores);
real flake8 runs on a sample (small files with and without LoRA code), with and without the
plugin. Nothing here knows what the corpus "should" contain except first principles: files the
prefilter rejects hold no LoRA code and yield nothing, no file makes lora-lint fail, flake8's own
results are untouched, and flake8 reports exactly what the engine reports.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Dict, List, NamedTuple, Tuple

import pytest

from lora_lint_plugin.analysis.ast_parsing import parse_python
from lora_lint_plugin.analysis.prefilter import has_candidate_call, might_contain_training_code

from .test_robustness import WITHOUT_PLUGIN


def corpus_root() -> Path:
    base = os.environ.get("LORA_LINT_CORPUS") or str(Path.home() / ".cache" / "lora-lint-corpus")
    return Path(base) / "corpus"


ROOT = corpus_root()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not ROOT.is_dir() or not any(ROOT.iterdir()),
                       reason=f"corpus not found at {ROOT}; fetch it with "
                              "benchmarks/get-corpus.sh (or set LORA_LINT_CORPUS)"),
]


class FileResult(NamedTuple):
    path: str
    prefilter: bool
    candidate: bool
    candidate_from_text: bool   # the gate given the source too (its text test first)
    ast_ok: bool
    error: str
    diagnostics: Tuple[Tuple[int, int, str], ...]


def _read(path: str) -> str:
    """Decode like flake8: PEP 263 / BOM, latin-1 when that fails."""
    import tokenize

    try:
        with tokenize.open(path) as handle:
            return handle.read()
    except (SyntaxError, UnicodeDecodeError, LookupError):
        with open(path, encoding="latin-1") as handle:
            return handle.read()


def _analyse(path: str) -> FileResult:
    from lora_lint_plugin.analysis.engine import analyse_source

    source = _read(path)
    tree, _ = parse_python(source)
    prefilter = might_contain_training_code(source)
    candidate = prefilter and tree is not None and has_candidate_call(tree)
    from_text = prefilter and tree is not None and has_candidate_call(tree, source)
    analysis = analyse_source(source)
    diagnostics = tuple((d.span.line, d.span.col, d.code) for d in analysis.diagnostics)
    return FileResult(path, prefilter, candidate, from_text, tree is not None,
                      analysis.error or "", diagnostics)


@pytest.fixture(scope="module")
def corpus_files() -> List[str]:
    return sorted(str(path) for path in ROOT.rglob("*.py"))


@pytest.fixture(scope="module")
def results(corpus_files) -> Dict[str, FileResult]:
    with ProcessPoolExecutor(max_workers=2) as pool:
        return {result.path: result for result in pool.map(_analyse, corpus_files, chunksize=16)}


def test_every_file_is_analysed_without_failure(results):
    assert len(results) > 1000
    failures = [(r.path, r.error) for r in results.values()
                if r.error and r.ast_ok]  # the running Python parses it, so must we
    assert failures == []


def test_files_without_lora_code_yield_nothing(results):
    for result in results.values():
        if not result.prefilter or not result.candidate:
            assert result.diagnostics == (), result.path


def test_the_gates_text_test_rejects_only_what_the_walk_rejects(results):
    # The text test runs first on every file; it may only spare the walk, never change the answer.
    assert [r.path for r in results.values() if r.candidate != r.candidate_from_text] == []
    assert sum(1 for r in results.values() if r.prefilter and not r.candidate) > 100


def test_the_prefilter_is_specific(results):
    # Only files that import peft/trl/unsloth AND name a target call pass; in a large library
    # such as transformers that is a tiny fraction.
    transformers = [r for r in results.values() if "/transformers-" in r.path]
    passed = [r for r in transformers if r.prefilter]
    assert len(transformers) > 2000
    assert len(passed) <= len(transformers) // 100, [r.path for r in passed]


def test_the_candidate_gate_hides_no_recognised_call(results):
    # Files the gate skips must have no call the full extractor recognises: run the
    # extraction the gate saves on every one of them.
    import ast

    from lora_lint_plugin.analysis.extract import extract

    skipped = [r.path for r in results.values() if r.prefilter and not r.candidate and r.ast_ok]
    assert len(skipped) > 50, "expected library files that mention LoRA names without calling them"
    for path in skipped:
        source = _read(path)
        assert extract(ast.parse(source), source).calls == [], path


def test_lora_code_is_found(results):
    # peft's and trl's tests build LoraConfigs by the hundred; some must be reported (the
    # corpus holds e.g. deliberately invalid configs in tests of error handling).
    candidates = [r for r in results.values() if r.candidate]
    assert len(candidates) >= 50
    assert any(r.diagnostics for r in candidates)


def _flake8(files: List[str], with_plugin: bool) -> Dict[str, List[str]]:
    command = [sys.executable, "-m", "flake8"] if with_plugin else \
        [sys.executable, "-c", WITHOUT_PLUGIN]
    run = subprocess.run([*command, "--isolated", "--jobs=2", "--max-line-length=120",
                          "--extend-ignore=LOR9", *files],
                         capture_output=True, text=True, timeout=900)
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    assert run.returncode in (0, 1), run.stdout[-3000:] + run.stderr[-3000:]
    found: Dict[str, List[str]] = {}
    for line in run.stdout.splitlines():
        path, rest = line.split(":", 1)
        found.setdefault(path, []).append(rest)
    return found


def test_flake8_on_a_sample_matches_the_engine_and_leaves_other_plugins_alone(results):
    # flake8 costs ~25x ast.parse per line, so a sample: files with LoRA code from trl and
    # peft, files that pass the text prefilter but hold no recognised call, and plain files.
    def smallest(paths, count):
        return sorted(paths, key=os.path.getsize)[:count]

    candidates = smallest([p for p, r in results.items() if r.candidate], 20)
    gated = smallest([p for p, r in results.items() if r.prefilter and not r.candidate], 8)
    plain = sorted(p for p, r in results.items() if not r.prefilter)[::250]
    sample = sorted(set(candidates + gated + plain))
    with_plugin = _flake8(sample, True)
    without_plugin = _flake8(sample, False)
    for path in sample:
        lines = with_plugin.get(path, [])
        others = [line for line in lines if " LOR" not in line]
        assert others == without_plugin.get(path, []), path
        lora = [line for line in lines if " LOR" in line]
        assert not any(" LOR000 " in line for line in lora), (path, lora)
        expected = sorted(f"{row}:{col + 1}: {code}" for row, col, code in
                          results[path].diagnostics if not code.startswith("LOR9"))
        assert sorted(" ".join(line.split(" ", 2)[:2]) for line in lora) == expected, path
