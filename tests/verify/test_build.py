"""Configuration of `nnlint verify` ([tool.nnlint.verify]), model names, and how models are
built and fed: constructor hints, declared example inputs, inference from the first layer."""

import re
import tomllib
from pathlib import Path

import pytest

from nnlint.config import ConfigError
from nnlint.verify.build import ModelSpec, Skip, parse_config, toml_hint
from nnlint.verify.discover import config_alias, module_name

ROOT = Path(__file__).resolve().parents[2]


def parse(table, root=ROOT):
    return parse_config(table, "pyproject.toml", root)


def test_a_full_configuration_is_read():
    config = parse({
        "factories": ["fixtures/runtime/nnlint_factories.py"], "device": "cpu", "timeout": 5,
        "models": {"zoo:Tower": {"args": [4, 32], "kwargs": {"dropout": 0.1}, "inputs": [[8, 32], [8]],
                                 "dtypes": ["float", "long"], "high": 100}},
    })
    spec = config.models["zoo:Tower"]
    assert (spec.args, spec.kwargs, spec.inputs, spec.dtypes, spec.high, spec.has_constructor) == (
        [4, 32], {"dropout": 0.1}, [[8, 32], [8]], ["float32", "int64"], 100, True)
    assert config.factories == [str(ROOT / "fixtures/runtime/nnlint_factories.py")]
    assert (config.device, config.timeout) == ("cpu", 5.0)
    assert ModelSpec.from_dict(spec.to_dict()) == spec


@pytest.mark.parametrize("table, message", [
    ({"model": {}}, "unknown key 'model'"),
    ({"factories": "f.py"}, "factories must be a list"),
    ({"factories": ["missing.py"]}, "factories: missing.py: no such file"),
    ({"device": "tpu"}, "device must be one of auto, cpu, cuda"),
    ({"timeout": 0}, "timeout must be a number of seconds above 0 and at most 86400"),
    ({"timeout": float("inf")}, "timeout must be a number of seconds above 0 and at most 86400"),
    ({"timeout": 1e308}, "timeout must be a number of seconds above 0 and at most 86400"),
    ({"timeout": float("nan")}, "timeout must be a number of seconds above 0 and at most 86400"),
    ({"models": {"Tower": {}}}, 'the name must be "module:Class"'),
    ({"models": {"zoo:Tower": {"arg": [1]}}}, "unknown key 'arg'"),
    ({"models": {"zoo:Tower": {"args": 4}}}, "args must be a list"),
    ({"models": {"zoo:Tower": {"inputs": [8, 32]}}}, "inputs must be a list of shapes"),
    ({"models": {"zoo:Tower": {"inputs": [[8]], "dtypes": ["f32"]}}}, "unknown dtype 'f32'"),
    ({"models": {"zoo:Tower": {"dtypes": ["long"]}}}, "dtypes needs inputs, one dtype per input"),
    ({"models": {"zoo:Tower": {"inputs": [[8]], "high": 0}}}, "high must be a positive integer"),
])
def test_configuration_errors_name_the_key(table, message):
    with pytest.raises(ConfigError) as error:
        parse(table)
    assert message in str(error.value) and "[tool.nnlint.verify" in str(error.value)


def test_the_readme_example_is_a_valid_configuration():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    tables = [tomllib.loads(body) for body in re.findall(r"```toml\n(.*?)```", readme, re.S)]
    ours = [t["tool"]["nnlint"] for t in tables if "nnlint" in t.get("tool", {})]  # not an editor's
    verify = [table["verify"] for table in ours if "verify" in table]
    assert verify
    for table in verify:
        table = dict(table, factories=[])  # the example's factories file is the user's
        assert parse(table).models


def test_module_names_follow_packages(tmp_path):
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    for init in ("pkg/__init__.py", "pkg/sub/__init__.py"):
        (tmp_path / init).write_text("")
    assert module_name(str(tmp_path / "pkg" / "sub" / "models.py")) == ("pkg.sub.models", str(tmp_path))
    assert module_name(str(tmp_path / "pkg" / "__init__.py")) == ("pkg", str(tmp_path))
    assert module_name(str(tmp_path / "zoo.py")) == ("zoo", str(tmp_path))
    assert config_alias(str(tmp_path / "pkg" / "sub" / "models.py"), tmp_path) == "pkg.sub.models"
    assert config_alias("/elsewhere/zoo.py", tmp_path) is None


def test_hint_is_toml_with_placeholders():
    import inspect

    def ctor(depth: int, rate: float, name: str, config: dict, flag: bool, anything):
        pass

    params = list(inspect.signature(ctor).parameters.values())
    hint = toml_hint("zoo:Tower", constructor=params, forward=["x", "mask"])
    assert hint.splitlines()[0] == '[tool.nnlint.verify.models."zoo:Tower"]'
    body = tomllib.loads(hint)["tool"]["nnlint"]["verify"]["models"]["zoo:Tower"]
    assert body == {"kwargs": {"depth": 16, "rate": 0.1, "name": "...", "config": 16, "flag": False,
                               "anything": 16}, "inputs": [[2, 16], [2, 16]]}
    assert "factories" in hint  # `config: dict` is not a plain value: a factory may be easier


# ----- building and inputs (torch) --------------------------------------------------------------
torch = pytest.importorskip("torch")
nn = torch.nn

from nnlint.verify.build import (Builder, choose_inputs, example_inputs,  # noqa: E402
                                 forward_attribute_order)


def shapes(inputs):
    return [[(tuple(t.shape), str(t.dtype)) for t in args] for args, _ in inputs.attempts]


class Tower(nn.Module):
    def __init__(self, depth, width=8):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(width, width) for _ in range(depth))

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


def test_the_builder_guesses_or_builds_from_the_spec():
    builder = Builder(Tower, "zoo:Tower", None)
    model = builder.build()
    assert len(model.layers) == 1 and model.layers[0].in_features == 8  # depth -> 1, width's default
    assert builder.notes == ["built as Tower(depth=1), fed (2, 8) (inferred from `layers.0` (Linear)): "
                             "guessed, not configured"]
    assert builder.feed(model)[0][0].shape == (2, 8)
    assert len(builder.build().layers) == 1  # a fresh instance, the same way
    configured = Builder(Tower, "zoo:Tower", ModelSpec(args=[2], kwargs={"width": 4}, has_constructor=True))
    model = configured.build()
    assert len(model.layers) == 2 and model.layers[0].in_features == 4 and configured.notes == []
    with pytest.raises(Skip, match="needs a GPU"):
        Builder(Tower, "zoo:Tower", ModelSpec(skip="needs a GPU")).build()


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = nn.LayerNorm(12)  # registered first, used last
        self.embed = nn.Embedding(30, 12)

    def forward(self, tokens):
        return self.norm(self.embed(tokens))


class Wrapper(nn.Module):
    def __init__(self):
        super().__init__()
        self.head = nn.Linear(12, 2)
        self.body = Encoder()

    def forward(self, tokens):
        return self.head(self.body(tokens))


@pytest.mark.parametrize("model, expected", [
    (Wrapper(), [[((2, 8), "torch.int64")]]),  # forward's order, into a custom block
    (nn.Sequential(nn.Conv1d(3, 4, 3)), [[((2, 3, size), "torch.float32")] for size in (16, 32, 64, 128, 28)]),
    (nn.Sequential(nn.Linear(3, 3)), [[((2, 3), "torch.float32")], [((2, 8, 3), "torch.float32")]]),
    (nn.Sequential(nn.LSTM(5, 6)), [[((8, 2, 5), "torch.float32")]]),
    (nn.Sequential(nn.GRU(5, 6, batch_first=True)), [[((2, 8, 5), "torch.float32")]]),
    (nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 2, batch_first=True), 1, enable_nested_tensor=False),
     [[((2, 8, 16), "torch.float32")]]),
    (nn.Sequential(nn.Dropout(), nn.LayerNorm([4, 5])), [[((2, 8, 4, 5), "torch.float32")],
                                                       [((2, 4, 5), "torch.float32")]]),
    (nn.Sequential(nn.Linear(3, 3)).double(), [[((2, 3), "torch.float64")], [((2, 8, 3), "torch.float64")]]),
])
def test_inputs_are_inferred_from_the_first_layer(model, expected):
    inputs = example_inputs(model, "m:M", None)
    assert inputs.inferred and shapes(inputs)[:len(expected)] == expected  # then a few ranks and sizes
    assert inputs.attempts[0][0][0].max() < 30 or inputs.attempts[0][0][0].is_floating_point()


def test_declared_and_configured_inputs_win():
    class Declared(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 3)
            self.example_input_array = torch.zeros(1, 3)

        def forward(self, x):
            return self.fc(x)

    class Method(Declared):
        def example_inputs(self):
            return {"x": torch.zeros(5, 3)}

    assert shapes(example_inputs(Declared(), "m:D", None)) == [[((1, 3), "torch.float32")]]
    method = example_inputs(Method(), "m:M", None)
    assert (method.how, method.attempts[0][0][0].shape) == ("example_input_array", (1, 3))
    del_array = Method()
    del del_array.example_input_array
    assert example_inputs(del_array, "m:M", None).attempts[0][1]["x"].shape == (5, 3)
    spec = ModelSpec(inputs=[[4, 3], [4]], dtypes=["float32", "int64"], high=7)
    configured = example_inputs(Declared(), "m:D", spec)
    assert shapes(configured) == [[((4, 3), "torch.float32"), ((4,), "torch.int64")]]
    assert int(configured.attempts[0][0][1].max()) < 7


def test_a_wrong_guess_skips_and_a_real_error_does_not():
    class Flat(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)
            self.fc = nn.Linear(4 * 30 * 30, 2)  # only a 32x32 input fits

        def forward(self, x):
            return self.fc(self.conv(x).flatten(1))

    args, _ = choose_inputs(Flat(), "m:Flat", example_inputs(Flat(), "m:Flat", None), None)
    assert args[0].shape == (2, 3, 32, 32)

    class Odd(Flat):
        def forward(self, x):
            return self.fc(self.conv(x).flatten(1)[:, :7])

    with pytest.raises(Skip) as skip:
        choose_inputs(Odd(), "m:Odd", example_inputs(Odd(), "m:Odd", None), None)
    assert skip.value.reason == (
        "forward on the inferred from `conv` (Conv2d) input (2, 3, 16, 16) (and 12 other guesses) raised "
        "RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x7 and 3600x2)")
    assert "inputs = [[2, 3, 32, 32]]" in skip.value.hint  # an image model gets an image

    class Raises(Flat):
        def forward(self, x):
            raise ValueError("not implemented yet")

    args, _ = choose_inputs(Raises(), "m:R", example_inputs(Raises(), "m:R", None), None)
    assert args[0].shape == (2, 3, 16, 16)  # the checks will report the error itself


def test_forward_attribute_order_reads_the_source():
    assert forward_attribute_order(Wrapper) == ["body", "head"]  # inside out
    assert forward_attribute_order(Encoder) == ["embed", "norm"]

    class Loop(nn.Module):
        def forward(self, x, mask=None):
            scale = self.gain * 2
            for i, block in enumerate(self.blocks):
                x = block(x)
            h = self.head(x)
            return self.out(h) + self.bias(mask)

    assert forward_attribute_order(Loop) == ["blocks", "head", "out", "gain", "bias"]
    assert forward_attribute_order(nn.Linear) == []  # torch's own: no source reading


class Wide(nn.Module):
    def __init__(self, hidden_dim=8000):  # 128M parameters with its default
        super().__init__()
        self.fc1 = nn.Linear(hidden_dim, hidden_dim)
        self.fc2 = nn.Linear(hidden_dim, hidden_dim)

    def forward(self, x):
        return self.fc2(self.fc1(x))


class Opaque(Wide):
    def __init__(self, q=6000):  # 72M parameters and a name that says nothing: cannot be shrunk
        super().__init__(q)
        self.fc3 = nn.Linear(q, q)


def test_the_size_guard_shrinks_large_defaults_or_skips(monkeypatch):
    from nnlint.verify import guess

    builder = Builder(Wide, "m:Wide", None)
    model = builder.build()
    assert model.fc1.in_features == 64  # shrunk, counted without initialising 128M weights
    assert builder.notes[1] == "shrunk defaults: hidden_dim 8000 -> 64"
    monkeypatch.setattr(guess, "MAX_PARAMETERS", 50_000_000)
    with pytest.raises(Skip) as skip:
        Builder(Opaque, "m:Opaque", None).build()
    assert skip.value.reason == "too large for the memory limit: 108M parameters (the limit is 50M)"


def test_an_error_of_a_shape_checking_library_is_a_wrong_guess():
    # einx's RankError derives from Exception only: a Fourier embedding of a (b,) time value,
    # https://github.com/lucidrains/e2-tts-pytorch/blob/main/e2_tts_pytorch/e2_tts.py (RandomFourierEmbed,
    # `einx.multiply('i, j -> i j', x, self.weights)`), fed a guessed (b, n) input first
    RankError = type("RankError", (Exception,), {"__module__": "einx.errors"})

    def multiply(x, weights):  # einx.multiply('i, j -> i j', x, weights)
        if x.dim() != 1:
            raise RankError("The number of tensor dimensions and axes in the expression does not match.")
        return x[:, None] * weights[None, :]

    class FourierEmbed(nn.Module):
        def __init__(self, dim=8):
            super().__init__()
            self.weights = nn.Parameter(torch.randn(dim // 2))

        def forward(self, x):
            freqs = multiply(x, self.weights)
            return torch.cat((freqs.sin(), freqs.cos()), dim=-1)

    model = FourierEmbed()
    with pytest.raises(Skip) as skip:  # no input the guesses make fits: ours, not the model's error
        choose_inputs(model, "m:FourierEmbed", example_inputs(model, "m:FourierEmbed", None), None)
    assert skip.value.reason.startswith("forward on the tried ranks and sizes (no layer tells the input shape) "
                                        "input (2, 8, 4) (and 5 other guesses) raised RankError")

    class EinxFourierEmbed(FourierEmbed):  # the pattern says x has one axis: a batch of time values
        def forward(self, x):
            freqs = einx_multiply("i, j -> i j", x, self.weights)
            return torch.cat((freqs.sin(), freqs.cos()), dim=-1)

    def einx_multiply(pattern, x, weights):
        return multiply(x, weights)

    model = EinxFourierEmbed()
    inputs = example_inputs(model, "m:EinxFourierEmbed", None)
    args, _ = choose_inputs(model, "m:EinxFourierEmbed", inputs, None)
    assert (tuple(args[0].shape), inputs.how) == ((2,), "a batch of time values (`i, j -> i j`)")


SOURCE_LINES = """
import functools

import torch.nn as nn


def register(cls):
    return cls


@register
class Decorated(nn.Module):
    class Inner(nn.Module):
        pass

    def forward(self, x):
        return x


def make():
    class Local(nn.Module):
        pass
    return Local


class Twice(nn.Module):
    pass


class Twice(nn.Module):  # inspect finds the first of two of one name
    def forward(self, x):
        return x
"""


def test_source_lines_are_inspect_s_with_one_parse_per_file(tmp_path, monkeypatch):
    # class_sources() asks for every user class of a model's submodules: inspect parsed the
    # whole file again for each (before Python 3.13), 36 ms a class in stylegan2-pytorch's
    # model.py (https://github.com/rosinality/stylegan2-pytorch/blob/master/model.py)
    import ast
    import importlib.util
    import inspect
    import sys

    from nnlint.verify import build

    path = tmp_path / "sourced.py"
    path.write_text(SOURCE_LINES.lstrip(), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("sourced", path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "sourced", module)
    spec.loader.exec_module(module)
    parses = []
    real_parse = ast.parse
    monkeypatch.setattr(ast, "parse", lambda *a, **k: parses.append(1) or real_parse(*a, **k))
    classes = [module.Decorated, module.Decorated.Inner, module.make(), module.Twice]
    found = [build.source_lines(cls) for cls in classes]
    assert [(first, last) for _, first, last in found] == [(10, 16), (12, 13), (20, 21), (25, 26)]
    assert len(parses) == 1
    monkeypatch.setattr(ast, "parse", real_parse)
    for cls, (file, first, last) in zip(classes, found):
        lines, start = inspect.getsourcelines(cls)
        assert (file, first, last) == (str(path), start, start + len(lines) - 1)
