"""``json`` (one array) and ``json-lines`` (one object per line), with ruff's field names.

Output is ASCII-only (``\\uXXXX`` escapes), so it survives any stdout encoding; every JSON
parser reads back the original text. Keys are sorted, so equal results give equal bytes.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Mapping, Optional, Sequence

from lora_lint_plugin.reporters.model import (
    ANALYSIS_ERROR_CODE,
    FileResult,
    ReportedDiagnostic,
    ReportedFix,
    RuleInfo,
    level_of,
    ordered_diagnostics,
    ordered_edits,
    rule_for,
)


def _location(row: int, column: int) -> Dict[str, int]:
    return {"row": row, "column": column}


def _fix_object(fix: Optional[ReportedFix]) -> Optional[Dict[str, Any]]:
    if fix is None:
        return None
    return {
        "applicability": fix.applicability,
        "message": fix.message,
        "edits": [
            {
                "content": edit.content,
                "location": _location(edit.row, edit.column),
                "end_location": _location(edit.end_row, edit.end_column),
            }
            for edit in ordered_edits(fix)
        ],
    }


def diagnostic_object(d: ReportedDiagnostic, rules: Mapping[str, RuleInfo]) -> Dict[str, Any]:
    rule = rule_for(d.code, rules)
    return {
        "cell": d.cell,
        "code": d.code,
        "end_location": _location(d.end_row, d.end_column),
        "filename": d.filename,
        "fix": _fix_object(d.fix),
        "location": _location(d.row, d.column),
        "message": d.message,
        "name": rule.name if rule is not None else None,
        # ``# noqa`` works on the reported line only; an analysis error cannot be silenced.
        "noqa_row": None if d.code == ANALYSIS_ERROR_CODE else d.row,
        "severity": level_of(d.code),
        "url": (rule.url or None) if rule is not None else None,
    }


def render_json(results: Sequence[FileResult], rules: Mapping[str, RuleInfo]) -> str:
    objects = [diagnostic_object(d, rules) for d in ordered_diagnostics(results)]
    return json.dumps(objects, indent=2, sort_keys=True, ensure_ascii=True) + "\n"


def render_json_lines(results: Sequence[FileResult], rules: Mapping[str, RuleInfo]) -> str:
    return "".join(
        json.dumps(diagnostic_object(d, rules), sort_keys=True, ensure_ascii=True) + "\n"
        for d in ordered_diagnostics(results)
    )
