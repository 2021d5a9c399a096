"""lora-lint benchmarks: paired A/B ratios on the real corpus. One command:

    python benchmarks/run.py               # everything (about 30-40 minutes on 2 cores)
    python benchmarks/run.py --quick       # smaller trees, 2 measured pairs (a few minutes)
    python benchmarks/run.py --only flake8,check

Each comparison runs "A; B" alternately, 1 warm-up pair (dropped) + ``--pairs`` measured pairs,
and prints the median of the per-pair ratios A/B (wall time) - robust to a shared, noisy
machine where absolute seconds are not. Comparisons:

  flake8    flake8 with lora-lint installed vs without it (two virtualenvs, same flake8, same
            files: the transformers tree), ``flake8 --isolated --select=E9``: the cheapest
            flake8 run, so lora-lint's share is as large as it can be; plus, in one process,
            the plugin's ``run()`` on every file vs ``ast.parse`` of it (the added CPU,
            without the run-to-run noise of whole flake8 runs)
  check     ``lora-lint check`` vs ``ast.parse`` of every file (the whole corpus, 2 jobs each)
  perfile   per file with LoRA code, in one process: lora-lint's analysis (it runs on ``ast``
            and needs no LibCST metadata) vs a bare LibCST parse, and vs ``ast.parse``; and a
            fix (analysis, LibCST parse + PositionProvider to find the edited nodes, rewrite,
            re-analysis) vs the LibCST parse + PositionProvider it needs, on training
            scripts with fixable findings
  scaling   analysis of a script with 2,000 training setups vs 4 x one with 500 (linear = 1)
  fix       ``lora-lint fix`` serial (-j 1) vs parallel (-j 2) on many copies of training scripts
  save      what an editor pays per save: a fresh ``flake8`` process on one training script with
            lora-lint registered vs without it (same interpreter, same flake8, bytecode cached
            as in an installed package), in wall time and in the process's CPU time; and, in
            one process, the plugin's milliseconds on the first training script and on each
            further one
  dense     code where nearly every file uses PEFT (PEFT's own tree, tests included): the
            plugin's ``run()`` vs ``ast.parse`` in one process, and whole flake8 runs with and
            without lora-lint

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
from typing import Callable, List, Optional, Sequence, Tuple

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BASE = Path(os.environ.get("LORA_LINT_CORPUS") or Path.home() / ".cache" / "lora-lint-corpus")
CORPUS = BASE / "corpus"
TRANSFORMERS = CORPUS / "transformers-5.23.0"
PEFT = CORPUS / "peft-0.21.2"
# A typical Unsloth training script (Unsloth's Alpaca notebook as a script) and the project's
# own training scripts: what an editor lints on every save.
SAVE_SCRIPT = REPO / "tests" / "data" / "scripts" / "unsloth_alpaca_notebook.py"
TRAINING_SCRIPTS = sorted((REPO / "tests" / "data" / "scripts").glob("*.py")) + \
    sorted((REPO / "examples").glob("*.py"))
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


def this_checkout_env(extra: Sequence[Path] = ()) -> dict:
    """The environment of measured commands: this checkout first on the path (also in a venv
    whose editable install points elsewhere), bytecode cached like an installed package's
    (kept out of the tree, so ``PYTHONDONTWRITEBYTECODE`` cannot make every run compile)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), *map(str, extra)]),
           "PYTHONPYCACHEPREFIX": str(BASE / "pycache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def timed(command: Sequence[str], cwd: Path = REPO, env: Optional[dict] = None) -> float:
    start = time.perf_counter()
    result = subprocess.run(list(command), cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True,
                            env=env if env is not None else this_checkout_env())
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1):
        raise SystemExit(f"command failed ({result.returncode}): {' '.join(command)}\n"
                         f"{result.stderr[-2000:]}")
    return elapsed


def cpu_timed(command: Sequence[str], cwd: Path = REPO, env: Optional[dict] = None) -> float:
    """The CPU seconds (user + system) of the command's process and its children: unlike wall
    time, barely moved by the other processes sharing the machine's cores."""
    import resource  # POSIX only, like the rest of these benchmarks

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    timed(command, cwd, env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


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


def bench_flake8(pairs: int, quick: bool, roots: Optional[List[Path]] = None,
                 label: str = "transformers") -> dict:
    plain, lora = ensure_venvs()
    targets = [str(p) for p in (roots or (QUICK_TRANSFORMERS if quick else [TRANSFORMERS]))]
    options = ["--isolated", "--select=E9", "--jobs=2"]
    return paired(f"flake8 with lora-lint / without ({label})",
                  lambda: timed([str(lora / "bin" / "flake8"), *options, *targets]),
                  lambda: timed([str(plain / "bin" / "flake8"), *options, *targets]), pairs)


def bench_plugin_in_process(pairs: int, quick: bool, roots: Optional[List[Path]] = None,
                            label: str = "transformers") -> dict:
    """The plugin's own work per file (flake8 hands it the tree) vs ``ast.parse`` of the file.

    flake8's wall time on a 2-core VM varies by a few percent between identical runs, more
    than lora-lint adds; this in-process ratio shows the added CPU without that noise.
    """
    import ast
    import tokenize

    from lora_lint_plugin.flake8_plugin import LoraLintPlugin

    roots = roots or (QUICK_TRANSFORMERS if quick else [TRANSFORMERS])
    files = []
    for root in roots:
        paths = [root] if root.is_file() else sorted(root.rglob("*.py"))
        for path in paths:
            with tokenize.open(path) as handle:
                lines = handle.readlines()
            try:
                ast.parse("".join(lines))
            except (SyntaxError, ValueError):
                continue
            files.append((str(path), lines))

    # Trees are built per file and dropped (keeping thousands alive would slow every parse
    # through the garbage collector); only the measured part is timed.
    def plugin() -> float:
        elapsed = 0.0
        for path, lines in files:
            tree = ast.parse("".join(lines))
            start = time.perf_counter()
            for _ in LoraLintPlugin(tree, lines, path).run():
                pass
            elapsed += time.perf_counter() - start
        return elapsed

    def parse() -> float:
        elapsed = 0.0
        for _, lines in files:
            text = "".join(lines)
            start = time.perf_counter()
            ast.parse(text)
            elapsed += time.perf_counter() - start
        return elapsed

    log(f"  {len(files)} files")
    return paired(f"flake8 plugin run() / ast.parse, in process ({label})", plugin, parse, pairs)


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
    from lora_lint_plugin.analysis.prefilter import has_candidate_call, might_contain_training_code, \
        parse_python

    found = []
    for path in sorted(CORPUS.rglob("*.py")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if not might_contain_training_code(text):
            continue
        tree = parse_python(text)[0]
        if tree is not None and has_candidate_call(tree):
            found.append(path)
    if limit and len(found) > limit:
        step = len(found) / limit
        found = [found[int(i * step)] for i in range(limit)]
    return found


def _each(texts: Sequence[str], work: Callable[[str], object]) -> Callable[[], float]:
    def run() -> float:
        start = time.perf_counter()
        for text in texts:
            work(text)
        return time.perf_counter() - start
    return run


def bench_perfile(pairs: int, limit: int) -> List[dict]:
    """Sums over files of lora-lint's work vs the parse (+ metadata) it needs, alternating."""
    import ast

    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    from lora_lint_plugin.analysis.engine import analyse_source
    from lora_lint_plugin.fixing.fixes import fix_source

    texts = [p.read_text(encoding="utf-8", errors="replace") for p in lora_files(limit)]
    log(f"  {len(texts)} files with LoRA code, {sum(t.count(chr(10)) for t in texts)} lines")
    analysis = _each(texts, analyse_source)
    results = [
        paired("lora-lint analysis / bare LibCST parse (LoRA files)", analysis,
               _each(texts, cst.parse_module), pairs),
        paired("lora-lint analysis / ast.parse (LoRA files)", analysis,
               _each(texts, ast.parse), pairs),
    ]
    scripts = [TRAINING_SCRIPT.replace('"out"', f'"out{index}"') for index in range(50)]
    scripts += [path.read_text(encoding="utf-8") for path in sorted((REPO / "examples").glob("*.py"))]
    scripts += [path.read_text(encoding="utf-8")
                for path in sorted((REPO / "tests" / "data" / "scripts").glob("*.py"))]
    log(f"  {len(scripts)} training scripts with findings for the fix comparison")

    def parse_with_positions(text: str) -> object:
        return MetadataWrapper(cst.parse_module(text), unsafe_skip_copy=True).resolve(
            PositionProvider)

    results.append(paired("lora-lint fix / LibCST parse+PositionProvider (training scripts)",
                          _each(scripts, lambda text: fix_source(text, analyse_source)),
                          _each(scripts, parse_with_positions), pairs))
    return results


def bench_scaling(pairs: int) -> dict:
    """A script with 2,000 training setups vs 4 x one with 500: ~1 when the analysis is
    linear in the file (~4 would mean quadratic). Every setup rebinds the same names
    (``model``, ``args``, ``trainer``) and draws findings from most rule families: name
    resolution used to look at every binding for every use, and some rules at every call
    for every setup."""
    from lora_lint_plugin.analysis.engine import analyse_source

    def script(setups: int) -> str:
        return (
            "from unsloth import FastLanguageModel\n"
            "from trl import SFTConfig, SFTTrainer\n" + "".join(
                f"model, tokenizer = FastLanguageModel.from_pretrained("
                f"'unsloth/llama-3-8b-bnb-4bit', max_seq_length={2048 + index})\n"
                f"model = FastLanguageModel.get_peft_model(model, r=16, target_modules=["
                f"'q_proj', 'embed_tokens', 'q_proj'], use_gradient_checkpointing=False)\n"
                f"args = SFTConfig(output_dir='out{index}', max_seq_length=8192, "
                f"fp16=True, bf16=True)\n"
                f"trainer = SFTTrainer(model=model, args=args, tokenizer=tokenizer)\n"
                for index in range(setups)))

    small, large = script(500), script(2000)
    return paired("analysis of 2,000 setups / 4 x 500 (linear = 1)",
                  _each([large], analyse_source), _each([small] * 4, analyse_source), pairs)


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


def registered_plugin_dir() -> Path:
    """A folder that registers this checkout's flake8 entry point (a ``.dist-info`` with the
    ``LOR`` entry point) for an interpreter that has it on its path: the plain venv with and
    without it is the same interpreter and flake8, differing only in lora-lint."""
    folder = BASE / "registered-lora-lint"
    info = folder / "lora_lint_plugin-0.0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: lora-lint-plugin\nVersion: 0.0\n",
                                   encoding="utf-8")
    (info / "entry_points.txt").write_text(
        "[flake8.extension]\nLOR = lora_lint_plugin.flake8_plugin:LoraLintPlugin\n", encoding="utf-8")
    return folder


_DO_NOTHING_PLUGIN = """class Plugin:
    name = "do-nothing"
    version = "0.0"

    def __init__(self, tree):
        self.tree = tree

    def run(self):
        return iter(())
"""


def do_nothing_plugin_dir() -> Path:
    """A flake8 plugin that reports nothing, registered like lora-lint: what flake8 itself
    charges for any third-party plugin (reading its metadata, loading and running it)."""
    folder = BASE / "registered-do-nothing"
    info = folder / "do_nothing_plugin-0.0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: do-nothing-plugin\nVersion: 0.0\n",
                                   encoding="utf-8")
    (info / "entry_points.txt").write_text("[flake8.extension]\nDNP = do_nothing_plugin:Plugin\n",
                                           encoding="utf-8")
    (folder / "do_nothing_plugin.py").write_text(_DO_NOTHING_PLUGIN, encoding="utf-8")
    return folder


def ensure_dependencies_venv() -> Path:
    """flake8 and lora-lint's dependencies, without lora-lint: the per-save comparison runs
    this interpreter with and without the plugin registered, so only lora-lint differs."""
    import tomllib

    venv = BASE / "venvs" / "flake8-lora-lint-dependencies"
    python = venv / "bin" / "python"
    if not python.exists():
        with open(REPO / "pyproject.toml", "rb") as handle:
            dependencies = tomllib.load(handle)["project"]["dependencies"]
        log(f"creating {venv} ...")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet",
                        f"flake8=={flake8_version()}", *dependencies], check=True)
    return venv


def bench_save(pairs: int, script: Path) -> List[dict]:
    """Per save: a fresh flake8 process on one training script, with lora-lint / without."""
    venv = ensure_dependencies_venv()
    flake8 = [str(venv / "bin" / "flake8"), "--isolated", str(script)]
    empty = BASE / "registered-nothing"
    empty.mkdir(parents=True, exist_ok=True)
    with_env = this_checkout_env([registered_plugin_dir()])
    without_env = {**this_checkout_env([empty]), "PYTHONPATH": str(empty)}
    check = subprocess.run([*flake8, "--select=LOR"], capture_output=True, text=True, env=with_env)
    if " LOR" not in check.stdout and " LOR" not in check.stderr or "LOR000" in check.stdout:
        raise SystemExit(f"lora-lint did not run as a flake8 plugin:\n{check.stdout}{check.stderr}")
    do_nothing_env = {**this_checkout_env([do_nothing_plugin_dir()]),
                      "PYTHONPATH": str(do_nothing_plugin_dir())}
    log(f"  {script.relative_to(REPO)}, {script.read_text(encoding='utf-8').count(chr(10))} lines")
    results = [paired(f"fresh flake8 process per save, with lora-lint / without ({script.name})",
                      lambda: timed(flake8, env=with_env),
                      lambda: timed(flake8, env=without_env), max(pairs, 15)),
               # the same run's floor: flake8's own price for a plugin that does nothing
               paired(f"fresh flake8 process per save, a do-nothing plugin / without ({script.name})",
                      lambda: timed(flake8, env=do_nothing_env),
                      lambda: timed(flake8, env=without_env), max(pairs, 15)),
               # the same in process CPU time (the load of a shared machine moves wall time most)
               paired(f"fresh flake8 process per save, with lora-lint / without, CPU time ({script.name})",
                      lambda: cpu_timed(flake8, env=with_env),
                      lambda: cpu_timed(flake8, env=without_env), max(pairs, 15)),
               paired(f"fresh flake8 process per save, a do-nothing plugin / without, CPU time ({script.name})",
                      lambda: cpu_timed(flake8, env=do_nothing_env),
                      lambda: cpu_timed(flake8, env=without_env), max(pairs, 15))]
    results.append(bench_warm_files(pairs))
    return results


_WARM_PROBE = """
import ast, io, statistics, sys, time, tokenize
# what a flake8 process has loaded (and compiled) before it loads plugins and runs them
import flake8.checker, flake8.main.application, flake8.style_guide
list(tokenize.generate_tokens(io.StringIO("x = 1\\n").readline))
start = time.perf_counter()
from lora_lint_plugin.flake8_plugin import LoraLintPlugin
imported = time.perf_counter() - start
times = []
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as handle:
        lines = handle.readlines()
    tree = ast.parse("".join(lines))
    start = time.perf_counter()
    reports = list(LoraLintPlugin(tree, lines, path).run())
    times.append(time.perf_counter() - start)
print(imported, times[0], statistics.median(times[1:]), max(times[1:]))
"""


def bench_warm_files(rounds: int) -> dict:
    """In one fresh process per round, after importing what flake8 has loaded before its plugins
    (so that only lora-lint's own share is timed): the import of the plugin's module (what
    flake8 loads for every run), its time on the first training script (the analysis' and rules' imports, the
    catalog) and the median over the others (what each further save costs in a
    long-lived flake8, e.g. VS Code's flake8 extension)."""
    _, lora = ensure_venvs()
    files = [str(SAVE_SCRIPT)] + [str(p) for p in TRAINING_SCRIPTS if p != SAVE_SCRIPT]
    rows = []
    for index in range(rounds + 1):
        result = subprocess.run([str(lora / "bin" / "python"), "-c", _WARM_PROBE, *files],
                                capture_output=True, text=True, check=True, env=this_checkout_env())
        imported, first, median, worst = (float(x) for x in result.stdout.split())
        log(f"  {'warm-up' if index == 0 else f'round {index}'}: plugin module import "
            f"{imported * 1000:.1f} ms, first file {first * 1000:.1f} ms, further files median "
            f"{median * 1000:.2f} ms (max {worst * 1000:.2f} ms)")
        if index:
            rows.append((imported, first, median))
    imported = statistics.median(r[0] for r in rows)
    first = statistics.median(r[1] for r in rows)
    further = statistics.median(r[2] for r in rows)
    log(f"plugin in one process: module import {imported * 1000:.1f} ms, first training script "
        f"{first * 1000:.1f} ms, each further one {further * 1000:.2f} ms (median of {len(rows)} "
        f"rounds, {len(files) - 1} further scripts)")
    return {"name": "plugin ms: first training script (A) / each further one (B)", "a": first,
            "b": further, "ratio": first / further, "pairs": len(rows)}


def bench_dense(pairs: int) -> List[dict]:
    """PEFT's own tree (library and tests: LoraConfig in nearly every file)."""
    return [bench_plugin_in_process(pairs, False, [PEFT], "PEFT"),
            bench_flake8(pairs, False, [PEFT], "PEFT")]


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description="lora-lint paired benchmarks")
    parser.add_argument("--only", default="flake8,check,check-whole,perfile,scaling,fix,save,dense",
                        help="comma-separated: flake8 (includes plugin), plugin, check, "
                             "check-whole, perfile, scaling, fix, save, dense")
    parser.add_argument("--save-script", type=Path, default=SAVE_SCRIPT,
                        help="the training script of the per-save comparison")
    parser.add_argument("--pairs", type=int, default=None, help="measured pairs (default 3)")
    parser.add_argument("--quick", action="store_true", help="small trees, 2 pairs")
    parser.add_argument("--perfile-files", type=int, default=0,
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
            results.append(bench_plugin_in_process(pairs, args.quick))
        elif part == "plugin":
            results.append(bench_plugin_in_process(pairs, args.quick))
        elif part == "check":
            results.append(bench_check(pairs, args.quick, whole=False))
        elif part == "check-whole":
            results.append(bench_check(pairs, args.quick, whole=True))
        elif part == "scaling":
            results.append(bench_scaling(pairs))
        elif part == "perfile":
            results.extend(bench_perfile(pairs, 10 if args.quick else args.perfile_files))
        elif part == "fix":
            results.append(bench_fix(pairs, 40 if args.quick else args.fix_copies))
        elif part == "save":
            results.extend(bench_save(pairs, args.save_script.resolve()))
        elif part == "dense":
            results.extend(bench_dense(pairs))
        else:
            parser.error(f"unknown benchmark {part!r}")
    log("\n| comparison (A / B) | A median s | B median s | median ratio |")
    log("|---|---:|---:|---:|")
    for row in results:
        log(f"| {row['name']} | {row['a']:.2f} | {row['b']:.2f} | {row['ratio']:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
