"""The seeds' models with the code that builds and calls them (fixtures/seeds/seed_models_in_use.py):
`nnlint verify` builds every one of them from that code alone, and confirms at its line each
finding whose bug a run can show; the others say why they cannot be observed."""

import json
import re
from pathlib import Path

import pytest

pytest.importorskip("torch")

from nnlint.cli import main  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "fixtures" / "seeds" / "seed_models_in_use.py"
OBSERVABLE = {"NN101", "NN103", "NN105", "NN201", "NN301", "NN405"}


def labels():
    found = []
    for number, line in enumerate(SEEDS.read_text(encoding="utf-8").splitlines(), start=1):
        match = re.search(r"# expect: (.*)$", line)
        if match:
            found.extend((code.strip(), number) for code in match.group(1).split(","))
    return sorted(found)


@pytest.fixture(scope="module")
def models(tmp_path_factory, request):
    output = tmp_path_factory.mktemp("seeds") / "seeds.json"
    before = Path.cwd()
    import os

    os.chdir(ROOT)
    try:
        code = main(["verify", "--isolated", "--select", "ALL", "--format", "json", "--output-file", str(output),
                     str(SEEDS.relative_to(ROOT))])
    finally:
        os.chdir(before)
    assert code == 1
    return {m["name"].split(":")[1]: m for m in json.loads(output.read_text(encoding="utf-8"))["models"]}


def test_every_model_is_built_from_the_code_that_uses_it(models):
    assert {name: m["status"] for name, m in models.items()} == {
        "FullConnect": "checked", "ModuleDemo": "checked", "ListLayers": "checked", "MySequential": "checked",
        "FixedHiddenMLP": "checked", "NestMLP": "checked", "CenteredLayer": "checked", "MyLinear": "checked",
        "Net": "failed", "DropoutNet": "checked", "NoSuperInit": "failed"}
    where = {name: [n for n in m["notes"] if n.startswith("built as in ")] for name, m in models.items()}
    assert where["FullConnect"] == [f"built as in {SEEDS.relative_to(ROOT)}:32, fed as in "
                                    f"{SEEDS.relative_to(ROOT)}:40"]  # full_connect_demo()
    assert all(where.values()), where


def test_each_observable_finding_is_confirmed_at_its_line(models):
    verdicts = sorted((f["code"], f["line"], f["verdict"]) for m in models.values() for f in m["findings"])
    expected = [(code, line) for code, line in labels() if code != "NN602"]  # training-loop code: no model
    assert [(c, n) for c, n, _ in verdicts] == expected
    assert {(c, n): v for c, n, v in verdicts if c in OBSERVABLE} == {
        (c, n): "confirmed" for c, n in expected if c in OBSERVABLE}
    others = {(f["code"], f["reason"]) for m in models.values() for f in m["findings"] if f["code"] not in OBSERVABLE}
    assert others == {("NN108", "a style rule (both calls do the same)"),
                      ("NN106", "the write works; what it skips (name checks, registration hooks) no check sees")}


def test_a_failure_a_finding_predicts_confirms_it_and_is_not_reported_again(models):
    net, no_init = models["Net"], models["NoSuperInit"]
    assert net["reason"] == "forward raised AttributeError: module 'torch.nn.functional' has no attribute 'pool'"
    assert [(f["code"], f["evidence"]) for f in net["findings"] if f["code"] == "NN405"] == [
        ("NN405", net["reason"]),  # the line that raised
        ("NN405", "`torch.nn.functional` has no attribute `pool` in the installed torch "
                  f"{__import__('torch').__version__}")]  # a line forward never reached
    assert [f["code"] for f in no_init["findings"]] == ["NN103"]  # not also an NN901
    assert "NN902" not in {f["code"] for f in net["findings"]}
