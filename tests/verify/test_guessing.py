"""How `nnlint verify` builds and feeds models with no configuration, in-process on small
models modelled on public repositories (fixtures/runtime/guessing, each citing its source):
the inputs it finds, and that a failure its own guesses cause is a skip, never the model's."""

import importlib.util
import sys
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


@pytest.mark.parametrize("name, notes", [
    # `cat((self.model(x), skip_input), 1)`: the skip is what the up block makes of x, twice the size
    ("UpBlock", "built as UpBlock(in_size=32, out_size=32), fed (2, 32, 16, 16), (2, 32, 32, 32) (inferred from "
                "`model.0` (ConvTranspose2d), skip_input by name): guessed, not configured"),
    # `self.fc(z)`: z is what the Linear takes; x gives up the channel z's view adds
    ("NoiseGenerator", "built as NoiseGenerator(latent_dim=16, img_shape=(3, 32, 32)), fed (2, 3, 32, 32), (2, 16) "
                       "(inferred from `conv` (Conv2d), z by name, features fitted to the first layer): "
                       "guessed, not configured"),
    # `cat((self.label_emb(labels), noise), -1)` into a Linear: noise gives up the embedding's width
    ("LabelGenerator", "built as LabelGenerator(latent_dim=16, n_classes=10), fed (2, 16), (2,) int64 (inferred from "
                       "`model.0` (Linear), labels by name, features fitted to the first layer): guessed, not configured"),
    # `torch.cat(xs, 1)`: a list of tensors
    ("Root", "built as Root(in_channels=3, out_channels=8), fed [(2, 3, 16, 16)] (inferred from `conv` (Conv2d), "
             "xs as a list): guessed, not configured"),
])
def test_inputs_of_different_shapes_follow_what_forward_does_with_them(name, notes):
    builder, model, inputs = fed(getattr(fixture("unet_parts"), name))
    assert builder.notes == [notes]


def built_from_its_demo(monkeypatch, name, cls_name, parts=()):
    """(the builder, the model) of a fixture's class built from the usage sites of its own file
    (its `__main__` demo); `parts`: other classes of the file the site constructs."""
    from nnlint.verify import usage

    monkeypatch.chdir(GUESSING)  # the site is named relative to the working folder
    module = fixture(name)
    monkeypatch.setitem(sys.modules, module.__name__, module)  # a part the site makes comes from it
    found = usage.collect([(module.__name__, c) for c in (*parts, cls_name)], [str(GUESSING / f"{name}.py")],
                          str(GUESSING), module_of=lambda p: module.__name__)
    sites = [site.to_dict() for site in found[(module.__name__, cls_name)]]
    builder = Builder(getattr(module, cls_name), f"m:{cls_name}", None, usage=sites)
    return builder, builder.build()


def test_a_usage_site_at_full_size_is_shrunk_and_fed_a_small_input(monkeypatch):
    builder, model = built_from_its_demo(monkeypatch, "demo_at_full_size", "PatchClassifier")
    assert builder.notes == [
        "built as in demo_at_full_size.py:26 (shrunk for a fast run: image_size 256 -> 32, num_classes 1000 -> 10, "
        "dim 1536 -> 36, mlp_dim 3072 -> 64, inputs' 256 -> 32), fed as in demo_at_full_size.py:28"]
    assert describe_inputs(builder.feed(model)) == "(2, 3, 32, 32)"  # the image size shrunk: so the demo's images
    assert model.head.out_features == 10 and model.to_patches.out_channels == 36  # 36: a multiple of heads=12


def test_a_shrunk_site_s_inputs_follow_its_shrunk_image_size():
    # denoising-diffusion-pytorch's classifier-free guidance demo (fixture cites it): shrunk to
    # image_size 32, the demo's 128 x 128 images were not taken and nothing else fitted, so the
    # full-size model (38M parameters, 8 images of 128 x 128) ran and timed out after 60 s
    from nnlint.verify import usage

    site = usage.Site("demo.py:3", usage.SCRIPTS, kwargs={"image_size": {"v": 128}}, fed_where="demo.py:5",
                      inputs=[{"tensor": "randn", "args": [{"v": 8}, {"v": 3}, {"v": 128}, {"v": 128}], "kwargs": {}}],
                      input_kwargs={"cond": {"tensor": "rand", "args": [{"tuple": [{"v": 8}, {"v": 128}]}],
                                             "kwargs": {}}})
    shrunk, changes = usage.shrink(site, ["image_size"])
    assert changes == ["image_size 128 -> 32", "inputs' 128 -> 32"]
    assert shrunk.inputs == [{"tensor": "randn", "args": [{"v": 2}, {"v": 3}, {"v": 32}, {"v": 32}], "kwargs": {}}]
    assert shrunk.input_kwargs["cond"]["args"] == [{"tuple": [{"v": 2}, {"v": 32}]}]
    assert not usage.FromUsage(site=shrunk, shrunk=changes).input_shrunk  # the site's inputs fit: taken


def test_a_diffusion_demo_at_full_size_is_shrunk_with_its_images(monkeypatch):
    builder, model = built_from_its_demo(monkeypatch, "diffusion_demo", "Diffusion", parts=["Denoiser"])
    assert builder.notes == ["built as in diffusion_demo.py:37 (shrunk for a fast run: dim 64 -> 32, "
                             "image_size 128 -> 32, inputs' 128 -> 32), fed as in diffusion_demo.py:39"]
    assert describe_inputs(builder.feed(model)) == "(2, 3, 32, 32)"
    assert model.image_size == 32 and model.model.inp.out_channels == 32


def test_a_site_whose_shrunk_patch_sizes_break_an_assert_is_shrunk_in_its_widths_only(monkeypatch):
    # vit-pytorch's LookViT demo (fixture cites it): `patch_size 32 -> 4` breaks `assert
    # patch_size > highres_patch_size`, so the full-size model ran (17M parameters) and timed out
    builder, model = built_from_its_demo(monkeypatch, "lookup_demo", "LookupViT")
    assert builder.notes == ["built as in lookup_demo.py:27 (shrunk for a fast run: num_classes 1000 -> 10, "
                             "dim 512 -> 32), fed as in lookup_demo.py:29"]
    assert describe_inputs(builder.feed(model)) == "(2, 3, 256, 256)"
    assert (model.main.kernel_size, model.highres.kernel_size, model.head.in_features) == ((32, 32), (8, 8), 32)


def test_a_shrunk_site_keeps_its_inputs_when_they_fit_and_cuts_the_batch():
    from nnlint.verify import usage

    site = usage.Site("demo.py:3", usage.SCRIPTS, args=[{"v": 4096}],
                      kwargs={"depth": {"v": 2}, "num_blocks": {"list": [{"v": 3}, {"v": 4}, {"v": 1}]}},
                      fed_where="demo.py:4", inputs=[{"tensor": "randn", "args": [{"tuple": [
                          {"v": 16}, {"v": 10}, {"v": 4096}]}], "kwargs": {}}])
    shrunk, changes = usage.shrink(site, ["dim", "depth"])
    assert changes == ["dim 4096 -> 32", "num_blocks [3, 4, 1] -> [2, 2, 1]"]
    assert shrunk.args == [{"v": 32}]
    assert shrunk.kwargs == {"depth": {"v": 2}, "num_blocks": {"list": [{"v": 2}, {"v": 2}, {"v": 1}]}}
    assert shrunk.inputs == [{"tensor": "randn", "args": [{"tuple": [{"v": 2}, {"v": 10}, {"v": 4096}]}], "kwargs": {}}]
    assert usage.shrink(usage.Site("demo.py:3", usage.SCRIPTS, args=[{"v": 8}]), ["dim"]) is None
    deep = usage.Site("t.py:1", usage.TESTS, kwargs={"attn_layers": {"class": ["x", "Decoder"], "args": [], "kwargs": {
        "dim": {"v": 512}, "depth": {"v": 6}, "heads": {"v": 12}}}})
    shrunk, changes = usage.shrink(deep, [])
    assert changes == ["dim 512 -> 36", "depth 6 -> 2"]  # inside the nested call; 36: a multiple of heads=12


def test_a_guessed_image_size_divides_by_the_default_patch_sizes():
    builder, model, inputs = fed(fixture("heads_by_default").TwoScalePatches)
    assert builder.notes[0].startswith("built as TwoScalePatches(image_size=48, dim=32), fed (2, 3, 48, 48)")


def test_the_rank_a_part_unpacks_its_input_to_is_the_model_s():
    # hifi-gan's MultiPeriodDiscriminator: each part it loops over says `b, c, t = x.shape`
    builder, model, inputs = fed(fixture("vocoder_parts").MultiPeriod)
    assert (builder.notes, inputs) == ([], "(2, 1, 16), (2, 1, 16)")


@pytest.mark.parametrize("name, note", [
    # `normalization(channels)` -> GroupNorm32(32, channels): channels 32, not 3 (nor out_channels 16)
    ("ResBlock", "ResBlock(channels=32, dropout=0.1), fed (2, 32, 32, 32) (inferred from `inp.0` (GroupNorm32))"),
    # the widths are `mult * model_channels`, passed on to ResBlock and normalization()
    ("TinyUNet", "TinyUNet(in_channels=3, model_channels=32), fed (2, 3, 16, 16) (inferred from `body.0` (Conv2d))"),
    # `nn.GroupNorm(groups, dim_out)` with `groups=12`: 36, the multiple of 12 above the guess 32
    ("Block", "Block(dim=32, dim_out=36), fed (2, 32, 16, 16) (inferred from `proj` (Conv2d))"),
    # `ds in attention_resolutions`: a collection, not None
    ("AttentionUNet", "AttentionUNet(model_channels=32, attention_resolutions=(16, 32)), fed (2, 3, 16, 16) "
                      "(inferred from `body.0` (Conv2d))"),
])
def test_guessed_channels_are_a_multiple_of_the_group_norm_s_groups(name, note):
    builder, model, fed_inputs = fed(getattr(fixture("group_norm"), name))
    assert builder.notes == [f"built as {note}: guessed, not configured"]


def test_group_multiples_follow_helpers_and_derived_widths():
    from nnlint.verify.guess import group_multiples

    module = fixture("group_norm")
    assert group_multiples(module.ResBlock.__init__) == {"channels": 32, "out_channels": 32}
    assert group_multiples(module.TinyUNet.__init__) == {"model_channels": 32}
    assert group_multiples(module.Block.__init__) == {"dim_out": 12}


@pytest.mark.parametrize("name, notes", [
    # denoising-diffusion-pytorch's RandomOrLearnedSinusoidalPosEmb: `rearrange(x, 'b -> b 1')`
    ("FourierTimes", "built as FourierTimes(dim=32), fed (2,) (a batch of time values (`b -> b 1`)): "
                     "guessed, not configured"),
    # its SinusoidalPosEmb: `x[:, None] * emb[None, :]`
    ("SinusoidalTimes", "built as SinusoidalTimes(dim=32), fed (2,) (a batch of time values (`x[:, None]`)): "
                        "guessed, not configured"),
])
def test_a_time_embedding_is_fed_a_batch_of_time_values(name, notes):
    builder, model, inputs = fed(getattr(fixture("diffusion_parts"), name))
    assert (builder.notes, inputs) == ([notes], "(2,)")


def test_a_wrapper_is_built_around_its_package_s_network(monkeypatch):
    # denoising-diffusion-pytorch's ContinuousTimeGaussianDiffusion(model): a file of its own that
    # reads model.self_condition and self.model.channels (not .parameters()): the package's Unet
    monkeypatch.syspath_prepend(str(GUESSING))
    from diffusion_pkg.wrappers import ContinuousTimeWrapper

    builder, model, inputs = fed(ContinuousTimeWrapper)
    assert type(model.model).__name__ == "Unet"
    assert (builder.notes, inputs) == ([
        "built as ContinuousTimeWrapper(model=Unet(), image_size=32), fed (2, 3, 32, 32) (an image for `img`): "
        "guessed, not configured"], "(2, 3, 32, 32)")


@pytest.mark.parametrize("name, notes", [
    # karras_unet.py's MPAdd: `a, b, t = x, res, self.t` then `1. - t`: t is a number, not None
    ("MagnitudeAdd", "built as MagnitudeAdd(t=8), fed (2, 3, 32, 32), (2, 3, 32, 32) (tried ranks and sizes "
                     "(no layer tells the input shape), res by name): guessed, not configured"),
    # GaussianDiffusion's `image_size[0]`, `image_size[1]`: a square image, fed at that size
    ("SquareDiffusion", "built as SquareDiffusion(image_size=(32, 32)), fed (2, 3, 32, 32) (inferred from `net` "
                        "(Conv2d)): guessed, not configured"),
])
def test_a_diffusion_s_numbers_and_image_sizes_follow_their_reads(name, notes):
    builder, model, inputs = fed(getattr(fixture("diffusion_parts"), name))
    assert builder.notes == [notes]


@pytest.mark.parametrize("name, inputs", [
    ("ResBlock", "(2, 3, 16, 16), (2, 3)"),  # `self.emb_layers(emb)`: SiLU, then Linear(emb_channels=3, ...)
    ("ModulatedConv2d", "(2, 3, 32, 32), (2, 16)"),  # `self.modulation(style)`: F.linear on a (3, 16) weight
    ("StyledConv", "(2, 3, 32, 32), (2, 16)"),  # `self.conv(input, style)`: ModulatedConv2d's forward says
])
def test_a_second_input_is_shaped_for_the_block_it_goes_to(name, inputs):
    builder, model, fed_inputs = fed(getattr(fixture("second_input"), name))
    assert fed_inputs == inputs


@pytest.mark.parametrize("name, built", [
    ("WrappedConv", "WrappedConv(in_channels=3, out_channels=8, kernel_size=3)"),  # nn.Conv1d(*args, **kwargs)
    ("WeightedDenoiser", "WeightedDenoiser(dim=32, image_size=32)"),  # super().__init__(dim, *args, **kwargs)
    ("GroupedQuantizer", "GroupedQuantizer(dim=32, levels=(16, 32), bias=True)"),  # a part's, and its part's
])
def test_arguments_passed_on_through_kwargs_are_guessed_for_what_takes_them(name, built):
    builder, model, inputs = fed(getattr(fixture("passed_on"), name))
    assert builder.notes[0].startswith(f"built as {built}, fed ")


@pytest.mark.parametrize("name, built, inputs", [
    ("FloatLayerNorm", "FloatLayerNorm(normalized_shape=32)", "(2, 8, 32)"),  # not normalized_shape=None
    # LSTM(*args, **kwargs); fed as the LSTM itself takes it (not batch_first: time first)
    ("OutputOnlyLSTM", "OutputOnlyLSTM(input_size=32, hidden_size=64)", "(8, 2, 32)"),
])
def test_a_torch_layer_subclassed_without_init_gets_what_torch_s_constructor_needs(name, built, inputs):
    builder, model, fed_inputs = fed(getattr(fixture("torch_subclass"), name))
    assert builder.notes[0].startswith(f"built as {built}, fed {inputs}")


@pytest.mark.parametrize("name, built, inputs", [
    # `cin` reaches a Conv2d as its in_channels through `pointwise`; `cout // 4` feeds GroupNorm(32): 128
    ("Bottleneck", "Bottleneck(cin=128)", "(2, 128, 16, 16)"),
    # units[0] in range(): counts; `16 * width_factor` channels need no multiple of 32 from the factor
    ("Stages", "Stages(units=(1, 1), width_factor=2)", "(2, 3, 16, 16)"),
    # `top_freq / 2` in a function forward passes it to: a number
    ("FourierFeatures", "FourierFeatures(top_freq=8, bands=8, dim=32)", "(2, 16)"),
])
def test_parameters_named_like_nothing_are_guessed_by_how_the_helpers_they_reach_use_them(name, built, inputs):
    builder, model, fed_inputs = fed(getattr(fixture("bit_resnet"), name))
    assert builder.notes[0].startswith(f"built as {built}, fed {inputs}")


def test_a_hyper_parameter_object_answers_attributes_by_their_use():
    from nnlint.verify.guess import candidates

    first = next(candidates(fixture("hparams_object").Speaker))
    # kept only: None; tested by `if`: False; compared with `>` in the part it is passed to: a number
    assert {k: getattr(first.kwargs["hparams"], k) for k in (
        "half_precision", "mask_padding", "stop_threshold", "n_symbols", "decoder_dim")} == {
        "half_precision": None, "mask_padding": False, "stop_threshold": 8, "n_symbols": 2, "decoder_dim": 32}
    builder, model, inputs = fed(fixture("hparams_object").Speaker)
    assert builder.notes[0].startswith("built as Speaker(hparams=attribute_bag(...)), fed (2, 8) int64")


def test_token_ids_are_small_and_distinct_and_a_word_vector_is_a_width():
    builder, model, inputs = fed(fixture("token_ids").TokenEncoder)
    # not "no guess for pad_idx"; d_word_vec a width like d_model (not d_v's head size)
    assert builder.notes == [
        "built as TokenEncoder(n_src_vocab=64, d_word_vec=32, n_head=2, d_k=8, d_v=8, d_model=32, pad_idx=0), "
        "fed (2, 8) int64 (inferred from `embed` (Embedding)): guessed, not configured"]
    from nnlint.verify.guess import by_name, smaller_value

    assert smaller_value("n_position", 200) == 16  # a length when a large model is shrunk, not a count of 2
    assert [by_name(n, 0) for n in ("trg_bos_idx", "trg_eos_idx", "unk_token_id")] == [1, 2, 3]


def test_sizes_joined_to_a_list_or_reversed_in_place_are_a_list():
    from nnlint.verify.guess import candidates

    first = next(candidates(fixture("list_sizes").PreNet))
    assert first.kwargs == {"in_dim": 32, "sizes": [16, 32]}  # `[in_dim] + sizes[:-1]`: not (16, 32)
    later = list(candidates(fixture("list_sizes").Tower))[1]
    assert later.kwargs == {"hidden_dims": [32, 64]}  # `hidden_dims: List = None`, iterated and reversed


def test_the_two_functions_of_a_reversible_block_are_modules():
    from nnlint.verify.guess import candidates

    first = next(candidates(fixture("reversible").ReversibleBlock))  # `g` says as much as `f`
    assert [type(first.kwargs[k]).__name__ for k in ("f", "g")] == ["Identity", "Identity"]


@pytest.mark.parametrize("wrapper, flags", [
    ("ContinuousTimeDiffusion", {"random_or_learned_sinusoidal_cond": True, "self_condition": False}),
    ("LearnedVarianceDiffusion", {"out_dim": 6, "channels": 3}),
    ("WeightedObjectiveDiffusion", {"out_dim": 8, "channels": 3}),
])
def test_a_wrapped_network_is_built_as_the_wrappers_asserts_say(wrapper, flags):
    builder, model, inputs = fed(getattr(fixture("wrapped_network"), wrapper))
    assert {key: getattr(model.model, key) for key in flags} == flags
    assert type(model.model).__name__ == "Denoiser"
    assert inputs == "(2, 3, 32, 32)"


def test_the_keywords_a_wrapped_network_gets_for_its_wrapper():
    import ast

    from nnlint.verify.guess import _assert_options, _failing_asserts

    module = fixture("wrapped_network")
    plain = module.Denoiser(dim=32)
    failing = _failing_asserts(module.LearnedVarianceDiffusion, "model", plain)
    assert [ast.unparse(test) for test, _ in failing] == ["model.out_dim == model.channels * 2"]
    # the flag that feeds out_dim flipped first, then out_dim given the value the other side has
    assert list(_assert_options(module.Denoiser, "model", failing)) == [
        ("learned_variance", True), ("out_dim", 6), ("channels", 6)]
    assert _failing_asserts(module.LearnedVarianceDiffusion, "model", module.Denoiser(dim=32, out_dim=6)) == []
    failing = _failing_asserts(module.ContinuousTimeDiffusion, "model", plain)  # `assert not ...` holds
    assert [ast.unparse(test) for test, _ in failing] == ["model.random_or_learned_sinusoidal_cond"]


def test_an_assert_no_keyword_meets_leaves_the_wrapper_skipped():
    with pytest.raises(Skip) as skipped:
        fed(fixture("wrapped_network").OffByOneWrapper)
    assert skipped.value.reason == "OffByOneWrapper(model=Denoiser()) with guessed arguments raised AssertionError"


def test_a_part_that_refuses_deepcopy_is_built_again_for_each_build():
    import copy

    module = fixture("uncopyable_part")
    with pytest.raises(RuntimeError):
        copy.deepcopy(module.WNConvEncoder())  # weight_norm's computed weight is not a leaf
    builder, model, inputs = fed(module.Codec)
    assert inputs == "(2, 1, 16)"
    again = builder.build()  # the chosen candidate called again: parts of its own
    assert type(again.encoder) is module.WNConvEncoder and again.encoder is not model.encoder
    assert builder.notes[0].startswith("built as Codec(encoder=WNConvEncoder(), decoder=WNConvDecoder())")


def test_a_flag_argument_of_forward_gets_false():
    from nnlint.verify.build import _flag_parameters

    module = fixture("flags_and_wrappers")
    assert _flag_parameters(module.Encoder.forward) == {"vis": False}  # tested, and passed on
    assert _flag_parameters(module.Attention.forward) == {"vis": False}
    builder, model, inputs = fed(module.Encoder)
    assert inputs == "(2, 8, 32), False"
    assert builder.notes[0] == ("built as Encoder(dim=32), fed (2, 8, 32), False (inferred from `norm` "
                                "(LayerNorm), vis by name): guessed, not configured")


def test_a_module_read_only_for_modules_own_attributes_is_a_module():
    builder, model, inputs = fed(fixture("flags_and_wrappers").DataParallelShim)
    assert [type(child).__name__ for child in model.module.children()] == ["Identity", "Identity"]
    assert builder.notes[0].startswith("built as DataParallelShim(module=Sequential())")


def test_a_subclass_passing_kwargs_past_a_mixin_gets_the_bases_keywords():
    from nnlint.verify.guess import forwarded_parameters

    module = fixture("vit_wrappers")
    assert [p.name for p, _ in forwarded_parameters(module.DistillableViT)] == [
        "image_size", "patch_size", "num_classes", "dim"]  # ViT's, past DistillMixin (no __init__)
    builder, model, inputs = fed(module.DistillableViT)
    assert builder.notes[0].startswith("built as DistillableViT(image_size=32, patch_size=4, num_classes=10, dim=32)")
    assert inputs == "(2, 3, 32, 32)"


def test_a_network_asserted_to_be_an_instance_of_a_class_is_one():
    module = fixture("vit_wrappers")
    builder, model, inputs = fed(module.Adapter)
    assert type(model.vit) is module.ViT
    assert builder.notes[0].startswith("built as Adapter(vit=ViT()), fed (2, 3, 32, 32)")


def test_a_network_whose_children_are_read_is_an_instance_with_children():
    builder, model, inputs = fed(fixture("vit_wrappers").NetWrapper)  # not a class of the file
    assert [type(child).__name__ for child in model.net.children()] == ["Identity", "Identity"]
    assert builder.notes[0].startswith("built as NetWrapper(net=Sequential(), output_dim=32)")


@pytest.mark.parametrize("name, built, inputs", [
    # vits' Generator (HiFi-GAN's): `resblock == '1'` picks the block class; rates zipped with kernel
    # sizes are whole numbers; dilations per block are indexed [0..2] by the block they reach
    ("Vocoder", "Vocoder(initial_channel=32, resblock='1', resblock_kernel_sizes=(3, 3), "
                "resblock_dilation_sizes=((1, 1, 1), (1, 1, 1)), upsample_rates=(2, 2), upsample_initial_channel=32, "
                "upsample_kernel_sizes=(4, 4))", "(2, 32, 16)"),
    # vits' WN: `dilation_rate ** i` is a dilation (a whole number), hidden channels a width
    ("WaveNetStack", "WaveNetStack(hidden_channels=32, kernel_size=3, dilation_rate=1, n_layers=1)", "(2, 32, 16)"),
    # ViT-pytorch: `vis` only tested; the config's parts read by key, `.get("grid")` left absent
    ("PatchAttention", "PatchAttention(config=attribute_bag(...), img_size=32, vis=False)", "(2, 3, 32, 32)"),
    # stylegan2's blur kernel made a tensor and indexed: taps, not a config
    ("Blur", "Blur(kernel=[1, 3, 3, 1])", "(2, 3, 32, 32)"),
    # magvit2's CausalConv3d: `int | Tuple[int, int, int]` cast to a 3-tuple: an int; unannotated: 3 items
    ("CausalConv", "CausalConv(chan_in=8, chan_out=8, kernel_size=3)", "(2, 8, 8, 8, 8)"),
    ("Untyped", "Untyped(chan_in=8, kernel_size=(3, 3, 3))", "(2, 8, 8, 8, 8)"),
    ("ChunkedScan", "ChunkedScan(dim=32, chunks=2, device='cpu', dtype=torch.float32)", "(2, 8, 32)"),
    ("TableNet", "TableNet(layout_name='small')", "(2, 3, 16, 16)"),  # kuangliu's VGG: `cfg[vgg_name]`
    ("DeviceCount", "DeviceCount(ngpu=1, nz=16)", "(2, 16)"),  # DCGAN's `ngpu`
    # annotations: a Literal's first, a sequence of numbers (as long as a fixed Tuple says)
    ("Pooled", "Pooled(pool='mean', channel_mult=(2, 4), kernel=(3, 3, 3))", "(2, 8, 64)"),
])
def test_an_argument_s_kind_follows_its_use(name, built, inputs):
    builder, model, fed_inputs = fed(getattr(fixture("argument_kinds"), name))
    assert builder.notes[0].startswith(f"built as {built}, fed {inputs}")


def test_a_stand_in_config_s_parts_answer_keys_by_their_part_s_name():
    from nnlint.verify.guess import candidates

    config = next(candidates(fixture("argument_kinds").PatchAttention)).kwargs["config"]
    assert (config.patches["size"], config.patches.get("grid"), config.transformer["num_heads"],
            config.transformer["attention_dropout_rate"], config.classifier, config.hidden_size) == (
        4, None, 2, 0.1, "token", 64)  # compared with "token"; hidden_size by its name
    with pytest.raises(KeyError):
        config.patches["grid"]


def test_a_dict_spread_into_a_constructor_holds_what_that_constructor_still_needs():
    builder, model, inputs = fed(fixture("spread_params").MultiScaleEncoder)
    assert builder.chosen.kwargs["sm_enc_params"] == {"depth": 1, "heads": 2, "dim_head": 8, "mlp_dim": 64}
    assert inputs == "(2, 8, 32), (2, 8, 32)"


def test_a_container_of_asserted_members_gets_one_of_them():
    module = fixture("typed_members")
    builder, model, inputs = fed(module.Sequential)
    assert [type(fn) for fn in model.fns] == [module.VectorQuantize]
    assert builder.notes[0] == ("built as Sequential(VectorQuantize()), fed (2, 8, 32) (tried ranks and sizes (no "
                                "layer tells the input shape)): guessed, not configured")
    assert builder.build().fns[0] is not model.fns[0]  # each build its own part
