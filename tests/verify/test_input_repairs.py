"""How `nnlint verify` finds the inputs a model takes from what a failed forward's error says
past the first layer, and from what forward's body reads (fixtures/runtime/guessing/input_repairs.py,
each class citing its source): the inputs chosen, how, and after how many tries."""

import importlib.util
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from nnlint.verify.build import (Rejected, describe_inputs, example_inputs, forward_attribute_order,  # noqa: E402
                                 try_inputs)

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "runtime" / "guessing" / "input_repairs.py"


@pytest.fixture(scope="module")
def module():
    spec = importlib.util.spec_from_file_location("guessing_input_repairs", FIXTURE)
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


def chosen(model):
    """(the inputs try_inputs chose, how, how many attempts failed before) for a model built on
    its own defaults."""
    inputs = example_inputs(model, "m:M", None, {})
    attempt = try_inputs(model, inputs, strict=True)
    return describe_inputs(attempt), inputs.chosen_how(), inputs.chosen


@pytest.mark.parametrize("name, inputs, how, failed", [
    # `nn.Linear(128 * 7 * 7, 1)` after two halvings: 16 x 16 gave 128 * 4 * 4, so 16 * 7 / 4 = 28
    ("MnistCritic", "(2, 1, 28, 28)",
     "inferred from `model.0` (Conv2d), 28 x 28 as the flattened features say (6272, not 2048)", 1),
    # a size no default guess has: 96 x 96 (STL-10), from the 1 x 1 left of 16 x 16
    ("StlClassifier", "(2, 3, 96, 96)",
     "inferred from `features.0` (Conv2d), 96 x 96 as the flattened features say (1152, not 32)", 1),
    # an image flattened whole into an MLP: 784 features are 28 x 28 of its one channel
    ("FlatMlpCritic", "(2, 1, 28, 28)",
     "inferred from `scale` (Conv2d), 28 x 28 as the flattened features say (784, not 256)", 1),
    # a kernel larger than what the downsamplings left: twice as large until it fits (16, 32, 64),
    # and no smaller guess (28) after an error said 64 was too small
    ("PatchCritic", "(2, 3, 128, 128)", "inferred from `main.0` (Conv2d), larger, as an error said the input was "
                                        "too small", 3),
    # forward's first call is the class's own `self.encode(input)`: its encoder's first layer
    ("TwoStageVAE", "(2, 3, 16, 16)", "inferred from `encoder.0` (Conv2d)", 0),
    # `kwargs['labels'].float()` into a Linear of 10: one-hot labels by name
    ("LabelledVAE", "(2, 3, 16, 16), labels=(2, 10)",
     "inferred from `embed_data` (Conv2d), labels by name, 10 features as the layer says", 2),
    # `low_res=None` used untested (`F.interpolate(low_res, ...)`): an input, by name; joined
    # with x into a layer of twice the channels
    ("SuperResUnet", "(2, 3, 16, 16), (2,) int64, low_res=(2, 3, 16, 16)",
     "inferred from `inp` (Conv2d), timesteps, low_res by name, 3 channels each as the layer's 6 say", 2),
    # `h = w = int(sqrt(n))` then `rearrange(x, 'b (h w) c -> b c h w', h=h, w=w)`: 8 tokens make a
    # 2 x 2 map, "Shape mismatch, 8 != 4": 4 tokens
    pytest.param("TokenMapFeedForward", "(2, 4, 16)",
                 "inferred from `norm` (LayerNorm), 4 along axis 1 as an einops pattern's lengths say", 1,
                 marks=pytest.mark.skipif(importlib.util.find_spec("einops") is None,
                                          reason="einops is not installed (not a dependency of nnlint)")),
    # a ModuleList of named members (`add_module("disc_0", ...)`): looked into without `[0]`
    ("NamedScales", "(2, 3, 16, 16)", "inferred from `models.disc_0` (Conv2d)", 0),
    # BCELoss against `(judge + 1) / 2`: values from randn are no probabilities, ours to redraw
    ("RankingLoss", "(2, 1, 16, 16), (2, 1, 16, 16), (2, 1, 16, 16)",
     "inferred from `net.0` (Conv2d), d1, judge by name, 1 channel each as the layer's 5 say, "
     "values between 0 and 1 as the loss says", 2),
    # `kwargs['context']` read only under an `if` the model's settings decide: not an input
    ("ContextPreNorm", "(2, 8, 16)", "inferred from `norm` (LayerNorm)", 0),
    # two inputs joined five times (d0, d1, d0 - d1, ...) into a layer of 5 channels: one each
    ("DistanceLogit", "(2, 1, 16, 16), (2, 1, 16, 16)",
     "inferred from `model.0` (Conv2d), d1 by name, 1 channel each as the layer's 5 say", 2),
])
def test_an_error_past_the_first_layer_or_forward_s_body_says_the_input(module, name, inputs, how, failed):
    assert chosen(getattr(module, name)()) == (inputs, how, failed)


def test_the_first_layer_is_found_through_the_class_s_own_methods(module):
    assert forward_attribute_order(module.TwoStageVAE)[:3] == ["encoder", "fc_mu", "debed"]


@pytest.mark.parametrize("message, given, repaired, note", [
    # 3-D: the cube root of the ratio (a video through 2 halvings, 4 x 4 x 4 where 2 x 2 x 2 came)
    ("mat1 and mat2 shapes cannot be multiplied (2x64 and 512x10)", (2, 3, 8, 8, 8), (2, 3, 16, 16, 16),
     "16 x 16 x 16 as the flattened features say (512, not 64)"),
    # 1-D after a Conv1d's halvings: the length
    ("mat1 and mat2 shapes cannot be multiplied (2x32 and 96x10)", (2, 4, 16), (2, 4, 48),
     "48 as the flattened features say (96, not 32)"),
    # no whole size fits and no channel count either: no repair
    ("mat1 and mat2 shapes cannot be multiplied (2x7 and 3600x2)", (2, 3, 16, 16), None, None),
    # a kernel larger than the input: each spatial axis twice as large
    ("Calculated padded input size per channel: (3 x 3). Kernel size: (4 x 4). Kernel size can't be greater "
     "than actual input size", (2, 3, 32, 32), (2, 3, 64, 64), "larger, as an error said the input was too small"),
    ("Given input size: (64x1x1). Calculated output size: (64x0x0). Output size is too small", (2, 3, 16, 16),
     (2, 3, 32, 32), "larger, as an error said the input was too small"),
])
def test_a_flattening_or_a_too_small_error_resizes_the_image(message, given, repaired, note):
    from nnlint.verify.build import _repaired

    model = torch.nn.Conv1d(4, 4, 1) if len(given) == 3 else torch.nn.Identity()
    got = _repaired(model, RuntimeError(message), ((torch.randn(given),), {}))
    assert (got and (tuple(got[0][0][0].shape), got[1])) == ((repaired, note) if repaired else None)


def test_keys_and_none_defaults_forward_needs_are_inputs_and_tested_ones_are_not():
    from nnlint.verify.build import forward_inputs

    def forward(self, x, mask=None, low_res=None, context=None, cond=None, **kwargs):
        if mask is not None:
            x = x * mask
        y = kwargs["labels"] + kwargs.get("extra", 0)
        if "scale" in kwargs:
            y = y * kwargs["scale"]
        cond = default(cond, x)  # noqa: F821 - never run
        return self.net(x, context) + low_res.mean() + y * cond.mean()

    assert forward_inputs(forward) == (["x"], ["labels", "low_res"])


def test_a_model_whose_shrunk_image_size_fits_no_input_is_built_with_its_own(module, monkeypatch):
    from nnlint.verify import guess
    from nnlint.verify.build import Builder

    monkeypatch.setattr(guess, "SHRINK_ABOVE", 100_000)  # its 0.7 M parameters are "large"
    builder = Builder(module.PatchDiscriminator, "m:PatchDiscriminator", None)
    model = builder.build()
    assert (builder.notes, model.conv2.kernel_size) == ([], (1, 1))
    assert describe_inputs(builder.inputs) == "(2, 3, 64, 64)"


def test_a_view_of_a_permuted_tensor_is_the_model_s_error_not_the_guess_s(module):
    # 16 x 16 leaves 4 x 4 where the Linear wants 2 x 2: 8 x 8 fits it; the view that follows
    # fails on any input, so that input is used and the forward's error is the model's (NN902)
    inputs = example_inputs(module.SampledVAE(), "m:M", None, {})
    assert describe_inputs(try_inputs(module.SampledVAE(), inputs, strict=True)) == "(2, 3, 8, 8)"
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        module.SampledVAE()(torch.randn(2, 3, 8, 8))
    # built with guessed arguments, the sizes that make the view fail may be ours
    # (https://github.com/NVIDIA/tacotron2/blob/master/model.py: Decoder's `view(b, t / n_frames_per_step, -1)`
    # of a transposed tensor works for the real n_frames_per_step=1 only): skipped, not NN902
    inputs = example_inputs(module.SampledVAE(), "m:M", None, {})
    with pytest.raises(Rejected):
        try_inputs(module.SampledVAE(), inputs, strict=True, guessed=True)
