"""The data every reporter renders, and the ordering and severities they share.

The CLI maps each ``Diagnostic`` (analysed-source coordinates, 0-based columns) to a
``ReportedDiagnostic`` (the user's file, 1-based columns, notebook cells resolved) before
rendering, so reporters never see LibCST nodes or notebook internals.
"""

from __future__ import annotations

import re
from typing import Iterable, List, Mapping, Optional, Tuple

from ..fast_dataclass import dataclass

# A file that could not be analysed (syntax error, broken notebook) is reported as a diagnostic
# with this code, so every format shows it where users already look, and CI fails on it (ruff
# does the same with syntax errors). It has no noqa and no fix.
ANALYSIS_ERROR_CODE = "LOR000"
ANALYSIS_ERROR_PREFIX = "could not analyse: "

# Rule diagnostics are advice about likely mistakes; a file we could not read at all is worse.
LEVEL_WARNING = "warning"
LEVEL_ERROR = "error"

PROJECT_URL = "https://pypi.org/project/lora-lint-plugin/"


@dataclass(frozen=True)
class ReportedEdit:
    """Replace [(row, column), (end_row, end_column)) with ``content``; 1-based, end exclusive.

    In a notebook, rows count from the top of ``cell`` (a fix may edit another cell than the
    one its diagnostic is in)."""

    content: str
    row: int
    column: int
    end_row: int
    end_column: int
    cell: Optional[int] = None


@dataclass(frozen=True)
class ReportedFix:
    applicability: str  # "safe" or "unsafe"
    message: str
    edits: Tuple[ReportedEdit, ...]


@dataclass(frozen=True)
class ReportedDiagnostic:
    """A diagnostic mapped to the user's file; rows and columns 1-based, end exclusive.

    In a notebook, rows (also those of fix edits) count from the top of ``cell``, which is
    1-based over all cells, markdown included, as ruff and Jupyter number them.
    """

    code: str
    message: str
    filename: str
    row: int
    column: int
    end_row: int
    end_column: int
    cell: Optional[int] = None
    fix: Optional[ReportedFix] = None


@dataclass(frozen=True)
class FileResult:
    filename: str
    diagnostics: Tuple[ReportedDiagnostic, ...]
    error: Optional[str] = None  # why the file could not be analysed, else None
    # What was left out without being an error (code in a newer Python's syntax); shown only
    # by `lora-lint check --verbose`, never in reports.
    notes: Tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleInfo:
    code: str
    name: str
    summary: str
    docs_markdown: str
    default_enabled: bool
    fix_safety: Optional[str]
    url: str


ANALYSIS_ERROR_RULE = RuleInfo(
    code=ANALYSIS_ERROR_CODE,
    name="could-not-analyse",
    summary="The file could not be analysed (syntax error or unreadable notebook).",
    docs_markdown=(
        "lora-lint could not parse this file, so none of its rules ran on it. "
        "Fix the syntax error (or the notebook JSON) and run lora-lint again."
    ),
    default_enabled=True,
    fix_safety=None,
    url=PROJECT_URL,
)


def level_of(code: str) -> str:
    return LEVEL_ERROR if code == ANALYSIS_ERROR_CODE else LEVEL_WARNING


def has_safe_fix(diagnostic: ReportedDiagnostic) -> bool:
    return diagnostic.fix is not None and diagnostic.fix.applicability == "safe"


def rule_for(code: str, rules: Mapping[str, RuleInfo]) -> Optional[RuleInfo]:
    """The rule behind ``code``; LOR000 is known even when the registry does not list it."""
    rule = rules.get(code)
    if rule is None and code == ANALYSIS_ERROR_CODE:
        return ANALYSIS_ERROR_RULE
    return rule


def _error_diagnostic(result: FileResult) -> ReportedDiagnostic:
    reason = (result.error or "").strip() or "unknown error"
    return ReportedDiagnostic(
        code=ANALYSIS_ERROR_CODE,
        message=ANALYSIS_ERROR_PREFIX + reason,
        filename=result.filename,
        row=1,
        column=1,
        end_row=1,
        end_column=1,
    )


def _sort_key(d: ReportedDiagnostic) -> tuple:
    # Cell before row: rows restart in every notebook cell. A whole-file entry (cell None)
    # sorts before cell 1. The trailing fields only break ties, so the order is total.
    return (d.filename, d.cell or 0, d.row, d.column, d.code, d.end_row, d.end_column, d.message)


def ordered_diagnostics(results: Iterable[FileResult]) -> List[ReportedDiagnostic]:
    """Every diagnostic of every file, analysis errors included, in the documented order."""
    collected: List[ReportedDiagnostic] = []
    for result in results:
        if result.error is not None:
            collected.append(_error_diagnostic(result))
        collected.extend(result.diagnostics)
    return sorted(collected, key=_sort_key)


def ordered_edits(fix: ReportedFix) -> List[ReportedEdit]:
    return sorted(fix.edits, key=lambda e: (e.row, e.column, e.end_row, e.end_column, e.content))


_LINE_BREAKS = re.compile(r"[ \t]*(?:\r\n|\r|\n)+[ \t]*")


def one_line(text: str) -> str:
    """Line-oriented formats show one diagnostic per line: line breaks become spaces."""
    return _LINE_BREAKS.sub(" ", text).strip()
