"""Jupyter notebooks (``.ipynb``) as one Python module, and fixes written back into the cells.

Pure stdlib (``json``); neither nbformat nor IPython is needed.

* ``load_notebook(raw)`` validates the JSON and joins the code cells, in order, into one module
  (``Notebook.python_source``), so a constant defined in cell 2 resolves in cell 5. Consecutive
  code cells are separated by one marker comment line, which lets write-back find the cells
  again even when a fix changes how many lines a cell has.
* IPython-only lines are masked *in place*, so line numbers never shift: line magics (``%pip``,
  and ``pip``/``conda``/``mamba``/``micromamba`` commands without the ``%``, which IPython's
  automagic runs as those magics), shell escapes (``!nvidia-smi``), ``x = !cmd`` / ``x = %magic``
  and help (``obj?``, ``??obj``) become ``pass`` at the same indentation (valid even as the
  only statement of a block);
  their backslash-continued lines and the bodies of skipped cell magics become comments.
  Bodies of ``%%time``, ``%%timeit``, ``%%capture`` and ``%%prun`` are analysed; any other
  cell magic (``%%bash``, ``%%writefile``...) is masked entirely.
* ``Notebook.without_unparseable_cells(check)``: Jupyter compiles each cell on its own, so a
  cell that does not parse is left out (its lines become comments, ``cell_errors`` says why and
  where) and every other cell is analysed with its line numbers intact.
* ``Notebook.locate(line)`` maps a module line to the cell as Jupyter shows it: 1-based over
  all cells (markdown and raw included, like ruff and the Jupyter UI), line within the cell,
  and the cell ``id`` when the notebook has one.
* ``Notebook.with_python_source(fixed)`` splits fixed module text back into cells, restores the
  masked IPython lines verbatim and rewrites only the ``source`` of cells whose text changed,
  keeping everything else byte-identical. It refuses (``NotebookError``) rather than
  reformatting a notebook whose JSON layout it cannot reproduce.

Limitations (conservative by design): a line is only treated as IPython syntax where a Python
statement could start, so magic-looking lines inside multi-line strings or open brackets are
left alone. Autocall syntax (``/func x``) is not recognised, and ``%time stmt`` masks ``stmt``
too. Automagic is recognised only for the package managers (``cd``, ``ls`` without ``%`` are not).
"""

from __future__ import annotations

import json
import keyword
import re
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ..fast_dataclass import dataclass, replace

__all__ = ["CellError", "CellLocation", "Notebook", "NotebookError", "NotebookSkipped", "load_notebook"]

MASKED_STATEMENT = "pass  # lora-lint: masked IPython line"
MASKED_COMMENT = "# lora-lint: masked IPython line"
UNPARSED_COMMENT = "# lora-lint: masked line of a cell that does not parse"
_CELL_MARKER = "# %% lora-lint: cell boundary"
# Cell magics whose body is ordinary Python run in the kernel (IPython and nbQA agree).
_ANALYSED_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun"})
_BOM = b"\xef\xbb\xbf"

_ASSIGNED_MAGIC = re.compile(r"[A-Za-z_][\w.]*(\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*[!%]")
# IPython's automagic: with no ``%``, ``pip install x`` runs the ``%pip`` magic (Jupyter, Colab).
# Two names in a row are never Python unless the second is a keyword (``pip in x``).
_AUTOMAGIC = re.compile(r"(?:pip|conda|mamba|micromamba)[ \t]+([A-Za-z_]\w*)")
_HELP = re.compile(r"(\?{1,2}\s*[%\w.*]+|%?[\w.*]+(\[[^\]]*\])?\s*\?{1,2})\s*$")
_NEWLINE = re.compile(r"(\r\n|\r|\n)")


class NotebookError(ValueError):
    """The file cannot be read (or written back) as a notebook; ``str(err)`` is a one-line reason."""


class NotebookSkipped(NotebookError):
    """A valid notebook that is not Python (e.g. an R kernel): callers skip it silently.

    A subclass of ``NotebookError`` so that callers which only know ``NotebookError`` still
    never crash; callers that want silence catch ``NotebookSkipped`` first.
    """


@dataclass(frozen=True)
class CellLocation:
    cell: int  # 1-based over all cells, markdown and raw included
    line: int  # 1-based within the cell
    cell_id: Optional[str]


@dataclass(frozen=True)
class CellError:
    """A code cell that does not parse on its own: it is left out of the analysis."""

    cell: int  # 1-based over all cells
    cell_id: Optional[str]
    line: int  # 1-based within the cell
    column: int  # 1-based
    reason: str
    # The syntax a newer Python accepts that explains the error (the cell is not broken, only
    # unreadable by the running Python), e.g. "f-string syntax of Python 3.12 (PEP 701)".
    newer_syntax: Optional[str] = None


# (line, column, reason, newer syntax or None) of a text that does not parse, None when it parses.
ParseCheck = Callable[[str], Optional[Tuple[int, int, str, Optional[str]]]]


@dataclass
class _CodeCell:
    number: int  # 1-based over all cells
    cell_id: Optional[str]
    lines: List[str]  # original lines, without line endings
    endings: List[str]  # original ending of each line ("" for a last line without one)
    masked: List[str]  # the lines as they appear in python_source
    masked_rows: List[int]  # indexes of the lines that were masked

    def newline(self) -> str:
        return next((ending for ending in self.endings if ending), "\n")


def load_notebook(raw: bytes) -> Notebook:
    """Parse and validate notebook bytes; raise ``NotebookError`` / ``NotebookSkipped``."""
    bom = raw.startswith(_BOM)
    try:
        text = (raw[len(_BOM):] if bom else raw).decode("utf-8")
    except UnicodeDecodeError as err:
        raise NotebookError(f"notebook is not UTF-8 (byte {err.start})") from None
    try:
        data = json.loads(text)
    except ValueError as err:  # json.JSONDecodeError
        raise NotebookError(f"invalid notebook JSON: {err}") from None
    except RecursionError:
        raise NotebookError("invalid notebook JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise NotebookError("invalid notebook: top-level JSON value is not an object")
    cells = data.get("cells")
    if not isinstance(cells, list):
        hint = " (nbformat 3 notebooks are not supported)" if "worksheets" in data else ""
        raise NotebookError(f"invalid notebook: missing or invalid 'cells' list{hint}")
    _check_language(data.get("metadata"))
    code_cells = []
    for number, cell in enumerate(cells, start=1):
        source = _cell_source(cell, number)
        if cell["cell_type"] == "code":
            cell_id = cell.get("id")
            code_cells.append(_make_code_cell(number, cell_id if isinstance(cell_id, str) else None, source))
    return Notebook(raw, text, bom, len(cells), code_cells)


class Notebook:
    """A loaded notebook; build it with ``load_notebook``."""

    def __init__(self, raw: bytes, text: str, bom: bool, cell_count: int, code_cells: List[_CodeCell],
                 cell_errors: Sequence[CellError] = ()):
        self.raw = raw
        self.cell_count = cell_count
        self.cell_errors = tuple(cell_errors)
        self._text = text
        self._bom = bom
        self._cells = code_cells
        self._marker = _unique_marker(code_cells)
        module_lines: List[str] = []
        self._line_map: List[Tuple[int, int, Optional[str]]] = []
        for index, cell in enumerate(code_cells):
            if index:
                module_lines.append(self._marker)
                # The boundary line belongs to no cell; report it as the next cell's first line.
                self._line_map.append((cell.number, 1, cell.cell_id))
            module_lines.extend(cell.masked)
            self._line_map.extend((cell.number, row, cell.cell_id) for row in range(1, len(cell.masked) + 1))
        self.python_source = "".join(line + "\n" for line in module_lines)

    @property
    def code_cell_numbers(self) -> List[int]:
        return [cell.number for cell in self._cells]

    def without_unparseable_cells(self, parse_check: ParseCheck) -> Notebook:
        """This notebook with each code cell that does not parse on its own left out.

        Jupyter compiles every cell separately, so one broken cell (a typo, a shell command
        IPython knows and lora-lint does not) stops only that cell. Its lines become comments,
        keeping every other cell's line numbers, and it is listed in ``cell_errors``; its
        source is written back unchanged.
        """
        cells: List[_CodeCell] = []
        errors: List[CellError] = []
        for cell in self._cells:
            failure = parse_check("".join(line + "\n" for line in cell.masked))
            if failure is None:
                cells.append(cell)
                continue
            line, column, reason, newer_syntax = failure
            row = min(max(line, 1), max(len(cell.lines), 1))
            errors.append(CellError(cell.number, cell.cell_id, row, max(column, 1), reason,
                                    newer_syntax))
            cells.append(replace(cell, masked=[UNPARSED_COMMENT] * len(cell.lines),
                                 masked_rows=list(range(len(cell.lines)))))
        if not errors:
            return self
        return Notebook(self.raw, self._text, self._bom, self.cell_count, cells, errors)

    def masked_lines(self) -> List[Tuple[int, str]]:
        """The lines masked as IPython syntax (``!pip install ...``): (1-based line of
        ``python_source``, original text), a backslash-continued line joined with its
        continuation."""
        module_line = {(cell, row): index + 1 for index, (cell, row, _) in enumerate(self._line_map)}
        found: List[Tuple[int, str]] = []
        for cell in self._cells:
            rows = set(cell.masked_rows)
            row = 0
            while row < len(cell.lines):
                if row not in rows:
                    row += 1
                    continue
                start, text = row, cell.lines[row]
                while text.endswith("\\") and row + 1 < len(cell.lines):
                    row += 1
                    text = text[:-1] + " " + cell.lines[row]
                if not text.lstrip().startswith("#") and (cell.number, start + 1) in module_line:
                    found.append((module_line[cell.number, start + 1], text))
                row += 1
        return found

    def locate(self, line: int) -> CellLocation:
        """Map a 1-based line of ``python_source`` to its cell (lines out of range are clamped)."""
        if not self._line_map:
            return CellLocation(self._cells[0].number if self._cells else 1, 1, None)
        cell, row, cell_id = self._line_map[min(max(line, 1), len(self._line_map)) - 1]
        return CellLocation(cell, row, cell_id)

    def with_python_source(self, new_source: str) -> bytes:
        """Write fixed module text back; return the original bytes object when nothing changed."""
        new_lines = _NEWLINE.split(new_source)[::2]
        if new_lines and new_lines[-1] == "":
            new_lines.pop()
        chunks: List[List[str]] = [[]]
        for line in new_lines:
            if line == self._marker:
                chunks.append([])
            else:
                chunks[-1].append(line)
        if len(chunks) != max(len(self._cells), 1):
            raise NotebookError("the fixed source no longer has one part per code cell; not written back")
        if not self._cells:
            if chunks[0]:
                raise NotebookError("the fixed source has code but the notebook has no code cell")
            return self.raw
        changed: Dict[int, str] = {}
        for cell, lines in zip(self._cells, chunks):
            if lines != cell.masked:
                changed[cell.number] = _rebuild_cell(cell, lines)
        if not changed:
            return self.raw
        return self._serialise(changed)

    def _serialise(self, changed: Dict[int, str]) -> bytes:
        style = _json_style(self._text)
        data = json.loads(self._text)  # a fresh copy: the original stays the reference
        for number, source in changed.items():
            cell = data["cells"][number - 1]
            cell["source"] = source.splitlines(keepends=True) if isinstance(cell["source"], list) else source
        try:
            encoded = _dump(data, style).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate that was escaped in the original
            raise NotebookError("cannot preserve the notebook's JSON formatting; not written back") from None
        return (_BOM if self._bom else b"") + encoded


def _check_language(metadata: Any) -> None:
    if not isinstance(metadata, dict):
        return
    for section, key in (("language_info", "name"), ("kernelspec", "language")):
        info = metadata.get(section)
        name = info.get(key) if isinstance(info, dict) else None
        if isinstance(name, str) and name and not name.lower().startswith("python"):
            raise NotebookSkipped(f"not a Python notebook (metadata.{section}.{key} is {name!r})")


def _cell_source(cell: Any, number: int) -> str:
    if not isinstance(cell, dict):
        raise NotebookError(f"invalid notebook: cell {number} is not an object")
    if not isinstance(cell.get("cell_type"), str):
        raise NotebookError(f"invalid notebook: cell {number} has no 'cell_type'")
    source = cell.get("source", "" if cell["cell_type"] != "code" else None)
    if isinstance(source, str):
        return source
    if isinstance(source, list):
        if all(isinstance(item, str) for item in source):
            return "".join(source)
        raise NotebookError(f"invalid notebook: cell {number} 'source' list has a non-string item")
    raise NotebookError(f"invalid notebook: cell {number} 'source' is not a string or list of strings")


def _split_lines(text: str) -> Tuple[List[str], List[str]]:
    """Split on the newlines Python itself recognises (\\r\\n, \\r, \\n), keeping each ending."""
    parts = _NEWLINE.split(text)
    lines, endings = parts[::2], parts[1::2] + [""]
    if lines[-1] == "":  # text is empty or ends with a newline: no further line
        lines.pop()
        endings.pop()
    return lines, endings


def _make_code_cell(number: int, cell_id: Optional[str], source: str) -> _CodeCell:
    lines, endings = _split_lines(source)
    masked_rows = _ipython_rows(lines)
    masked = list(lines)
    for row, statement in masked_rows.items():
        indent = lines[row][: len(lines[row]) - len(lines[row].lstrip())]
        masked[row] = indent + MASKED_STATEMENT if statement else MASKED_COMMENT
    return _CodeCell(number, cell_id, lines, endings, masked, sorted(masked_rows))


def _ipython_rows(lines: Sequence[str]) -> Dict[int, bool]:
    """Rows holding IPython syntax -> whether the row starts a statement (``pass``) or not (comment)."""
    first = next((row for row, line in enumerate(lines) if line.strip()), None)
    rows: Dict[int, bool] = {}
    start = 0
    if first is not None and lines[first].lstrip().startswith("%%"):
        magic = lines[first].lstrip()[2:].split(None, 1)
        rows[first] = True
        if not magic or magic[0] not in _ANALYSED_CELL_MAGICS:
            rows.update((row, False) for row in range(first + 1, len(lines)))
            return rows
        start = first + 1
    scanner = _Scanner()
    continuing_magic = False
    for row in range(start, len(lines)):
        line = lines[row]
        if continuing_magic:
            rows[row] = False
        elif scanner.at_statement_start() and _is_ipython_line(line):
            rows[row] = True
        else:
            scanner.feed(line)
            continue
        continuing_magic = line.endswith("\\")
    return rows


def _is_ipython_line(line: str) -> bool:
    stripped = line.strip()
    if stripped.startswith(("%", "!")):
        return True
    if _ASSIGNED_MAGIC.match(stripped):
        return True
    automagic = _AUTOMAGIC.match(stripped)
    if automagic and not keyword.iskeyword(automagic.group(1)):
        return True
    return "?" in stripped and not stripped.startswith("#") and bool(_HELP.fullmatch(stripped))


class _Scanner:
    """Just enough of Python's tokenizer to know whether a line can start a new statement."""

    def __init__(self) -> None:
        self.quote: Optional[str] = None
        self.depth = 0
        self.continued = False

    def at_statement_start(self) -> bool:
        return self.quote is None and self.depth == 0 and not self.continued

    def feed(self, line: str) -> None:
        index, in_comment = 0, False
        while index < len(line):
            char = line[index]
            if self.quote:
                if char == "\\":
                    index += 2
                    continue
                if line.startswith(self.quote, index):
                    index += len(self.quote)
                    self.quote = None
                    continue
            elif char == "#":
                in_comment = True
                break
            elif char in "'\"":
                self.quote = char * 3 if line.startswith(char * 3, index) else char
                index += len(self.quote)
                continue
            elif char in "([{":
                self.depth += 1
            elif char in ")]}":
                self.depth = max(self.depth - 1, 0)
            index += 1
        ends_with_backslash = line.endswith("\\") and not in_comment
        if self.quote in ("'", '"') and not ends_with_backslash:
            self.quote = None  # an unterminated one-line string: a syntax error, not our concern
        self.continued = self.quote is None and ends_with_backslash


def _unique_marker(cells: Sequence[_CodeCell]) -> str:
    """The boundary comment, made unique should a cell happen to contain the same line."""
    existing = {line for cell in cells for line in cell.lines}
    marker, suffix = _CELL_MARKER, 1
    while marker in existing:
        marker, suffix = f"{_CELL_MARKER} {suffix}", suffix + 1
    return marker


def _rebuild_cell(cell: _CodeCell, lines: List[str]) -> str:
    """Cell text from fixed lines: masked IPython lines restored, the cell's line endings kept."""
    placeholders = [row for row, line in enumerate(lines)
                    if line.strip() in (MASKED_STATEMENT, MASKED_COMMENT, UNPARSED_COMMENT)]
    if len(placeholders) != len(cell.masked_rows):
        raise NotebookError(f"a fix changed the IPython lines of cell {cell.number}; not written back")
    restored = list(lines)
    for row, original_row in zip(placeholders, cell.masked_rows):
        restored[row] = cell.lines[original_row]
    if len(restored) == len(cell.lines):
        endings = cell.endings  # same shape: keep each line's own ending (mixed CRLF survives)
    else:
        endings = [cell.newline()] * len(restored)
        if restored and not (cell.endings and cell.endings[-1]):
            endings[-1] = ""  # Jupyter stores a cell's last line without a newline
    return "".join(line + ending for line, ending in zip(restored, endings))


_Style = Tuple[Any, Tuple[str, str], bool, str]


def _dump(data: Any, style: _Style) -> str:
    indent, separators, ensure_ascii, tail = style
    return json.dumps(data, indent=indent, separators=separators, ensure_ascii=ensure_ascii) + tail


def _json_style(text: str) -> _Style:
    """The json.dumps settings that reproduce ``text`` exactly, or NotebookError."""
    body = text.rstrip("\r\n")
    tail = text[len(body):]
    match = re.search(r"\n([ \t]+)\S", body)
    indents: List[Any] = [match.group(1)] if match else [None]
    separators = [(",", ": ")] if match else [(", ", ": "), (",", ":")]
    data = json.loads(text)
    for indent in indents:
        for separator in separators:
            for ensure_ascii in (False, True):
                style = (indent, separator, ensure_ascii, tail)
                if _dump(data, style) == text:
                    return style
    raise NotebookError("cannot preserve the notebook's JSON formatting; not written back")
