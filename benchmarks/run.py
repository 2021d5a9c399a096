"""lora-lint benchmarks: paired A/B ratios on the real corpus. One command:

    python benchmarks/run.py               # everything (about 30-40 minutes on 2 cores)
    python benchmarks/run.py --quick       # smaller trees, 2 measured pairs (a few minutes)
    python benchmarks/run.py --only flake8,check

Each comparison runs "A; B" alternately, 1 warm-up pair (dropped) + ``--pairs`` measured pairs,
and prints the median of the per-pair ratios A/B (wall time) - robust to a shared, noisy
machine where absolute seconds are not. Comparisons:

  flake8    flake8 with lora-lint installed vs without it (two virtualenvs, same flake8, same
            files: the transformers tree), ``flake8 --isolated --select=E9``: the cheapest
            flake8 run, so lora-lint's share is as large as it can be
  check     ``lora-lint check`` vs ``ast.parse`` of every file (the whole corpus, 2 jobs each)
  perfile   per file with LoRA code: lora-lint's analysis vs a bare LibCST parse plus the
            metadata it needs (in one process, alternating per file)
  fix       ``lora-lint fix`` serial (-j 1) vs parallel (-j 2) on many copies of training scripts

The corpus comes from benchmarks/get-corpus.sh (run automatically when missing); virtualenvs
are kept beside it ($LORA_LINT_CORPUS or ~/.cache/lora-lint-corpus).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, List, Sequence, Tuple

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BASE = Path(os.environ.get("LORA_LINT_CORPUS") or Path.home() / ".cache" / "lora-lint-corpus")
CORPUS = BASE / "corpus"
TRANSFORMERS = CORPUS / "transformers-5.23.0"
QUICK_TRANSFORMERS = [TRANSFORMERS / "src/transformers" / name
                      for name in ("integrations", "generation", "pipelines", "trainer.py")]


def log(message: str) -> None:
    print(message, flush=True)


def ensure_corpus() -> None:
    if not TRANSFORMERS.is_dir():
        log(f"fetching the corpus into {BASE} ...")
        subprocess.run(["bash", str(HERE / "get-corpus.sh"), str(BASE)], check=True,
                       env={**os.environ, "PYTHON": sys.executable})


def flake8_version() -> str:
    from importlib.metadata import version

    return version("flake8")


def ensure_venvs() -> Tuple[Path, Path]:
    """(venv without lora-lint, venv with it), same Python and flake8."""
    plain, lora = BASE / "venvs" / "flake8-plain", BASE / "venvs" / "flake8-lora-lint"
    pin = f"flake8=={flake8_version()}"
    for venv, packages in ((plain, [pin]), (lora, [pin, "-e", str(REPO)])):
        python = venv / "bin" / "python"
        if not python.exists():
            log(f"creating {venv} ...")
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            subprocess.run([str(python), "-m", "pip", "install", "--quiet", *packages],
                           check=True)
    # the lora venv installs this checkout in editable mode: it always runs the current code
    return plain, lora


def timed(command: Sequence[str], cwd: Path = REPO) -> float:
    start = time.perf_counter()
    result = subprocess.run(list(command), cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1):
        raise SystemExit(f"command failed ({result.returncode}): {' '.join(command)}\n"
                         f"{result.stderr[-2000:]}")
    return elapsed


def paired(name: str, a: Callable[[], float], b: Callable[[], float], pairs: int) -> dict:
    """Alternate A and B; drop the first (warm-up) pair; median of per-pair ratios."""
    rows = []
    for index in range(pairs + 1):
        seconds_a, seconds_b = a(), b()
        label = "warm-up" if index == 0 else f"pair {index}"
        log(f"  {name} {label}: A {seconds_a:.2f}s  B {seconds_b:.2f}s  "
            f"A/B {seconds_a / seconds_b:.3f}")
        if index:
            rows.append((seconds_a, seconds_b))
    ratio = statistics.median(a_s / b_s for a_s, b_s in rows)
    result = {"name": name, "a": statistics.median(r[0] for r in rows),
              "b": statistics.median(r[1] for r in rows), "ratio": ratio, "pairs": len(rows)}
    log(f"{name}: median A {result['a']:.2f}s, B {result['b']:.2f}s, "
        f"median ratio A/B = {ratio:.3f} ({len(rows)} pairs)")
    return result


def bench_flake8(pairs: int, quick: bool) -> dict:
    plain, lora = ensure_venvs()
    targets = [str(p) for p in (QUICK_TRANSFORMERS if quick else [TRANSFORMERS])]
    options = ["--isolated", "--select=E9", "--jobs=2"]
    return paired("flake8 with lora-lint / without",
                  lambda: timed([str(lora / "bin" / "flake8"), *options, *targets]),
                  lambda: timed([str(plain / "bin" / "flake8"), *options, *targets]), pairs)


def check_command(lora: Path) -> List[str]:
    script = lora / "bin" / "lora-lint"
    if script.exists():
        return [str(script), "check", "--isolated", "--exit-zero", "-j", "2"]
    log("  (lora-lint console script not installed: measuring engine.analyse_source instead)")
    return [str(lora / "bin" / "python"), str(HERE / "measure.py"), "check", "-j", "2"]


def bench_check(pairs: int, quick: bool, whole: bool) -> dict:
    _, lora = ensure_venvs()
    python = str(lora / "bin" / "python")
    if quick:
        targets = [str(p) for p in QUICK_TRANSFORMERS]
        name = "lora-lint check / ast.parse (transformers subset)"
    elif whole:
        targets = [str(p) for p in sorted(CORPUS.iterdir())]
        name = "lora-lint check / ast.parse (whole corpus)"
    else:
        targets = [str(TRANSFORMERS)]
        name = "lora-lint check / ast.parse (transformers)"
    return paired(name,
                  lambda: timed([*check_command(lora), *targets]),
                  lambda: timed([python, str(HERE / "measure.py"), "ast", "-j", "2", *targets]),
                  pairs)


def lora_files(limit: int) -> List[Path]:
    """Corpus files with LoRA code (recognised calls), smallest first, spread over packages."""
    sys.path.insert(0, str(REPO))
    from lora_lint_plugin.prefilter import (
        has_candidate_call,
        might_contain_training_code,
        parse_for_prefilter,
    )

    found = []
    for path in sorted(CORPUS.rglob("*.py")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if might_contain_training_code(text) and has_candidate_call(parse_for_prefilter(text)[0]):
            found.append(path)
    if limit and len(found) > limit:
        step = len(found) / limit
        found = [found[int(i * step)] for i in range(limit)]
    return found


def bench_perfile(pairs: int, limit: int) -> dict:
    """Sum over files of (lora-lint analysis) vs (LibCST parse + metadata), alternating."""
    import libcst as cst
    from libcst.metadata import (
        MetadataWrapper,
        ParentNodeProvider,
        PositionProvider,
        QualifiedNameProvider,
        ScopeProvider,
    )

    from lora_lint_plugin.engine import analyse_source

    files = [(p, p.read_text(encoding="utf-8", errors="replace")) for p in lora_files(limit)]
    log(f"  {len(files)} files with LoRA code, {sum(t.count(chr(10)) for _, t in files)} lines")

    def lora_lint() -> float:
        start = time.perf_counter()
        for _, text in files:
            analyse_source(text)
        return time.perf_counter() - start

    def baseline() -> float:
        start = time.perf_counter()
        for _, text in files:
            wrapper = MetadataWrapper(cst.parse_module(text), unsafe_skip_copy=True)
            wrapper.resolve_many([QualifiedNameProvider, ScopeProvider, PositionProvider,
                                  ParentNodeProvider])
        return time.perf_counter() - start

    return paired("lora-lint analysis / LibCST parse+metadata (LoRA files)",
                  lora_lint, baseline, pairs)


TRAINING_SCRIPT = '''\
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM
from trl import SFTConfig, SFTTrainer

MODEL = "meta-llama/Meta-Llama-3-8B-Instruct"
model = AutoModelForCausalLM.from_pretrained(MODEL)
config = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05,
                    target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "embed_tokens",
                                    "q_proj"])
model = get_peft_model(model, config)
args = SFTConfig(output_dir="out", per_device_train_batch_size=4, max_seq_length=2048)
trainer = SFTTrainer(model=model, args=args, train_dataset=None)
trainer.train()
'''


def bench_fix(pairs: int, copies: int) -> dict:
    _, lora = ensure_venvs()
    script = lora / "bin" / "lora-lint"
    work = Path(tempfile.mkdtemp(prefix="lora-lint-fix-bench-"))

    def fresh() -> None:
        shutil.rmtree(work / "tree", ignore_errors=True)
        (work / "tree").mkdir()
        for index in range(copies):
            (work / "tree" / f"train_{index:04d}.py").write_text(TRAINING_SCRIPT, encoding="utf-8")

    def run(jobs: int) -> float:
        fresh()
        if script.exists():
            command = [str(script), "fix", "--isolated", "--exit-zero", "-j", str(jobs),
                       str(work / "tree")]
        else:
            command = [str(lora / "bin" / "python"), str(HERE / "measure.py"), "fix",
                       "-j", str(jobs), str(work / "tree")]
        return timed(command)

    try:
        return paired(f"lora-lint fix -j1 / -j2 ({copies} scripts)", lambda: run(1),
                      lambda: run(2), pairs)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description="lora-lint paired benchmarks")
    parser.add_argument("--only", default="flake8,check,perfile,fix",
                        help="comma-separated: flake8, check, check-whole, perfile, fix")
    parser.add_argument("--pairs", type=int, default=None, help="measured pairs (default 3)")
    parser.add_argument("--quick", action="store_true", help="small trees, 2 pairs")
    parser.add_argument("--perfile-files", type=int, default=40,
                        help="files with LoRA code in the per-file comparison (0 = all)")
    parser.add_argument("--fix-copies", type=int, default=200)
    args = parser.parse_args(argv)
    pairs = args.pairs or (2 if args.quick else 3)
    ensure_corpus()
    log(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, flake8 {flake8_version()}, load "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    results = []
    for part in args.only.split(","):
        part = part.strip()
        if part == "flake8":
            results.append(bench_flake8(pairs, args.quick))
        elif part == "check":
            results.append(bench_check(pairs, args.quick, whole=False))
        elif part == "check-whole":
            results.append(bench_check(pairs, args.quick, whole=True))
        elif part == "perfile":
            results.append(bench_perfile(pairs, 10 if args.quick else args.perfile_files))
        elif part == "fix":
            results.append(bench_fix(pairs, 40 if args.quick else args.fix_copies))
        else:
            parser.error(f"unknown benchmark {part!r}")
    log("\n| comparison (A / B) | A median s | B median s | median ratio |")
    log("|---|---:|---:|---:|")
    for row in results:
        log(f"| {row['name']} | {row['a']:.2f} | {row['b']:.2f} | {row['ratio']:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
