"""Reading files to analyse, and mapping diagnostics back to them.

* ``read_source(path) -> Source`` reads the bytes once and decodes them like Python does
  (PEP 263 coding cookie, UTF-8 BOM, UTF-8 default) without translating newlines, so CRLF
  files keep their endings when fixed. ``.ipynb`` files go through ``notebook.load_notebook``:
  ``Source.python`` is then the notebook's code cells joined into one module. Problems raise
  ``SourceError`` (one-line reason); a valid notebook in another language raises
  ``SourceSkipped``, a subclass that callers skip silently.
* ``Source.encode(python)`` turns fixed analysed text back into file bytes (same encoding and
  BOM; notebooks through ``Notebook.with_python_source``).
* ``lint_source(source, settings, enabled_codes)`` runs the engine with the selection and
  ``# noqa`` applied and returns the ``reporters.FileResult`` (positions mapped to the file:
  1-based columns, notebook cells); ``report_diagnostics`` is the mapping step alone.
"""

from __future__ import annotations

import io
import os
import re
import tokenize
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable, Collection, List, Optional, Sequence, Tuple

from ..analysis.diagnostics import Diagnostic
from ..analysis.prefilter import might_contain_training_code, parse_located
from .notebook import Notebook, NotebookError, NotebookSkipped, load_notebook
from ..reporters import FileResult, ReportedDiagnostic, ReportedEdit, ReportedFix
from ..reporters.model import ANALYSIS_ERROR_CODE, ANALYSIS_ERROR_PREFIX
from ..config.selection import NoqaIndex
from ..config.settings import Settings

if TYPE_CHECKING:
    from ..analysis.versions import LibraryVersions

__all__ = [
    "NOTEBOOK_SUFFIX",
    "PYTHON_SUFFIXES",
    "Source",
    "SourceError",
    "SourceSkipped",
    "analyse",
    "cell_errors",
    "is_notebook_path",
    "lint_source",
    "read_source",
    "report_diagnostics",
    "source_from_bytes",
    "versions_reader",
]

PYTHON_SUFFIXES = (".py", ".pyi")
NOTEBOOK_SUFFIX = ".ipynb"


class SourceError(Exception):
    """A file that cannot be read or decoded; ``str()`` is a one-line reason."""


class SourceSkipped(SourceError):
    """A file that is deliberately not analysed (a notebook whose kernel is not Python)."""


def is_notebook_path(path: str) -> bool:
    return path.lower().endswith(NOTEBOOK_SUFFIX)


@dataclass(frozen=True)
class Source:
    """One file's content: ``raw`` bytes as read, ``python`` the text the engine analyses.

    ``path`` is the path as given (a display name for stdin). ``notebook`` is set for ``.ipynb``
    files; ``encoding`` is the codec of a Python file (``utf-8-sig`` when it starts with a BOM).
    """

    path: str
    raw: bytes
    python: str
    notebook: Optional[Notebook] = None
    encoding: str = "utf-8"

    @property
    def newline(self) -> str:
        """The first line ending of the analysed text (``\\n`` when there is none)."""
        for index, char in enumerate(self.python):
            if char == "\r":
                return "\r\n" if self.python[index + 1:index + 2] == "\n" else "\r"
            if char == "\n":
                return "\n"
        return "\n"

    def encode(self, python: str) -> bytes:
        """File bytes holding ``python`` (fixed analysed text); SourceError if impossible."""
        if self.notebook is not None:
            try:
                return self.notebook.with_python_source(python)
            except NotebookError as error:
                raise SourceError(str(error)) from None
        if python == self.python:
            return self.raw
        try:
            return python.encode(self.encoding)
        except UnicodeEncodeError as error:
            raise SourceError(f"the fixed text cannot be encoded as {self.encoding} "
                              f"({error.reason}); not written") from None


def read_source(path: str) -> Source:
    """Read and decode ``path``; raise ``SourceError`` (or ``SourceSkipped``)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except IsADirectoryError:
        raise SourceError("is a directory") from None
    except OSError as error:
        raise SourceError(f"cannot read: {error.strerror or error}") from None
    return source_from_bytes(raw, path)


def source_from_bytes(raw: bytes, path: str) -> Source:
    """A ``Source`` from bytes already read (stdin); ``path`` decides notebook or Python."""
    if is_notebook_path(path):
        try:
            notebook = load_notebook(raw)
        except NotebookSkipped as error:
            raise SourceSkipped(str(error)) from None
        except NotebookError as error:
            raise SourceError(str(error)) from None
        if might_contain_training_code(notebook.python_source):  # else nothing is parsed at all
            notebook = notebook.without_unparseable_cells(_parse_check)
        return Source(path=path, raw=raw, python=notebook.python_source, notebook=notebook)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    except SyntaxError as error:  # unknown codec in the cookie, BOM + other cookie, bad line 1
        encoding = "utf-8"
        message = str(error.msg)
        if message.startswith("encoding problem") and raw.startswith(b"\xef\xbb\xbf"):
            message = "the file starts with a UTF-8 byte order mark but declares another encoding"
        if "invalid or missing encoding declaration" not in message:
            raise SourceError(f"cannot decode: {message}") from None
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as error:
        line = raw[:error.start].count(b"\n") + 1
        name = "utf-8" if encoding == "utf-8-sig" else encoding
        raise SourceError(f"cannot decode as {name}: invalid byte 0x{raw[error.start]:02x} on "
                          f"line {line} (declare the encoding with a coding comment)") from None
    except LookupError:
        raise SourceError(f"cannot decode: unknown encoding {encoding!r}") from None
    return Source(path=path, raw=raw, python=text, encoding=encoding)


def _parse_check(text: str) -> Optional[Tuple[int, int, str]]:
    _, failure = parse_located(text)
    return None if failure is None else (failure.line, failure.column, failure.reason)


# -- from engine diagnostics to reported rows ----------------------------------------------------

def cell_errors(source: Source, use_noqa: bool = True) -> Tuple[ReportedDiagnostic, ...]:
    """One LOR000 for each notebook cell left out because it does not parse (none when a
    ``# flake8: noqa`` line skips the file)."""
    errors = source.notebook.cell_errors if source.notebook is not None else ()
    if not errors or (use_noqa and NoqaIndex(source.python).skips_file):
        return ()
    return tuple(ReportedDiagnostic(
        code=ANALYSIS_ERROR_CODE,
        message=f"{ANALYSIS_ERROR_PREFIX}{error.reason}; this cell was skipped, the other cells "
                "were analysed",
        filename=source.path, row=error.line, column=error.column, end_row=error.line,
        end_column=error.column, cell=error.cell) for error in errors)


def _position(source: Source, line: int, col: int) -> Tuple[Optional[int], int, int]:
    """(cell, row, 1-based column) in the user's file for an analysed-text position."""
    if source.notebook is None:
        return None, line, col + 1
    location = source.notebook.locate(line)
    return location.cell, location.line, col + 1


def _span_rows(source: Source, span: Any) -> Tuple[Optional[int], int, int, int, int]:
    cell, row, column = _position(source, span.line, span.col)
    end_cell, end_row, end_column = _position(source, span.end_line, span.end_col)
    if end_cell != cell or (end_row, end_column) < (row, column):
        end_row, end_column = row, column  # cannot leave the cell; never happens for real spans
    return cell, row, column, end_row, end_column


def _reported_fix(source: Source, diagnostic: Diagnostic, index: Any) -> Optional[ReportedFix]:
    fix = diagnostic.fix
    if fix is None:
        return None
    edits: List[ReportedEdit] = []
    if index is not None:
        from ..fixing.fixes import reported_edits

        realised = reported_edits(fix, index)
        if realised is None:  # its nodes are not there: report the diagnostic without the fix
            return None
        for span, content in realised:
            _, row, column, end_row, end_column = _span_rows(source, span)
            edits.append(ReportedEdit(content, row, column, end_row, end_column))
    return ReportedFix(applicability=fix.safety.value, message=fix.description, edits=tuple(edits))


_LINE_REFERENCE = re.compile(r"\bline (\d+)\b")


def _message_in_file(source: Source, message: str) -> str:
    """Messages name other places as ``line N`` of the analysed text; in a notebook that is
    ``cell C, line R`` as Jupyter shows them."""
    notebook = source.notebook
    if notebook is None or "line " not in message:
        return message

    def located(match: "re.Match[str]") -> str:
        where = notebook.locate(int(match.group(1)))
        return f"cell {where.cell}, line {where.line}"

    return _LINE_REFERENCE.sub(located, message)


def report_diagnostics(source: Source, diagnostics: Sequence[Diagnostic],
                       fix_text: Optional[str] = None) -> Tuple[ReportedDiagnostic, ...]:
    """Map engine diagnostics (analysed text, 0-based columns) to rows of the user's file.

    ``fix_text``: the analysed text, when the report should carry each fix's edits (JSON,
    SARIF); realising them needs a LibCST parse, which plain reports skip (their fixes then
    have applicability and message but no edits).
    """
    if fix_text is not None and any(d.fix is not None for d in diagnostics):
        from ..analysis.deep_stack import AnalysisError, call_with_deep_stack
        from ..fixing.fixes import CstIndex

        def with_edits() -> List[Optional[ReportedFix]]:
            index = CstIndex(fix_text)
            return [_reported_fix(source, d, index) for d in diagnostics]

        try:  # LibCST recurses as deep as the code nests
            fixes = call_with_deep_stack(with_edits)
        except AnalysisError:
            fixes = [None] * len(diagnostics)
    else:
        fixes = [_reported_fix(source, d, None) for d in diagnostics]
    reported = []
    for diagnostic, fix in zip(diagnostics, fixes):
        cell, row, column, end_row, end_column = _span_rows(source, diagnostic.span)
        reported.append(ReportedDiagnostic(
            code=diagnostic.code, message=_message_in_file(source, diagnostic.message),
            filename=source.path,
            row=row, column=column, end_row=end_row, end_column=end_column, cell=cell,
            fix=fix))
    return tuple(reported)


# -- the library versions the file states -------------------------------------------------------

def versions_reader(source: Source) -> Callable[[], LibraryVersions]:
    """Reads (once, when first called) the pins of ``source``: a notebook's install lines, then
    the project files around it (only when ``source.path`` is a file on disk)."""
    cache: List[LibraryVersions] = []

    def read() -> LibraryVersions:
        from ..analysis.versions import VersionOrigin, library_versions

        if not cache:
            lines: List[Tuple[str, VersionOrigin]] = []
            if source.notebook is not None:
                lines = [(text, VersionOrigin("this notebook", line, in_file=True))
                         for line, text in source.notebook.masked_lines()]
            path = source.path if os.path.isfile(source.path) else None
            cache.append(library_versions(path, lines))
        return cache[0]

    return read


# -- running the engine with selection and noqa --------------------------------------------------

def analyse(text: str, settings: Settings, enabled_codes: Optional[Collection[str]] = None,
            use_noqa: bool = True, versions: Optional[Callable[[], LibraryVersions]] = None) -> Any:
    """``engine.analyse_source`` restricted to ``enabled_codes`` and with ``# noqa`` applied.

    ``versions``: the file's pinned library versions (``versions_reader``).

    Returns the engine's ``Analysis`` (diagnostics filtered). Suitable as the ``analyse``
    callable of ``fixes.fix_source``, so silenced diagnostics are never fixed.
    """
    from ..analysis.engine import Analysis, analyse_source

    rule_filter: Optional[Callable[[str], bool]] = None
    if enabled_codes is not None:
        rule_filter = frozenset(enabled_codes).__contains__
    if use_noqa:
        noqa = NoqaIndex(text)
        if noqa.skips_file:
            return Analysis(skipped=True)
    analysis = analyse_source(text, settings, rule_filter, versions=versions)
    if use_noqa and analysis.diagnostics:
        kept = [d for d in analysis.diagnostics if not noqa.suppresses(d.code, d.line)]
        if len(kept) != len(analysis.diagnostics):
            analysis = replace(analysis, diagnostics=kept)
    return analysis


def lint_source(source: Source, settings: Settings, enabled_codes: Optional[Collection[str]] = None,
                use_noqa: bool = True, fix_edits: bool = False) -> FileResult:
    """Analyse one source and map the outcome to a ``FileResult`` (errors included).

    ``fix_edits``: include each fix's edits (see ``report_diagnostics``).
    """
    analysis = analyse(source.python, settings, enabled_codes, use_noqa, versions_reader(source))
    if analysis.error is not None:
        return FileResult(filename=source.path, diagnostics=(), error=analysis.error)
    return FileResult(filename=source.path, diagnostics=cell_errors(source, use_noqa) + report_diagnostics(
        source, analysis.diagnostics, source.python if fix_edits else None))
