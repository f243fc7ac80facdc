"""`nnlint server`: the Session on its own, then the server driven over stdio as an editor does
(initialize, didOpen, publishDiagnostics, codeAction, hover, didChange, didClose, shutdown/exit)
by pygls's own client. Not pytest-lsp: its pytest plugin breaks every test item that is not a
function (nnlint's own pytest plugin's, tests/test_pytest_plugin.py)."""

import asyncio
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("pygls", reason="the server extra is not installed")
from lsprotocol import types  # noqa: E402
from pygls.lsp.client import LanguageClient  # noqa: E402
from pygls.uris import from_fs_path  # noqa: E402

from nnlint.server import Session, noqa_edit  # noqa: E402

NET = textwrap.dedent("""\
    import torch.nn as nn


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Linear(2, 2)]

        def forward(self, x):
            return self.layers[0](x)
""")


def test_session_checks_the_buffer_not_the_disk(tmp_path):
    path = str(tmp_path / "net.py")
    (tmp_path / "net.py").write_text("x = 1\n")
    session = Session(str(tmp_path))
    checked = session.check(path, NET)
    assert [(f.code, f.line, f.column) for f in checked.result.findings] == [("NN101", 7, 9)]
    edited = NET.replace("class Net", "\nclass Net")  # a change: only the edited statements again
    quick = session.check(path, edited, whole=False)
    assert not quick.whole and [(f.code, f.line, f.column) for f in quick.result.findings] == [("NN101", 8, 9)]
    assert session.check(path, edited).whole  # a save: the whole file


def test_session_editor_settings_and_nearest_config(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.nnlint]\nignore = ["NN101"]\n')
    path = str(tmp_path / "net.py")
    session = Session(str(tmp_path))
    assert session.check(path, NET).result.findings == []
    (tmp_path / "pyproject.toml").write_text('[tool.nnlint]\n')
    session.reload()  # what a pyproject.toml change triggers
    assert [f.code for f in session.check(path, NET).result.findings] == ["NN101"]
    session.set_editor_settings({"nnlint": {"ignore": ["NN1"]}})
    assert session.check(path, NET).result.findings == []
    session.set_editor_settings({"ignore": ["XX9"]})  # refused: said, and the last settings kept
    assert session.problems == ["nnlint: editor settings ignored: ignore: unknown rule code or prefix 'XX9'"]
    assert session.check(path, NET).result.findings == []


SUB = ("import torch.nn as nn\nfrom base import Base\n\n\nclass Sub(Base):\n"
       "    def __init__(self):\n        self.w = nn.Linear(2, 2)\n")


def test_session_base_class_in_an_open_buffer_refreshes_its_subclass(tmp_path):
    base, sub = str(tmp_path / "base.py"), str(tmp_path / "sub.py")
    (tmp_path / "base.py").write_text("class Base:\n    pass\n")
    sub_text = SUB
    session = Session(str(tmp_path))
    assert session.check(sub, sub_text).result.findings == []
    session.check(base, "import torch.nn as nn\n\n\nclass Base(nn.Module):\n    pass\n")  # unsaved edit
    assert session.dependents(base) == [sub]
    assert [f.code for f in session.check(sub, sub_text).result.findings] == ["NN103"]


def test_session_rule_that_raises_costs_only_its_findings(tmp_path, monkeypatch):
    from nnlint.rules import all_rules

    def boom(self, node):
        raise ValueError("boom")

    monkeypatch.setattr(all_rules()["NN103"], "visit_FunctionDef", boom, raising=False)
    checked = Session(str(tmp_path)).check(str(tmp_path / "net.py"), NET)
    assert [f.code for f in checked.result.findings] == ["NN009", "NN101"]
    assert "ValueError: boom" in checked.result.errors[0]


def test_noqa_edit():
    text = "a = 1\nb = 2  # noqa: NN105\nc = '''\nx'''\n"
    lines = text.split("\n")
    assert noqa_edit(lines, text, 1, "NN101") == (1, 6, "  # noqa: NN101")
    assert noqa_edit(lines, text, 2, "NN101") == (2, 21, ", NN101")
    assert noqa_edit(lines, text, 3, "NN101") is None  # the line ends inside a string
    assert noqa_edit(["x = 1 + \\", "    2"], "x = 1 + \\\n    2\n", 1, "NN101") is None


def test_server_without_pygls_says_how_to_install_it():
    code = "import sys; sys.modules['pygls'] = None; from nnlint.cli import main; sys.exit(main(['server']))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr == 'nnlint: error: `nnlint server` needs pygls: pip install "nnlint[server]"\n'


class Client(LanguageClient):
    """An editor: what the server published and logged, kept for the test to read."""

    def __init__(self):
        super().__init__("nnlint-test", "1")
        self.published: asyncio.Queue = asyncio.Queue()
        self.log_messages: list = []
        self.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)(lambda *args: self.published.put_nowait(args[-1]))
        self.feature(types.WINDOW_LOG_MESSAGE)(lambda *args: self.log_messages.append(args[-1]))
        self.feature(types.WINDOW_SHOW_MESSAGE)(lambda *args: None)

    async def diagnostics(self, uri: str):
        while True:
            params = await self.published.get()
            if params.uri == uri:
                return params.diagnostics


CAPABILITIES = types.ClientCapabilities(text_document=types.TextDocumentClientCapabilities(
    code_action=types.CodeActionClientCapabilities(
        resolve_support=types.ClientCodeActionResolveOptions(properties=["edit"]))))


async def _start(tmp_path, command=None, options=None) -> Client:
    client = Client()
    await client.start_io(*(command or [sys.executable, "-m", "nnlint", "server"]))
    await client.initialize_async(types.InitializeParams(
        capabilities=CAPABILITIES, root_uri=from_fs_path(str(tmp_path)), initialization_options=options))
    client.initialized(types.InitializedParams())
    return client


async def _stop(client: Client) -> None:
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()


async def _diagnostics(client, uri):
    return await client.diagnostics(uri)


def _open(client, uri, text, version=1):
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=uri, language_id="python", version=version, text=text)))


def test_server_end_to_end(tmp_path):
    async def session():
        client = await _start(tmp_path)
        uri = from_fs_path(str(tmp_path / "net.py"))
        _open(client, uri, NET.replace("        super().__init__()\n", ""))
        found = await _diagnostics(client, uri)
        assert [(d.code, d.range.start.line, d.range.start.character, d.severity, d.source)
                for d in found] == [("NN103", 4, 8, types.DiagnosticSeverity.Error, "nnlint"),
                                    ("NN101", 5, 8, types.DiagnosticSeverity.Error, "nnlint")]
        assert found[0].code_description.href == "https://pypi.org/project/nnlint/#rules"

        whole = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=20, character=0))
        actions = await client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=found[0].range,
            context=types.CodeActionContext(diagnostics=[found[0]])))
        assert [a.title for a in actions] == ["NN103: insert super().__init__()", "Ignore NN103 for this line",
                                              "nnlint: fix all auto-fixable problems"]
        fix = actions[0].edit.changes[uri]
        assert [(e.range.start.line, e.range.start.character, e.new_text) for e in fix] == [
            (5, 0, "        super().__init__()\n")]
        assert actions[1].edit.changes[uri][0].new_text == "  # noqa: NN103"
        fix_all = await client.code_action_resolve_async(actions[2])
        assert fix_all.edit.changes[uri][0].new_text == NET  # the safe fix only, as --fix

        only = await client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=whole,
            context=types.CodeActionContext(diagnostics=[], only=[types.CodeActionKind.SourceFixAll])))
        assert [a.kind for a in only] == ["source.fixAll.nnlint"]
        assert only[0].edit.changes[uri][0].new_text == NET  # asked for by kind: resolved at once

        hover = await client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=5, character=12)))
        assert hover.contents.value.startswith("# NN101 submodule-in-plain-container")

        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=NET)]))
        assert [d.code for d in await _diagnostics(client, uri)] == ["NN101"]

        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=3),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text="def f(:\n")]))
        broken = await _diagnostics(client, uri)
        assert [(d.code, d.message) for d in broken] == [("NN000", "syntax error: invalid syntax")]

        client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        assert list(await _diagnostics(client, uri)) == []

        # An edit to a base class (unsaved) checks its open subclass again.
        base, sub = from_fs_path(str(tmp_path / "base.py")), from_fs_path(str(tmp_path / "sub.py"))
        (tmp_path / "base.py").write_text("class Base:\n    pass\n")
        _open(client, base, "class Base:\n    pass\n")
        assert list(await _diagnostics(client, base)) == []
        _open(client, sub, SUB)
        assert list(await _diagnostics(client, sub)) == []
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=base, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(
                text="import torch.nn as nn\n\n\nclass Base(nn.Module):\n    pass\n")]))
        assert list(await _diagnostics(client, base)) == []
        assert [d.code for d in await _diagnostics(client, sub)] == ["NN103"]
        client.text_document_did_close(types.DidCloseTextDocumentParams(  # unsaved: the disk's again
            text_document=types.TextDocumentIdentifier(uri=base)))
        assert list(await _diagnostics(client, base)) == []
        assert list(await _diagnostics(client, sub)) == []
        await _stop(client)

    asyncio.run(asyncio.wait_for(session(), 120))


FAILING_RULE = """\
import sys
from nnlint.rules import all_rules
def boom(self, node):
    raise ValueError("boom")
all_rules()["NN103"].visit_FunctionDef = boom
from nnlint.server import run
sys.exit(run())
"""


def test_server_logs_a_rule_that_raises_and_still_reports_the_rest(tmp_path):
    async def session():
        client = await _start(tmp_path, [sys.executable, "-c", FAILING_RULE])
        uri = from_fs_path(str(tmp_path / "net.py"))
        _open(client, uri, NET)
        found = await _diagnostics(client, uri)
        assert [d.code for d in found] == ["NN009", "NN101"]
        assert [m.type for m in client.log_messages] == [types.MessageType.Error]
        assert "NN103 raised" in client.log_messages[0].message
        assert "ValueError: boom" in client.log_messages[0].message
        await _stop(client)

    asyncio.run(asyncio.wait_for(session(), 120))


COUNTING = """\
import sys
import nnlint.server as server
def counted(text, *args, **kwargs):
    sys.stderr.write(f"checked {len(text.splitlines())} lines\\n")
    return check_text(text, *args, **kwargs)
check_text, server.check_text = server.check_text, counted
sys.exit(server.run())
"""


def test_server_save_reuses_the_last_check_then_checks_the_whole_file_after_a_pause(tmp_path):
    """A save of a buffer checked at that version publishes its diagnostics again without a
    check; where that check was of the edited statements only, the whole file is checked once
    the typing pauses (DEPENDENTS_DELAY_S)."""
    log = tmp_path / "checks.log"

    async def session():
        client = await _start(tmp_path, ["sh", "-c", f'{sys.executable} -c "$0" 2>{log}', COUNTING])
        uri = from_fs_path(str(tmp_path / "net.py"))
        two = NET + NET.replace("class Net", "class Other")
        _open(client, uri, two)
        assert [d.range.start.line for d in await _diagnostics(client, uri)] == [6, 16]
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangePartial(
                range=types.Range(start=types.Position(line=6, character=0), end=types.Position(line=6, character=0)),
                text="\n")]))
        assert [d.range.start.line for d in await _diagnostics(client, uri)] == [7, 17]
        checks = log.read_text().splitlines()
        assert checks[0] == "checked 20 lines" and len(checks) == 2 and checks[1] != "checked 21 lines"
        client.text_document_did_save(types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        assert [d.range.start.line for d in await _diagnostics(client, uri)] == [7, 17]
        assert len(log.read_text().splitlines()) == 2  # no check on save
        assert [d.range.start.line for d in await _diagnostics(client, uri)] == [7, 17]  # after the pause
        assert log.read_text().splitlines()[2:] == ["checked 21 lines"]  # the whole file
        client.text_document_did_save(types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        assert [d.range.start.line for d in await _diagnostics(client, uri)] == [7, 17]
        await asyncio.sleep(1.5)
        assert len(log.read_text().splitlines()) == 3  # checked whole already: nothing more
        await _stop(client)

    asyncio.run(asyncio.wait_for(session(), 120))


async def _published(client, uris):
    """The next diagnostics published for each of `uris` (a notebook's cells come together)."""
    found = {}
    while set(found) != set(uris):
        params = await client.published.get()
        if params.uri in uris:
            found[params.uri] = [(d.code, d.range.start.line, d.range.start.character) for d in params.diagnostics]
    return [found[uri] for uri in uris]


def test_server_notebook_cells_as_one_program(tmp_path):
    """LSP 3.17 notebook sync: the code cells are one program (an import in the first cell
    serves the third), each cell's diagnostics are published on the cell's document at
    positions in the cell, and quick fixes, noqa and fix-all edit the cells."""
    notebook = from_fs_path(str(tmp_path / "nb.ipynb"))
    cells = [f"vscode-notebook-cell:{tmp_path}/nb.ipynb#W{i}sZmlsZQ%3D%3D" for i in range(4)]
    net = "class Net(nn.Module):\n    def __init__(self):\n        self.layers = [nn.Linear(2, 2)]\n"

    def cell(index, text, kind=types.NotebookCellKind.Code, language="python"):
        return (types.NotebookCell(kind=kind, document=cells[index]),
                types.TextDocumentItem(uri=cells[index], language_id=language, version=1, text=text))

    async def session():
        client = Client()
        await client.start_io(sys.executable, "-m", "nnlint", "server")
        result = await client.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities(notebook_document=types.NotebookDocumentClientCapabilities(
                synchronization=types.NotebookDocumentSyncClientCapabilities())),
            root_uri=from_fs_path(str(tmp_path))))
        assert result.capabilities.notebook_document_sync.notebook_selector[0].notebook == "jupyter-notebook"
        client.initialized(types.InitializedParams())
        opened = [cell(0, "import torch.nn as nn\n"), cell(1, "# A model", types.NotebookCellKind.Markup, "markdown"),
                  cell(2, net), cell(3, "SELECT 1", language="sql")]
        client.notebook_document_did_open(types.DidOpenNotebookDocumentParams(
            notebook_document=types.NotebookDocument(uri=notebook, notebook_type="jupyter-notebook", version=1,
                                                     cells=[c for c, _ in opened]),
            cell_text_documents=[d for _, d in opened]))
        assert await _published(client, cells) == [[], [], [("NN103", 1, 8), ("NN101", 2, 8)], []]

        actions = await client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=cells[2]),
            range=types.Range(start=types.Position(line=1, character=8), end=types.Position(line=1, character=8)),
            context=types.CodeActionContext(diagnostics=[])))
        assert [a.title for a in actions] == ["NN103: insert super().__init__()", "Ignore NN103 for this line",
                                              "nnlint: fix all auto-fixable problems"]
        assert [(uri, [(e.range.start.line, e.range.start.character, e.new_text) for e in edits])
                for uri, edits in actions[0].edit.changes.items()] == [
            (cells[2], [(2, 0, "        super().__init__()\n")])]
        assert actions[1].edit.changes[cells[2]][0].range.start == types.Position(line=1, character=23)
        fix_all = await client.code_action_resolve_async(actions[2])
        assert {uri: [e.new_text for e in edits] for uri, edits in fix_all.edit.changes.items()} == {
            cells[2]: [net.replace("self):\n", "self):\n        super().__init__()\n")]}
        hover = await client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=cells[2]), position=types.Position(line=2, character=12)))
        assert hover.contents.value.startswith("# NN101 submodule-in-plain-container")

        # The quick fix applied in the editor, and a new cell that does not parse.
        broken = cell(0, "def f(:\n")[1]
        broken.uri = cells[1] = f"vscode-notebook-cell:{tmp_path}/nb.ipynb#W9sZmlsZQ%3D%3D"
        client.notebook_document_did_change(types.DidChangeNotebookDocumentParams(
            notebook_document=types.VersionedNotebookDocumentIdentifier(uri=notebook, version=2),
            change=types.NotebookDocumentChangeEvent(cells=types.NotebookDocumentCellChanges(
                structure=types.NotebookDocumentCellChangeStructure(
                    array=types.NotebookCellArrayChange(start=1, delete_count=1, cells=[
                        types.NotebookCell(kind=types.NotebookCellKind.Code, document=broken.uri)]),
                    did_open=[broken], did_close=[types.TextDocumentIdentifier(uri=opened[1][1].uri)]),
                text_content=[types.NotebookDocumentCellContentChanges(
                    document=types.VersionedTextDocumentIdentifier(uri=cells[2], version=2),
                    changes=[types.TextDocumentContentChangePartial(range=e.range, text=e.new_text)
                             for e in actions[0].edit.changes[cells[2]]])]))))
        assert await _published(client, [opened[1][1].uri]) == [[]]  # the deleted cell's cleared
        assert await _published(client, cells) == [[], [("NN000", 0, 6)], [("NN101", 3, 8)], []]
        client.notebook_document_did_save(types.DidSaveNotebookDocumentParams(
            notebook_document=types.NotebookDocumentIdentifier(uri=notebook)))
        assert await _published(client, cells) == [[], [("NN000", 0, 6)], [("NN101", 3, 8)], []]

        client.notebook_document_did_close(types.DidCloseNotebookDocumentParams(
            notebook_document=types.NotebookDocumentIdentifier(uri=notebook),
            cell_text_documents=[types.TextDocumentIdentifier(uri=uri) for uri in cells]))
        assert await _published(client, cells) == [[], [], [], []]
        await _stop(client)

    asyncio.run(asyncio.wait_for(session(), 120))
