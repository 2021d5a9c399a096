"""SARIF 2.1.0 for GitHub code scanning (``github/codeql-action/upload-sarif``).

One run; ``tool.driver.rules`` lists every rule of the registry plus any other code reported,
sorted by id, so ``ruleIndex`` is stable for a given rule set. Relative paths become relative
URIs against ``%SRCROOT%`` (what code scanning wants); ``partialFingerprints`` are left to the
upload action.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import PurePath
from typing import Any, Dict, List, Mapping, Optional, Sequence
from urllib.parse import quote

from lora_lint_plugin import __version__
from lora_lint_plugin.reporters.model import (
    PROJECT_URL,
    FileResult,
    ReportedDiagnostic,
    ReportedFix,
    RuleInfo,
    level_of,
    ordered_diagnostics,
    ordered_edits,
    rule_for,
)

SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
SRCROOT = "%SRCROOT%"


def _directory_uri(path: str) -> str:
    uri = PurePath(os.path.abspath(path)).as_uri()
    return uri if uri.endswith("/") else uri + "/"  # SARIF requires base URIs to end in "/"


def artifact_location(filename: str, source_root: str) -> Dict[str, str]:
    """A relative, percent-encoded URI under %SRCROOT% when possible, else a file:// URI."""
    path = PurePath(filename)
    if path.is_absolute():
        try:
            path = path.relative_to(os.path.abspath(source_root))
        except ValueError:
            return {"uri": path.as_uri()}
    posix = path.as_posix()  # also drops "./" and turns Windows backslashes into "/"
    # Encode everything but "/" (":" too, so "a:b.py" cannot read as a URI scheme).
    return {"uri": quote(posix, safe="/"), "uriBaseId": SRCROOT}


def _region(row: int, column: int, end_row: int, end_column: int) -> Dict[str, int]:
    return {"startLine": row, "startColumn": column, "endLine": end_row, "endColumn": end_column}


def _first_paragraph(markdown: str) -> str:
    for block in markdown.strip().split("\n\n"):
        text = " ".join(line.strip() for line in block.splitlines() if not line.startswith("#"))
        if text.strip():
            return text.strip()
    return ""


def pascal_case(name: str) -> str:
    """SARIF wants rule names as one Pascal-case identifier (validator rule SARIF2012)."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^0-9A-Za-z]+", name))


def rule_descriptor(code: str, rule: Optional[RuleInfo]) -> Dict[str, Any]:
    if rule is None:  # a code the registry does not know: still needs a descriptor for ruleIndex
        return {
            "id": code,
            "shortDescription": {"text": code},
            "fullDescription": {"text": code},
            "help": {"text": code},
            "defaultConfiguration": {"level": level_of(code)},
        }
    summary = rule.summary or rule.name or code
    docs = rule.docs_markdown.strip() or summary
    descriptor: Dict[str, Any] = {
        "id": rule.code,
        "name": pascal_case(rule.name),
        "shortDescription": {"text": summary},
        "fullDescription": {"text": _first_paragraph(docs) or summary},
        "help": {"text": docs, "markdown": docs},
        "defaultConfiguration": {"level": level_of(code), "enabled": rule.default_enabled},
    }
    if rule.fix_safety:
        descriptor["properties"] = {"fixSafety": rule.fix_safety}
    if rule.url:
        descriptor["helpUri"] = rule.url
    return descriptor


def _fixes(d: ReportedDiagnostic, fix: ReportedFix, location: Dict[str, str]) -> List[Any]:
    replacements = [
        {
            "deletedRegion": _region(e.row, e.column, e.end_row, e.end_column),
            "insertedContent": {"text": e.content},
        }
        for e in ordered_edits(fix)
    ]
    return [
        {
            "description": {"text": fix.message},
            "artifactChanges": [{"artifactLocation": location, "replacements": replacements}],
            "properties": {"applicability": fix.applicability},
        }
    ]


def _result(d: ReportedDiagnostic, rule_index: int, source_root: str) -> Dict[str, Any]:
    location = artifact_location(d.filename, source_root)
    message = d.message if d.cell is None else f"cell {d.cell}: {d.message}"
    result: Dict[str, Any] = {
        "ruleId": d.code,
        "ruleIndex": rule_index,
        "level": level_of(d.code),
        "message": {"text": message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": location,
                    "region": _region(d.row, d.column, d.end_row, d.end_column),
                }
            }
        ],
    }
    if d.cell is not None:
        # The region counts rows from the top of the cell, not of the .ipynb JSON.
        result["properties"] = {"cell": d.cell}
    elif d.fix is not None and d.fix.edits:
        # Notebook fixes are left out: their regions would point into the raw JSON.
        result["fixes"] = _fixes(d, d.fix, location)
    return result


def sarif_log(
    results: Sequence[FileResult],
    rules: Mapping[str, RuleInfo],
    source_root: Optional[str] = None,
) -> Dict[str, Any]:
    root = source_root if source_root is not None else os.getcwd()
    diagnostics = ordered_diagnostics(results)
    codes = sorted(set(rules) | {d.code for d in diagnostics})
    index = {code: i for i, code in enumerate(codes)}
    return {
        "$schema": SARIF_SCHEMA_URI,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "lora-lint",
                        "semanticVersion": __version__,
                        "informationUri": PROJECT_URL,
                        "rules": [rule_descriptor(c, rule_for(c, rules)) for c in codes],
                    }
                },
                "originalUriBaseIds": {SRCROOT: {"uri": _directory_uri(root)}},
                # Our columns count code points; SARIF's default would be UTF-16 code units.
                "columnKind": "unicodeCodePoints",
                "results": [_result(d, index[d.code], root) for d in diagnostics],
            }
        ],
    }


def render_sarif(
    results: Sequence[FileResult],
    rules: Mapping[str, RuleInfo],
    source_root: Optional[str] = None,
) -> str:
    return json.dumps(sarif_log(results, rules, source_root), indent=2, ensure_ascii=True) + "\n"
