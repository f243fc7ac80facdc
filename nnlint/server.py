"""`nnlint server`: nnlint in the editor, over the Language Server Protocol on stdio (pygls).

The editor's buffers are checked as the command line checks files (same rules, the nearest
`[tool.nnlint]` of each file, the same ProjectIndex questions about sibling files), in one
warm process: no import and no process per change. pygls is imported only here, and only
`nnlint server` imports this module (the `server` extra).

Threads: the asyncio loop reads the editor's messages; every check runs on one worker thread
(the engine and the project index are used by one thread at a time). A change waits
DEBOUNCE_S for the next keystroke, then the buffer as it is then is checked; a result that a
newer edit has overtaken is dropped, not published.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import tokenize
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Set, Tuple
from urllib.parse import unquote

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from nnlint import __version__
from nnlint.config import ConfigError, Overrides, Settings, load_settings, parse_selectors
from nnlint.engine import FileResult, check_text
from nnlint.finding import Applicability, Edit, Finding, Severity
from nnlint.incremental import Pieces, recheck
from nnlint.positions import NEWLINE
from nnlint.project import ProjectIndex
from nnlint.rules import rule_page
from nnlint.sources import DocumentError, kind_of, read

DEBOUNCE_S = 0.05  # a change waits this long for the next one before the buffer is checked
# The open files that use an edited one are checked again (whole) after a pause in the typing,
# and so is a saved file whose last check was of its edited statements only.
DEPENDENTS_DELAY_S = 1.0
SOURCE = "nnlint"
FIX_ALL = "source.fixAll.nnlint"
RULES_URL = "https://pypi.org/project/nnlint/#rules"  # the README's rules table
_SEVERITY = {Severity.ERROR: types.DiagnosticSeverity.Error,
             Severity.WARNING: types.DiagnosticSeverity.Warning,
             Severity.STYLE: types.DiagnosticSeverity.Information}
NOTEBOOKS = types.NotebookDocumentSyncOptions(notebook_selector=[types.NotebookDocumentFilterWithCells(
    notebook="jupyter-notebook", cells=[types.NotebookCellLanguage(language="python")])], save=True)
_NOQA = re.compile(r"#\s*noqa:\s*[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*", re.IGNORECASE)


# ----- the session: settings, project, last results (no LSP types: tested on its own) ---------

@dataclass
class Checked:
    """A buffer's text as checked, and what the check found."""

    text: str
    result: FileResult
    whole: bool = True  # False: only the statements an edit changed were checked again
    pieces: Optional[Pieces] = None  # its top-level statements (nnlint.incremental), once cut
    stale: bool = False  # a file it read has changed since
    lines: List[str] = field(default_factory=list)

    def __post_init__(self):
        self.lines = _lines(self.text)


class Session:
    """What the server knows between messages. Called from the worker thread only."""

    def __init__(self, root: Optional[str] = None, editor: Optional[dict] = None):
        self.root = Path(root or os.getcwd())
        self.problems: List[str] = []  # configuration errors to show the user
        self.said: Set[str] = set()
        self.checked: Dict[str, Checked] = {}
        self.editor = Overrides()
        self.set_editor_settings(editor or {})
        self.project = ProjectIndex(self.settings)
        self.buffers: Dict[str, str] = {}  # path -> text of the open buffers

    def set_editor_settings(self, options: dict) -> None:
        """select / extend-select / ignore / unsafe-fixes from the editor (initializationOptions
        or workspace/didChangeConfiguration, either bare or under an `nnlint` key)."""
        options = options.get("nnlint", options) if isinstance(options, dict) else {}
        aliases = {"extendselect": "extend-select", "unsafefixes": "unsafe-fixes"}  # camelCase
        options = {aliases.get(key.lower(), key.lower().replace("_", "-")): value
                   for key, value in (options if isinstance(options, dict) else {}).items()}

        def codes(key: str) -> Optional[List[str]]:
            value = options.get(key)
            return parse_selectors([value] if isinstance(value, str) else list(value)) if value else None

        try:
            overrides = Overrides(select=codes("select"), extend_select=codes("extend-select") or [],
                                  ignore=codes("ignore") or [],
                                  unsafe_fixes=options.get("unsafe-fixes"))
            Settings(root=self.root, select=overrides.select, extend_select=overrides.extend_select,
                     ignore=overrides.ignore).validate()
            self.editor = overrides
        except (ConfigError, TypeError) as exc:
            self.say(f"nnlint: editor settings ignored: {exc}")
        self.reload()

    def say(self, message: str) -> None:
        """Show `message` to the user, once per session (not on every keystroke)."""
        if message not in self.said:
            self.said.add(message)
            self.problems.append(message)

    def reload(self) -> None:
        """Read the configurations again (a pyproject.toml changed, or the editor's settings)."""
        try:
            self.settings = load_settings(start=self.root, overrides=self.editor)
        except ConfigError as exc:
            self.say(f"nnlint: {exc} (the defaults apply until it is fixed)")
            self.settings = load_settings(isolated=True, start=self.root, overrides=self.editor)
        self.checked = {}  # path -> the last check of its buffer (these settings' findings)
        if hasattr(self, "project"):
            self.project.settings = self.settings
            self.project.refresh()

    def settings_for(self, path: str) -> Settings:
        try:
            return self.settings.for_path(path)
        except ConfigError as exc:
            self.say(f"nnlint: {exc} (the defaults apply until it is fixed)")
            return load_settings(isolated=True, start=self.root, overrides=self.editor)

    def open(self, path: str, text: Optional[str]) -> None:
        """`path` reads as `text` from now on (None: as the file on disk)."""
        if text is None:
            self.buffers.pop(path, None)
        else:
            self.buffers[path] = text
        self.project.set_source(path, text)
        for other in self.dependents(path):
            self.checked[other].stale = True

    def close(self, path: str) -> None:
        self.open(path, None)
        self.checked.pop(path, None)

    def check(self, path: str, text: str, whole: bool = True) -> Checked:
        """Check `text` as the file at `path`; remember it (code actions and hover read it).
        Not `whole`: only the statements changed since the last check (nnlint.incremental)."""
        if self.buffers.get(path) != text:
            self.open(path, text)
        self.project.refresh()
        settings = self.settings_for(path)
        rules = settings.rules_for(path)

        def check(program: str) -> FileResult:
            with self.project.record_dependencies() as consulted:
                result = check_text(program, path, rules, project=self.project)
            result.dependencies = sorted(consulted - {os.path.abspath(path)})
            return result

        previous = self.checked.get(path)
        if settings.is_excluded(path):
            checked = Checked(text, FileResult(path))
        elif previous is not None and previous.text == text and not previous.stale and (previous.whole or not whole):
            checked = previous
        else:
            quick = None
            if not whole and previous is not None and previous.text != text and kind_of(path) == "python":
                quick = recheck(previous.text, previous.pieces, previous.result, text, check)
            checked = Checked(text, quick[0], False, quick[1]) if quick else Checked(text, check(text))
        self.checked[path] = checked
        return checked

    def dependents(self, path: str) -> List[str]:
        """The open buffers whose last check read `path` (a base class there, say)."""
        path = os.path.abspath(path)
        name = re.compile(rf"\b{re.escape(Path(path).stem)}\b")
        # A check that the cheap test answered read no other file: its text says whether it
        # may import this one.
        return [other for other, checked in self.checked.items() if other != path and (
            path in checked.result.dependencies or name.search(checked.text))]

    def fix_all(self, path: str, text: str) -> Optional[str]:
        """The buffer with every fix --fix would apply (unsafe ones too when the settings say
        so), None when there is none."""
        settings = self.settings_for(path)
        result = check_text(text, path, settings.rules_for(path), fix=True, project=self.project,
                            unsafe_fixes=settings.unsafe_fixes)
        return result.fixed_text if result.fixed_text not in (None, text) else None


@dataclass
class View:
    """What one editor document shows of a check: a Python file's whole check, or a notebook
    cell's part of its notebook's (each cell is its own document in the editor)."""

    uri: str
    text: str
    findings: List[Finding]
    places: Dict[Optional[int], Tuple[str, List[str]]]  # an edit's cell -> (its document, lines)
    lines: List[str] = field(default_factory=list)

    def __post_init__(self):
        self.lines = _lines(self.text)

    def text_edits(self, edits: Sequence[Edit], codec) -> Optional[Dict[str, List[types.TextEdit]]]:
        """The edits by document (a notebook's fix may edit another cell: an import); None when
        one of them is in no document the editor has."""
        changes: Dict[str, List[types.TextEdit]] = {}
        for edit in edits:
            place = self.places.get(edit.cell)
            if place is None:
                return None
            changes.setdefault(place[0], []).append(types.TextEdit(
                range=_range(place[1], edit.line, edit.column, edit.end_line, edit.end_column, codec),
                new_text=edit.content))
        return changes


def file_view(uri: str, checked: Checked) -> View:
    return View(uri, checked.text, checked.result.findings, {None: (uri, checked.lines)})


def notebook_text(cells: Sequence[Tuple[str, str, str]]) -> str:
    """An .ipynb (nbformat 4) of the editor's cells, each (kind: "code"/"markdown"/"raw", its
    language, its text): the notebook as the command line would read it. A code cell in
    another language (%%sql...) is a raw cell: it is not Python."""
    notebook_cells = []
    for kind, language, text in cells:
        if kind == "code" and language != "python":
            kind = "raw"
        cell = {"cell_type": kind, "metadata": {}, "source": text}
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        notebook_cells.append(cell)
    return json.dumps({"cells": notebook_cells, "metadata": {"kernelspec": {"language": "python"}},
                       "nbformat": 4, "nbformat_minor": 5}, indent=1)


def cell_views(uris: Sequence[str], texts: Sequence[str], checked: Checked) -> List[View]:
    """Each cell's view of the notebook's check (cells numbered from 1, every cell counted, as
    the findings count them); what is said of the whole notebook goes on its first cell."""
    places = {index: (uri, _lines(text)) for index, (uri, text) in enumerate(zip(uris, texts), 1)}
    views = [View(uri, text, [], places) for uri, text in zip(uris, texts)]
    for finding in checked.result.findings:
        if finding.cell is not None and 1 <= finding.cell <= len(views):
            views[finding.cell - 1].findings.append(finding)
        elif views:
            views[0].findings.append(replace(finding, line=1, column=1, end_line=1, end_column=1,
                                             fix=None, cell=1))
    return views


def cell_fixes(path: str, uris: Sequence[str], texts: Sequence[str], fixed: str) -> Dict[str, str]:
    """Cell document -> its new text, for the cells a fixed notebook changed."""
    try:
        sources = read(path, fixed).sources()
    except DocumentError:
        return {}
    return {uri: sources[index] for index, (uri, text) in enumerate(zip(uris, texts), 1)
            if index in sources and sources[index] != text}


# ----- text positions ----------------------------------------------------------------------------

def _lines(text: str) -> List[str]:
    """The text's lines without their breaks, split as a Finding counts lines."""
    return NEWLINE.split(text)


def _position(lines: Sequence[str], line: int, column: int, codec) -> types.Position:
    """A Finding's (1-based line, 1-based code point column) as an LSP position."""
    if line > len(lines):
        return types.Position(line=len(lines) - 1, character=codec.client_num_units(lines[-1]))
    return types.Position(line=line - 1, character=codec.client_num_units(lines[line - 1][:column - 1]))


def _range(lines, line: int, column: int, end_line: int, end_column: int, codec) -> types.Range:
    return types.Range(start=_position(lines, line, column, codec),
                       end=_position(lines, end_line, end_column, codec))


def _overlaps(outer: types.Range, inner: types.Range) -> bool:
    def key(position: types.Position) -> Tuple[int, int]:
        return (position.line, position.character)
    return key(outer.start) <= key(inner.end) and key(inner.start) <= key(outer.end)


def diagnostic(finding: Finding, lines, codec) -> types.Diagnostic:
    message = finding.message + (f"\n{finding.suggestion}" if finding.suggestion else "")
    return types.Diagnostic(
        range=_range(lines, finding.line, finding.column, finding.end_line, finding.end_column, codec),
        message=message, severity=_SEVERITY[finding.severity], code=finding.code, source=SOURCE,
        code_description=types.CodeDescription(href=RULES_URL),
    )


def noqa_edit(lines: Sequence[str], text: str, line: int, code: str) -> Optional[Tuple[int, int, str]]:
    """(1-based line, code point column, text to insert) that makes `# noqa` hide `code` on
    `line`: its codes extended, or a new comment at the end of the line. None when the line
    ends inside a string (a comment cannot go there) or the text does not tokenize."""
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.STRING and token.start[0] <= line < token.end[0]:
                return None
            if token.type == tokenize.COMMENT and token.start[0] == line:
                match = _NOQA.search(token.string)
                if match:
                    return line, token.start[1] + match.end() + 1, f", {code}"
    except (tokenize.TokenError, SyntaxError):
        return None
    own = lines[line - 1].rstrip()
    if own.endswith("\\"):
        return None  # a line continued by a backslash cannot take a comment
    return line, len(own) + 1, f"  # noqa: {code}"


# ----- the language server -------------------------------------------------------------------------

class NnlintServer(LanguageServer):
    def __init__(self):
        super().__init__("nnlint", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
                         notebook_document_sync=NOTEBOOKS)
        self.session: Optional[Session] = None
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nnlint-check")
        self.pending: Dict[str, Tuple[asyncio.TimerHandle, bool]] = {}  # uri -> the check waiting, whole?
        self.published: Dict[str, str] = {}  # uri -> the text its diagnostics were last published for

    async def call(self, function, *args):
        """Run `function` on the worker thread (the engine's one thread)."""
        return await asyncio.get_running_loop().run_in_executor(self.worker, function, *args)

    def codec(self):
        return self.workspace.position_codec

    def path_of(self, uri: str) -> str:
        return os.path.abspath(to_fs_path(uri) or uri.split(":", 1)[-1] or "untitled.py")

    def schedule(self, uri: str, delay: float = DEBOUNCE_S, whole: bool = False) -> None:
        """Check the buffer `delay` seconds from now, unless another change comes first (only
        the statements it changed, unless `whole` or a whole check was already waiting)."""
        whole = whole or uri in self.pending and self.pending[uri][1]
        self.cancel(uri)
        loop = asyncio.get_running_loop()
        handle = loop.call_later(delay, lambda: loop.create_task(self.publish(uri, whole)))
        self.pending[uri] = (handle, whole)

    def cancel(self, uri: str) -> None:
        """The check waiting for `uri`, not to be done."""
        waiting = self.pending.pop(uri, None)
        if waiting is not None:
            waiting[0].cancel()

    def clear(self, uri: str) -> None:
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    def notebook(self, uri: str) -> Optional[types.NotebookDocument]:
        return self.workspace.get_notebook_document(notebook_uri=uri)

    def document(self, uri: str):
        """The open text document (pygls keeps them by unquoted URI: a cell's has %3D in it)."""
        return self.workspace.text_documents.get(unquote(uri))

    def cells(self, notebook: types.NotebookDocument) -> Tuple[List[str], List[str], str]:
        """The notebook's cell documents, their texts, and the notebook as an .ipynb text."""
        uris, texts, described = [], [], []
        for cell in notebook.cells:
            document = self.document(cell.document)
            text = document.source if document is not None else ""
            kind = "code" if cell.kind == types.NotebookCellKind.Code else "markdown"
            uris.append(cell.document)
            texts.append(text)
            described.append((kind, (getattr(document, "language_id", None) or "python").lower(), text))
        return uris, texts, notebook_text(described)

    async def publish_notebook(self, uri: str) -> None:
        """Check the notebook (its code cells as one program) and publish each cell's
        diagnostics on that cell, unless an edit overtook the check."""
        self.pending.pop(uri, None)
        notebook = self.notebook(uri)
        if notebook is None or self.session is None:
            return
        version, (uris, texts, text) = notebook.version, self.cells(notebook)
        checked = await self.checked(self.path_of(uri), text, True)
        now = self.notebook(uri)
        if checked is None or now is None or now.version != version:
            return
        codec = self.codec()
        for view in cell_views(uris, texts, checked):
            document = self.document(view.uri)
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
                uri=view.uri, diagnostics=[diagnostic(f, view.lines, codec) for f in view.findings],
                version=document.version if document is not None else None))

    async def checked(self, path: str, text: str, whole: bool) -> Optional[Checked]:
        """session.check on the worker thread; what it had to say, said (None: it failed)."""
        try:
            checked = await self.call(self.session.check, path, text, whole)
        except Exception:  # noqa: BLE001  (a bug of ours: said in the log, the server goes on)
            self.window_log_message(types.LogMessageParams(
                type=types.MessageType.Error, message=f"nnlint failed on {path}:\n{traceback.format_exc()}"))
            return None
        self.tell_problems()
        for error in checked.result.errors:
            self.window_log_message(types.LogMessageParams(type=types.MessageType.Error, message=error))
        return checked

    async def publish(self, uri: str, whole: bool = True) -> None:
        """Check the buffer and publish its diagnostics, unless an edit overtook the check."""
        if self.notebook(uri) is not None:
            return await self.publish_notebook(uri)
        self.pending.pop(uri, None)
        document = self.workspace.text_documents.get(uri)
        if document is None or self.session is None:
            return
        version, text, path = document.version, document.source, self.path_of(uri)
        checked = await self.checked(path, text, whole)
        now = self.workspace.text_documents.get(uri)
        if checked is None or now is None or now.version != version:
            return  # overtaken by an edit (checked again after it) or closed
        codec = self.codec()
        diagnostics = [diagnostic(finding, checked.lines, codec) for finding in checked.result.findings]
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version))
        if self.published.get(uri) == text:
            return  # checked again, not edited (a dependent, new settings): nothing to pass on
        self.published[uri] = text
        for other in await self.call(self.session.dependents, path):
            other_uri = from_fs_path(other)
            if other_uri in self.workspace.text_documents:
                self.schedule(other_uri, DEPENDENTS_DELAY_S, whole=True)

    def tell_problems(self) -> None:
        while self.session is not None and self.session.problems:
            message = self.session.problems.pop(0)
            self.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=message))
            self.window_log_message(types.LogMessageParams(type=types.MessageType.Error, message=message))

    def recheck_all(self) -> None:
        for uri in list(self.workspace.text_documents):
            if _is_python(uri) and self.workspace.get_notebook_document(cell_uri=uri) is None:
                self.schedule(uri, whole=True)
        for uri in list(self.workspace.notebook_documents):
            self.schedule(uri, whole=True)

    async def current(self, uri: str) -> Optional[View]:
        """What the document shows of the last check (a cell: of its notebook's), checked
        again if the document changed since."""
        if self.session is None:
            return None
        notebook = self.workspace.get_notebook_document(cell_uri=uri)
        if notebook is not None:
            uris, texts, text = self.cells(notebook)
            path = self.path_of(notebook.uri)
        else:
            document = self.workspace.text_documents.get(uri)
            if document is None:
                return None
            text, path = document.source, self.path_of(uri)
        checked = self.session.checked.get(path)
        if checked is None or checked.text != text:
            checked = await self.call(self.session.check, path, text, False)
        if notebook is None:
            return file_view(uri, checked)
        return next((view for view in cell_views(uris, texts, checked) if view.uri == uri), None)


def _is_python(uri: str) -> bool:
    return uri.endswith((".py", ".pyi")) or not re.search(r"\.[A-Za-z0-9]+$", uri)


def build_server() -> NnlintServer:
    server = NnlintServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: NnlintServer, params: types.InitializeParams):
        root = None
        if params.workspace_folders:
            root = to_fs_path(params.workspace_folders[0].uri)
        elif params.root_uri:
            root = to_fs_path(params.root_uri)
        elif params.root_path:
            root = params.root_path
        options = params.initialization_options if isinstance(params.initialization_options, dict) else {}
        ls.session = Session(root, options)

    @server.feature(types.INITIALIZED)
    def initialized(ls: NnlintServer, params: types.InitializedParams):
        ls.tell_problems()
        watched = getattr(getattr(ls.client_capabilities.workspace, "did_change_watched_files", None),
                          "dynamic_registration", False)
        if watched:
            ls.client_register_capability(types.RegistrationParams(registrations=[types.Registration(
                id="nnlint-pyproject", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=types.DidChangeWatchedFilesRegistrationOptions(
                    watchers=[types.FileSystemWatcher(glob_pattern="**/pyproject.toml")]))]))

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: NnlintServer, params: types.DidOpenTextDocumentParams):
        if _is_python(params.text_document.uri) or params.text_document.language_id == "python":
            await ls.publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: NnlintServer, params: types.DidChangeTextDocumentParams):
        if _is_python(params.text_document.uri):
            ls.schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(ls: NnlintServer, params: types.DidSaveTextDocumentParams):
        uri = params.text_document.uri
        if uri.endswith("/pyproject.toml"):
            await ls.call(ls.session.reload)
            ls.tell_problems()
            ls.recheck_all()
        elif _is_python(uri):
            # The buffer as saved was checked already (the last change): its diagnostics again,
            # no check. Where only the edited statements were checked, the whole file is checked
            # once the typing pauses (what one statement learns from another it does not name).
            await ls.publish(uri, whole=False)
            checked = ls.session.checked.get(ls.path_of(uri)) if ls.session is not None else None
            if checked is not None and not checked.whole:
                ls.schedule(uri, DEPENDENTS_DELAY_S, whole=True)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    async def did_close(ls: NnlintServer, params: types.DidCloseTextDocumentParams):
        uri = params.text_document.uri
        ls.cancel(uri)
        ls.published.pop(uri, None)
        if ls.session is not None:
            # Its unsaved text no longer stands for the file: the files that read it, again.
            others = await ls.call(ls.session.dependents, ls.path_of(uri))
            await ls.call(ls.session.close, ls.path_of(uri))
            for other in map(from_fs_path, others):
                if other in ls.workspace.text_documents:
                    ls.schedule(other, DEPENDENTS_DELAY_S, whole=True)
        ls.clear(uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
    async def did_open_notebook(ls: NnlintServer, params: types.DidOpenNotebookDocumentParams):
        await ls.publish_notebook(params.notebook_document.uri)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
    def did_change_notebook(ls: NnlintServer, params: types.DidChangeNotebookDocumentParams):
        structure = params.change.cells.structure if params.change.cells is not None else None
        for closed in (structure.did_close or []) if structure is not None else []:  # a deleted cell
            ls.clear(closed.uri)
        ls.schedule(params.notebook_document.uri, whole=True)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_SAVE)
    async def did_save_notebook(ls: NnlintServer, params: types.DidSaveNotebookDocumentParams):
        await ls.publish_notebook(params.notebook_document.uri)  # checked at that version: reused

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
    async def did_close_notebook(ls: NnlintServer, params: types.DidCloseNotebookDocumentParams):
        uri = params.notebook_document.uri
        ls.cancel(uri)
        if ls.session is not None:
            await ls.call(ls.session.close, ls.path_of(uri))
        for cell in params.cell_text_documents:
            ls.clear(cell.uri)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def did_change_watched(ls: NnlintServer, params: types.DidChangeWatchedFilesParams):
        await ls.call(ls.session.reload)
        ls.tell_problems()
        ls.recheck_all()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: NnlintServer, params: types.DidChangeConfigurationParams):
        if isinstance(params.settings, dict) and ls.session is not None:
            await ls.call(ls.session.set_editor_settings, params.settings)
            ls.tell_problems()
            ls.recheck_all()

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.SourceFixAll, FIX_ALL],
        resolve_provider=True))
    async def code_action(ls: NnlintServer, params: types.CodeActionParams):
        uri = params.text_document.uri
        view = await ls.current(uri)
        if view is None:
            return None
        only = params.context.only
        wanted = lambda kind: only is None or any(kind == k or kind.startswith(f"{k}.") for k in only)  # noqa: E731
        actions: List[types.CodeAction] = []
        codec = ls.codec()
        if wanted(types.CodeActionKind.QuickFix):
            for finding in view.findings:
                diag = diagnostic(finding, view.lines, codec)
                if not _overlaps(params.range, diag.range):
                    continue
                fix = finding.fix
                edits = view.text_edits(fix.edits, codec) if fix is not None else None
                if edits and fix.applicability is not Applicability.DISPLAY_ONLY:
                    unsafe = fix.applicability is Applicability.UNSAFE
                    actions.append(types.CodeAction(
                        title=f"{finding.code}: {fix.description}" + (" (unsafe fix)" if unsafe else ""),
                        kind=types.CodeActionKind.QuickFix, diagnostics=[diag], is_preferred=not unsafe,
                        edit=types.WorkspaceEdit(changes=edits)))
                if finding.code.startswith("NN0"):
                    continue  # always reported: no noqa hides them
                noqa = noqa_edit(view.lines, view.text, finding.line, finding.code)
                if noqa is not None:
                    line, column, insert = noqa
                    at = _position(view.lines, line, column, codec)
                    actions.append(types.CodeAction(
                        title=f"Ignore {finding.code} for this line", kind=types.CodeActionKind.QuickFix,
                        diagnostics=[diag], edit=types.WorkspaceEdit(changes={uri: [
                            types.TextEdit(range=types.Range(start=at, end=at), new_text=insert)]})))
        if wanted(FIX_ALL) and any(f.fix is not None and f.fix.applicability is not Applicability.DISPLAY_ONLY
                                   for f in view.findings):
            action = types.CodeAction(title="nnlint: fix all auto-fixable problems", kind=FIX_ALL,
                                      data={"uri": uri})
            resolve = getattr(getattr(getattr(ls.client_capabilities.text_document, "code_action", None),
                                      "resolve_support", None), "properties", None) or []
            if "edit" not in resolve or only is not None:
                action = await resolve_fix_all(ls, action)
            if action is not None:
                actions.append(action)
        return actions

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def code_action_resolve(ls: NnlintServer, action: types.CodeAction):
        return await resolve_fix_all(ls, action) or action

    async def resolve_fix_all(ls: NnlintServer, action: types.CodeAction) -> Optional[types.CodeAction]:
        uri = (action.data or {}).get("uri")
        if not uri or ls.session is None:
            return None
        notebook = ls.workspace.get_notebook_document(cell_uri=uri)
        if notebook is not None:  # every cell the fixes change
            uris, texts, text = ls.cells(notebook)
            path = ls.path_of(notebook.uri)
        else:
            document = ls.document(uri)
            if document is None:
                return None
            uris, texts, text, path = [uri], [document.source], document.source, ls.path_of(uri)
        fixed = await ls.call(ls.session.fix_all, path, text)
        if fixed is None:
            return None
        changed = cell_fixes(path, uris, texts, fixed) if notebook is not None else {uri: fixed}
        if not changed:
            return None
        codec, changes = ls.codec(), {}
        for changed_uri, new_text in changed.items():
            lines = _lines(texts[uris.index(changed_uri)])
            end = _position(lines, len(lines), len(lines[-1]) + 1, codec)
            changes[changed_uri] = [types.TextEdit(
                range=types.Range(start=types.Position(line=0, character=0), end=end), new_text=new_text)]
        action.edit = types.WorkspaceEdit(changes=changes)
        return action

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: NnlintServer, params: types.HoverParams):
        view = await ls.current(params.text_document.uri)
        if view is None:
            return None
        here = types.Range(start=params.position, end=params.position)
        codec = ls.codec()
        pages = []
        for finding in view.findings:
            if _overlaps(diagnostic(finding, view.lines, codec).range, here):
                page = rule_page(finding.code)
                if page and page not in pages:
                    pages.append(page)
        if not pages:
            return None
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown,
                                                        value="\n\n---\n\n".join(pages)))

    return server


def run() -> int:
    build_server().start_io()
    return 0
