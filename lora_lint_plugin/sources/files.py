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
import tokenize
from typing import TYPE_CHECKING, Callable, List, Optional, Tuple

from ..analysis.ast_parsing import parse_located
from ..analysis.prefilter import might_contain_training_code
from ..fast_dataclass import dataclass
from .notebook import Notebook, NotebookError, NotebookSkipped, load_notebook

if TYPE_CHECKING:
    from ..analysis.versions import LibraryVersions

__all__ = [
    "NOTEBOOK_SUFFIX",
    "PYTHON_SUFFIXES",
    "YAML_SUFFIXES",
    "Source",
    "SourceError",
    "SourceSkipped",
    "is_notebook_path",
    "is_yaml_path",
    "read_source",
    "source_from_bytes",
    "disk_path",
    "versions_reader",
]

PYTHON_SUFFIXES = (".py", ".pyi")
NOTEBOOK_SUFFIX = ".ipynb"
YAML_SUFFIXES = (".yml", ".yaml")
PYTHON = "python"
YAML = "yaml"


class SourceError(Exception):
    """A file that cannot be read or decoded; ``str()`` is a one-line reason."""


class SourceSkipped(SourceError):
    """A file that is deliberately not analysed (a notebook whose kernel is not Python)."""


def is_notebook_path(path: str) -> bool:
    return path.lower().endswith(NOTEBOOK_SUFFIX)


def is_yaml_path(path: str) -> bool:
    return path.lower().endswith(YAML_SUFFIXES)


@dataclass(frozen=True)
class Source:
    """One file's content: ``raw`` bytes as read, ``python`` the text the engine analyses.

    ``path`` is the path as given (a display name for stdin). ``notebook`` is set for ``.ipynb``
    files; ``encoding`` is the codec of a Python file (``utf-8-sig`` when it starts with a BOM).
    ``language`` is ``"yaml"`` for a ``.yml``/``.yaml`` file (a trainer config; ``python`` then
    holds the YAML text), else ``"python"``.
    """

    path: str
    raw: bytes
    python: str
    notebook: Optional[Notebook] = None
    encoding: str = "utf-8"
    language: str = PYTHON

    @property
    def is_yaml(self) -> bool:
        return self.language == YAML

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
        return _notebook_source(raw, path)
    if is_yaml_path(path):
        return _yaml_source(raw, path)
    return _python_source(raw, path)


def _notebook_source(raw: bytes, path: str) -> Source:
    try:
        notebook = load_notebook(raw)
    except NotebookSkipped as error:
        raise SourceSkipped(str(error)) from None
    except NotebookError as error:
        raise SourceError(str(error)) from None
    if might_contain_training_code(notebook.python_source):  # else nothing is parsed at all
        notebook = notebook.without_unparseable_cells(_parse_check)
    return Source(path=path, raw=raw, python=notebook.python_source, notebook=notebook)


def _python_source(raw: bytes, path: str) -> Source:
    """A Python file in the encoding it declares (PEP 263), else UTF-8."""
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


def _yaml_source(raw: bytes, path: str) -> Source:
    """A YAML file: UTF-8 (the trainers open their configs as UTF-8), BOM kept on writing."""
    encoding = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as error:
        from .config_formats import config_format

        if config_format(raw.decode(encoding, "replace")) is None:
            raise SourceSkipped("not UTF-8 and not a trainer config") from None  # left alone
        line = raw[:error.start].count(b"\n") + 1
        raise SourceError(f"cannot decode as utf-8: invalid byte 0x{raw[error.start]:02x} on "
                          f"line {line}") from None
    return Source(path=path, raw=raw, python=text, encoding=encoding, language=YAML)


def _parse_check(text: str) -> Optional[Tuple[int, int, str, Optional[str]]]:
    _, failure = parse_located(text)
    return None if failure is None else (failure.line, failure.column, failure.reason,
                                         failure.newer_syntax)


def disk_path(source: Source) -> Optional[str]:
    """The file ``source`` was read from, when it is one on disk (not stdin)."""
    return source.path if os.path.isfile(source.path) else None


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
            cache.append(library_versions(disk_path(source), lines))
        return cache[0]

    return read
