"""Linting one source: the engine run with the rule selection and ``# noqa`` applied, and its
diagnostics mapped back to the user's file (1-based columns, notebook cells).

The one path every front end takes (the CLI's check and fix, the codemods, the language server):
``analyse(text, settings, enabled_codes)`` gives the engine's ``Analysis`` with the selection and
``# noqa`` applied (the ``analyse`` callable of ``fixing.fixes.fix_source``, so silenced
diagnostics are never fixed); ``lint_source(source, ...)`` maps it to a ``reporters.FileResult``.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any, Callable, Collection, List, Optional, Sequence, Tuple

from .analysis.diagnostics import Diagnostic
from .sources.files import Source, versions_reader
from .reporters import FileResult, ReportedDiagnostic, ReportedEdit, ReportedFix
from .reporters.model import ANALYSIS_ERROR_CODE, ANALYSIS_ERROR_PREFIX
from .config.selection import NoqaIndex
from .config.settings import Settings

if TYPE_CHECKING:
    from .analysis.versions import LibraryVersions


def cell_errors(source: Source, use_noqa: bool = True) -> Tuple[ReportedDiagnostic, ...]:
    """One LOR000 for each notebook cell left out because it does not parse (none when a
    ``# flake8: noqa`` line skips the file)."""
    errors = [error for error in source.notebook.cell_errors if error.newer_syntax is None] \
        if source.notebook is not None else []
    if not errors or (use_noqa and NoqaIndex(source.python).skips_file):
        return ()
    return tuple(ReportedDiagnostic(
        code=ANALYSIS_ERROR_CODE,
        message=f"{ANALYSIS_ERROR_PREFIX}{error.reason}; this cell was skipped, the other cells "
                "were analysed",
        filename=source.path, row=error.line, column=error.column, end_row=error.line,
        end_column=error.column, cell=error.cell) for error in errors)


def newer_syntax_notes(source: Source) -> Tuple[str, ...]:
    """A note for each notebook cell left out because it is written in a newer Python's
    syntax (not broken: no LOR000; ``lora-lint check --verbose`` shows the notes)."""
    from .analysis.engine import newer_syntax_note

    errors = source.notebook.cell_errors if source.notebook is not None else ()
    return tuple(f"cell {error.cell}, {newer_syntax_note(error.line, error.newer_syntax)}"
                 for error in errors if error.newer_syntax is not None)


def _position(source: Source, line: int, col: int) -> Tuple[Optional[int], int, int]:
    """(cell, row, 1-based column) in the user's file for an analysed-text position."""
    if source.notebook is None:
        return None, line, col + 1
    location = source.notebook.locate(line)
    return location.cell, location.line, col + 1


def _span_rows(source: Source, span: Any) -> Tuple[Optional[int], int, int, int, int]:
    cell, row, column = _position(source, span.line, span.col)
    end_cell, end_row, end_column = _position(source, span.end_line, span.end_col)
    if end_cell != cell or (end_row, end_column) < (row, column):
        end_row, end_column = row, column  # cannot leave the cell; never happens for real spans
    return cell, row, column, end_row, end_column


def _reported_fix(source: Source, diagnostic: Diagnostic, index: Any) -> Optional[ReportedFix]:
    fix = diagnostic.fix
    if fix is None:
        return None
    edits: List[ReportedEdit] = []
    if index is not None:
        from .fixing.fixes import reported_edits

        realised = reported_edits(fix, index)
        if realised is None:  # its nodes are not there: report the diagnostic without the fix
            return None
        for span, content in realised:
            cell, row, column, end_row, end_column = _span_rows(source, span)
            edits.append(ReportedEdit(content, row, column, end_row, end_column, cell))
    return ReportedFix(applicability=fix.safety, message=fix.description, edits=tuple(edits))


def _reported_yaml_fix(source: Source, diagnostic: Diagnostic, text: str) -> Optional[ReportedFix]:
    """A YAML config's fix with its text edits (None if they cannot be placed)."""
    from .fixing.yaml_edits import reported_yaml_edits

    fix = diagnostic.fix
    realised = reported_yaml_edits(text, fix) if fix is not None else None
    if fix is None or realised is None:
        return None
    edits = []
    for span, content in realised:
        _, row, column, end_row, end_column = _span_rows(source, span)
        edits.append(ReportedEdit(content, row, column, end_row, end_column))
    return ReportedFix(applicability=fix.safety, message=fix.description, edits=tuple(edits))


_LINE_REFERENCE = re.compile(r"\bline (\d+)\b")


def _message_in_file(source: Source, message: str) -> str:
    """Messages name other places as ``line N`` of the analysed text; in a notebook that is
    ``cell C, line R`` as Jupyter shows them."""
    notebook = source.notebook
    if notebook is None or "line " not in message:
        return message

    def located(match: "re.Match[str]") -> str:
        where = notebook.locate(int(match.group(1)))
        return f"cell {where.cell}, line {where.line}"

    return _LINE_REFERENCE.sub(located, message)


def report_diagnostics(source: Source, diagnostics: Sequence[Diagnostic],
                       fix_text: Optional[str] = None) -> Tuple[ReportedDiagnostic, ...]:
    """Map engine diagnostics (analysed text, 0-based columns) to rows of the user's file.

    ``fix_text``: the analysed text, when the report should carry each fix's edits (JSON,
    SARIF); realising them needs a LibCST parse, which plain reports skip (their fixes then
    have applicability and message but no edits).
    """
    if fix_text is not None and source.is_yaml:
        fixes = [_reported_yaml_fix(source, d, fix_text) for d in diagnostics]
    elif fix_text is not None and any(d.fix is not None for d in diagnostics):
        from .analysis.deep_stack import AnalysisError, call_with_deep_stack
        from .fixing.fixes import CstIndex

        def with_edits() -> List[Optional[ReportedFix]]:
            index = CstIndex(fix_text)
            return [_reported_fix(source, d, index) for d in diagnostics]

        try:  # LibCST recurses as deep as the code nests
            fixes = call_with_deep_stack(with_edits)
        except AnalysisError:
            fixes = [None] * len(diagnostics)
    else:
        fixes = [_reported_fix(source, d, None) for d in diagnostics]
    reported = []
    for diagnostic, fix in zip(diagnostics, fixes):
        cell, row, column, end_row, end_column = _span_rows(source, diagnostic.span)
        reported.append(ReportedDiagnostic(
            code=diagnostic.code, message=_message_in_file(source, diagnostic.message),
            filename=source.path,
            row=row, column=column, end_row=end_row, end_column=end_column, cell=cell,
            fix=fix))
    return tuple(reported)


def analyse(text: str, settings: Settings, enabled_codes: Optional[Collection[str]] = None,
            use_noqa: bool = True, versions: Optional[Callable[[], LibraryVersions]] = None,
            language: str = "python", path: Optional[str] = None) -> Any:
    """``engine.analyse_source`` restricted to ``enabled_codes`` and with ``# noqa`` applied.

    ``versions``: the file's pinned library versions (``versions_reader``). ``language``:
    ``"yaml"`` for a YAML trainer config (``config_analysis.analyse_config``). ``path``: the file's
    path (``source_path``: its launcher scripts are read when a value is needed).

    Returns the engine's ``Analysis`` (diagnostics filtered). Suitable as the ``analyse``
    callable of ``fixes.fix_source``, so silenced diagnostics are never fixed.
    """
    from .analysis.engine import Analysis, analyse_source

    rule_filter: Optional[Callable[[str], bool]] = None
    if enabled_codes is not None:
        rule_filter = frozenset(enabled_codes).__contains__
    if use_noqa:
        noqa = NoqaIndex(text)
        if noqa.skips_file:
            return Analysis(skipped=True)
    if language == "yaml":
        from .analysis.config_analysis import analyse_config

        analysis = analyse_config(text, settings, rule_filter, versions=versions)
    else:
        analysis = analyse_source(text, settings, rule_filter, versions=versions, path=path)
    if use_noqa and analysis.diagnostics:
        kept = [d for d in analysis.diagnostics if not noqa.suppresses(d.code, d.line)]
        if len(kept) != len(analysis.diagnostics):
            analysis = Analysis(kept, analysis.error, analysis.note, analysis.skipped, analysis.model)
    return analysis


def source_path(source: Source) -> Optional[str]:
    """The path of a source read from a file (None for stdin and in-memory text)."""
    return source.path if source.path and os.path.isfile(source.path) else None


def lint_source(source: Source, settings: Settings, enabled_codes: Optional[Collection[str]] = None,
                use_noqa: bool = True, fix_edits: bool = False) -> FileResult:
    """Analyse one source and map the outcome to a ``FileResult`` (errors included).

    ``fix_edits``: include each fix's edits (see ``report_diagnostics``).
    """
    analysis = analyse(source.python, settings, enabled_codes, use_noqa, versions_reader(source),
                       source.language, source_path(source))
    if analysis.error is not None:
        return FileResult(filename=source.path, diagnostics=(), error=analysis.error)
    notes = newer_syntax_notes(source) + ((analysis.note,) if analysis.note else ())
    diagnostics = cell_errors(source, use_noqa) + report_diagnostics(
        source, analysis.diagnostics, source.python if fix_edits else None)
    return FileResult(filename=source.path, diagnostics=diagnostics, notes=notes)
