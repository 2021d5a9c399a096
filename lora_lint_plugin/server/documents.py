"""What the server lints: an editor document (a Python file, a YAML trainer config, a notebook
opened as JSON text) or a notebook synchronised cell by cell (LSP ``notebookDocument/*``), as a
``sources.Source``.

No pygls here: the server copies what it needs out of pygls' workspace into these records, so
the lint path can be tested and reasoned about on its own.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import unquote, urlparse

from ..fast_dataclass import dataclass
from ..sources.files import PYTHON_SUFFIXES, Source, is_notebook_path, is_yaml_path, source_from_bytes

PYTHON_LANGUAGE = "python"
CODE_CELL = "code"
MARKUP_CELL = "markup"


def lints_text_document(uri: str, language_id: Optional[str]) -> bool:
    """Python files and untitled Python buffers, notebooks opened as JSON text, and ``.yml`` /
    ``.yaml`` files (silent unless their keys make them a trainer config)."""
    path = path_of(uri).lower()
    return path.endswith(PYTHON_SUFFIXES) or is_notebook_path(path) or is_yaml_path(path) \
        or language_id == PYTHON_LANGUAGE


def path_of(uri: str) -> str:
    """The filesystem path of a ``file:`` URI (the URI itself for other schemes: untitled
    buffers have no directory, so discovery starts from the working directory)."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return uri
    path = unquote(parsed.path)
    if os.name == "nt" and len(path) > 2 and path[0] == "/" and path[2] == ":":
        path = path[1:]  # file:///C:/x -> C:/x
    return path


@dataclass(frozen=True)
class Cell:
    """One notebook cell as the client synchronises it (its own text document)."""

    uri: str
    kind: str  # CODE_CELL or MARKUP_CELL
    language: str
    text: str
    version: Optional[int] = None

    @property
    def analysed(self) -> bool:
        return self.kind == CODE_CELL and self.language == PYTHON_LANGUAGE


@dataclass(frozen=True)
class Document:
    """A text document (``cells`` empty) or a synchronised notebook (``text`` unused).

    ``uri`` is the document's or the notebook's; ``path`` where configuration and library pins
    are looked up from.
    """

    uri: str
    text: str = ""
    version: Optional[int] = None
    cells: Tuple[Cell, ...] = ()
    synchronised_notebook: bool = False

    @property
    def path(self) -> str:
        return path_of(self.uri)

    @property
    def is_notebook_file(self) -> bool:
        """A notebook opened as its JSON text (editors without notebook support)."""
        return not self.synchronised_notebook and is_notebook_path(self.path)

    @property
    def is_yaml(self) -> bool:
        return not self.synchronised_notebook and is_yaml_path(self.path)

    def uris(self) -> List[str]:
        """The editor documents diagnostics are published to."""
        if self.synchronised_notebook:
            return [cell.uri for cell in self.cells if cell.analysed]
        return [self.uri]

    def text_of(self, uri: str) -> str:
        if not self.synchronised_notebook:
            return self.text
        return next((cell.text for cell in self.cells if cell.uri == uri), "")

    def version_of(self, uri: str) -> Optional[int]:
        if not self.synchronised_notebook:
            return self.version
        return next((cell.version for cell in self.cells if cell.uri == uri), None)

    def cell_uri(self, number: Optional[int]) -> Optional[str]:
        """The URI of 1-based notebook cell ``number`` (the document's own URI otherwise)."""
        if not self.synchronised_notebook:
            return self.uri
        if number is None or not 0 < number <= len(self.cells):
            return None
        return self.cells[number - 1].uri


def source_of(document: Document) -> Source:
    """The ``Source`` lora-lint analyses; raises ``sources.SourceError`` (``SourceSkipped`` for
    a notebook in another language)."""
    path = document.path
    if document.synchronised_notebook:
        return source_from_bytes(notebook_json(document.cells), path)
    if document.is_notebook_file or document.is_yaml:
        return source_from_bytes(document.text.encode("utf-8", "surrogatepass"), path)
    # The editor has decoded the file already: analyse its text as it is.
    return Source(path=path, raw=document.text.encode("utf-8", "surrogatepass"), python=document.text)


def notebook_json(cells: Tuple[Cell, ...]) -> bytes:
    """An nbformat 4 notebook holding the synchronised cells, in order, so the notebook
    analysis (masked magics, cells that do not parse) runs as on a saved ``.ipynb``; cells
    keep their numbers (markup cells become empty markdown cells, cells in another language
    raw cells)."""
    entries: List[Dict[str, Any]] = []
    for cell in cells:
        if cell.analysed:
            entries.append({"cell_type": "code", "execution_count": None, "metadata": {},
                            "outputs": [], "source": cell.text})
        else:
            entries.append({"cell_type": "markdown" if cell.kind == MARKUP_CELL else "raw",
                            "metadata": {}, "source": ""})
    notebook = {"cells": entries, "metadata": {"language_info": {"name": PYTHON_LANGUAGE}},
                "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(notebook, indent=1, ensure_ascii=False).encode("utf-8", "surrogatepass")


def cell_sources(data: bytes) -> List[str]:
    """The text of each cell of notebook bytes (as ``notebook_json`` or a fix wrote them)."""
    cells = json.loads(data.decode("utf-8", "surrogatepass")).get("cells", [])
    texts = []
    for cell in cells:
        source = cell.get("source", "")
        texts.append("".join(source) if isinstance(source, list) else str(source))
    return texts
