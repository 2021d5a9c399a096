"""benchmarks/run.py's own logic: which files a subset holds, how cachegrind's logs are read and
summed over flake8's worker processes, the order of paired runs, which parts a command runs.
(The benchmarks themselves take minutes to hours; one small real valgrind run checks that
forked processes are counted, skipped where valgrind is missing.)"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import List, Tuple

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def load_run_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("lora_lint_benchmark_run", REPO_ROOT / "benchmarks" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # NamedTuple classes look their module up
    spec.loader.exec_module(module)
    return module


run = load_run_module()

# A real cachegrind log of a process that forked one child (valgrind 3.19, --log-file=...%p):
# the parent's file, then the child's.
PARENT_LOG = """\
==26822== Cachegrind, a cache and branch-prediction profiler
==26822== Copyright (C) 2002-2017, and GNU GPL'd, by Nicholas Nethercote et al.
==26822== Using Valgrind-3.19.0 and LibVEX; rerun with -h for copyright info
==26822== Command: /work/venv/bin/python -c _import\\ os_pid\\ =\\ os.fork()
==26822== Parent PID: 26816
==26822== \n--26822-- warning: L3 cache found, using its data for the LL simulation.
==26822== \n==26822== I   refs:      88,658,723
"""
CHILD_LOG = """\
==26832== Cachegrind, a cache and branch-prediction profiler
==26832== Command: /work/venv/bin/python -c _import\\ os_pid\\ =\\ os.fork()
==26832== Parent PID: 26822
==26832== \n==26832== \n==26832== I   refs:      253,277,416
"""


def write_tree(root: Path, names: List[str]) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n", encoding="utf-8")


def relative(paths: List[Path], root: Path) -> List[str]:
    return [path.relative_to(root).as_posix() for path in paths]


def test_every_nth_file_sorts_by_relative_path_and_takes_every_nth(tmp_path: Path) -> None:
    write_tree(tmp_path, ["b.py", "a/z.py", "a_b.py", "A.py", "a/b/c.py", "notes.txt", "c.pyi", "d.py"])
    # code-point order of the POSIX paths: "A.py" < "a/b/c.py" < "a/z.py" < "a_b.py" < "b.py" < "d.py"
    assert relative(run.every_nth_file(tmp_path, 1), tmp_path) == \
        ["A.py", "a/b/c.py", "a/z.py", "a_b.py", "b.py", "d.py"]
    assert relative(run.every_nth_file(tmp_path, 2), tmp_path) == ["a/b/c.py", "a_b.py", "d.py"]
    assert relative(run.every_nth_file(tmp_path, 4), tmp_path) == ["a_b.py"]
    assert run.every_nth_file(tmp_path, 7) == []


def test_every_nth_file_is_independent_of_the_tree_location(tmp_path: Path) -> None:
    names = [f"pkg{index % 3}/mod{index}.py" for index in range(25)]
    write_tree(tmp_path / "one", names)
    write_tree(tmp_path / "elsewhere" / "two", names)
    first = relative(run.every_nth_file(tmp_path / "one", 5), tmp_path / "one")
    assert first == relative(run.every_nth_file(tmp_path / "elsewhere" / "two", 5), tmp_path / "elsewhere" / "two")
    assert len(first) == 5


def test_every_nth_file_rejects_a_step_below_one(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        run.every_nth_file(tmp_path, 0)


def test_a_cachegrind_log_gives_its_process_parent_and_count() -> None:
    assert run.read_cachegrind_log(PARENT_LOG) == run.ProcessCount(26822, 26816, 88_658_723)
    assert run.read_cachegrind_log(CHILD_LOG) == run.ProcessCount(26832, 26822, 253_277_416)


def test_a_log_without_its_summary_counts_nothing() -> None:
    unfinished = PARENT_LOG[:PARENT_LOG.index("==26822== I   refs")]
    assert run.read_cachegrind_log(unfinished) is None
    assert run.read_cachegrind_log("") is None


def test_the_parent_is_the_process_whose_parent_was_not_counted() -> None:
    workers = [run.ProcessCount(11, 10, 500), run.ProcessCount(12, 10, 700), run.ProcessCount(13, 11, 5)]
    parent = run.ProcessCount(10, 3, 100)
    found_parent, found_workers = run.parent_and_workers([workers[0], parent, *workers[1:]])
    assert found_parent == parent
    assert sorted(found_workers) == sorted(workers)


def test_two_unrelated_processes_are_refused() -> None:
    with pytest.raises(ValueError):
        run.parent_and_workers([run.ProcessCount(10, 3, 100), run.ProcessCount(20, 4, 100)])


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="needs valgrind")
def test_cachegrind_counts_forked_workers() -> None:
    """A process that forks a worker running a loop: the worker gets its own count, parent and
    worker are told apart, and the loop's instructions land in the worker's count alone."""
    fork = ("import os, sys\n"
            "pid = os.fork()\n"
            "if pid == 0:\n"
            "    sum(range(int(sys.argv[1])))\n"
            "    os._exit(0)\n"
            "os.waitpid(pid, 0)\n")
    env = {"PATH": "/usr/bin:/bin"}
    counts: List[Tuple[run.ProcessCount, List[run.ProcessCount]]] = [
        run.parent_and_workers(run.cachegrind_processes([sys.executable, "-S", "-c", fork, str(loops)], env, 0))
        for loops in (10, 3_000_000)]
    (short_parent, short_workers), (long_parent, long_workers) = counts
    assert len(short_workers) == len(long_workers) == 1
    # the loop runs in the worker only: the parents do the same work, the long worker does more
    assert abs(long_parent.instructions - short_parent.instructions) < 0.05 * short_parent.instructions
    assert long_workers[0].instructions - short_workers[0].instructions > 50_000_000


def test_paired_runs_put_b_first_in_every_other_pair(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run, "log", lambda message: None)
    order: List[str] = []
    a_times = iter([9.0, 2.0, 3.0, 4.0, 5.0])
    b_times = iter([1.0, 1.0, 1.0, 2.0, 1.0])

    def a() -> Tuple[float]:
        order.append("A")
        return (next(a_times),)

    def b() -> Tuple[float]:
        order.append("B")
        return (next(b_times),)

    row = run.paired_runs(["x"], a, b, 4)[0]
    assert order == ["A", "B", "B", "A", "A", "B", "B", "A", "A", "B"]
    # the warm-up pair (9 / 1) is dropped; ratios 2, 3, 2, 5
    assert row["ratios"] == [2.0, 2.0, 3.0, 5.0]
    assert row["ratio"] == 2.5
    assert row["pairs"] == 4 and len(row["pair_loads"]) == 4


def test_instruction_row_divides_the_totals() -> None:
    row = run.instruction_row("flake8", [300_000_000, 100_000_000], [200_000_000, 100_000_000], [0, 1])
    assert row["ratio"] == pytest.approx(4 / 3)
    assert row["ratios"] == [1.0, 1.5]
    assert row["a"] == pytest.approx(200.0) and row["unit"] == "M"


def test_instructions_follow_their_timed_benchmark() -> None:
    assert run.selected_parts("flake8,check,save,dense", True) == [
        "flake8", "flake8-instructions", "check", "save", "save-instructions", "dense", "dense-instructions"]
    assert run.selected_parts("flake8, check,", False) == ["flake8", "check"]


def test_subset_labels_use_english_ordinals() -> None:
    assert [run.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 20, 21, 22, 102, 111)] == \
        ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "20th", "21st", "22nd", "102nd", "111th"]
