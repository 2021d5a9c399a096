"""Source positions of ``ast`` nodes as ``Span``s in code points.

``ast`` columns are UTF-8 byte offsets; lora-lint reports (like flake8 and LibCST) count
characters, so a line holding non-ASCII text before a node needs converting. Lines are split
the way Python's tokenizer splits them (``\\r\\n``, ``\\r`` or ``\\n``), not with
``str.splitlines``, which also breaks at form feeds and other separators Python does not.
"""

from __future__ import annotations

import ast
import re
from typing import Dict, List, Tuple

from .diagnostics import Span

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class SourceLines:
    """The lines of one source text, with byte-to-character column conversion."""

    def __init__(self, source: str) -> None:
        self.source = source
        # Without a carriage return the breaks are the ``\n``s (``str.split``: ~5x the regex's speed)
        self.lines: List[str] = _LINE_BREAK.split(source) if "\r" in source else source.split("\n")
        self._encoded: Dict[int, bytes] = {}
        self._starts: List[int] = []
        # In ASCII text a byte column is the character column: no line needs converting.
        self._ascii = source.isascii()

    def column(self, line: int, byte_col: int) -> int:
        """The character column of ``byte_col`` on 1-based ``line``."""
        if not 0 < line <= len(self.lines):
            return byte_col
        text = self.lines[line - 1]
        if text.isascii():
            return byte_col
        encoded = self._encoded.get(line)
        if encoded is None:
            encoded = self._encoded[line] = text.encode("utf-8", "surrogatepass")
        return len(encoded[:byte_col].decode("utf-8", "replace"))

    def span(self, node: ast.AST) -> Span:
        if self._ascii:
            return Span(node.lineno, node.col_offset,  # type: ignore[attr-defined]
                        node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]
        line = node.lineno  # type: ignore[attr-defined]
        end_line = node.end_lineno  # type: ignore[attr-defined]
        return Span(line, self.column(line, node.col_offset),  # type: ignore[attr-defined]
                    end_line, self.column(end_line, node.end_col_offset))  # type: ignore[attr-defined]

    def offset(self, line: int, col: int) -> int:
        """The index in the source text of 1-based ``line``, character column ``col``
        (the end of the text for a line past the end)."""
        if not self._starts:
            self._starts = [0] + [match.end() for match in _LINE_BREAK.finditer(self.source)]
        if line > len(self._starts):
            return len(self.source)
        return self._starts[line - 1] + col

    def replaced(self, edits: List[Tuple[Span, str]]) -> str:
        """The source with each (span, text) put in place; spans must not overlap."""
        text = self.source
        for span, content in sorted(edits, key=lambda edit: edit[0], reverse=True):
            text = text[:self.offset(span.line, span.col)] + content + \
                text[self.offset(span.end_line, span.end_col):]
        return text

    def line(self, number: int) -> str:
        """The text of 1-based line ``number`` without its line break ("" past the end)."""
        return self.lines[number - 1] if 0 < number <= len(self.lines) else ""

    def segment(self, span: Span) -> str:
        """The source text of ``span`` (line breaks as ``\n``; lines past the end are empty)."""
        if span.line == span.end_line:
            return self.line(span.line)[span.col:span.end_col]
        parts = [self.line(span.line)[span.col:]]
        parts.extend(self.line(number) for number in range(span.line + 1, span.end_line))
        parts.append(self.line(span.end_line)[:span.end_col])
        return "\n".join(parts)
