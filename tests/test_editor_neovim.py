"""A real editor: headless Neovim with the README's `init.lua` snippet (taken from README.md, so
the README stays true) opens a file with a bug, shows nnlint's diagnostic (vim.diagnostic),
applies its quick fix (a textDocument/codeAction request and the WorkspaceEdit it returns, as
`vim.lsp.buf.code_action()` does) and writes the file. Skips, saying why, where Neovim 0.7 or
later or the server extra is missing (.ci/run installs Debian's `neovim`)."""

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("pygls", reason="the server extra is not installed")

README = Path(__file__).resolve().parent.parent / "README.md"
BUGGY = textwrap.dedent("""\
    import torch.nn as nn


    class Net(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)
""")
FIXED = BUGGY.replace("(self):\n", "(self):\n        super().__init__()\n")

# Waits for the diagnostics, writes what it saw, applies the NN103 quick fix, writes the buffer.
DRIVER = textwrap.dedent("""\
    local out = os.getenv("NNLINT_NVIM_OUT")
    local buf = vim.api.nvim_get_current_buf()
    local function done(lines) vim.fn.writefile(lines, out); vim.cmd("qa!") end
    if not vim.wait(60000, function() return #vim.diagnostic.get(buf) > 0 end, 50) then
      return done({ "no diagnostics" })
    end
    local seen = {}
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
      table.insert(seen, string.format("%s %d %d %s", code, d.lnum + 1, d.col + 1, d.source))
    end
    table.sort(seen)
    local d = vim.diagnostic.get(buf, { lnum = 4 })[1]
    local at = { line = d.lnum, character = d.col }
    local params = { textDocument = { uri = vim.uri_from_bufnr(buf) }, range = { start = at, ["end"] = at },
                     context = { diagnostics = {} } }
    local applied = "no quick fix"
    for id, response in pairs(vim.lsp.buf_request_sync(buf, "textDocument/codeAction", params, 30000) or {}) do
      for _, action in ipairs(response.result or {}) do
        if action.title:match("^NN103:") and action.edit then
          vim.lsp.util.apply_workspace_edit(action.edit, vim.lsp.get_client_by_id(id).offset_encoding)
          applied = "applied " .. action.title
        end
      end
    end
    vim.cmd("write")
    table.insert(seen, applied)
    done(seen)
""")


def _neovim() -> str:
    nvim = shutil.which("nvim")
    if nvim is None:
        pytest.skip("Neovim is not installed (.ci/run installs Debian's `neovim`)")
    version = subprocess.run([nvim, "--version"], capture_output=True, text=True, timeout=30).stdout
    found = re.match(r"NVIM v(\d+)\.(\d+)", version)
    if found is None or (int(found[1]), int(found[2])) < (0, 7):
        pytest.skip(f"Neovim 0.7 or later is needed, found {version.splitlines()[:1]}")
    return nvim


def _readme_snippet() -> str:
    section = README.read_text(encoding="utf-8").split("**Neovim**", 1)[1]
    return re.search(r"```lua\n(.*?)```", section, re.DOTALL).group(1)


def test_neovim_shows_the_diagnostics_and_applies_the_quick_fix(tmp_path):
    nvim = _neovim()
    bin_dir = Path(sys.executable).parent
    if not (bin_dir / "nnlint").exists():
        pytest.skip(f"no `nnlint` command beside {sys.executable} for Neovim to start")
    (tmp_path / "init.lua").write_text(_readme_snippet())
    (tmp_path / "driver.lua").write_text(DRIVER)
    (tmp_path / "net.py").write_text(BUGGY)
    out = tmp_path / "seen.txt"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
           "NNLINT_NVIM_OUT": str(out), "XDG_STATE_HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path),
           "XDG_CACHE_HOME": str(tmp_path)}
    done = subprocess.run([nvim, "--headless", "-i", "NONE", "-n", "-u", "init.lua", "net.py",
                           "-c", "luafile driver.lua"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=150, stdin=subprocess.DEVNULL)
    assert out.exists(), done.stdout + done.stderr
    assert out.read_text().splitlines() == ["NN103 5 9 nnlint", "applied NN103: insert super().__init__()"]
    assert (tmp_path / "net.py").read_text() == FIXED
