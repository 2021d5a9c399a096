"""The analysis pipeline: source -> prefilter -> ast + scopes -> FileModel -> rules.

This is the one entry point the flake8 plugin, the CLI, the codemods and the estimator share.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import sys
from typing import TYPE_CHECKING, Any, Callable, Iterator, List, Optional, Sequence

from .diagnostics import Diagnostic
from .prefilter import has_candidate_call, might_contain_training_code
from ..config.settings import Settings

if TYPE_CHECKING:
    from .launchers import LauncherOptions
    from .versions import LibraryVersions


# A plain class, not a data class: every analysed file makes one, never compared or printed,
# and building the data class on its first instance cost ~0.1 M instructions per process.
class Analysis:
    """The outcome of analysing one source text.

    ``error`` is set when the file could not be analysed (then ``diagnostics`` is empty);
    ``skipped`` when the prefilter showed it holds no training code. ``model`` is kept for
    cost estimates. ``note``: why the file was not analysed although it is not broken (syntax
    of a newer Python).
    """

    __slots__ = ("diagnostics", "error", "note", "skipped", "model")

    def __init__(self, diagnostics: Optional[List[Diagnostic]] = None, error: Optional[str] = None,
                 note: Optional[str] = None, skipped: bool = False, model: Any = None) -> None:
        self.diagnostics: List[Diagnostic] = diagnostics if diagnostics is not None else []
        self.error = error
        self.note = note
        self.skipped = skipped
        self.model = model


_NOT_GIVEN: Any = object()


def analyse_source(source: str, settings: Optional[Settings] = None,
                   rule_filter: Optional[Callable[[str], bool]] = None,
                   tree: Any = _NOT_GIVEN,
                   versions: Optional[Callable[[], "LibraryVersions"]] = None,
                   path: Optional[str] = None, prefiltered: bool = False) -> Analysis:
    """Analyse Python source text. Never raises for bad input; see ``Analysis.error``.

    ``tree``: the module's ``ast`` when the caller already has it (flake8 does), so the
    analysis costs no second parse. ``versions``: reads the library versions the file or its
    project pins (``versions.library_versions``); called only if a rule asks for them.
    ``path``: the file's path, when it is a file: the launcher scripts around it are read
    (``launchers.py``) if a second-tier value is asked for, and rules may ask what the program
    around it does (``analysis.program``). ``prefiltered``: the caller has asked
    ``might_contain_training_code(source)`` already, and it said True (the flake8 plugin does).
    """
    if not prefiltered and not might_contain_training_code(source):
        return Analysis(skipped=True)
    if tree is _NOT_GIVEN or tree is None:
        from .ast_parsing import parse_located  # flake8 hands over its tree

        tree, failure = parse_located(source)
        if failure is not None:
            if failure.newer_syntax is not None:   # not broken: unreadable by this Python
                return Analysis(skipped=True, note=newer_syntax_note(failure.line, failure.newer_syntax))
            return Analysis(error=failure.describe())
    if not has_candidate_call(tree, source):
        return Analysis(skipped=True)
    try:
        with collector_paused():
            return _analyse(tree, source, settings or Settings(), rule_filter, versions, path)
    except RecursionError:  # the analysis is iterative or depth-limited; a last line of defence
        from .ast_parsing import TOO_DEEP

        return Analysis(error=TOO_DEEP)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while one file is analysed.

    The analysis allocates tens of thousands of small objects that live until it ends; every
    few thousand, Python runs a collection, and the full ones walk every object alive, most of
    them the module's own ``ast`` (measured on PEFT's tree: a quarter of the analysis time).
    Nothing the analysis makes needs collecting before it ends; the few reference cycles it
    leaves are collected by the next collection. A collector already paused stays paused."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def newer_syntax_note(line: int, syntax: str) -> str:
    """What the CLI says, in verbose mode, about code left out for its newer syntax."""
    running = f"{sys.version_info[0]}.{sys.version_info[1]}"
    return (f"line {line} uses {syntax}, which the Python {running} running lora-lint cannot "
            "parse: not analysed")


def _analyse(tree: Any, source: str, settings: Settings,
             rule_filter: Optional[Callable[[str], bool]],
             versions: Optional[Callable[[], "LibraryVersions"]] = None,
             path: Optional[str] = None) -> Analysis:
    from .extract import extract
    from .provenance import note_provenance
    from ..rules import RuleContext, active_rules, may_report

    launchers = functools.partial(_launcher_options, path) if path else None
    file_model = extract(tree, source, resolve_defaults=settings.resolve_defaults,
                         launchers=launchers, path=path)
    file_model.versions_source = functools.partial(_file_versions, source, versions)
    file_model.path = path
    context = RuleContext(settings)
    diagnostics: List[Diagnostic] = []
    # not config-only rules, nor those the file cannot trigger (their modules stay unloaded);
    # the triggers first: a look-up, where flake8's decision on a code costs ~10 K instructions
    for rule in active_rules(lambda code: code not in CONFIG_SPELLED_CODES and
                             may_report(code, file_model, settings) and
                             (rule_filter is None or rule_filter(code))):
        context.consulted.clear()
        found = list(rule.check(file_model, context))
        diagnostics.extend(note_provenance(found, file_model, context.consulted))
    return Analysis(diagnostics=deduplicate(diagnostics), model=file_model)


def _launcher_options(path: str) -> "LauncherOptions":
    from .launchers import launcher_options  # imported when a rule first asks for a second-tier value

    return launcher_options(path)


# Rules that only exist for configs (``config_analysis.py``): their messages already use the
# tool's own keys.
CONFIG_SPELLED_CODES = frozenset({"LOR208"})


def _file_versions(source: str, project: Optional[Callable[[], "LibraryVersions"]]
                   ) -> "LibraryVersions":
    """``versions.file_versions``, imported on first use (only rules that need versions pay)."""
    from .versions import file_versions

    return file_versions(source, project)


def deduplicate(diagnostics: Sequence[Diagnostic]) -> List[Diagnostic]:
    """Sorted by position, one diagnostic per (position, code, message)."""
    seen = set()
    unique = []
    for diagnostic in sorted(diagnostics):
        key = (diagnostic.span, diagnostic.code, diagnostic.message)
        if key not in seen:
            seen.add(key)
            unique.append(diagnostic)
    return unique
