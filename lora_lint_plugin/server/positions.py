"""Columns as the client counts them.

lora-lint reports columns in code points; LSP counts UTF-16 code units unless client and server
agreed on ``utf-8`` or ``utf-32`` at ``initialize``. A line holding text outside the Basic
Multilingual Plane (an emoji) or, for UTF-8, any non-ASCII character needs converting.
Pure functions, no pygls: the server passes the negotiated encoding.
"""

from __future__ import annotations

import re
from typing import List

UTF8 = "utf-8"
UTF16 = "utf-16"
UTF32 = "utf-32"

# LSP's line breaks (and Python's tokenizer's): a lone "\r" ends a line too.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def document_lines(text: str) -> List[str]:
    """The lines of ``text`` as LSP numbers them (without their line breaks)."""
    return _LINE_BREAK.split(text)


def _units(text: str, encoding: str) -> int:
    if text.isascii() or encoding == UTF32:
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def client_column(line: str, column: int, encoding: str = UTF16) -> int:
    """The client's column for 0-based code-point ``column`` of ``line`` (clamped to the line)."""
    column = max(0, min(column, len(line)))
    return _units(line[:column], encoding)


def code_point_column(line: str, units: int, encoding: str = UTF16) -> int:
    """The 0-based code-point column of the client's column ``units`` on ``line`` (a column
    inside a character, or past the end, moves to the next character boundary or the end)."""
    if line.isascii() or encoding == UTF32:
        return max(0, min(units, len(line)))
    counted = 0
    for index, char in enumerate(line):
        if counted >= units:
            return index
        counted += _units(char, encoding)
    return len(line)
