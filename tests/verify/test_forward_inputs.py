"""How `nnlint verify` feeds a built model whose inputs no first layer tells, or tells only in
part (fixtures/runtime/guessing/forward_inputs.py, each class citing its source): the inputs it
chooses, and that a model no guess fits stays skipped with the reason."""

import importlib.util
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from nnlint.verify.build import Builder, describe_inputs  # noqa: E402

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "runtime" / "guessing" / "forward_inputs.py"


@pytest.fixture(scope="module")
def module():
    spec = importlib.util.spec_from_file_location("guessing_forward_inputs", FIXTURE)
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


def fed(cls):
    """(the builder's notes, a description of the inputs it chose)."""
    builder = Builder(cls, f"m:{cls.__name__}", None)
    model = builder.build()
    return builder.notes, describe_inputs(builder.feed(model))


@pytest.mark.parametrize("name, how, inputs", [
    # its own (out, in, k) weight through `F.conv1d`: (batch, in, 16)
    ("WeightConv1d", "inferred from `weight` (WeightConv1d)", "(2, 32, 16)"),
    # a torch layer subclassed: the layer tells its own input
    ("CastConv1d", "inferred from `weight` (CastConv1d)", "(2, 3, 16)"),
    # `x * x_mask` over (b, c, t): a (b, 1, t) float mask, not a (b, c) bool one
    ("MaskedFFN", "inferred from `conv_1` (Conv1d), x_mask by name", "(2, 3, 16), (2, 1, 16)"),
    # `torch.split(x, [half] * 2, 1)` said the channels the first layer's half does not
    ("HalfFlow", "inferred from `pre` (Conv1d), x_mask by name, 2 along axis 1 as a split says",
     "(2, 2, 16), (2, 1, 16)"),
    # audio features beside text tokens, their width as the attention's error says
    ("AudioTextDecoder", "inferred from `token_embedding` (Embedding), xa by name, 2 features as the layer says",
     "(2, 8) int64, (2, 8, 2)"),
    # `self.logits[idx]`: floats as indices -> token ids, the same shape
    ("Bigram", "tried ranks and sizes (no layer tells the input shape), token ids as the index says (below 2)",
     "(2, 8, 64) int64"),
    # `assert x.shape[1:] == (self.channels, self.seq_len)`: that shape, before any layer's
    ("SequenceUnet", "the shape forward asserts for `x`, time by name", "(2, 4, 16), (2,) int64"),
    # `b, c, t, h, w = orig_shape` (not `x.shape` itself): 5-D as the unpacking's error says
    ("FrameMixer", "tried ranks and sizes (no layer tells the input shape), as 5-D as forward unpacks it",
     "(2, 8, 8, 8, 8)"),
    # 1-D int64 lengths, each sequence whole (16 steps)
    ("PackedEncoder", "inferred from `conv` (Conv1d), input_lengths by name", "(2, 32, 16), (2,) int64"),
])
def test_a_guessed_model_is_fed_what_its_forward_and_its_errors_say(module, name, how, inputs):
    notes, got = fed(getattr(module, name))
    assert (notes[0].split(", fed ")[1], got) == (f"{inputs} ({how}): guessed, not configured", inputs)


def test_lengths_are_whole_sequences(module):
    builder = Builder(module.PackedEncoder, "m:PackedEncoder", None)
    (x, lengths), _ = builder.feed(builder.build())
    assert lengths.tolist() == [16, 16]


@pytest.mark.parametrize("name, inputs", [
    # a label vector cat onto the image's channels: the image gives up the vector's channels
    ("LabelGenerator", "(2, 4, 16, 16), (2, 4)"),
    # labels used as indices (`out[idx, y]`): floats there, or ids past num_domains, are the guess's to
    # fix (ids below the size the index error says), not the model's error (NN902)
    ("DomainStyles", "(2, 16), (2,) int64"),
])
def test_a_model_built_on_its_defaults_is_fed_what_its_errors_say(module, name, inputs):
    notes, got = fed(getattr(module, name))
    assert (notes, got) == ([], inputs)


def chosen(model):
    """(the inputs try_inputs chose, how) for a model built on its own defaults."""
    from nnlint.verify.build import example_inputs, try_inputs

    inputs = example_inputs(model, "m:M", None, {})
    attempt = try_inputs(model, inputs, strict=True)
    return describe_inputs(attempt), inputs.chosen_how()


def test_a_number_annotated_argument_gets_a_number_and_a_broadcast_error_sizes_the_input(module):
    # `frame_rate: int` -> 2; `x * self.scale[None, :, None]` said 24 along axis 1
    assert chosen(module.ResidualQuantizer()) == (
        "(2, 24, 24), int", "tried ranks and sizes (no layer tells the input shape), frame_rate by name, "
                            "24 along axis 1 as a broadcast says")


def test_token_ids_take_the_rank_forward_unpacks(module):
    # `B, K, T = indices.shape`: ids (2, 8, 16), below the first Embedding's 17
    args, how = chosen(module.MultiCodebookLM())
    assert (args, how) == ("(2, 8, 16) int64", "token ids for `indices` (vocabulary of 17), as 3-D")


@pytest.mark.parametrize("message, given, repaired, note", [
    # einops 0.8's message for `rearrange(x, "b d n -> b n d")` on a 4-D input (encodec's core_vq)
    (' Error while processing rearrange-reduction pattern "b d n -> b n d".\n Input tensor shape: '
     'torch.Size([2, 3, 32, 32]). Additional info: {}.\n Wrong shape: expected 3 dims. Received 4-dim tensor.',
     (2, 3, 32, 32), (2, 3, 16), "as 3-D as an einops pattern says"),
    ("Expected 4D (unbatched) or 5D (batched) input to conv3d, but got input of size: [2, 8, 16]",
     (2, 8, 16), (2, 8, 8, 8, 8), "as 5-D as the layer says"),
    ("Given groups=1, weight of size [16, 16, 3], expected input[2, 8, 16] to have 16 channels, but got 8 "
     "channels instead", (2, 8, 16), (2, 16, 16), "16 channels as the layer says"),
    ("mat1 and mat2 shapes cannot be multiplied (16x8 and 32x64)", (2, 8, 8), (2, 8, 32),
     "32 features as the layer says"),
    ("Given normalized_shape=[32], expected input with shape [*, 32], but got input of size[2, 8, 16]",
     (2, 8, 16), (2, 8, 32), "features as the norm says"),
    ("not enough values to unpack (expected 4, got 3)", (2, 8, 16), (2, 8, 16, 16), "as 4-D as forward unpacks it"),
    # an error that names no input of ours: no repair
    ("mat1 and mat2 shapes cannot be multiplied (2x7 and 3600x2)", (2, 3, 16, 16), None, None),
])
def test_an_error_that_names_an_input_repairs_it(message, given, repaired, note):
    from nnlint.verify.build import _repaired

    got = _repaired(torch.nn.Identity(), RuntimeError(message), ((torch.randn(given),), {}))
    assert (got and (tuple(got[0][0][0].shape), got[1])) == ((repaired, note) if repaired else None)
