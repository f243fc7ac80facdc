"""How long the language server takes from an edit to its diagnostics, on a 1,000-line model file.

    python bench/server_latency.py [--edits 20] [--lines 1000]

Starts `nnlint server` once (as an editor does), opens a generated model file of about
--lines lines (attention and MLP blocks, each with a plain-list submodule and an F.dropout),
then, --edits times, types one character inside a different class (an incremental change)
and times didChange -> publishDiagnostics of that version; then times a save (the last
change's diagnostics published again) and the whole-file check that follows it once the typing
pauses. The 50 ms debounce is included. Prints the load average too: on a shared
machine it moves the figures more than anything else.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

from nnlint.server import DEPENDENTS_DELAY_S

HEAD = '''"""A generated model file for the language server's latency benchmark."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
'''
BLOCK = '''

class Attention{i}(nn.Module):
    """Multi-head self-attention, block {i}."""

    def __init__(self, dim: int, heads: int = 8, dropout: float = 0.1):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=False)
        self.proj = nn.Linear(dim, dim)
        self.drop = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        b, n, c = x.shape
        qkv = self.qkv(self.norm(x)).reshape(b, n, 3, self.heads, c // self.heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)
        attn = (q @ k.transpose(-2, -1)) * self.scale
        if mask is not None:
            attn = attn.masked_fill(mask == 0, float("-inf"))
        attn = F.softmax(attn, dim=-1)
        out = (self.drop(attn) @ v).transpose(1, 2).reshape(b, n, c)
        return x + self.proj(out)


class Block{i}(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.attn = Attention{i}(dim)
        self.layers = [nn.Linear(dim, hidden), nn.Linear(hidden, dim)]
        self.act = nn.GELU()
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        x = self.attn(x)
        h = self.act(self.layers[0](self.norm(x)))
        h = F.dropout(h, 0.1)
        return x + self.layers[1](h)
'''


def model_file(lines: int) -> str:
    parts, count, index = [HEAD], HEAD.count("\n"), 0
    while count < lines:
        parts.append(BLOCK.format(i=index))
        count += BLOCK.count("\n")
        index += 1
    return "".join(parts)


class Client(LanguageClient):
    def __init__(self):
        super().__init__("nnlint-bench", "1")
        self.published: asyncio.Queue = asyncio.Queue()
        self.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)(lambda *args: self.published.put_nowait(args[-1]))
        self.feature(types.WINDOW_LOG_MESSAGE)(lambda *args: None)

    async def diagnostics_of(self, uri: str, version):
        while True:
            params = await self.published.get()
            if params.uri == uri and params.version == version:
                return params.diagnostics


async def measure(edits: int, lines: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="nnlint-bench-"))
    text = model_file(lines)
    path = folder / "model.py"
    path.write_text(text)
    uri = from_fs_path(str(path))
    client = Client()
    await client.start_io(sys.executable, "-m", "nnlint", "server")
    await client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities(),
                                                         root_uri=from_fs_path(str(folder))))
    client.initialized(types.InitializedParams())
    started, cpu_before = time.perf_counter(), _cpu_seconds(client)
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=uri, language_id="python", version=1, text=text)))
    found = await client.diagnostics_of(uri, 1)
    opened, open_cpu = time.perf_counter() - started, _cpu_seconds(client) - cpu_before
    line_list = text.splitlines()
    targets = [n for n, line in enumerate(line_list) if "F.dropout(h, 0.1)" in line]
    times, counts = [], {len(found)}
    cpu_before = _cpu_seconds(client)
    for edit in range(edits):
        line = targets[edit % len(targets)]
        column = line_list[line].index("0.1") + 2  # 0.1 -> 0.2, 0.2 -> 0.3, ...
        digit = str((edit // len(targets) + 2) % 10)
        version = edit + 2
        started = time.perf_counter()
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangePartial(
                range=types.Range(start=types.Position(line=line, character=column),
                                  end=types.Position(line=line, character=column + 1)), text=digit)]))
        found = await client.diagnostics_of(uri, version)
        times.append(time.perf_counter() - started)
        counts.add(len(found))
    cpu_per_edit = (_cpu_seconds(client) - cpu_before) / edits
    started = time.perf_counter()
    client.text_document_did_save(types.DidSaveTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    await client.diagnostics_of(uri, edits + 1)
    saved = time.perf_counter() - started
    cpu_before = _cpu_seconds(client)
    await client.diagnostics_of(uri, edits + 1)  # the whole file, once the typing has paused
    whole = time.perf_counter() - started
    whole_cpu = _cpu_seconds(client) - cpu_before
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    times.sort()
    ms = lambda seconds: f"{seconds * 1000:.0f} ms"  # noqa: E731
    print(f"file: {text.count(chr(10))} lines, {sorted(counts)} findings; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores")
    print(f"open (whole file): {ms(opened)}; the server's CPU time {ms(open_cpu)}")
    print(f"change -> diagnostics, {edits} edits: median {ms(statistics.median(times))}, "
          f"p90 {ms(times[int(len(times) * 0.9) - 1])}, max {ms(times[-1])}; "
          f"the server's CPU time per edit {ms(cpu_per_edit)}")
    print(f"save -> diagnostics (the last change's, reused): {ms(saved)}")
    print(f"save -> the whole file checked after the {DEPENDENTS_DELAY_S:g} s pause: {ms(whole)}; "
          f"the server's CPU time {ms(whole_cpu)}")


def _cpu_seconds(client: LanguageClient) -> float:
    """The server process's CPU time so far (user + system; Linux), which the load of other
    processes on the machine does not inflate as it does the wall-clock latency."""
    try:
        fields = Path(f"/proc/{client._server.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, AttributeError, IndexError, ValueError):
        return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--lines", type=int, default=1000)
    args = parser.parse_args()
    asyncio.run(measure(args.edits, args.lines))


if __name__ == "__main__":
    main()
