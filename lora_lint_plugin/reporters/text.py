"""The default one-line-per-diagnostic format, as ruff's ``concise``."""

from __future__ import annotations

from typing import List, Mapping, Sequence

from lora_lint_plugin.reporters.model import (
    FileResult,
    ReportedDiagnostic,
    RuleInfo,
    has_safe_fix,
    one_line,
    ordered_diagnostics,
)


def location_prefix(d: ReportedDiagnostic) -> str:
    """``path:row:col`` or, in a notebook, ``path:cell N:row:col`` (ruff's notebook form)."""
    cell = f"cell {d.cell}:" if d.cell is not None else ""
    return f"{d.filename}:{cell}{d.row}:{d.column}"


def format_line(d: ReportedDiagnostic) -> str:
    marker = " [*]" if has_safe_fix(d) else ""
    return f"{location_prefix(d)}: {d.code}{marker} {one_line(d.message)}"


def summary_line(diagnostics: Sequence[ReportedDiagnostic]) -> str:
    if not diagnostics:
        return "All checks passed!"
    count = len(diagnostics)
    noun = "diagnostic" if count == 1 else "diagnostics"
    fixable = sum(1 for d in diagnostics if has_safe_fix(d))
    if fixable:
        return f"Found {count} {noun} ({fixable} fixable with `lora-lint fix`)."
    return f"Found {count} {noun}."


def render_text(results: Sequence[FileResult], rules: Mapping[str, RuleInfo]) -> str:
    diagnostics = ordered_diagnostics(results)
    lines: List[str] = [format_line(d) for d in diagnostics]
    lines.append(summary_line(diagnostics))
    return "\n".join(lines) + "\n"
