"""lora-lint benchmarks: paired A/B ratios on the real corpus. One command:

    python benchmarks/run.py               # everything (about 30-40 minutes on 2 cores)
    python benchmarks/run.py --quick       # smaller trees, 2 measured pairs (a few minutes)
    python benchmarks/run.py --only flake8,check
    python benchmarks/run.py --only save,dense,flake8 --instructions --pairs 5 --json out.json

Each comparison runs "A; B" alternately, 1 warm-up pair (dropped) + ``--pairs`` measured pairs,
and prints the median of the per-pair ratios A/B - robust to a shared, noisy machine where
absolute seconds are not. Whole processes are measured in wall time and in CPU time (user +
system of the process and the children it waited for, e.g. flake8's ``--jobs`` workers) from
the same runs; in-process work in wall time and ``time.process_time``. Comparisons:

  flake8    flake8 with lora-lint registered vs not (ONE interpreter and flake8: the venv with
            flake8 and lora-lint's dependencies, with or without the folder on ``PYTHONPATH``
            that registers the ``LOR`` entry point, as ``save``; same files: the transformers
            tree), ``flake8 --isolated --select=E9 --jobs=2``: the cheapest flake8 run, so
            lora-lint's share is as large as it can be; plus, in one process, the plugin's
            ``run()`` on every file vs ``ast.parse`` of it (the added CPU, without the
            run-to-run noise of whole flake8 runs)
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
            as in an installed package); and, in one process, the plugin's milliseconds on the
            first training script and on each further one
  dense     code where nearly every file uses PEFT (PEFT's own tree, tests included): the
            plugin's ``run()`` vs ``ast.parse`` in one process, and whole flake8 runs with and
            without lora-lint

Not in the default set (``--instructions`` adds the first three after ``save``, ``dense`` and
``flake8``):

  save-instructions   the ``save`` processes counted in instructions by cachegrind
                      (``--cache-sim=no``: deterministic for a given ``PYTHONHASHSEED``; the
                      mean over ``--seeds``), a do-nothing plugin as the floor
  dense-instructions  ``dense``'s run() / ast.parse in instructions: one script that reads
                      PEFT's files; reads and parses them; and also runs the plugin
  flake8-instructions the ``flake8`` comparison in instructions, parent and ``--jobs`` workers
                      summed, on every 20th file of transformers and every 2nd of PEFT
                      (``every_nth_file``; a whole tree under valgrind takes ~30x its CPU)
  cpu-check           one flake8 ``--jobs=2`` run measured by this script's ``os.wait4`` and,
                      at once, by ``/usr/bin/time`` and ``perf stat``: the CPU time counts
                      the workers

The corpus comes from benchmarks/get-corpus.sh (run automatically when missing); virtualenvs
are kept beside it ($LORA_LINT_CORPUS or ~/.cache/lora-lint-corpus).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

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


Run = Tuple[float, float]  # (wall seconds, CPU seconds) of one run


def run_measured(command: Sequence[str], cwd: Path = REPO, env: Optional[dict] = None) -> Run:
    """Wall time and CPU time (user + system) of one run of ``command``.

    The CPU time comes from ``os.wait4``: the process's own and that of every descendant it
    waited for. flake8 ``--jobs`` forks a ``multiprocessing.Pool`` and joins its workers
    before it exits, so they are counted (``--only cpu-check`` compares it with
    ``/usr/bin/time`` and ``perf stat``). Other processes sharing the machine's cores move
    CPU time much less than wall time.
    """
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen(list(command), cwd=cwd, stdout=subprocess.DEVNULL, stderr=errors,
                                   env=env if env is not None else this_checkout_env())
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode not in (0, 1):
            errors.seek(0)
            raise SystemExit(f"command failed ({process.returncode}): {' '.join(command)}\n"
                             f"{errors.read()[-2000:].decode(errors='replace')}")
    return elapsed, usage.ru_utime + usage.ru_stime


def timed(command: Sequence[str], cwd: Path = REPO, env: Optional[dict] = None) -> float:
    return run_measured(command, cwd, env)[0]


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def paired_runs(names: Sequence[str], a: Callable[[], Sequence[float]],
                b: Callable[[], Sequence[float]], pairs: int,
                units: Sequence[str] = ()) -> List[dict]:
    """Alternate A and B, B first in every other pair (a run right after the other one meets
    warmer or busier caches: always A first would bias the ratio); drop the first (warm-up)
    pair; per measure (each run may give several, e.g. wall and CPU time of the same process:
    ``names`` has one row name per measure), the median of the per-pair ratios A/B."""
    units = list(units) or ["s"] * len(names)
    load_start = load()
    rows: List[List[Tuple[float, float]]] = [[] for _ in names]
    pair_loads: List[float] = []  # the 1-minute load average after each measured pair
    for index in range(pairs + 1):
        if index % 2:
            measures_b = b()
            measures_a = a()
        else:
            measures_a, measures_b = a(), b()
        label = "warm-up" if index == 0 else f"pair {index}{' (B first)' if index % 2 else ''}"
        log(f"  {label}: " + "; ".join(
            f"{name.split(', ')[-1] if len(names) > 1 else name} A {x:.2f}{unit} B {y:.2f}{unit} "
            f"A/B {x / y:.3f}" for name, unit, x, y in zip(names, units, measures_a, measures_b))
            + f"; load {os.getloadavg()[0]:.1f}")
        if index:
            pair_loads.append(round(os.getloadavg()[0], 1))
            for measure, pair in enumerate(zip(measures_a, measures_b)):
                rows[measure].append(pair)
    results = []
    for name, unit, measured in zip(names, units, rows):
        ratio = statistics.median(a_s / b_s for a_s, b_s in measured)
        result: Dict[str, Any] = {
            "name": name, "a": statistics.median(r[0] for r in measured),
            "b": statistics.median(r[1] for r in measured), "unit": unit, "ratio": ratio,
            "ratios": sorted(round(a_s / b_s, 3) for a_s, b_s in measured),
            "pairs": len(measured), "load": load(), "load_start": load_start,
            "pair_loads": pair_loads}
        log(f"{name}: median A {result['a']:.2f}{unit}, B {result['b']:.2f}{unit}, "
            f"median ratio A/B = {ratio:.3f} ({len(measured)} pairs; "
            f"{result['ratios'][0]:.3f}-{result['ratios'][-1]:.3f}; load {load_start} -> {result['load']})")
        results.append(result)
    return results


def paired(name: str, a: Callable[[], float], b: Callable[[], float], pairs: int) -> dict:
    """Alternate A and B; drop the first (warm-up) pair; median of per-pair ratios."""
    return paired_runs([name], lambda: (a(),), lambda: (b(),), pairs)[0]


def paired_wall_cpu(name: str, a: Sequence[str], b: Sequence[str], pairs: int,
                    env_a: Optional[dict] = None, env_b: Optional[dict] = None) -> List[dict]:
    """Two commands run alternately; rows for their wall time and their CPU time, same runs."""
    return paired_runs([f"{name}, wall time", f"{name}, CPU time"],
                       lambda: run_measured(a, env=env_a), lambda: run_measured(b, env=env_b),
                       pairs)


FLAKE8_OPTIONS = ["--isolated", "--select=E9", "--jobs=2"]


def bench_flake8(pairs: int, quick: bool, roots: Optional[List[Path]] = None,
                 label: str = "transformers") -> List[dict]:
    """Whole flake8 runs with lora-lint registered / not, in ONE interpreter (the venv with flake8
    and lora-lint's dependencies, as ``save``): wall time and CPU time of the same runs (flake8
    and its ``--jobs`` workers). The two sides differ only in the folder on ``PYTHONPATH`` that
    registers the ``LOR`` entry point."""
    setup = registered_setup()
    targets = [str(p) for p in (roots or (QUICK_TRANSFORMERS if quick else [TRANSFORMERS]))]
    command = [*setup.flake8, *FLAKE8_OPTIONS, *targets]
    return paired_wall_cpu(f"flake8 with lora-lint registered / not, one interpreter ({label})",
                           command, command, pairs, setup.with_env, setup.without_env)


def bench_cpu_check(quick: bool) -> List[dict]:
    """Is the CPU time of ``run_measured`` the whole work of a flake8 ``--jobs=2`` run? One run
    with lora-lint on PEFT's tree (its two forked workers do nearly all the work), measured at
    once by ``os.wait4`` around and by a second program inside: GNU ``/usr/bin/time`` (the same
    kernel accounting, read by another program) and ``perf stat -e task-clock`` (counts every
    task forked from the command, waited for or not). A ratio near 1 says the workers are
    counted; without them it would be ~0.1."""
    setup = registered_setup()
    command = [*setup.flake8, *FLAKE8_OPTIONS, str(PEFT / "src" if quick else PEFT)]
    results = []
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report"
        checkers: List[Tuple[str, List[str], Callable[[str], float]]] = [
            ("/usr/bin/time", ["/usr/bin/time", "-o", str(report), "-f", "%U %S"],
             lambda text: sum(map(float, text.split()[-2:]))),
            ("perf stat task-clock", ["perf", "stat", "-x", ",", "-e", "task-clock", "-o", str(report)],
             lambda text: float(next(line for line in text.splitlines()
                                     if "task-clock" in line).split(",")[0]) / 1000)]
        for label, wrapper, read in checkers:
            if not shutil.which(wrapper[0]):
                log(f"  {label}: not available, skipped")
                continue
            try:
                elapsed, cpu = run_measured([*wrapper, *command], env=setup.with_env)
                theirs = read(report.read_text(encoding="utf-8"))
            except (SystemExit, ValueError, StopIteration) as error:
                log(f"  {label}: could not measure ({str(error)[:200]}), skipped")
                continue
            log(f"  one run: wall {elapsed:.2f}s, os.wait4 CPU {cpu:.2f}s, {label} {theirs:.2f}s")
            results.append({"name": f"CPU time check: os.wait4 / {label}, same flake8 --jobs=2 run (PEFT)",
                            "a": cpu, "b": theirs, "unit": "s", "ratio": cpu / theirs, "pairs": 1,
                            "load": load()})
    return results


def bench_plugin_in_process(pairs: int, quick: bool, roots: Optional[List[Path]] = None,
                            label: str = "transformers") -> List[dict]:
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
    # through the garbage collector); only the measured part is timed, in wall time and in
    # the process's CPU time (the steadier of the two on a shared machine).
    def plugin() -> Run:
        elapsed = cpu = 0.0
        for path, lines in files:
            tree = ast.parse("".join(lines))
            start, start_cpu = time.perf_counter(), time.process_time()
            for _ in LoraLintPlugin(tree, lines, path).run():
                pass
            elapsed += time.perf_counter() - start
            cpu += time.process_time() - start_cpu
        return elapsed, cpu

    def parse() -> Run:
        elapsed = cpu = 0.0
        for _, lines in files:
            text = "".join(lines)
            start, start_cpu = time.perf_counter(), time.process_time()
            ast.parse(text)
            elapsed += time.perf_counter() - start
            cpu += time.process_time() - start_cpu
        return elapsed, cpu

    log(f"  {len(files)} files")
    name = f"flake8 plugin run() / ast.parse, in process ({label})"
    return paired_runs([f"{name}, wall time", f"{name}, CPU time"], plugin, parse, pairs)


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
    from lora_lint_plugin.analysis.ast_parsing import parse_python
    from lora_lint_plugin.analysis.prefilter import has_candidate_call, might_contain_training_code

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


def installed_plugin_env() -> dict:
    """The plain venv with lora-lint as if installed in its site-packages: one folder with the
    package (a symbolic link to this checkout's) beside a ``.dist-info`` with the ``LOR`` entry
    point, and nothing else on the path. ``with_env`` has this checkout on the path beside the
    folder that registers it: every import of the process then searches one directory more than
    in ``without_env`` (~5 M instructions per fresh flake8, which an installed lora-lint does not
    cost), so ``save-instructions`` gives both. One folder per checkout."""
    folder = BASE / "installed-lora-lint" / hashlib.sha256(str(REPO).encode()).hexdigest()[:12]
    info = folder / "lora_lint_plugin-0.0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    for name in ("METADATA", "entry_points.txt"):
        shutil.copyfile(registered_plugin_dir() / "lora_lint_plugin-0.0.dist-info" / name, info / name)
    package, link = REPO / "lora_lint_plugin", folder / "lora_lint_plugin"
    if not link.is_symlink() or Path(os.readlink(link)) != package:
        link.unlink(missing_ok=True)
        with contextlib.suppress(FileExistsError):   # another run of this checkout made it
            link.symlink_to(package, target_is_directory=True)
    return {**this_checkout_env([folder]), "PYTHONPATH": str(folder)}


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


class RegisteredSetup(NamedTuple):
    """One interpreter and flake8 (the venv with flake8 and lora-lint's dependencies) and three
    environments that differ only in the folder on ``PYTHONPATH`` that registers a plugin."""

    flake8: List[str]
    with_env: dict  # this checkout's ``LOR`` entry point registered
    without_env: dict  # nothing registered
    do_nothing_env: dict  # a plugin that reports nothing registered


def registered_setup() -> RegisteredSetup:
    """The environments of every with / without comparison of whole flake8 processes: ``save``,
    ``flake8``, ``dense``'s flake8 rows and their instruction counts. Checked once: lora-lint
    must run as a plugin in ``with_env``."""
    venv = ensure_dependencies_venv()
    flake8 = [str(venv / "bin" / "flake8")]
    empty = BASE / "registered-nothing"
    empty.mkdir(parents=True, exist_ok=True)
    with_env = this_checkout_env([registered_plugin_dir()])
    without_env = {**this_checkout_env([empty]), "PYTHONPATH": str(empty)}
    check = subprocess.run([*flake8, "--isolated", "--select=LOR", str(SAVE_SCRIPT)],
                           capture_output=True, text=True, env=with_env)
    if " LOR" not in check.stdout and " LOR" not in check.stderr or "LOR000" in check.stdout:
        raise SystemExit(f"lora-lint did not run as a flake8 plugin:\n{check.stdout}{check.stderr}")
    do_nothing_env = {**this_checkout_env([do_nothing_plugin_dir()]),
                      "PYTHONPATH": str(do_nothing_plugin_dir())}
    return RegisteredSetup(flake8, with_env, without_env, do_nothing_env)


SaveSetup = Tuple[List[str], dict, dict, dict]


def save_setup(script: Path) -> SaveSetup:
    """The per-save command and its environments: lora-lint registered, nothing registered, a
    do-nothing plugin registered (one interpreter and flake8, differing only in the plugin)."""
    setup = registered_setup()
    flake8 = [*setup.flake8, "--isolated", str(script)]
    log(f"  {script.relative_to(REPO)}, {script.read_text(encoding='utf-8').count(chr(10))} lines")
    return flake8, setup.with_env, setup.without_env, setup.do_nothing_env


# Fresh-process pairs per save row at least: one ~0.1 s process's CPU time spreads by +-15 % on a
# shared virtual machine even at load < 1, and 15 pairs of the same code read 1.09 and 1.19
# (docs/performance.md, "Per save in CPU time"); ~100 pairs hold the median to ~0.01.
SAVE_PAIRS = 101


def bench_save(pairs: int, script: Path) -> List[dict]:
    """Per save: a fresh flake8 process on one training script, with lora-lint / without."""
    flake8, with_env, without_env, do_nothing_env = save_setup(script)
    results = paired_wall_cpu(f"fresh flake8 process per save, with lora-lint / without ({script.name})",
                              flake8, flake8, max(pairs, SAVE_PAIRS), with_env, without_env)
    # lora-lint as pip installs it (its package beside its .dist-info, no checkout on the path):
    # the first row's extra path entry costs every import of the process one more directory
    results += paired_wall_cpu(f"fresh flake8 process per save, lora-lint installed / without ({script.name})",
                               flake8, flake8, max(pairs, SAVE_PAIRS), installed_plugin_env(), without_env)
    # the same run's floor: flake8's own price for a plugin that does nothing
    results += paired_wall_cpu(f"fresh flake8 process per save, a do-nothing plugin / without ({script.name})",
                               flake8, flake8, max(pairs, SAVE_PAIRS), do_nothing_env, without_env)
    results += bench_warm_files(pairs)
    return results


class ProcessCount(NamedTuple):
    """One process's instructions, read from its cachegrind log."""

    pid: int
    parent_pid: int
    instructions: int


_LOG_PID = re.compile(r"^==(\d+)== ", re.MULTILINE)
_LOG_PARENT = re.compile(r"^==\d+== Parent PID: (\d+)", re.MULTILINE)
_LOG_REFS = re.compile(r"^==\d+== I\s+refs:\s+([\d,]+)", re.MULTILINE)


def read_cachegrind_log(text: str) -> Optional[ProcessCount]:
    """The count of one process's log (``--log-file=...%p``: one file per process, forked
    workers included), or None when the process did not finish (no ``I refs`` summary)."""
    pid, parent, refs = _LOG_PID.search(text), _LOG_PARENT.search(text), _LOG_REFS.findall(text)
    if pid is None or parent is None or len(refs) != 1:
        return None
    return ProcessCount(int(pid.group(1)), int(parent.group(1)), int(refs[0].replace(",", "")))


def parent_and_workers(counts: Sequence[ProcessCount]) -> Tuple[ProcessCount, List[ProcessCount]]:
    """The process valgrind started (the one whose parent is not among the counted processes)
    and every process it or its descendants started (flake8 ``--jobs``' forked workers)."""
    pids = {count.pid for count in counts}
    roots = [count for count in counts if count.parent_pid not in pids]
    if len(roots) != 1:
        raise ValueError(f"expected one root process among {sorted(pids)}, found {len(roots)}")
    return roots[0], [count for count in counts if count is not roots[0]]


def cachegrind_processes(command: Sequence[str], env: dict, seed: int) -> List[ProcessCount]:
    """Instructions executed by ``command`` and by every process it starts, one count per process
    (cachegrind without its cache simulation: the same count on every run for a given
    ``PYTHONHASHSEED``, whatever the machine's load). Forked processes (flake8 ``--jobs``'
    ``multiprocessing`` workers) are followed by valgrind anyway, ``--trace-children=yes`` adds
    the programs they ``exec``; each writes its own log file."""
    with tempfile.TemporaryDirectory() as folder:
        result = subprocess.run(
            ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--trace-children=yes",
             "--cachegrind-out-file=/dev/null", f"--log-file={folder}/cachegrind.%p", *command],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            env={**env, "PYTHONHASHSEED": str(seed)})
        logs = [log_file.read_text(errors="replace") for log_file in sorted(Path(folder).iterdir())]
    counts = [count for count in map(read_cachegrind_log, logs) if count is not None]
    if result.returncode not in (0, 1) or not counts or len(counts) != len(logs):
        raise SystemExit(f"cachegrind failed ({result.returncode}; {len(counts)} of {len(logs)} processes "
                         f"counted): {' '.join(command)}\n{result.stderr[-2000:]}")
    return counts


def cachegrind(command: Sequence[str], env: dict, seed: int) -> int:
    """Instructions executed by ``command`` and every process it starts, summed."""
    return sum(count.instructions for count in cachegrind_processes(command, env, seed))


def valgrind_missing() -> bool:
    if shutil.which("valgrind"):
        return False
    log("  SKIPPED: the instruction rows need valgrind on PATH (e.g. apt-get install valgrind)")
    return True


def instruction_row(name: str, a: Sequence[int], b: Sequence[int], seeds: Sequence[int]) -> dict:
    """A row like the timed ones: A and B in millions of instructions (mean over the seeds), the
    ratio of the totals, and the per-seed ratios as the range."""
    ratios = sorted(round(x / y, 3) for x, y in zip(a, b))
    result = {"name": f"{name}, instructions", "a": statistics.mean(a) / 1e6,
              "b": statistics.mean(b) / 1e6, "unit": "M", "ratio": sum(a) / sum(b),
              "ratios": ratios, "pairs": len(seeds), "load": load()}
    log(f"{result['name']}: A {result['a']:,.1f} M, B {result['b']:,.1f} M, ratio A/B = "
        f"{result['ratio']:.3f} (PYTHONHASHSEED {', '.join(map(str, seeds))}: "
        f"{', '.join(f'{r:.3f}' for r in ratios)})")
    return result


def bench_save_instructions(script: Path, seeds: Sequence[int]) -> List[dict]:
    """Per save in instructions: the same fresh flake8 processes as ``save``, each under
    cachegrind once per hash seed (~10 s a run), and lora-lint as installed
    (``installed_plugin_env``)."""
    if valgrind_missing():
        return []
    flake8, with_env, without_env, do_nothing_env = save_setup(script)
    installed_env = installed_plugin_env()
    environments = (("with", with_env), ("without", without_env), ("do-nothing", do_nothing_env),
                    ("installed", installed_env))
    for _, env in environments:
        timed(flake8, env=env)  # bytecode cached before counting, or lora-lint's compile is counted
    counts: Dict[str, List[int]] = {key: [] for key, _ in environments}
    for seed in seeds:
        for key, env in environments:
            counts[key].append(cachegrind(flake8, env, seed))
        log(f"  PYTHONHASHSEED={seed}: with lora-lint {counts['with'][-1] / 1e6:,.1f} M, without "
            f"{counts['without'][-1] / 1e6:,.1f} M, do-nothing plugin {counts['do-nothing'][-1] / 1e6:,.1f} M, "
            f"lora-lint installed {counts['installed'][-1] / 1e6:,.1f} M")
    log(f"  lora-lint's own: {(sum(counts['with']) - sum(counts['without'])) / len(seeds) / 1e6:,.1f} M")
    log(f"  lora-lint's own, installed: "
        f"{(sum(counts['installed']) - sum(counts['without'])) / len(seeds) / 1e6:,.1f} M")
    return [instruction_row(f"fresh flake8 process per save, with lora-lint / without ({script.name})",
                            counts["with"], counts["without"], seeds),
            instruction_row(f"fresh flake8 process per save, a do-nothing plugin / without ({script.name})",
                            counts["do-nothing"], counts["without"], seeds),
            instruction_row(f"fresh flake8 process per save, lora-lint installed / without ({script.name})",
                            counts["installed"], counts["without"], seeds)]


def every_nth_file(root: Path, step: int) -> List[Path]:
    """A deterministic subset of a tree: its ``.py`` files sorted by their path below ``root``
    (POSIX form, code-point order), then the ``step``-th, ``2 * step``-th, ... (every file for a
    step of 1). The same files on every machine that has the same tree."""
    if step < 1:
        raise ValueError(f"step must be >= 1, not {step}")
    files = sorted(root.rglob("*.py"), key=lambda path: path.relative_to(root).as_posix())
    return files[step - 1::step]


def ordinal(number: int) -> str:
    if number % 100 in (11, 12, 13):
        return f"{number}th"
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number % 10, 'th')}"


# flake8 over every N-th file of a tree under cachegrind: ~30x slower than the run itself, so a
# subset. (tree, its label, step, step with --quick)
FLAKE8_SUBSETS = [(TRANSFORMERS, "transformers", 20, 200), (PEFT, "PEFT", 2, 20)]


def bench_flake8_instructions(seed: int, quick: bool) -> List[dict]:
    """flake8 ``--isolated --select=E9 --jobs=2`` with lora-lint registered / not (the same
    interpreter and environments as the ``flake8`` rows) on a deterministic subset of each tree
    (``every_nth_file``), in instructions: the parent process and its ``--jobs`` workers, each
    counted by cachegrind and summed (one run per side, ``PYTHONHASHSEED`` = the first seed)."""
    if valgrind_missing():
        return []
    setup = registered_setup()
    results = []
    for root, label, step, quick_step in FLAKE8_SUBSETS:
        files = every_nth_file(root, quick_step if quick else step)
        command = [*setup.flake8, *FLAKE8_OPTIONS, *map(str, files)]
        for env in (setup.with_env, setup.without_env):
            timed(command, env=env)  # bytecode cached before counting
        totals: Dict[str, int] = {}
        in_workers: Dict[str, int] = {}
        for side, env in (("with", setup.with_env), ("without", setup.without_env)):
            start = time.perf_counter()
            parent, workers = parent_and_workers(cachegrind_processes(command, env, seed))
            in_workers[side] = sum(worker.instructions for worker in workers)
            totals[side] = parent.instructions + in_workers[side]
            log(f"  {label}, {side} lora-lint: {totals[side] / 1e6:,.1f} M (parent "
                f"{parent.instructions / 1e6:,.1f} M + {len(workers)} workers "
                f"{', '.join(f'{w.instructions / 1e6:,.1f} M' for w in workers)}), "
                f"{time.perf_counter() - start:.0f} s under valgrind")
        subset = f"every {ordinal(quick_step if quick else step)} file, {len(files)} files"
        row = instruction_row(
            f"flake8 --jobs=2 with lora-lint registered / not, parent + workers ({label}, {subset})",
            [totals["with"]], [totals["without"]], [seed])
        # Identical runs differ a little with --jobs=2: the workers' sum by up to ~30 M on 57 G
        # (which worker gets which file), the parent's count by up to ~110 M with the run's wall
        # time (its pool threads wake more often in a slower run); so the workers alone too.
        row["workers_ratio"] = in_workers["with"] / in_workers["without"]
        log(f"  the workers alone: {in_workers['with'] / 1e6:,.1f} M / {in_workers['without'] / 1e6:,.1f} M"
            f" = {row['workers_ratio']:.4f}")
        results.append(row)
    return results


_WARM_PROBE = """
import ast, io, json, statistics, sys, time, tokenize
# what a flake8 process has loaded (and compiled) before it loads plugins and runs them
import flake8.checker, flake8.main.application, flake8.style_guide
list(tokenize.generate_tokens(io.StringIO("x = 1\\n").readline))
clocks = {"wall": time.perf_counter, "CPU": time.process_time}
def now():
    return {name: clock() for name, clock in clocks.items()}
def since(start):
    return {name: clock() - start[name] for name, clock in clocks.items()}
start = now()
from lora_lint_plugin.flake8_plugin import LoraLintPlugin
imported = since(start)
times = []
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as handle:
        lines = handle.readlines()
    tree = ast.parse("".join(lines))
    start = now()
    reports = list(LoraLintPlugin(tree, lines, path).run())
    times.append(since(start))
print(json.dumps({name: [imported[name], times[0][name], statistics.median(t[name] for t in times[1:]),
                         max(t[name] for t in times[1:])] for name in clocks}))
"""


def bench_warm_files(rounds: int) -> List[dict]:
    """In one fresh process per round, after importing what flake8 has loaded before its plugins
    (so that only lora-lint's own share is timed): the import of the plugin's module (what
    flake8 loads for every run), its time on the first training script (the analysis' and rules' imports, the
    catalog) and the median over the others (what each further save costs in a
    long-lived flake8, e.g. VS Code's flake8 extension); in wall time and in the process's CPU
    time (the steadier of the two when other processes share the cores)."""
    _, lora = ensure_venvs()
    files = [str(SAVE_SCRIPT)] + [str(p) for p in TRAINING_SCRIPTS if p != SAVE_SCRIPT]
    rows: Dict[str, List[Tuple[float, float, float]]] = {"wall": [], "CPU": []}
    for index in range(rounds + 1):
        result = subprocess.run([str(lora / "bin" / "python"), "-c", _WARM_PROBE, *files],
                                capture_output=True, text=True, check=True, env=this_checkout_env())
        measured = json.loads(result.stdout)
        log(f"  {'warm-up' if index == 0 else f'round {index}'}: " + "; ".join(
            f"{clock} time: plugin module import {imported * 1000:.1f} ms, first file "
            f"{first * 1000:.1f} ms, further files median {median * 1000:.2f} ms (max {worst * 1000:.2f} ms)"
            for clock, (imported, first, median, worst) in measured.items()))
        if index:
            for clock, values in measured.items():
                rows[clock].append((values[0], values[1], values[2]))
    results = []
    for clock, measured_rows in rows.items():
        imported = statistics.median(r[0] for r in measured_rows)
        first = statistics.median(r[1] for r in measured_rows)
        further = statistics.median(r[2] for r in measured_rows)
        log(f"plugin in one process, {clock} time: module import {imported * 1000:.1f} ms, first training "
            f"script {first * 1000:.1f} ms, each further one {further * 1000:.2f} ms (median of "
            f"{len(measured_rows)} rounds, {len(files) - 1} further scripts)")
        results.append({"name": f"plugin in one process: first training script (A) / each further one (B), "
                                f"{clock} time", "a": first, "b": further, "unit": "s",
                        "ratio": first / further, "pairs": len(measured_rows), "load": load(),
                        "module_import": imported})
    return results


def bench_dense(pairs: int) -> List[dict]:
    """PEFT's own tree (library and tests: LoraConfig in nearly every file)."""
    return [*bench_plugin_in_process(pairs, False, [PEFT], "PEFT"),
            *bench_flake8(pairs, False, [PEFT], "PEFT")]


_DENSE_PROBE = """
import ast, sys, tokenize
from pathlib import Path
from lora_lint_plugin.flake8_plugin import LoraLintPlugin  # every mode: the import is not run()'s
mode = sys.argv[1]
for path in sorted(path for root in sys.argv[2:] for path in Path(root).rglob("*.py")):
    with tokenize.open(path) as handle:
        lines = handle.readlines()
    text = "".join(lines)
    if mode == "read":
        continue
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        continue
    if mode == "plugin":
        for _ in LoraLintPlugin(tree, lines, str(path)).run():
            pass
"""


def bench_dense_instructions(seed: int, quick: bool) -> List[dict]:
    """The plugin's ``run()`` over PEFT's tree / ``ast.parse`` of it, in instructions: three runs
    of one script that reads every file; parses it; parses it and runs the plugin on the tree.
    run() = third - second, ast.parse = second - first (~4 minutes on this VM)."""
    if valgrind_missing():
        return []
    roots = [str(PEFT / "src" / "peft" / "tuners" / "lora")] if quick else [str(PEFT)]
    command = [sys.executable, "-c", _DENSE_PROBE]
    env = this_checkout_env()
    timed([*command, "plugin", *roots], env=env)  # bytecode cached before counting
    counts = {mode: cachegrind([*command, mode, *roots], env, seed) for mode in ("read", "parse", "plugin")}
    run_count, parse_count = counts["plugin"] - counts["parse"], counts["parse"] - counts["read"]
    log(f"  PYTHONHASHSEED={seed}: read {counts['read'] / 1e6:,.1f} M, read + parse "
        f"{counts['parse'] / 1e6:,.1f} M, read + parse + run() {counts['plugin'] / 1e6:,.1f} M")
    label = "PEFT lora tuners" if quick else "PEFT"
    return [instruction_row(f"flake8 plugin run() / ast.parse, in process ({label})",
                            [run_count], [parse_count], [seed])]


INSTRUCTION_TWINS = ("save", "dense", "flake8")


def selected_parts(only: str, instructions: bool) -> List[str]:
    """The benchmarks to run, in order; with ``instructions`` each of ``INSTRUCTION_TWINS`` is
    followed by its instruction count (``save`` -> ``save-instructions``), same run."""
    parts = [part.strip() for part in only.split(",") if part.strip()]
    if instructions:
        parts = [twin for part in parts for twin in
                 ([part, f"{part}-instructions"] if part in INSTRUCTION_TWINS else [part])]
    return parts


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description="lora-lint paired benchmarks")
    parser.add_argument("--only", default="flake8,check,check-whole,perfile,scaling,fix,save,dense",
                        help="comma-separated: flake8 (includes plugin), plugin, check, "
                             "check-whole, perfile, scaling, fix, save, dense, save-instructions, "
                             "dense-instructions, flake8-instructions (cachegrind), cpu-check (is "
                             "the CPU time of flake8 --jobs complete?); the last four not by default")
    parser.add_argument("--save-script", type=Path, default=SAVE_SCRIPT,
                        help="the training script of the per-save comparison")
    parser.add_argument("--pairs", type=int, default=None, help="measured pairs (default 3)")
    parser.add_argument("--quick", action="store_true", help="small trees, 2 pairs")
    parser.add_argument("--perfile-files", type=int, default=0,
                        help="files with LoRA code in the per-file comparison (0 = all)")
    parser.add_argument("--fix-copies", type=int, default=200)
    parser.add_argument("--instructions", action="store_true",
                        help="save, dense and flake8 also in instructions (cachegrind; needs "
                             "valgrind): each followed by its -instructions twin in --only")
    parser.add_argument("--seeds", default="0,1,2",
                        help="PYTHONHASHSEED values of the instruction counts (deterministic per "
                             "seed; save takes the mean, dense and flake8 the first; --quick the first)")
    parser.add_argument("--json", metavar="FILE",
                        help="also write the rows as JSON to FILE")
    args = parser.parse_args(argv)
    pairs = args.pairs or (2 if args.quick else 3)
    seeds = [int(seed) for seed in args.seeds.split(",")][:1 if args.quick else None]
    parts = selected_parts(args.only, args.instructions)
    ensure_corpus()
    machine = (f"{platform.platform()}, {os.cpu_count()} CPUs, Python "
               f"{platform.python_version()}, flake8 {flake8_version()}")
    load_before = load()
    log(f"machine: {machine}, load {load_before}")
    results: List[dict] = []
    for part in parts:
        if part == "flake8":
            results.extend(bench_flake8(pairs, args.quick))
            results.extend(bench_plugin_in_process(pairs, args.quick))
        elif part == "cpu-check":
            results.extend(bench_cpu_check(args.quick))
        elif part == "plugin":
            results.extend(bench_plugin_in_process(pairs, args.quick))
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
        elif part == "save-instructions":
            results.extend(bench_save_instructions(args.save_script.resolve(), seeds))
        elif part == "dense-instructions":
            results.extend(bench_dense_instructions(seeds[0], args.quick))
        elif part == "flake8-instructions":
            results.extend(bench_flake8_instructions(seeds[0], args.quick))
        else:
            parser.error(f"unknown benchmark {part!r}")
    log("\n| comparison (A / B) | A | B | ratio A/B (median) | range | pairs / runs | load |")
    log("|---|---:|---:|---:|---:|---:|---|")
    for row in results:
        ratios = row.get("ratios") or [row["ratio"]]
        log(f"| {row['name']} | {amount(row['a'], row.get('unit', 's'))} | "
            f"{amount(row['b'], row.get('unit', 's'))} | {row['ratio']:.3f} | "
            f"{ratios[0]:.3f}-{ratios[-1]:.3f} | {row['pairs']} | "
            f"{row['load_start'] + ' -> ' if row.get('load_start') else ''}{row.get('load', '')} |")
    if args.json:
        report = {"machine": machine, "load_before": load_before, "load_after": load(),
                  "rows": results}
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 0


def amount(value: float, unit: str) -> str:
    if unit == "s" and value < 1:
        return f"{value * 1000:.1f} ms"
    return f"{value:,.2f} {unit}" if unit != "s" else f"{value:.2f} s"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
