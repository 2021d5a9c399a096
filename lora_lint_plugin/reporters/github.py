"""GitHub Actions workflow commands (``::warning``/``::error``) that become PR annotations.

Escaping follows ``actions/toolkit`` ``command.ts``: data gets ``%``, CR, LF escaped; property
values additionally ``:`` and ``,``.
"""

from __future__ import annotations

from typing import List, Mapping, Sequence, Tuple

from lora_lint_plugin.reporters.model import (
    FileResult,
    ReportedDiagnostic,
    RuleInfo,
    level_of,
    ordered_diagnostics,
)
from lora_lint_plugin.reporters.text import location_prefix


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _properties(d: ReportedDiagnostic) -> List[Tuple[str, str]]:
    props = [("title", f"lora-lint ({d.code})"), ("file", d.filename)]
    if d.cell is not None:
        # Rows count from the top of a notebook cell, not of the .ipynb JSON: annotate the whole
        # file and let the message (``path:cell N:row:col``) say where.
        return props
    props += [("line", str(d.row)), ("endLine", str(d.end_row))]
    if d.row == d.end_row:
        # GitHub only accepts columns for an annotation that starts and ends on one line.
        props += [("col", str(d.column)), ("endColumn", str(d.end_column))]
    return props


def format_command(d: ReportedDiagnostic) -> str:
    props = ",".join(f"{key}={escape_property(value)}" for key, value in _properties(d))
    # Unlike the text format, line breaks inside the message are kept (as %0A): GitHub shows
    # multi-line annotation messages.
    message = f"{location_prefix(d)}: {d.code} {d.message}"
    return f"::{level_of(d.code)} {props}::{escape_data(message)}"


def render_github(results: Sequence[FileResult], rules: Mapping[str, RuleInfo]) -> str:
    return "".join(format_command(d) + "\n" for d in ordered_diagnostics(results))
