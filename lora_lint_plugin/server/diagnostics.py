"""lora-lint's reported diagnostics as LSP ``Diagnostic``s.

Rows and columns of a ``ReportedDiagnostic`` are 1-based code points in the editor document (a
notebook cell's own text for synchronised notebooks); LSP wants 0-based lines and columns in the
negotiated encoding (UTF-16 unless agreed otherwise). Each diagnostic links its code to the
rule's documentation page and says, in ``data``, whether a fix exists.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence

from lsprotocol import types

from ..reporters import ReportedDiagnostic
from ..reporters.model import ANALYSIS_ERROR_CODE, LEVEL_ERROR, level_of
from .positions import UTF16, client_column, document_lines

SOURCE = "lora-lint"


def lsp_position(lines: Sequence[str], row: int, column: int, encoding: str = UTF16) -> types.Position:
    """The LSP position of 1-based ``row``, 1-based code-point ``column`` (clamped to the text)."""
    if not lines:
        return types.Position(line=0, character=0)
    line = max(0, min(row - 1, len(lines) - 1))
    if row - 1 >= len(lines):  # past the end: the end of the last line
        return types.Position(line=line, character=client_column(lines[line], len(lines[line]), encoding))
    return types.Position(line=line, character=client_column(lines[line], column - 1, encoding))


def lsp_range(lines: Sequence[str], row: int, column: int, end_row: int, end_column: int,
              encoding: str = UTF16) -> types.Range:
    return types.Range(start=lsp_position(lines, row, column, encoding),
                       end=lsp_position(lines, end_row, end_column, encoding))


def to_lsp(diagnostic: ReportedDiagnostic, lines: Sequence[str], urls: Dict[str, str],
           encoding: str = UTF16) -> types.Diagnostic:
    url = urls.get(diagnostic.code)
    data: Optional[Dict[str, str]] = None
    if diagnostic.fix is not None:
        data = {"fix": diagnostic.fix.applicability}
    return types.Diagnostic(
        range=lsp_range(lines, diagnostic.row, diagnostic.column, diagnostic.end_row,
                        diagnostic.end_column, encoding),
        message=diagnostic.message,
        severity=(types.DiagnosticSeverity.Error if level_of(diagnostic.code) == LEVEL_ERROR
                  else types.DiagnosticSeverity.Warning),
        code=diagnostic.code,
        code_description=types.CodeDescription(href=url) if url else None,
        source=SOURCE,
        data=data,
    )


def to_lsp_all(diagnostics: Sequence[ReportedDiagnostic], text: str, urls: Dict[str, str],
               encoding: str = UTF16) -> List[types.Diagnostic]:
    lines = document_lines(text)
    return [to_lsp(d, lines, urls, encoding) for d in diagnostics]


def rule_urls() -> Dict[str, str]:
    """Each rule's documentation page (LOR000 links to the project)."""
    from ..reporters.model import PROJECT_URL
    from ..rules import all_rules

    urls = {rule.code: rule.url() for rule in all_rules()}
    urls[ANALYSIS_ERROR_CODE] = PROJECT_URL
    return urls
