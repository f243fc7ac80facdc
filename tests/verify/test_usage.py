"""Usage: how the project's own code builds and calls its models, read with `ast` (never run),
and turned back into arguments and inputs in the worker."""

import json
import textwrap

import pytest

from nnlint.verify import usage


def collect(tmp_path, files, targets, checked=("models.py",)):
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    found = usage.collect(targets, [str(tmp_path / c) for c in checked], str(tmp_path),
                          module_of=lambda p: p[len(str(tmp_path)) + 1:-3].replace("/", "."))
    return {f"{m}:{c}": [_short(s, tmp_path) for s in sites] for (m, c), sites in found.items()}


def _short(site, tmp_path):
    data = site.to_dict()
    data["where"] = data["where"].rsplit("/", 1)[-1]
    data["fed_where"] = data["fed_where"].rsplit("/", 1)[-1]
    return data


def v(value):
    return {"v": value}


MODELS = """
    import torch
    from torch import nn


    class Net(nn.Module):
        def __init__(self, width, depth=2):
            super().__init__()
            self.fc = nn.Linear(width, width)

        def forward(self, x):
            return self.fc(x)


    class Stack(nn.Module):
        def __init__(self, *layers):
            super().__init__()
            self.layers = nn.Sequential(*layers)

        def forward(self, x):
            return self.layers(x)
"""


def test_the_file_itself_literals_names_arithmetic_and_factories(tmp_path):
    sites = collect(tmp_path, {"models.py": MODELS + """
    if __name__ == "__main__":
        width, depth = 16, 3
        net = Net(width * 2, depth=depth).to("cuda").eval()
        x = torch.randn(size=(4, width * 2), dtype=torch.float64, device="cuda")
        print(net(x.float()))
        stack = Stack(*[nn.Linear(8, 8), nn.ReLU()])
        stack.forward(torch.ones(2, 8))
    """}, [("models", "Net"), ("models", "Stack")])
    assert sites["models:Net"] == [{
        "where": "models.py:24", "rank": usage.SAME_FILE, "args": [v(32)], "kwargs": {"depth": v(3)},
        "fed_where": "models.py:26", "input_kwargs": {},
        "inputs": [{"method": "float", "args": [], "kwargs": {},
                    "of": {"tensor": "randn", "args": [], "kwargs": {
                        "size": {"tuple": [v(4), v(32)]}, "dtype": {"dtype": "float64"}}}}]}]
    (stack,) = sites["models:Stack"]
    assert stack["args"] == [{"layer": "Linear", "args": [v(8), v(8)], "kwargs": {}},
                             {"layer": "ReLU", "args": [], "kwargs": {}}]
    assert (stack["fed_where"], stack["inputs"]) == (
        "models.py:28", [{"tensor": "ones", "args": [v(2), v(8)], "kwargs": {}}])


def test_tests_and_scripts_of_the_project_through_their_imports(tmp_path):
    sites = collect(tmp_path, {
        "models.py": MODELS,
        "tests/test_net.py": """
            import pytest
            import torch
            import models as m
            from models import Net as Model

            WIDTH = 8


            def test_net(tmp_path):
                net = Model(WIDTH)
                with pytest.raises(ValueError):
                    Model(-1)
                assert net(torch.zeros(3, WIDTH)).shape == (3, 8)


            def test_stack(width):
                m.Stack(nn.Linear(width, 2))  # a fixture's value: not describable
                m.Net(open("w.txt").read())
        """,
        "examples/train.py": """
            import torch
            from models import Stack, Net
            seq = torch.nn.Sequential(Net(4), Stack())
            seq(torch.rand(2, 4))
        """,
        "helpers.py": "from models import Net\nNet(99)\n",  # neither a test nor an example
    }, [("models", "Net"), ("models", "Stack")])
    assert [(s["where"], s["rank"], s["args"], s["fed_where"]) for s in sites["models:Net"]] == [
        ("test_net.py:10", usage.TESTS, [v(8)], "test_net.py:13"),
        ("train.py:3", usage.SCRIPTS, [v(4)], "train.py:4"),  # the Sequential's first layer is fed
    ]
    assert [(s["where"], s["fed_where"]) for s in sites["models:Stack"]] == [("train.py:3", "")]


def test_configs_built_from_literals(tmp_path):
    sites = collect(tmp_path, {"models.py": MODELS + """
    from dataclasses import dataclass
    from types import SimpleNamespace


    @dataclass
    class NetConfig:
        width: int = 4


    def main():
        cfg = NetConfig(width=12)
        Net(cfg.width)
        Net(NetConfig(6))
        ns = SimpleNamespace(width=5)
        Net(ns.width, **dict(depth=1))
        Net(load_width())
    """}, [("models", "Net")])
    assert [(s["args"], s["kwargs"]) for s in sites["models:Net"]] == [
        ([v(12)], {}), ([{"class": ["models", "NetConfig"], "args": [v(6)], "kwargs": {}}], {}),
        ([v(5)], {"depth": v(1)})]


def test_nothing_is_evaluated_but_the_safe_shapes(tmp_path):
    sites = collect(tmp_path, {"models.py": MODELS + """
    import os
    size = int(os.environ["SIZE"])
    Net(size)
    Net(2 ** 100)
    Net([i for i in range(3)])
    Net(torch.randn(3).sum())
    Net(print)
    """}, [("models", "Net")])
    assert sites["models:Net"] == []


def test_pytest_parametrize_dicts_subscripts_and_conditionals(tmp_path):
    sites = collect(tmp_path, {
        "models.py": MODELS,
        "tests/test_net.py": """
            import pytest
            import torch
            from models import Net, Stack

            param = pytest.mark.parametrize
            SIZES = {"small": 4, "large": 64}
            FAST = True


            @pytest.mark.parametrize("width, depth", [(6, 1), (128, 4)])
            def test_net(width, depth):
                Net(width, depth=depth)(torch.rand(2, width))


            @param("width", [pytest.param(5, id="five"), 7])
            def test_one(width):
                Net(width)


            def test_kwargs():
                options = dict(depth=2, **{"width": 3})
                Net(**options)
                Net(SIZES["small"] if FAST else SIZES["large"])
                x = torch.rand(2, 4).to(torch.float64)
                encoder = Net(4).eval()
                Stack(encoder)(x)
        """}, [("models", "Net"), ("models", "Stack")], checked=("models.py", "tests/test_net.py"))
    assert {s["rank"] for s in sites["models:Net"]} == {usage.TESTS}  # checked too, still a test
    assert [(s["where"], s["args"], s["kwargs"], s["fed_where"]) for s in sites["models:Net"]] == [
        ("test_net.py:12", [v(6)], {"depth": v(1)}, "test_net.py:12"),  # the first case
        # the next case: its own site, tried when the first gives NaN (LFQ's all-False mask)
        ("test_net.py:12 (parametrize case 2)", [v(128)], {"depth": v(4)}, "test_net.py:12"),
        ("test_net.py:17", [v(5)], {}, ""),
        ("test_net.py:17 (parametrize case 2)", [v(7)], {}, ""),
        ("test_net.py:22", [], {"depth": v(2), "width": v(3)}, ""),
        ("test_net.py:23", [v(4)], {}, ""),
        ("test_net.py:25", [v(4)], {}, "")]
    (stack,) = sites["models:Stack"]
    assert stack["args"] == [{"class": ["models", "Net"], "args": [v(4)], "kwargs": {}}]  # built, then passed on
    assert stack["inputs"] == [{"method": "to", "of": {"tensor": "rand", "args": [v(2), v(4)], "kwargs": {}},
                                "args": [{"dtype": "float64"}], "kwargs": {}}]  # a tensor keeps its .to(dtype)


def test_notebook_cells_and_classes_a_package_re_exports(tmp_path):
    net_file = MODELS.replace("class Stack", "class Unused")
    cells = [{"cell_type": "markdown", "source": ["# Demo\n"]},
             {"cell_type": "code", "source": ["%matplotlib inline\n", "import torch\n", "from zoo import Net\n"]},
             {"cell_type": "code", "source": "!pip install zoo\nnet = Net(12)\n"},
             {"cell_type": "code", "source": ["x = torch.rand(3, 12)\n", "net(x)"]}]
    sites = collect(tmp_path, {
        "zoo/__init__.py": "from .vit import Net\nfrom zoo.other import Net as OtherNet\n",
        "zoo/vit.py": net_file, "zoo/other.py": net_file,
        "examples/demo.ipynb": json.dumps({"cells": cells, "nbformat": 4}),
        "notebooks/broken.ipynb": "{not json",
    }, [("zoo.vit", "Net"), ("zoo.other", "Net")], checked=())
    assert [(s["where"], s["args"], s["fed_where"]) for s in sites["zoo.vit:Net"]] == [
        ("demo.ipynb:cell 3:2", [v(12)], "demo.ipynb:cell 4:2")]  # as `check` numbers cells; not zoo.other's
    assert sites["zoo.other:Net"] == []


def test_functions_without_parameters_that_return_a_model_and_classes_passed_uncalled(tmp_path):
    sites = collect(tmp_path, {"models.py": MODELS + """


    def main():
        net = Small()  # defined below: read when first called
        net(torch.randn(1, 4))


    def Small():
        return Stack(Net, [2, 2]).eval()


    def Tiny(width=2):
        return Net(2)


    Tiny()(torch.randn(1, 2))  # a factory with parameters is not followed
    """}, [("models", "Net"), ("models", "Stack")])
    assert sites["models:Stack"] == [{
        "where": "models.py:30", "rank": usage.SAME_FILE, "kwargs": {}, "input_kwargs": {},
        "args": [{"ref": ["models", "Net"]}, {"list": [v(2), v(2)]}],
        "fed_where": "models.py:26", "inputs": [{"tensor": "randn", "args": [v(1), v(4)], "kwargs": {}}]}]
    assert [(s["where"], s["fed_where"]) for s in sites["models:Net"]] == [("models.py:34", "")]


def test_a_module_global_that_a_function_rebinds_is_unknown(tmp_path):
    # https://github.com/jik876/hifi-gan/blob/master/inference.py: `h = None` at the top, set by
    # main() through `global h`, read by inference() to build the Generator
    sites = collect(tmp_path, {"models.py": MODELS + """
    h = None
    WIDTH = 4


    def inference():
        Net(h)
        Net(WIDTH)


    def main():
        global h
        h = load_config()
        inference()
    """}, [("models", "Net")])
    assert [s["args"] for s in sites["models:Net"]] == [[v(4)]]


torch = pytest.importorskip("torch")


def test_recipes_become_objects_in_the_worker():
    site = usage.Site(where="m.py:1", rank=0, args=[
        {"layer": "Sequential", "args": [{"layer": "Linear", "args": [v(4), v(2)], "kwargs": {}}], "kwargs": {}},
        {"tuple": [v(1), {"float": "inf"}]}], kwargs={"ns": {"namespace": {"a": v(1)}}},
        inputs=[{"method": "long", "args": [], "kwargs": {},
                 "of": {"tensor": "randint", "args": [v(0), v(5), {"tuple": [v(2), v(3)]}], "kwargs": {}}}],
        fed_where="m.py:2")
    site = usage.Site.from_dict(json.loads(json.dumps(site.to_dict())))  # as the request carries it
    args, kwargs = usage.make(site)
    assert isinstance(args[0][0], torch.nn.Linear) and args[1] == (1, float("inf")) and kwargs["ns"].a == 1
    assert usage.materialize({"ref": ["nnlint.verify.usage", "Site"]}) is usage.Site  # a class, uncalled
    assert usage.make(site)[0][0] is not args[0]  # fresh layers for each build
    (x,), _ = usage.feed(site)
    assert (x.dtype, tuple(x.shape)) == (torch.int64, (2, 3))


@pytest.mark.parametrize("recipe", [
    {"class": ["not_imported_anywhere", "Config"], "args": [], "kwargs": {}},
    {"tensor": "randn", "args": [v(1 << 14), v(1 << 14)], "kwargs": {}},  # 1 GB
    {"tensor": "load", "args": [v("weights.pt")], "kwargs": {}},
    {"layer": "functional", "args": [], "kwargs": {}},
])
def test_what_cannot_be_made_here(recipe):
    with pytest.raises(usage.Unusable):
        usage.materialize(recipe)


def test_a_model_built_from_usage_but_fed_our_guess_is_not_blamed_for_the_guess(tmp_path, monkeypatch, capsys):
    from nnlint.cli import main

    (tmp_path / "m.py").write_text(textwrap.dedent("""
        import torch
        from torch import nn


        class Net(nn.Module):
            def __init__(self, width):
                super().__init__()
                self.fc = nn.Linear(width, 2)

            def forward(self, batch):
                return self.fc(batch.features)


        class Gated(nn.Module):
            def __init__(self, width, fast=False):
                super().__init__()
                if fast:
                    raise ImportError("fast=True needs the flash-kernels package")
                self.fc = nn.Linear(width, 2)

            def forward(self, x):
                return self.fc(x)


        if __name__ == "__main__":
            net = Net(8)
            Gated(8, fast=True)
    """).lstrip(), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["verify", "--isolated", "--format", "json", "m.py"]) == 0
    model, gated = json.loads(capsys.readouterr().out)["models"]
    assert (model["status"], model["findings"]) == ("skipped", [])  # not an NN902 for our tensor
    assert model["reason"].endswith("raised AttributeError: 'Tensor' object has no attribute 'features' "
                                    "(4 combinations tried)")
    # the site's option needs a package not installed here: not the model's NN901, a guess instead
    assert (gated["status"], gated["findings"]) == ("checked", [])
    assert not any(note.startswith("built as in") for note in gated["notes"])


def test_a_model_that_times_out_still_says_how_it_was_built(tmp_path, monkeypatch, capsys):
    from nnlint.cli import main

    (tmp_path / "slow.py").write_text(textwrap.dedent("""
        import time
        import torch
        from torch import nn


        class Slow(nn.Module):
            def __init__(self, width):
                super().__init__()
                self.fc = nn.Linear(width, 2)

            def forward(self, x):
                if not self.training:
                    time.sleep(60)
                return self.fc(x)


        if __name__ == "__main__":
            Slow(4)(torch.rand(1, 4))
    """).lstrip(), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    main(["verify", "--isolated", "--format", "json", "--timeout", "4", "slow.py"])
    (model,) = json.loads(capsys.readouterr().out)["models"]
    assert model["status"] == "skipped" and model["reason"].startswith("timed out after 4 s while checking it")
    assert model["notes"] == ["built as in slow.py:18, fed as in slow.py:18"]


# modelled on lucidrains/vector-quantize-pytorch: LFQ's entropy of the masked samples, and
# tests/test_lfq.py, whose first `parametrize` case is an all-False mask (the entropy of no
# sample is NaN): https://github.com/lucidrains/vector-quantize-pytorch/blob/master/tests/test_lfq.py
QUANTIZERS = """
    import torch
    from torch import nn


    class LFQ(nn.Module):
        def __init__(self, dim):
            super().__init__()
            self.proj = nn.Linear(dim, dim)

        def forward(self, x, mask=None):
            x = self.proj(x)
            probs = torch.sigmoid(x)
            if mask is not None:
                probs = probs[mask]
            entropy = -(probs * probs.log()).sum(-1).mean()
            return x + (torch.sign(x) - x).detach() + 0 * entropy


    class Overflow(nn.Module):
        def __init__(self, dim):
            super().__init__()
            self.proj = nn.Linear(dim, dim)

        def forward(self, x, mask=None):
            return self.proj(x) * float("inf")


    class Exploding(Overflow):
        def __init__(self, dim=16):
            super().__init__(dim)
"""
QUANTIZER_TESTS = """
    import pytest
    import torch
    from quantizers import LFQ, Exploding, Overflow


    @pytest.mark.parametrize("mask", (torch.tensor([False, False]), torch.tensor([True, False])))
    def test_masked(mask):
        quantizer = LFQ(dim=16)
        quantizer(torch.randn(2, 16), mask=mask)


    @pytest.mark.parametrize("mask", (torch.tensor([False, False]), torch.tensor([True, False])))
    def test_overflow(mask):
        Overflow(dim=16)(torch.randn(2, 16), mask=mask)
        Exploding(dim=16)(torch.randn(2, 16), mask=mask)
"""


def test_nan_with_a_replayed_case_is_ours_the_next_case_is_checked(tmp_path, monkeypatch, capsys):
    from nnlint.cli import main

    for name, text in {"quantizers.py": QUANTIZERS, "tests/test_quantizers.py": QUANTIZER_TESTS}.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    main(["verify", "--isolated", "--format", "json", "quantizers.py"])
    lfq, overflow, exploding = json.loads(capsys.readouterr().out)["models"]
    assert (lfq["status"], lfq["findings"]) == ("checked", [])
    assert lfq["notes"] == [
        "built as in tests/test_quantizers.py:8 (parametrize case 2), fed as in tests/test_quantizers.py:9",
        "NaN or Inf with the first way nnlint chose (built as in tests/test_quantizers.py:8, fed as in "
        "tests/test_quantizers.py:9): our values, not the model's; checked the next way instead"]
    # NaN with every way tried (both cases, then a guess): a note, not NN904
    assert (overflow["status"], overflow["findings"]) == ("checked", [])
    assert overflow["notes"][-1] == (
        "NaN or Inf in the output or the gradients with values nnlint chose (as in "
        "tests/test_quantizers.py:14; as in tests/test_quantizers.py:14 (parametrize case 2); "
        "Overflow(dim=32)), and with every other way it tried: not reported as NN904 (configure the inputs to check it)")

    # NaN with both cases, then with its own defaults (not ours): the model's
    assert [(f["code"], f["message"]) for f in exploding["findings"] if f["source"] != "static"] == [
        ("NN904", "the train-mode output has NaN or Inf values")]
    assert exploding["notes"][0].startswith("eval output has NaN/Inf")

    # the same NaN with inputs the user configured: the model's
    (tmp_path / "pyproject.toml").write_text(
        '[tool.nnlint.verify.models."quantizers:Overflow"]\nkwargs = { dim = 16 }\ninputs = [[2, 16]]\n', encoding="utf-8")
    main(["verify", "--format", "json", "quantizers.py"])
    _, overflow, _ = json.loads(capsys.readouterr().out)["models"]
    assert [(f["code"], f["message"]) for f in overflow["findings"]] == [
        ("NN904", "the train-mode output has NaN or Inf values")]
