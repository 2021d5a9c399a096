"""One measured workload over a set of files, run as its own process by ``run.py``.

    python benchmarks/measure.py MODE PATH... [-j N]

MODE:
  ast          ``ast.parse`` of every file (the yardstick)
  libcst       bare ``libcst.parse_module`` of every file
  libcst-meta  LibCST parse + QualifiedName, Scope, Position and Parent metadata (what a
               LibCST linter such as Fixit or TorchFix resolves), on every file
  check        ``engine.analyse_source`` of every file (what ``lora-lint check`` does per file,
               without output formatting), for when the CLI is not installed
  fix          ``fixes.fix_source`` of every file, writing changed files back (in place!)

Files are read (and decoded like flake8 does) inside the timed region; ``-j`` spreads files
over a process pool. Prints one line: ``MODE files=N seconds=S``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Iterable, List


def python_files(paths: Iterable[str]) -> List[str]:
    found: List[str] = []
    for path in paths:
        if os.path.isdir(path):
            found.extend(str(p) for p in sorted(Path(path).rglob("*.py")))
        else:
            found.append(path)
    return found


def read(path: str) -> str:
    import tokenize

    try:
        with tokenize.open(path) as handle:
            return handle.read()
    except (SyntaxError, UnicodeDecodeError, LookupError):
        with open(path, encoding="latin-1") as handle:
            return handle.read()


def run_ast(path: str) -> None:
    import ast

    try:
        ast.parse(read(path))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass


def run_libcst(path: str) -> None:
    import libcst as cst

    try:
        cst.parse_module(read(path))
    except Exception:
        pass


def run_libcst_meta(path: str) -> None:
    import libcst as cst
    from libcst.metadata import (
        MetadataWrapper,
        ParentNodeProvider,
        PositionProvider,
        QualifiedNameProvider,
        ScopeProvider,
    )

    try:
        wrapper = MetadataWrapper(cst.parse_module(read(path)), unsafe_skip_copy=True)
        wrapper.resolve_many([QualifiedNameProvider, ScopeProvider, PositionProvider,
                              ParentNodeProvider])
    except Exception:
        pass


def run_check(path: str) -> None:
    from lora_lint_plugin.analysis.engine import analyse_source

    analyse_source(read(path))


def run_fix(path: str) -> None:
    from lora_lint_plugin.analysis.engine import analyse_source
    from lora_lint_plugin.fixing.fixes import fix_source

    source = read(path)
    outcome = fix_source(source, analyse_source)
    if outcome.changed:
        Path(path).write_text(outcome.source, encoding="utf-8")


MODES = {"ast": run_ast, "libcst": run_libcst, "libcst-meta": run_libcst_meta,
         "check": run_check, "fix": run_fix}


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=sorted(MODES))
    parser.add_argument("paths", nargs="+")
    parser.add_argument("-j", "--jobs", type=int, default=1)
    args = parser.parse_args(argv)
    files = python_files(args.paths)
    work = MODES[args.mode]
    start = time.perf_counter()
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            for _ in pool.map(work, files, chunksize=8):
                pass
    else:
        for path in files:
            work(path)
    print(f"{args.mode} files={len(files)} seconds={time.perf_counter() - start:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
