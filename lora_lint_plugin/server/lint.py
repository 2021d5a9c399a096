"""Linting an editor document through the one lint path (``linting.lint_source``), and the
safe fixes of ``source.fixAll`` through the one fix path (``fixing.writing.fix_source_file``).

Never raises: a broken buffer is normal while typing. A file that does not parse gets no
diagnostics (the editor's Python support already marks syntax errors; a lora-lint LOR000 on
every keystroke would only add noise); a broken configuration file gets one LOR000 at the top
of the document, saying what is wrong with it.
"""

from __future__ import annotations

import logging
import os
from typing import Dict, List, Optional

from ..config.pyproject import Config, ConfigError
from ..fast_dataclass import dataclass, field, replace
from ..reporters import ReportedDiagnostic
from ..reporters.model import ANALYSIS_ERROR_CODE, ANALYSIS_ERROR_PREFIX
from ..sources.files import SourceError
from .configuration import Configurations
from .documents import Document, cell_sources, source_of
from .notebook_text import NotebookText

logger = logging.getLogger(__name__)


@dataclass
class Outcome:
    """Diagnostics per editor document URI (every URI of the document, empty lists included,
    so publishing them clears what was fixed)."""

    document: Document
    diagnostics: Dict[str, List[ReportedDiagnostic]] = field(default_factory=dict)


def _configuration_error(document: Document, message: str) -> Outcome:
    outcome = _empty(document)
    uris = document.uris()
    if uris:
        outcome.diagnostics[uris[0]].append(ReportedDiagnostic(
            code=ANALYSIS_ERROR_CODE, message=f"{ANALYSIS_ERROR_PREFIX}{message}",
            filename=document.path, row=1, column=1, end_row=1, end_column=1))
    return outcome


def _empty(document: Document) -> Outcome:
    return Outcome(document, {uri: [] for uri in document.uris()})


def lint_document(document: Document, configurations: Configurations,
                  fix_edits: bool = False) -> Outcome:
    """The diagnostics of ``document``; ``fix_edits``: realise each fix's edits (quick fixes)."""
    from ..linting import lint_source

    try:
        config = configurations.for_path(document.path)
        enabled = configurations.enabled_codes(config, document.path)
    except ConfigError as error:
        return _configuration_error(document, str(error))
    if _excluded(document.path, config):
        return _empty(document)
    try:
        source = source_of(document)
        result = lint_source(source, config.settings, enabled, True, fix_edits)
    except SourceError:  # a notebook being edited as JSON that is not valid (yet), another language
        return _empty(document)
    except Exception:  # a bug in lora-lint must not take the editor's server down
        logger.exception("lora-lint failed on %s", document.uri)
        return _empty(document)
    outcome = _empty(document)
    if result.error is not None:
        return outcome
    json_text = NotebookText(document.text) if document.is_notebook_file else None
    for diagnostic in result.diagnostics:
        if diagnostic.code == ANALYSIS_ERROR_CODE:  # a cell that does not parse: see above
            continue
        uri = document.cell_uri(diagnostic.cell)
        if uri is None or uri not in outcome.diagnostics:
            continue
        if json_text is not None:
            placed = _in_notebook_text(diagnostic, json_text)
            if placed is None:
                continue
            diagnostic = placed
        outcome.diagnostics[uri].append(diagnostic)
    return outcome


def _excluded(path: str, config: Config) -> bool:
    """A file the CLI's ``--force-exclude`` would skip (``exclude``, ``extend-exclude``, the
    defaults such as ``.venv`` and ``build``), so a file of a virtualenv opened to read it
    gets no diagnostics. Untitled buffers have no path to exclude."""
    if not os.path.isabs(path):
        return False
    from ..cli.discovery import excluded_with_parents

    return excluded_with_parents(path, config)


def _in_notebook_text(diagnostic: ReportedDiagnostic, text: NotebookText) -> Optional[ReportedDiagnostic]:
    """A notebook cell's diagnostic placed in the notebook's JSON text (fix edits dropped:
    ``source.fixAll`` rewrites the whole text instead)."""
    if diagnostic.cell is None:
        return None
    start = text.position(diagnostic.cell, diagnostic.row, diagnostic.column - 1)
    end = text.position(diagnostic.cell, diagnostic.end_row, diagnostic.end_column - 1)
    if start is None:
        return None
    if end is None or end < start:
        end = start
    fix = replace(diagnostic.fix, edits=()) if diagnostic.fix is not None else None
    return replace(diagnostic, row=start[0] + 1, column=start[1] + 1, end_row=end[0] + 1,
                   end_column=end[1] + 1, cell=None, fix=fix)


def fixed_texts(document: Document, configurations: Configurations) -> Dict[str, str]:
    """The new text of each editor document the safe fixes change (none when nothing applies
    or anything goes wrong)."""
    from ..fixing.writing import fix_source_file

    try:
        config = configurations.for_path(document.path)
        enabled = configurations.enabled_codes(config, document.path)
        source = source_of(document)
        fixed = fix_source_file(source, config.settings, enabled, unsafe=False, mode="none")
    except (ConfigError, SourceError):
        return {}
    except Exception:  # see lint_document
        logger.exception("lora-lint fixes failed on %s", document.uri)
        return {}
    if fixed.data is None or fixed.problem is not None:
        return {}
    if not document.synchronised_notebook:
        return {document.uri: fixed.data.decode("utf-8", "surrogatepass")}
    return _changed_cells(document, fixed.data)


def _changed_cells(document: Document, data: bytes) -> Dict[str, str]:
    texts = cell_sources(data)
    if len(texts) != len(document.cells):
        return {}
    return {cell.uri: text for cell, text in zip(document.cells, texts)
            if cell.analysed and text != cell.text}
