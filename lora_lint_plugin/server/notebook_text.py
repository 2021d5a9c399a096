"""Positions in a notebook's JSON text for positions in its cells.

An editor without notebook support (Neovim, Helix, Emacs) opens a ``.ipynb`` as plain JSON; its
diagnostics must point into that text. This scanner walks the JSON once, records where each
string of ``cells[i].source`` starts, and maps (cell, line, column) through the string's escapes
(``\\n``, ``\\"``, ``\\uXXXX`` and surrogate pairs) to a line and column of the text.
Anything it does not understand gives None (the diagnostic is then not shown), never an error.
"""

from __future__ import annotations

import bisect
import json.decoder
import re
from typing import Callable, Dict, List, Optional, Tuple

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_SCALAR = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?|true|false|null")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_SURROGATE_HIGH = range(0xD800, 0xDC00)

# The standard library's JSON string scanner (from the index after the opening quote to the
# decoded string and the index after the closing quote); typeshed does not list it.
scanstring: Callable[[str, int], Tuple[str, int]] = getattr(json.decoder, "scanstring")


class _Malformed(ValueError):
    pass


class NotebookText:
    """The JSON text of a notebook, with the positions of its cells' source strings."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._line_starts = [0] + [match.end() for match in _LINE_BREAK.finditer(text)]
        # cell number (1-based) -> [(index of the string's opening quote, decoded string)]
        self._sources: Dict[int, List[Tuple[int, str]]] = {}
        try:
            self._scan_top()
        except (_Malformed, ValueError, IndexError, RecursionError):
            self._sources = {}

    # -- scanning -------------------------------------------------------------------------------

    def _skip(self, index: int) -> int:
        match = _WHITESPACE.match(self.text, index)
        return match.end() if match else index

    def _expect(self, index: int, char: str) -> int:
        index = self._skip(index)
        if self.text[index] != char:
            raise _Malformed(index)
        return index + 1

    def _members(self, index: int, on_value: Callable[[str, int], int]) -> int:
        """Scan an object from its ``{``; ``on_value(key, index)`` scans each value."""
        index = self._expect(index, "{")
        if self.text[self._skip(index)] == "}":
            return self._skip(index) + 1
        while True:
            index = self._expect(index, '"')
            key, index = scanstring(self.text, index)
            index = self._expect(index, ":")
            index = on_value(key, self._skip(index))
            index = self._skip(index)
            if self.text[index] == "}":
                return index + 1
            index = self._expect(index, ",")

    def _elements(self, index: int, on_value: Callable[[int, int], int]) -> int:
        index = self._expect(index, "[")
        if self.text[self._skip(index)] == "]":
            return self._skip(index) + 1
        position = 0
        while True:
            index = on_value(position, self._skip(index))
            position += 1
            index = self._skip(index)
            if self.text[index] == "]":
                return index + 1
            index = self._expect(index, ",")

    def _value(self, index: int) -> int:
        """Skip any JSON value starting at ``index``."""
        char = self.text[index]
        if char == "{":
            return self._members(index, lambda key, at: self._value(at))
        if char == "[":
            return self._elements(index, lambda position, at: self._value(at))
        if char == '"':
            return scanstring(self.text, index + 1)[1]
        match = _SCALAR.match(self.text, index)
        if match is None:
            raise _Malformed(index)
        return match.end()

    def _scan_top(self) -> None:
        def top(key: str, at: int) -> int:
            if key != "cells" or self.text[at] != "[":
                return self._value(at)
            return self._elements(at, self._cell)

        self._members(self._skip(0), top)

    def _cell(self, position: int, at: int) -> int:
        number = position + 1

        def member(key: str, value_at: int) -> int:
            if key != "source":
                return self._value(value_at)
            if self.text[value_at] == '"':
                return self._string(number, value_at)
            return self._elements(value_at, lambda _, string_at: self._string(number, string_at))

        if self.text[at] != "{":
            return self._value(at)
        return self._members(at, member)

    def _string(self, number: int, at: int) -> int:
        if self.text[at] != '"':
            raise _Malformed(at)
        decoded, end = scanstring(self.text, at + 1)
        self._sources.setdefault(number, []).append((at, decoded))
        return end

    # -- mapping --------------------------------------------------------------------------------

    def position(self, cell: int, line: int, column: int) -> Optional[Tuple[int, int]]:
        """(0-based line, code-point column) in the text of 1-based ``line``, 0-based code-point
        ``column`` of 1-based ``cell``; None when the cell or position is not found."""
        strings = self._sources.get(cell)
        if not strings:
            return None
        cell_text = "".join(decoded for _, decoded in strings)
        offset = _offset(cell_text, line, column)
        if offset is None:
            return None
        for quote, decoded in strings:
            if offset <= len(decoded):
                if offset == len(decoded) and decoded.endswith(("\n", "\r")) and len(strings) > 1 \
                        and (quote, decoded) != strings[-1]:
                    offset -= len(decoded)  # the start of the next string, not after the break
                    continue
                return self._line_column(self._raw_index(quote, offset))
            offset -= len(decoded)
        return None

    def _raw_index(self, quote: int, offset: int) -> int:
        """The index in the text of decoded character ``offset`` of the string at ``quote``."""
        index = quote + 1
        for _ in range(offset):
            if self.text[index] != "\\":
                index += 1
            elif self.text[index + 1] != "u":
                index += 2
            elif int(self.text[index + 2:index + 6], 16) in _SURROGATE_HIGH and \
                    self.text[index + 6:index + 8] == "\\u":
                index += 12  # an escaped surrogate pair is one character
            else:
                index += 6
        return index

    def _line_column(self, index: int) -> Tuple[int, int]:
        line = bisect.bisect_right(self._line_starts, index) - 1
        return line, index - self._line_starts[line]


def _offset(text: str, line: int, column: int) -> Optional[int]:
    starts = [0] + [match.end() for match in _LINE_BREAK.finditer(text)]
    if not 0 < line <= len(starts):
        return None
    return min(starts[line - 1] + column, len(text))
