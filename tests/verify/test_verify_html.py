"""`nnlint verify --html`: one self-contained page with, per model, the static-vs-runtime table,
the module tree (registered / hidden), the gradient-norm chart (zero and missing in red) and the
timing; rendered in headless Chromium, whose DOM after load must still hold all of it."""

import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytest.importorskip("torch")

MODELS = textwrap.dedent("""\
    import torch
    import torch.nn as nn


    class Hidden(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = [nn.Linear(8, 8) for _ in range(2)]
            self.head = nn.Linear(8, 2)

        def forward(self, x):
            for block in self.blocks:
                x = block(x)
            return self.head(x)


    class Unused(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Linear(8, 8)
            self.aux = nn.Linear(8, 3)

        def forward(self, x):
            return torch.relu(self.body(x))


    class Clean(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 2))

        def forward(self, x):
            return self.net(x)
""")


class Elements(HTMLParser):
    """Every start tag as (tag, attributes), with the text of each <text> and <td>."""

    def __init__(self, html: str):
        super().__init__()
        self.tags, self.texts, self._open = [], [], []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._open.append(tag)

    def handle_endtag(self, tag):
        if tag in self._open:
            while self._open.pop() != tag:
                pass

    def handle_data(self, data):
        if self._open and self._open[-1] == "text":
            self.texts.append(data)

    def find(self, tag, cls=None, **attrs):
        return [a for t, a in self.tags if t == tag and (cls is None or cls in a.get("class", "").split())
                and all(a.get(k.replace("_", "-")) == v for k, v in attrs.items())]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("html")
    (folder / "models.py").write_text(MODELS, encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "nnlint", "verify", "--isolated", "--device", "cpu",
                          "--html", "report.html", "models.py"], cwd=folder, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 1, run.stderr  # findings
    assert "Verified 3 models" in run.stdout  # the text report still goes to stdout
    return folder / "report.html"


def check_page(html: str) -> None:
    page = Elements(html)
    sections = {a["id"].split("-", 1)[1]: a for a in page.find("section", "model")}
    assert set(sections) == {"models-Hidden", "models-Unused", "models-Clean"}
    assert [a["data-findings"] for a in sections.values()] == ["1", "1", "0"]
    rows = [a for a in page.find("tr") if "data-findings" in a]  # the list of models, filterable
    assert [a["data-findings"] for a in rows] == ["1", "1", "0"]

    # the static-vs-runtime tables: NN101 confirmed (static, seen), NN903 only at runtime
    assert len(page.find("table", "findings")) == 2 and page.find("table", "models")
    assert [a["class"] for a in page.find("tr", "confirmed")] == ["confirmed"]
    assert [a["class"] for a in page.find("tr", "runtime")] == ["runtime"]

    # the module trees: Hidden's two blocks and their four parameters are hidden, nothing else
    rows = page.find("span", "row")
    assert len(rows) == 10 + 7 + 9  # every module, parameter and buffer of the three models
    assert [a["class"] for a in rows if "hid" in a["class"].split()] == [
        "row hid module", "row hid parameter", "row hid parameter"] * 2
    assert len(page.find("span", "badge")) == len(rows)
    assert len(page.find("ul", "tree")) == 3

    # the gradient charts: one bar per parameter; Unused.aux's two are missing, in red; Hidden's
    # blocks get gradients that no optimizer sees, in amber
    charts = page.find("svg", "grad-chart")
    assert len(charts) == 3
    bars = page.find("rect", "bar")
    assert len(bars) == 6 + 4 + 4  # Hidden (head, then its hidden blocks), Unused, Clean
    assert [a["class"] for a in bars if a["class"] != "bar"] == ["bar hidden"] * 4 + ["bar bad missing"] * 2
    paths = [a["data-path"] for a in page.find("g", "grad")]
    assert paths == ["head.weight", "head.bias", "blocks[0].weight", "blocks[0].bias", "blocks[1].weight",
                     "blocks[1].bias", "body.weight", "body.bias", "aux.weight", "aux.bias",
                     "net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias"]
    assert page.texts.count("no gradient") == 2

    # timing and device
    assert len(page.find("svg", "timing-bar")) == 3 and len(page.find("rect", "phase")) >= 3 * 5
    assert "on <b>cpu</b>" in html


def test_the_report_holds_every_part(report):
    html = report.read_text(encoding="utf-8")
    check_page(html)
    # self-contained: nothing to fetch (the SVG namespace is a name, not a request)
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|@import|url\(""", html)
    assert "<script src" not in html and "<link" not in html


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("no chromium here: .ci/run installs Debian's `chromium` package when apt-get can; "
                "run `apt-get update && apt-get install -y chromium` to run this test")


def run_chromium(binary: str, *args: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="nnlint-chromium-") as profile:
        return subprocess.run(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--hide-scrollbars", *args],
            capture_output=True, text=True, timeout=120)


def test_chromium_renders_the_charts_and_tables(report, tmp_path):
    binary = chromium()
    url = report.resolve().as_uri()
    dom = run_chromium(binary, "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    check_page(dom.stdout)

    png = tmp_path / "report.png"
    shot = run_chromium(binary, "--window-size=1280,1400", f"--screenshot={png}", url)
    assert shot.returncode == 0 and png.is_file(), shot.stderr[-2000:]
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert (int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")) == (1280, 1400)
    assert len(data) > 40_000  # a blank page compresses to a few kilobytes
