"""The language server: pygls wiring of the document events, diagnostics and code actions.

Diagnostics are pushed (``textDocument/publishDiagnostics``) on open and save at once and on
change after a short quiet period (``DEBOUNCE_SECONDS``), so typing does not queue one analysis
per keystroke. Quick fixes are realised only when the editor asks for code actions (they need a
LibCST parse), once per document version.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from .. import __version__
from .actions import FIX_ALL_KIND, fix_all_action, noqa_action, overlaps, quick_fix, wanted
from .configuration import Configurations
from .diagnostics import SOURCE, rule_urls, to_lsp, to_lsp_all
from .documents import CODE_CELL, MARKUP_CELL, PYTHON_LANGUAGE, Cell, Document, lints_text_document
from .lint import Outcome, fixed_texts, lint_document
from .positions import UTF16, document_lines

DEBOUNCE_SECONDS = 0.3
PYPROJECT_GLOB = "**/pyproject.toml"

logger = logging.getLogger(__name__)


class LoraLintServer(LanguageServer):
    def __init__(self, debounce: float = DEBOUNCE_SECONDS) -> None:
        super().__init__(
            name="lora-lint", version=__version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            notebook_document_sync=types.NotebookDocumentSyncOptions(
                notebook_selector=[types.NotebookDocumentFilterWithCells(
                    notebook="jupyter-notebook",
                    cells=[types.NotebookCellLanguage(language=PYTHON_LANGUAGE)])],
                save=True))
        self.debounce = debounce
        self.configurations = Configurations()
        self._timers: Dict[str, asyncio.TimerHandle] = {}
        self._with_fixes: Dict[str, Tuple[Any, Outcome]] = {}
        self._urls: Optional[Dict[str, str]] = None

    # -- state ----------------------------------------------------------------------------------

    @property
    def encoding(self) -> str:
        encoding = self.workspace.position_encoding
        return str(encoding.value if isinstance(encoding, types.PositionEncodingKind) else encoding or UTF16)

    @property
    def versioned_edits(self) -> bool:
        workspace = self.client_capabilities.workspace
        edit = workspace.workspace_edit if workspace is not None else None
        return bool(edit is not None and edit.document_changes)

    @property
    def urls(self) -> Dict[str, str]:
        if self._urls is None:
            self._urls = rule_urls()
        return self._urls

    def document(self, uri: str) -> Optional[Document]:
        """The lintable document ``uri`` belongs to (a notebook for a cell), if any."""
        notebook = self.workspace.get_notebook_document(cell_uri=uri) or \
            self.workspace.get_notebook_document(notebook_uri=uri)
        if notebook is not None:
            return self._notebook(notebook)
        text_document = self.workspace.text_documents.get(uri)
        if text_document is None or not lints_text_document(uri, text_document.language_id):
            return None
        return Document(uri=uri, text=text_document.source, version=text_document.version)

    def _notebook(self, notebook: types.NotebookDocument) -> Document:
        cells = []
        for cell in notebook.cells:
            text_document = self.workspace.text_documents.get(cell.document)
            cells.append(Cell(
                uri=cell.document,
                kind=CODE_CELL if cell.kind == types.NotebookCellKind.Code else MARKUP_CELL,
                language=text_document.language_id or "" if text_document is not None else "",
                text=text_document.source if text_document is not None else "",
                version=text_document.version if text_document is not None else None))
        return Document(uri=notebook.uri, version=notebook.version, cells=tuple(cells),
                        synchronised_notebook=True)

    # -- diagnostics ----------------------------------------------------------------------------

    def lint_now(self, uri: str) -> None:
        self._cancel(uri)
        document = self.document(uri)
        if document is None:
            return
        try:
            outcome = lint_document(document, self.configurations)
            for target, diagnostics in outcome.diagnostics.items():
                self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
                    uri=target, version=document.version_of(target),
                    diagnostics=to_lsp_all(diagnostics, document.text_of(target), self.urls,
                                           self.encoding)))
        except Exception:  # never take the editor's server down
            logger.exception("lora-lint failed on %s", uri)

    def lint_later(self, uri: str) -> None:
        self._cancel(uri)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.lint_now(uri)
            return
        self._timers[uri] = loop.call_later(self.debounce, self.lint_now, uri)

    def _cancel(self, uri: str) -> None:
        timer = self._timers.pop(uri, None)
        if timer is not None:
            timer.cancel()

    def clear(self, uris: List[str]) -> None:
        for uri in uris:
            self._cancel(uri)
            self._with_fixes.pop(uri, None)
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    def lint_open_documents(self) -> None:
        for uri in list(self.workspace.notebook_documents):
            self.lint_now(uri)
        cells = {uri for notebook in self.workspace.notebook_documents.values()
                 for uri in (cell.document for cell in notebook.cells)}
        for uri in list(self.workspace.text_documents):
            if uri not in cells:
                self.lint_now(uri)

    # -- code actions ---------------------------------------------------------------------------

    def outcome_with_fixes(self, document: Document) -> Outcome:
        key = (document.version, tuple((c.uri, c.version) for c in document.cells), document.text)
        cached = self._with_fixes.get(document.uri)
        if cached is not None and cached[0] == key:
            return cached[1]
        outcome = lint_document(document, self.configurations, fix_edits=True)
        self._with_fixes[document.uri] = (key, outcome)
        return outcome

    def code_actions(self, params: types.CodeActionParams) -> List[types.CodeAction]:
        uri = params.text_document.uri
        document = self.document(uri)
        if document is None:
            return []
        only = params.context.only
        outcome = self.outcome_with_fixes(document)
        reported = outcome.diagnostics.get(uri, [])
        lines = document_lines(document.text_of(uri))
        actions: List[types.CodeAction] = []
        for diagnostic in reported:
            client = to_lsp(diagnostic, lines, self.urls, self.encoding)
            if not overlaps(client.range, params.range):
                continue
            client = _same_in_context(client, params.context.diagnostics)
            if wanted(types.CodeActionKind.QuickFix.value, only):
                for action in (quick_fix(diagnostic, document, client, self.encoding, self.versioned_edits),
                               noqa_action(diagnostic, uri, document, client, self.encoding,
                                           self.versioned_edits)):
                    if action is not None:
                        actions.append(action)
        if _offers_fix_all(params.context, outcome):
            action = fix_all_action(document, fixed_texts(document, self.configurations),
                                    self.encoding, self.versioned_edits)
            if action is not None:
                actions.append(action)
        return actions


def _offers_fix_all(context: types.CodeActionContext, outcome: Outcome) -> bool:
    """When asked for (``only``), or when the user opened the menu and a safe fix exists: a
    fix-all runs every fix round, too slow for the requests editors send on each cursor move
    (``triggerKind`` Automatic)."""
    if context.only:
        return wanted(FIX_ALL_KIND, context.only)
    if context.trigger_kind == types.CodeActionTriggerKind.Automatic:
        return False
    return any(d.fix is not None and d.fix.applicability == "safe"
               for found in outcome.diagnostics.values() for d in found)


def _same_in_context(ours: types.Diagnostic, theirs: Sequence[types.Diagnostic]) -> types.Diagnostic:
    """The client's copy of a diagnostic when it sent one (clients match actions to their own)."""
    for diagnostic in theirs:
        if diagnostic.source == SOURCE and diagnostic.code == ours.code and diagnostic.range == ours.range:
            return diagnostic
    return ours


# -- the LSP methods -----------------------------------------------------------------------------

def initialized(ls: LoraLintServer, params: types.InitializedParams) -> None:
    workspace = ls.client_capabilities.workspace
    watched = workspace.did_change_watched_files if workspace is not None else None
    if watched is None or not watched.dynamic_registration:
        return  # the modification-stamp check before each lint still reloads
    ls.client_register_capability(types.RegistrationParams(registrations=[types.Registration(
        id="lora-lint-pyproject", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
        register_options=types.DidChangeWatchedFilesRegistrationOptions(
            watchers=[types.FileSystemWatcher(glob_pattern=PYPROJECT_GLOB)]))]))


def did_open(ls: LoraLintServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.lint_now(params.text_document.uri)


def did_change(ls: LoraLintServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.lint_later(params.text_document.uri)


def did_save(ls: LoraLintServer, params: types.DidSaveTextDocumentParams) -> None:
    ls.lint_now(params.text_document.uri)


def did_close(ls: LoraLintServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.clear([params.text_document.uri])


def notebook_did_open(ls: LoraLintServer, params: types.DidOpenNotebookDocumentParams) -> None:
    ls.lint_now(params.notebook_document.uri)


def notebook_did_change(ls: LoraLintServer, params: types.DidChangeNotebookDocumentParams) -> None:
    structure = params.change.cells.structure if params.change.cells is not None else None
    if structure is not None and structure.did_close:  # deleted cells keep no diagnostics
        ls.clear([cell.uri for cell in structure.did_close])
    ls.lint_later(params.notebook_document.uri)


def notebook_did_save(ls: LoraLintServer, params: types.DidSaveNotebookDocumentParams) -> None:
    ls.lint_now(params.notebook_document.uri)


def notebook_did_close(ls: LoraLintServer, params: types.DidCloseNotebookDocumentParams) -> None:
    ls.clear([cell.uri for cell in params.cell_text_documents] + [params.notebook_document.uri])


def watched_files(ls: LoraLintServer, params: types.DidChangeWatchedFilesParams) -> None:
    if any(change.uri.endswith("pyproject.toml") for change in params.changes):
        ls.configurations.reload()
        ls.lint_open_documents()


def code_action(ls: LoraLintServer, params: types.CodeActionParams) -> List[types.CodeAction]:
    try:
        return ls.code_actions(params)
    except Exception:  # never an error for the editor to show on every cursor move
        logger.exception("lora-lint code actions failed on %s", params.text_document.uri)
        return []


# (method, options, handler): pygls derives the server's capabilities from these.
FEATURES: Tuple[Tuple[str, Any, Callable[..., Any]], ...] = (
    (types.INITIALIZED, None, initialized),
    (types.TEXT_DOCUMENT_DID_OPEN, None, did_open),
    (types.TEXT_DOCUMENT_DID_CHANGE, None, did_change),
    (types.TEXT_DOCUMENT_DID_SAVE, None, did_save),
    (types.TEXT_DOCUMENT_DID_CLOSE, None, did_close),
    (types.NOTEBOOK_DOCUMENT_DID_OPEN, None, notebook_did_open),
    (types.NOTEBOOK_DOCUMENT_DID_CHANGE, None, notebook_did_change),
    (types.NOTEBOOK_DOCUMENT_DID_SAVE, None, notebook_did_save),
    (types.NOTEBOOK_DOCUMENT_DID_CLOSE, None, notebook_did_close),
    (types.WORKSPACE_DID_CHANGE_WATCHED_FILES, None, watched_files),
    (types.TEXT_DOCUMENT_CODE_ACTION,
     types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND]), code_action),
)


def create_server(debounce: float = DEBOUNCE_SECONDS) -> LoraLintServer:
    server = LoraLintServer(debounce)
    for method, options, handler in FEATURES:
        server.feature(method, options)(handler)
    return server


def serve() -> None:
    """Speak LSP on standard input and output until the client says ``exit``."""
    create_server().start_io()
