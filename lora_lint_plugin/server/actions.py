"""``textDocument/codeAction``: a quick fix per fixable diagnostic, "Disable LORxxx for this
line" (a ``# noqa`` comment, merged into one that is already there) and
``source.fixAll.lora-lint`` (every safe fix, as ``lora-lint fix`` applies them).

The edits come from the fix machinery (``fixing/``, realised with LibCST) through
``linting.lint_source(..., fix_edits=True)``; nothing here knows what a fix does.
"""

from __future__ import annotations

import io
import tokenize
from typing import Dict, List, Optional, Sequence, Tuple

from lsprotocol import types

from ..config.selection import NOQA_INLINE
from ..reporters import ReportedDiagnostic
from .diagnostics import lsp_position, lsp_range
from .documents import Document
from .positions import UTF16, document_lines

FIX_ALL_KIND = "source.fixAll.lora-lint"
QUICK_FIX_KIND = types.CodeActionKind.QuickFix.value
UNSAFE_LABEL = " (unsafe)"


def wanted(kind: str, only: Optional[Sequence[str]]) -> bool:
    """Whether the client asked for actions of ``kind`` (LSP kinds are dot-separated
    hierarchies: asking for ``source.fixAll`` includes ``source.fixAll.lora-lint``)."""
    if not only:
        return True
    return any(kind == asked or kind.startswith(asked + ".") for asked in only)


class EditBuilder:
    """Text edits per editor document, as a ``WorkspaceEdit`` (versioned ``documentChanges``
    when the client supports them, so a stale edit is refused instead of misapplied)."""

    def __init__(self, document: Document, encoding: str = UTF16, versioned: bool = False) -> None:
        self.document = document
        self.encoding = encoding
        self.versioned = versioned
        self._lines: Dict[str, List[str]] = {}
        self.edits: Dict[str, List[types.TextEdit]] = {}

    def lines(self, uri: str) -> List[str]:
        if uri not in self._lines:
            self._lines[uri] = document_lines(self.document.text_of(uri))
        return self._lines[uri]

    def add(self, uri: str, row: int, column: int, end_row: int, end_column: int, text: str) -> None:
        """Replace 1-based rows and code-point columns (end exclusive) of ``uri`` with ``text``."""
        lines = self.lines(uri)
        self.edits.setdefault(uri, []).append(types.TextEdit(
            range=lsp_range(lines, row, column, end_row, end_column, self.encoding), new_text=text))

    def workspace_edit(self) -> types.WorkspaceEdit:
        if not self.versioned:
            return types.WorkspaceEdit(changes=dict(self.edits))
        changes = [types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(
                uri=uri, version=self.document.version_of(uri)),
            edits=list(edits)) for uri, edits in self.edits.items()]
        return types.WorkspaceEdit(document_changes=changes)


def quick_fix(diagnostic: ReportedDiagnostic, document: Document, client: types.Diagnostic,
              encoding: str = UTF16, versioned: bool = False) -> Optional[types.CodeAction]:
    """The diagnostic's own fix (None when it has none or its edits could not be realised)."""
    fix = diagnostic.fix
    if fix is None or not fix.edits:
        return None
    builder = EditBuilder(document, encoding, versioned)
    for edit in fix.edits:
        uri = document.cell_uri(edit.cell) if document.synchronised_notebook else document.uri
        if uri is None:
            return None
        builder.add(uri, edit.row, edit.column, edit.end_row, edit.end_column, edit.content)
    safe = fix.applicability == "safe"
    return types.CodeAction(
        title=f"{diagnostic.code}: {fix.message}{'' if safe else UNSAFE_LABEL}",
        kind=QUICK_FIX_KIND, diagnostics=[client], is_preferred=safe,
        edit=builder.workspace_edit())


def noqa_action(diagnostic: ReportedDiagnostic, uri: str, document: Document,
                client: types.Diagnostic, encoding: str = UTF16,
                versioned: bool = False) -> Optional[types.CodeAction]:
    """"Disable LORxxx for this line" (None in a notebook's JSON text, where a comment would
    have to go inside a JSON string)."""
    if document.is_notebook_file:
        return None
    edit = noqa_edit(document.text_of(uri), diagnostic.row, diagnostic.code, python=not document.is_yaml)
    if edit is None:
        return None
    row, column, text = edit
    builder = EditBuilder(document, encoding, versioned)
    builder.add(uri, row, column, row, column, text)
    return types.CodeAction(
        title=f"Disable {diagnostic.code} for this line", kind=QUICK_FIX_KIND,
        diagnostics=[client], edit=builder.workspace_edit())


def noqa_edit(text: str, row: int, code: str, python: bool = True) -> Optional[Tuple[int, int, str]]:
    """Where and what to insert so that ``# noqa`` silences ``code`` reported on 1-based
    ``row``: (row, 1-based code-point column, text). In Python, a line inside a multi-line
    string gets the comment after the string ends (YAML: the line itself); an existing
    ``# noqa: X`` gets ``, code`` added; a blanket ``# noqa`` (which silences everything
    already) gives None."""
    lines = document_lines(text)
    if python:
        row = _statement_end_row(text, row)
    if not 0 < row <= len(lines):
        return None
    line = lines[row - 1]
    match = NOQA_INLINE.search(line)
    if match is not None:
        codes = match.group("codes")
        if codes is None:
            return None
        end = match.start("codes") + len(codes.rstrip(", \t"))
        return row, end + 1, f", {code}"
    content = line.rstrip()
    return row, len(content) + 1, f"  # noqa: {code}"


def _statement_end_row(text: str, row: int) -> int:
    """The last row of a token that spans ``row`` (a multi-line string), else ``row``."""
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.start[0] > row:
                break
            if token.start[0] <= row < token.end[0]:
                row = token.end[0]
    except (tokenize.TokenError, SyntaxError, ValueError):
        pass  # a half-typed buffer: the diagnostic's own row
    return row


def fix_all_action(document: Document, new_texts: Dict[str, str], encoding: str = UTF16,
                   versioned: bool = False) -> Optional[types.CodeAction]:
    """``source.fixAll.lora-lint`` from the fixed text of each changed document."""
    if not new_texts:
        return None
    builder = EditBuilder(document, encoding, versioned)
    for uri, new_text in new_texts.items():
        old_text = document.text_of(uri)
        row, column, end_row, end_column, replacement = replacement_span(old_text, new_text)
        builder.add(uri, row, column, end_row, end_column, replacement)
    return types.CodeAction(title="lora-lint: fix all safely fixable problems", kind=FIX_ALL_KIND,
                            edit=builder.workspace_edit())


def replacement_span(old: str, new: str) -> Tuple[int, int, int, int, str]:
    """One edit turning ``old`` into ``new``: the region between their common prefix and
    suffix (so the editor keeps the cursor and folds outside it). 1-based rows and columns."""
    limit = min(len(old), len(new))
    prefix = 0
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]:
        suffix += 1
    if 0 < prefix < len(old) and old[prefix - 1:prefix + 1] == "\r\n":
        prefix -= 1  # never split a CRLF pair: LSP counts it as one line break
    end = len(old) - suffix
    if 0 < end < len(old) and old[end - 1:end + 1] == "\r\n":
        suffix -= 1
    start_row, start_column = _row_column(old, prefix)
    end_row, end_column = _row_column(old, len(old) - suffix)
    return start_row, start_column, end_row, end_column, new[prefix:len(new) - suffix]


def _row_column(text: str, offset: int) -> Tuple[int, int]:
    """1-based row and column of ``offset`` with LSP's line breaks (a ``\\r\\n`` pair is one)."""
    lines = document_lines(text[:offset])
    return len(lines), len(lines[-1]) + 1


def overlaps(a: types.Range, b: types.Range) -> bool:
    return (a.start.line, a.start.character) <= (b.end.line, b.end.character) and \
        (b.start.line, b.start.character) <= (a.end.line, a.end.character)


__all__ = ["FIX_ALL_KIND", "EditBuilder", "fix_all_action", "lsp_position", "noqa_action",
           "noqa_edit", "overlaps", "quick_fix", "replacement_span", "wanted"]
