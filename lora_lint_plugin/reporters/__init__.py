"""Output formats of ``lora-lint check``: text, json, json-lines, github, sarif.

``render(format_name, results, rules)`` returns the whole report as one string ending in a
newline (or the empty string for ``json-lines`` with nothing to report); the CLI writes it to
stdout or ``-o FILE``. See docs/output-formats.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Mapping, Optional, Sequence

from lora_lint_plugin.reporters.model import (
    ANALYSIS_ERROR_CODE,
    ANALYSIS_ERROR_RULE,
    FileResult,
    ReportedDiagnostic,
    ReportedEdit,
    ReportedFix,
    RuleInfo,
    ordered_diagnostics,
)

# The JSON Schema of the ``json`` format (an array) and, via ``#/$defs/diagnostic``, of each
# ``json-lines`` line.
JSON_SCHEMA_PATH = Path(__file__).parent / "schema" / "lora-lint-json.schema.json"

DEFAULT_FORMAT = "text"
# "concise" is an alias of "text" for users coming from ruff, whose one-line format it matches.
FORMATS = ("text", "concise", "json", "json-lines", "github", "sarif")


def _renderer(format_name: str) -> Callable[..., str]:
    # Imported here so the model above is importable by the renderer modules without a cycle.
    if format_name in ("text", "concise"):
        from lora_lint_plugin.reporters.text import render_text

        return render_text
    if format_name == "json":
        from lora_lint_plugin.reporters.json_format import render_json

        return render_json
    if format_name == "json-lines":
        from lora_lint_plugin.reporters.json_format import render_json_lines

        return render_json_lines
    if format_name == "github":
        from lora_lint_plugin.reporters.github import render_github

        return render_github
    if format_name == "sarif":
        from lora_lint_plugin.reporters.sarif import render_sarif

        return render_sarif
    raise ValueError(
        f"unknown output format {format_name!r}; choose one of: {', '.join(FORMATS)}"
    )


def render(
    format_name: str,
    results: Sequence[FileResult],
    rules: Mapping[str, RuleInfo],
    *,
    source_root: Optional[str] = None,
) -> str:
    """Render ``results`` in ``format_name``; ValueError for an unknown format.

    ``source_root`` is only used by ``sarif`` (the ``%SRCROOT%`` base of relative paths; the
    current directory when None).
    """
    renderer = _renderer(format_name)
    if format_name == "sarif":
        return renderer(results, rules, source_root=source_root)
    return renderer(results, rules)


__all__ = [
    "ANALYSIS_ERROR_CODE",
    "ANALYSIS_ERROR_RULE",
    "DEFAULT_FORMAT",
    "FORMATS",
    "JSON_SCHEMA_PATH",
    "FileResult",
    "ReportedDiagnostic",
    "ReportedEdit",
    "ReportedFix",
    "RuleInfo",
    "ordered_diagnostics",
    "render",
]
