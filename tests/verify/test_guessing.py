"""How `nnlint verify` builds and feeds models with no configuration, in-process on small
models modelled on public repositories (fixtures/runtime/guessing, each citing its source):
the inputs it finds, and that a failure its own guesses cause is a skip, never the model's."""

import importlib.util
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from nnlint.verify.build import Builder, Skip, describe_inputs  # noqa: E402

GUESSING = Path(__file__).resolve().parents[2] / "fixtures" / "runtime" / "guessing"


def fixture(name):
    spec = importlib.util.spec_from_file_location(f"guessing_{name}", GUESSING / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fed(cls):
    """(the builder, the model, a description of the inputs it chose)."""
    builder = Builder(cls, f"m:{cls.__name__}", None)
    model = builder.build()
    return builder, model, describe_inputs(builder.feed(model))


def test_an_input_must_pass_a_train_mode_forward_too():
    builder, model, inputs = fed(fixture("train_mode_only").PatchDropout)
    assert inputs == "(2, 8, 16)"  # not the image an eval-mode forward returns untouched
    model.train()
    model(*builder.feed(model)[0])


def test_a_sequence_follows_the_length_the_model_was_built_with():
    builder, model, inputs = fed(fixture("sequence_length").SeqPoolClassifier)
    assert (builder.notes[0], inputs) == (
        "built as SeqPoolClassifier(sequence_length=16), fed (2, 16, 64) (inferred from `norm` (LayerNorm)): "
        "guessed, not configured", "(2, 16, 64)")


@pytest.mark.parametrize("name, built, inputs", [
    ("StagedNet", "StagedNet(block=Residual, num_blocks=(1, 1, 1))", "(2, 3, 16, 16)"),  # a block class, counts by index
    ("Squeeze", "Squeeze(in_planes=16, planes=16)", "(2, 16, 16, 16)"),  # `planes // 16` keeps a channel
    ("Dense", "Dense(growth_rate=12)", "(2, 3, 16, 16)"),  # a growth rate is channels, not a probability
    ("ConfiguredNet", "ConfiguredNet(cfg={'widths': (16, 32, 64), 'repeats': (...)", "(2, 3, 16, 16)"),
])
def test_constructor_guesses_follow_how_init_and_its_helpers_use_them(name, built, inputs):
    builder, model, fed_inputs = fed(getattr(fixture("cifar_zoo"), name))
    assert builder.notes[0].startswith(f"built as {built}, fed {inputs}")
    assert fed_inputs == inputs


def test_a_config_dict_s_sequences_are_as_long_as_the_longest_read():
    from nnlint.verify.guess import candidates

    [only] = list(candidates(fixture("cifar_zoo").ConfiguredNet))
    assert only.kwargs == {"cfg": {"widths": (16, 32, 64), "repeats": (1, 1, 1)}}  # zipped: as long as widths[2] needs


def test_inputs_concatenated_along_the_channels_share_the_first_layer_s_channels():
    builder, model, inputs = fed(fixture("paired_images").PairDiscriminator)
    assert inputs == "(2, 3, 16, 16), (2, 3, 16, 16)"  # not two (2, 6, 16, 16): cat would make 12


@pytest.mark.parametrize("name, built, inputs", [
    # `t % self.period` in forward: a number; `b, c, t = x.shape`: a 3-D input, not the Conv2d's 4-D
    ("PeriodDiscriminator", "PeriodDiscriminator(period=8)", "(2, 1, 16)"),
    ("KeptBlock", "KeptBlock(h=None, channels=3)", "(2, 3, 16)"),  # kept, never read: None
    # `self.cell_type(a, b, stride=1)` in a helper: a class of the file named like it, taking stride=
    ("CellNet", "CellNet(cell_type=CellA, num_cells=2, num_planes=16)", "(2, 3, 16, 16)"),
])
def test_parameters_used_outside_init_are_guessed_by_that_use(name, built, inputs):
    builder, model, fed_inputs = fed(getattr(fixture("vocoder_parts"), name))
    assert builder.notes[0].startswith(f"built as {built}, fed {inputs}")
    assert fed_inputs == inputs


def test_a_guessed_width_divides_by_the_default_head_count():
    builder, model, inputs = fed(fixture("heads_by_default").SelfAttention)
    assert builder.notes[0].startswith("built as SelfAttention(dim=36), fed (2, 8, 36)")  # 32 -> 3 x 12


def test_a_width_named_like_a_module_and_shrunk_widths_keep_dividing_by_the_heads():
    builder, model, inputs = fed(fixture("heads_by_default").EncoderLayer)
    assert builder.notes[0].startswith("built as EncoderLayer(d_model=32, nhead=2), fed (2, 8, 32)")
    builder, model, inputs = fed(fixture("heads_by_default").Classifier)
    assert builder.notes[1] == "shrunk defaults: embedding_dim 768 -> 36"  # 32 would not divide by 12
    assert inputs == "(2, 8, 36)"
