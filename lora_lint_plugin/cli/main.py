"""The ``lora-lint`` command: ``check``, ``fix``, ``rules``, ``explain``, ``estimate`` and
``server`` (the language server, ``lora_lint_plugin.server``).

Exit codes (ruff's): 0 nothing to report; 1 diagnostics remain (a file that cannot be analysed
counts: it is reported as ``LOR000``); 2 usage error, bad configuration or internal error.

The per-file work (read, analyse, map; or fix and write) runs in worker processes when there
are many files (``--jobs``); results are plain picklable records, and the reporters sort them,
so the output does not depend on the number of workers.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from collections import Counter
from typing import TYPE_CHECKING, Any, Dict, FrozenSet, List, Optional, Sequence, Tuple, Type

from .. import __version__
from ..config.pyproject import ConfigError, ConfigResolver, add_config_arguments
from ..fast_dataclass import dataclass, replace
from .discovery import FoundFile, excluded_with_parents, find_files, split_paths
from ..reporters import DEFAULT_FORMAT, FORMATS, FileResult, RuleInfo, ordered_diagnostics, render
from ..config.settings import Settings

if TYPE_CHECKING:  # the rules are imported only when needed
    from ..rules import Rule

EXIT_CLEAN = 0
EXIT_DIAGNOSTICS = 1
EXIT_ERROR = 2

# Below this many files a process pool costs more (start-up, imports per worker) than
# it saves.
PARALLEL_MIN_FILES = 8


class UsageError(Exception):
    """A problem with the command line or configuration: one line on stderr, exit 2."""


# -- rules registry views ------------------------------------------------------------------------

def _rules() -> List[Type[Rule]]:
    from ..rules import all_rules

    return all_rules()


def rule_infos() -> Dict[str, RuleInfo]:
    return {
        rule.code: RuleInfo(
            code=rule.code, name=rule.name, summary=rule.summary,
            docs_markdown=rule.documentation(), default_enabled=rule.default_enabled,
            fix_safety=rule.fix_safety if rule.fix_safety else None, url=rule.url())
        for rule in _rules()
    }


# -- per-file work (runs in worker processes) ----------------------------------------------------

@dataclass(frozen=True)
class Task:
    path: str
    display: str
    settings: Settings
    enabled_codes: FrozenSet[str]
    use_noqa: bool = True
    mode: str = "check"  # check | write | diff
    unsafe: bool = False
    fix_edits: bool = False  # report each fix's edits (formats that carry them)


@dataclass(frozen=True)
class TaskResult:
    result: Optional[FileResult]  # None: skipped (a notebook in another language)
    fix: Any = None  # writing.FixResult for fix tasks


def run_task(task: Task) -> TaskResult:
    """One file; never raises (an internal failure becomes that file's LOR000)."""
    from ..linting import lint_source
    from ..sources.files import SourceError, SourceSkipped, read_source

    try:
        if task.mode == "check":
            source = replace(read_source(task.path), path=task.display)
            return TaskResult(lint_source(source, task.settings, task.enabled_codes, task.use_noqa,
                                          task.fix_edits))
        from ..fixing.writing import fix_path

        fixed = fix_path(task.path, task.display, task.settings, task.enabled_codes,
                         unsafe=task.unsafe, use_noqa=task.use_noqa, mode=task.mode,
                         fix_edits=task.fix_edits)
        return TaskResult(fixed.result, fixed)
    except SourceSkipped:
        return TaskResult(None)
    except SourceError as error:
        return TaskResult(FileResult(task.display, (), error=str(error)))
    except Exception as error:  # a bug in lora-lint: report it on this file, keep going
        return TaskResult(FileResult(task.display, (), error=(
            f"lora-lint failed on this file ({type(error).__name__}: {error}); please report it")))


def _cpu_count() -> int:
    try:
        affinity = getattr(os, "sched_getaffinity")  # Linux only
        return len(affinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def run_tasks(tasks: Sequence[Task], jobs: Optional[int]) -> List[TaskResult]:
    """Results in task order; a process pool for many files, serial otherwise or on failure."""
    workers = jobs if jobs is not None else _cpu_count()
    if jobs is None and len(tasks) < PARALLEL_MIN_FILES:
        workers = 1
    workers = min(workers, len(tasks))
    if workers > 1:
        try:
            from concurrent.futures import ProcessPoolExecutor

            with ProcessPoolExecutor(max_workers=workers) as pool:
                chunk = max(1, len(tasks) // (workers * 4))
                return list(pool.map(run_task, tasks, chunksize=chunk))
        except (OSError, NotImplementedError, ImportError, RuntimeError):
            pass  # no usable multiprocessing here (e.g. no /dev/shm): run serially
        except Exception as error:  # BrokenProcessPool: a worker died
            if type(error).__name__ != "BrokenProcessPool":
                raise
    return [run_task(task) for task in tasks]


# -- shared plumbing -----------------------------------------------------------------------------

@dataclass
class Inputs:
    files: List[FoundFile]
    stdin_display: Optional[str]  # set when stdin is to be read
    stdin_config: Any = None


def _collect_inputs(args: argparse.Namespace, resolver: ConfigResolver) -> Inputs:
    paths = list(args.paths)
    if not paths:
        paths = ["-"] if args.stdin_filename else ["."]
    disk_paths, use_stdin = split_paths(paths)
    files = find_files(disk_paths, resolver, force_exclude=args.force_exclude)
    stdin_display = None
    stdin_config = None
    if use_stdin:
        stdin_display = args.stdin_filename or "-"
        stdin_config = resolver.for_path(args.stdin_filename) if args.stdin_filename \
            else resolver.for_directory(os.getcwd())
        if args.force_exclude and args.stdin_filename and \
                excluded_with_parents(args.stdin_filename, stdin_config):
            stdin_display = None
    return Inputs(files, stdin_display, stdin_config)


def _wants_fix_edits(args: argparse.Namespace) -> bool:
    """Formats that carry each fix's edits (realising them needs a LibCST parse)."""
    return getattr(args, "output_format", None) in ("json", "json-lines", "sarif")


def _enabled(config: Any, path: Optional[str]) -> FrozenSet[str]:
    return config.selection.enabled_codes(_rules(), path)


def _warn_unknown_selectors(resolver: ConfigResolver, configs: Sequence[Any]) -> None:
    known = [rule.code for rule in _rules()]
    unknown = set()
    for config in configs:
        unknown.update(config.selection.unknown_selectors(known))
    for selector in sorted(unknown):
        _error(f"warning: rule selector {selector} matches no rule of this lora-lint version")


def _error(message: str) -> None:
    sys.stderr.write(f"lora-lint: {message}\n")


def _emit(text: str, args: argparse.Namespace, stream: Any = None) -> None:
    if getattr(args, "output_file", None):
        path = args.output_file
        try:
            directory = os.path.dirname(os.path.abspath(path))
            os.makedirs(directory, exist_ok=True)
            with open(path, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
        except OSError as error:
            raise UsageError(f"cannot write {path}: {error.strerror or error}") from None
        return
    (stream or sys.stdout).write(text)
    (stream or sys.stdout).flush()


def _render_report(results: Sequence[FileResult], args: argparse.Namespace) -> str:
    rules = rule_infos()
    if args.statistics:
        return _statistics(results, rules, args.output_format)
    return render(args.output_format, results, rules)


def _statistics(results: Sequence[FileResult], rules: Dict[str, RuleInfo], format_name: str) -> str:
    diagnostics = ordered_diagnostics(results)
    counts = Counter(d.code for d in diagnostics)
    fixable = Counter(d.code for d in diagnostics if d.fix is not None and d.fix.applicability == "safe")
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    names = {code: (rules[code].name if code in rules else "could-not-analyse" if code == "LOR000"
                    else "") for code in counts}
    if format_name == "json":
        return json.dumps([{"code": code, "name": names[code], "count": count,
                            "fixable": fixable[code] > 0} for code, count in rows], indent=2) + "\n"
    if not rows:
        return ""
    width = max(len(str(count)) for _, count in rows)
    return "".join(f"{count:>{width}}\t{code}\t{'[*] ' if fixable[code] else ''}{names[code]}\n"
                   for code, count in rows)


def _results_exit(results: Sequence[FileResult], args: argparse.Namespace) -> int:
    if args.exit_zero:
        return EXIT_CLEAN
    return EXIT_DIAGNOSTICS if ordered_diagnostics(results) else EXIT_CLEAN


def _check_statistics_format(args: argparse.Namespace) -> None:
    if args.statistics and args.output_format not in ("text", "concise", "json"):
        raise UsageError("--statistics works with --output-format text, concise or json")


@dataclass
class Plan:
    """What ``check`` and ``fix`` run: the inputs, one task per readable file, and the results
    already known (files that could not be found or read)."""

    inputs: Inputs
    tasks: List[Task]
    results: List[FileResult]


def _plan(args: argparse.Namespace, mode: str = "check", unsafe: bool = False) -> Plan:
    _check_statistics_format(args)
    resolver = ConfigResolver(args)
    inputs = _collect_inputs(args, resolver)
    _warn_unknown_selectors(resolver, [f.config for f in inputs.files] +
                            ([inputs.stdin_config] if inputs.stdin_config is not None else []))
    tasks = [Task(f.path, f.display, f.config.settings, _enabled(f.config, f.path),
                  not args.disable_noqa, mode=mode, unsafe=unsafe,
                  fix_edits=_wants_fix_edits(args))
             for f in inputs.files if f.error is None]
    results = [FileResult(f.display, (), error=f.error) for f in inputs.files if f.error is not None]
    return Plan(inputs, tasks, results)


# -- check ---------------------------------------------------------------------------------------

def cmd_check(args: argparse.Namespace) -> int:
    plan = _plan(args)
    inputs, results = plan.inputs, plan.results
    results.extend(r.result for r in run_tasks(plan.tasks, args.jobs) if r.result is not None)
    if inputs.stdin_display is not None:
        stdin_result = _check_stdin(args, inputs)
        if stdin_result is not None:
            results.append(stdin_result)
    if not inputs.files and inputs.stdin_display is None:
        _error("warning: no Python files found under the given path(s)")
    _emit(_render_report(results, args), args)
    if args.verbose:
        for result in results:
            for note in result.notes:
                _error(f"note: {result.filename}: {note}")
    return _results_exit(results, args)


def _read_stdin() -> bytes:
    return sys.stdin.buffer.read()


def _check_stdin(args: argparse.Namespace, inputs: Inputs) -> Optional[FileResult]:
    from ..linting import lint_source
    from ..sources.files import SourceError, SourceSkipped, source_from_bytes

    display = inputs.stdin_display or "-"
    config = inputs.stdin_config
    try:
        source = source_from_bytes(_read_stdin(), display)
    except SourceSkipped:
        return None
    except SourceError as error:
        return FileResult(display, (), error=str(error))
    path = args.stdin_filename
    return lint_source(source, config.settings, _enabled(config, path), not args.disable_noqa,
                       _wants_fix_edits(args))


# -- fix -----------------------------------------------------------------------------------------

def cmd_fix(args: argparse.Namespace) -> int:
    mode = "diff" if args.diff else "write"
    plan = _plan(args, mode, unsafe=args.unsafe_fixes)
    results, fixes = _run_fixes(plan, args, mode)
    if not plan.inputs.files and plan.inputs.stdin_display is None:
        _error("warning: no Python files found under the given path(s)")
    for fix in fixes:
        if fix.problem:
            _error(f"error: {fix.problem}")
    if args.diff:
        return _finish_diff(args, plan.inputs, results, fixes)
    return _finish_write(args, plan.inputs, results, fixes)


def _run_fixes(plan: Plan, args: argparse.Namespace, mode: str) -> Tuple[List[FileResult], List[Any]]:
    """The report of every file after fixing, and each file's ``writing.FixResult``."""
    results, fixes = plan.results, []
    for task_result in run_tasks(plan.tasks, args.jobs):
        if task_result.result is not None:
            results.append(task_result.result)
        if task_result.fix is not None:
            fixes.append(task_result.fix)
    if plan.inputs.stdin_display is not None:
        stdin_fix = _fix_stdin(args, plan.inputs, mode)
        if stdin_fix is not None:
            results.append(stdin_fix.result)
            fixes.append(stdin_fix)
    return results, fixes


def _finish_diff(args: argparse.Namespace, inputs: Inputs, results: Sequence[FileResult],
                 fixes: Sequence[Any]) -> int:
    """``fix --diff``: the diffs on stdout (stdin's was written already), exit 1 if any."""
    changed = [fix for fix in fixes if fix.changed]
    if inputs.stdin_display is None:
        sys.stdout.write("".join(fix.diff for fix in fixes if fix.diff))
    errors = [r for r in results if r.error is not None]
    if errors:
        sys.stderr.write(render("text", errors, rule_infos()))
    if changed:
        applied = sum(fix.applied for fix in changed)
        noun = "diagnostic" if applied == 1 else "diagnostics"
        _error(f"would fix {applied} {noun} in {len(changed)} file{'s' if len(changed) != 1 else ''}")
    if args.exit_zero:
        return EXIT_CLEAN
    return EXIT_DIAGNOSTICS if changed or errors or any(f.problem for f in fixes) else EXIT_CLEAN


def _finish_write(args: argparse.Namespace, inputs: Inputs, results: Sequence[FileResult],
                  fixes: Sequence[Any]) -> int:
    """``fix``: the report of what remains (on stderr when stdout carries stdin's fixed source)."""
    changed = [fix for fix in fixes if fix.changed]
    report_stream = sys.stderr if inputs.stdin_display is not None else sys.stdout
    _emit(_render_report(results, args), args, stream=report_stream)
    _fix_summary(fixes, sum(fix.applied for fix in changed), len(changed))
    if args.exit_zero:
        return EXIT_CLEAN
    remaining = bool(ordered_diagnostics(results)) or any(f.problem for f in fixes)
    if remaining or (args.exit_non_zero_on_fix and changed):
        return EXIT_DIAGNOSTICS
    return EXIT_CLEAN


def _fix_summary(fixes: Sequence[Any], applied: int, files: int) -> None:
    if applied:
        noun = "diagnostic" if applied == 1 else "diagnostics"
        _error(f"fixed {applied} {noun} in {files} file{'s' if files != 1 else ''}")
    unsafe = sum(fix.unsafe_available for fix in fixes)
    if unsafe:
        _error(f"{unsafe} more fixable with --unsafe-fixes (they change what gets trained; review them)")


def _fix_stdin(args: argparse.Namespace, inputs: Inputs, mode: str) -> Any:
    from ..sources.files import SourceError, SourceSkipped, source_from_bytes
    from ..fixing.writing import FixResult, fix_source_file

    display = inputs.stdin_display or "-"
    config = inputs.stdin_config
    raw = _read_stdin()
    try:
        source = source_from_bytes(raw, display)
    except SourceSkipped:
        if not args.diff:
            sys.stdout.buffer.write(raw)
        return None
    except SourceError as error:
        if not args.diff:
            sys.stdout.buffer.write(raw)
        return FixResult(FileResult(display, (), error=str(error)))
    fixed = fix_source_file(source, config.settings, _enabled(config, args.stdin_filename),
                            unsafe=args.unsafe_fixes, use_noqa=not args.disable_noqa,
                            mode="diff" if mode == "diff" else "none",
                            fix_edits=_wants_fix_edits(args))
    sys.stdout.flush()
    if args.diff:
        sys.stdout.write(fixed.diff)
    else:
        sys.stdout.buffer.write(fixed.data if fixed.data is not None else raw)
    sys.stdout.flush()
    return fixed


# -- rules / explain -----------------------------------------------------------------------------

def cmd_rules(args: argparse.Namespace) -> int:
    from ..analysis.config_analysis import YAML_RULE_CODES

    rules = _rules()
    if args.output_format == "json":
        rows = [{"code": r.code, "name": r.name, "summary": r.summary,
                 "default_enabled": r.default_enabled,
                 "fix_safety": r.fix_safety if r.fix_safety else None, "url": r.url(),
                 "yaml": r.code in YAML_RULE_CODES}
                for r in rules]
        _emit(json.dumps(rows, indent=2) + "\n", args)
        return EXIT_CLEAN
    # YAML: whether the rule also checks YAML trainer configs (axolotl, LLaMA-Factory, TRL)
    table = [("CODE", "NAME", "DEFAULT", "FIX", "YAML", "SUMMARY")]
    for rule in rules:
        table.append((rule.code, rule.name, "on" if rule.default_enabled else "off",
                      rule.fix_safety if rule.fix_safety else "no",
                      "yes" if rule.code in YAML_RULE_CODES else "no", rule.summary))
    widths = [max(len(row[i]) for row in table) for i in range(5)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row[:5], widths)) + "  " + row[5]
             for row in table]
    _emit("\n".join(lines) + "\n", args)
    return EXIT_CLEAN


def cmd_explain(args: argparse.Namespace) -> int:
    from ..rules.docs import rule_page

    wanted = args.code.strip()
    rules = _rules()
    for rule in rules:
        if wanted.upper() == rule.code or wanted.lower() == rule.name:
            _emit(rule_page(rule), args)
            return EXIT_CLEAN
    candidates = [r.code for r in rules] + [r.name for r in rules]
    key = wanted.upper() if wanted[:3].lower() == "lor" else wanted.lower()
    close = difflib.get_close_matches(key, candidates, n=6, cutoff=0.5)
    # "LOR1011" is most likely LOR101: prefer candidates sharing the longest prefix
    close = sorted(close, key=lambda c: -len(os.path.commonprefix([key, c])))[:3]
    hint = f"; did you mean {', '.join(close)}?" if close else "; `lora-lint rules` lists them"
    raise UsageError(f"unknown rule '{wanted}'{hint}")


def cmd_server(args: argparse.Namespace) -> int:
    from ..server import run

    return run()


# -- argument parsing ----------------------------------------------------------------------------

def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _add_lint_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="files or directories to check (default: .); - reads standard input")
    selection = parser.add_argument_group("rule selection (prefixes such as LOR1 work)")
    for flag, text in (("--select", "rules to run instead of the defaults (replaces `select`)"),
                       ("--extend-select", "rules to run in addition (opt-in rules such as LOR9)"),
                       ("--ignore", "rules not to run (replaces `ignore`)"),
                       ("--extend-ignore", "further rules not to run")):
        selection.add_argument(flag, action="append", metavar="CODES", help=text + "; comma-separated")
    selection.add_argument("--disable-noqa", action="store_true", help="ignore all # noqa comments")
    files = parser.add_argument_group("files")
    files.add_argument("--exclude", action="append", metavar="PATTERNS",
                       help="glob patterns to skip, replacing the defaults and `exclude`")
    files.add_argument("--extend-exclude", action="append", metavar="PATTERNS",
                       help="glob patterns to skip in addition")
    files.add_argument("--force-exclude", action="store_true",
                       help="apply excludes to files named on the command line too (pre-commit)")
    files.add_argument("--no-respect-gitignore", dest="respect_gitignore", action="store_const",
                       const=False, default=None, help="do not skip files listed in .gitignore")
    files.add_argument("--stdin-filename", metavar="PATH",
                       help="the name of the file read from standard input (config, notebooks, "
                            "YAML trainer configs)")
    output = parser.add_argument_group("output")
    output.add_argument("--output-format", choices=FORMATS, default=DEFAULT_FORMAT,
                        help=f"report format (default {DEFAULT_FORMAT})")
    output.add_argument("-o", "--output-file", metavar="FILE", help="write the report to FILE")
    output.add_argument("--statistics", action="store_true",
                        help="show the number of diagnostics per code instead of each one")
    output.add_argument("--exit-zero", action="store_true",
                        help="exit 0 even when diagnostics remain (still 2 on errors)")
    parser.add_argument("-j", "--jobs", type=_positive_int, default=None, metavar="N",
                        help="worker processes (default: one per CPU when there are "
                             f"{PARALLEL_MIN_FILES} files or more)")
    add_config_arguments(parser)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lora-lint",
        description="Static checks for LoRA fine-tuning code (PEFT, Unsloth, TRL).")
    parser.add_argument("--version", action="version", version=f"lora-lint {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser("check", help="report problems",
                                description="Report problems in Python files, notebooks and "
                                            "YAML trainer configs.")
    _add_lint_arguments(check)
    check.add_argument("-v", "--verbose", action="store_true",
                       help="also say on stderr what was left out without being an error "
                            "(code in a newer Python's syntax than the one running lora-lint)")
    check.set_defaults(handler=cmd_check)

    fix = commands.add_parser("fix", help="apply fixes, then report what remains",
                              description="Apply safe fixes (and unsafe ones with --unsafe-fixes).")
    _add_lint_arguments(fix)
    fix.add_argument("--unsafe-fixes", action="store_true",
                     help="also apply unsafe fixes (they change what gets trained)")
    fix.add_argument("--diff", action="store_true",
                     help="print the changes as unified diffs instead of writing them (exit 1 if any)")
    fix.add_argument("--exit-non-zero-on-fix", action="store_true",
                     help="exit 1 when anything was fixed, even if nothing remains")
    fix.set_defaults(handler=cmd_fix)

    rules = commands.add_parser("rules", help="list the rules")
    rules.add_argument("--output-format", choices=("text", "json"), default="text")
    rules.add_argument("-o", "--output-file", metavar="FILE")
    rules.set_defaults(handler=cmd_rules)

    explain = commands.add_parser("explain", help="show a rule's documentation")
    explain.add_argument("code", metavar="CODE", help="rule code (LOR101) or name")
    explain.add_argument("-o", "--output-file", metavar="FILE")
    explain.set_defaults(handler=cmd_explain)

    server = commands.add_parser(
        "server", help="run the language server for editors (LSP on stdin/stdout)",
        description="Run lora-lint's language server, speaking LSP on standard input and output "
                    "(needs the lsp extra: pip install \"lora-lint-plugin[lsp]\"). "
                    "docs/editors.md shows the editor setups.")
    server.set_defaults(handler=cmd_server)

    from ..estimate import command as estimate_command

    doc = (estimate_command.__doc__ or "estimate training cost").strip().splitlines()[0]
    estimate = commands.add_parser("estimate", help=doc, description=doc)
    estimate_command.add_arguments(estimate)
    estimate.set_defaults(handler=estimate_command.run)
    return parser


def _escape_unencodable_output() -> None:
    """A message the terminal's encoding cannot show is escaped, never a crash."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):
                pass


def _discard_further_output() -> None:
    """The reader went away (``lora-lint check | head``): point stdout at devnull (the
    documented recipe), so the flush at exit cannot fail."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main(argv: Optional[Sequence[str]] = None) -> int:
    _escape_unencodable_output()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version (0) and usage errors (2)
        return exit_.code if isinstance(exit_.code, int) else EXIT_ERROR
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    try:
        return int(handler(args))
    except (UsageError, ConfigError) as error:
        _error(str(error))
        return EXIT_ERROR
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except BrokenPipeError:
        _discard_further_output()   # stop quietly
        return EXIT_DIAGNOSTICS
    except Exception as error:  # pragma: no cover - a bug; never a traceback for users
        _error(f"internal error ({type(error).__name__}: {error}); please report it")
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
