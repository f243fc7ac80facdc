"""The runtime checks, in-process on live models (no worker): each observation kind, what a
healthy model leaves behind, and the device paths (CUDA selection and the out-of-memory retry
on CPU, with mocks: no GPU is needed)."""

import random

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional

from nnlint.verify import checks, worker  # noqa: E402
from nnlint.verify.checks import run_checks  # noqa: E402


def kinds(report):
    return sorted(o.kind for o in report.observations)


class Healthy(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.bn = nn.BatchNorm1d(3)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        return self.drop(self.bn(self.fc(x)))


def test_healthy_model_passes_every_check_and_is_left_as_found():
    model = Healthy().eval()
    report = run_checks(model, (torch.randn(4, 4),), rebuild=Healthy)
    assert (kinds(report), report.device) == ([], "cpu")
    assert report.checks == ["registration", "device", "forward", "gradients", "buffers", "eval",
                             "state_dict", "move"]
    assert not model.training  # the original mode is restored
    assert all(p.grad is None for p in model.parameters())


class Hidden(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.extra = {"a": nn.Linear(4, 4)}
        self.gains = [nn.Parameter(torch.ones(4))]
        self.table = torch.ones(4)
        self.steps = torch.zeros((), dtype=torch.long)

    def forward(self, x):
        return self.extra["a"](self.fc(x)) * self.gains[0] * self.table


def test_registration_finds_hidden_modules_parameters_and_tensors():
    report = run_checks(Hidden(), (torch.randn(2, 4),))
    by_kind = {o.kind: o for o in report.observations}
    assert kinds(report) == ["plain_tensor", "state_dict", "unregistered_module", "unregistered_parameter"]
    assert by_kind["unregistered_module"].path == "extra"
    assert by_kind["unregistered_parameter"].path == "gains"
    tensors = {o.path: o.message for o in report.of_kind("plain_tensor")}
    assert tensors["table"] == ("`table` is a plain tensor attribute ((4,) float32): not in state_dict(), and "
                                ".double() left it float32, and forward combines it with the model's tensors "
                                "without moving it")
    assert "`steps`: forward does not use them" in report.notes[-1]  # a counter forward never reads


def posemb(n, dim):
    """Fixed sin-cos positions, computed once (vit-pytorch's SimpleViT keeps them so)."""
    omega = 1.0 / (10000 ** (torch.arange(dim // 2) / (dim // 2)))
    angles = torch.arange(n)[:, None] * omega[None, :]
    return torch.cat((angles.sin(), angles.cos()), dim=1)


class Rehomed(nn.Module):
    """A plain tensor that forward moves to the input's device and dtype at each use: nothing
    is stranded. Modelled on https://github.com/lucidrains/vit-pytorch/blob/main/vit_pytorch/simple_vit.py
    (`x += self.pos_embedding.to(device, dtype=x.dtype)`), and on the cached tensors issue 14
    lists (`self.bins.to(x.device)`, `.type_as(x)`)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.pos_embedding = posemb(3, 4)
        self.bins = [torch.linspace(-1, 1, 5)]
        self.scale = torch.ones(4)
        self.unused_cache = torch.zeros(3, 4)

    def forward(self, x):
        x = self.fc(x) + self.pos_embedding.to(x.device, dtype=x.dtype)
        x = x * self.scale.type_as(x)
        return x + torch.bucketize(x, self.bins[0].to(x)).float()


class Stranded(nn.Module):
    """The same tensors used where they are: sliced first, or from a list, they still meet the
    model's tensors on the old device."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.pos_embedding = posemb(8, 4)
        self.bins = [torch.linspace(-1, 1, 5)]
        self.count = torch.tensor(2.0)  # 0-dim: mixes with any device

    def forward(self, x):
        x = self.fc(x) + self.pos_embedding[: x.shape[1]]
        return x * self.count + torch.bucketize(x, self.bins[0]).float()


def test_plain_tensors_forward_moves_itself_are_not_stranded():
    report = run_checks(Rehomed(), (torch.randn(2, 3, 4),), rebuild=Rehomed)
    assert kinds(report) == []
    assert report.notes == ["plain tensor attributes `pos_embedding`, `bins[0]`, `scale`, `unused_cache`: forward "
                            "does not use them with the model's tensors unmoved (it moves them to the input's device "
                            "itself, or leaves them alone): not reported"]
    report = run_checks(Stranded(), (torch.randn(2, 3, 4),), rebuild=Stranded)
    assert [(o.kind, o.path) for o in report.observations] == [("plain_tensor", "pos_embedding"),
                                                                ("plain_tensor", "bins")]


def test_state_dict_round_trip_without_rebuild_scrambles_a_copy():
    class Shuffled(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)
            self.order = random.sample(range(4), 4)

        def forward(self, x):
            return self.fc(x)[:, self.order]

    assert kinds(run_checks(Shuffled(), (torch.randn(2, 4),))) == []  # a copy keeps the order
    report = run_checks(Shuffled(), (torch.randn(2, 4),), rebuild=Shuffled)
    assert kinds(report) == ["state_dict"]
    hidden = run_checks(Hidden(), (torch.randn(2, 4),))  # scrambled: hidden state shows
    assert "state_dict" in kinds(hidden)


def test_gradients_buffers_and_non_finite_values():
    class Cut(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(4, 4)
            self.b = nn.Linear(4, 4)
            self.register_buffer("avg", torch.zeros(4))

        def forward(self, x):
            h = self.b(self.a(x).detach())
            self.avg = h.mean(0)
            return h / 0.0

    report = run_checks(Cut(), (torch.randn(2, 4),))
    assert kinds(report) == ["buffer_grad", "no_grad", "no_grad", "nonfinite"]
    assert sorted(o.path for o in report.of_kind("no_grad")) == ["a.bias", "a.weight"]
    assert any("eval output has NaN/Inf" in note for note in report.notes)  # not also nondeterministic


def test_a_block_skipped_at_random_in_training_is_not_a_parameter_without_gradient():
    # stochastic depth as https://github.com/weiaicunzai/pytorch-cifar100/blob/master/models/stochasticdepth.py
    # writes it: in training, each residual block runs or is skipped by a coin flip
    class MaybeBlock(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            if self.training and torch.bernoulli(torch.tensor(0.5)) == 0:
                return x
            return x + self.fc(x)

    class Deep(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.Sequential(*[MaybeBlock() for _ in range(4)])
            self.never = nn.Linear(4, 4)  # really unused: still reported

        def forward(self, x):
            return self.blocks(x)

    report = run_checks(Deep(), (torch.randn(2, 4),))
    assert sorted(o.path for o in report.of_kind("no_grad")) == ["never.bias", "never.weight"]


def test_an_output_without_grad_is_one_finding_for_every_parameter():
    report = run_checks(nn.Sequential(nn.Linear(4, 2), nn.Flatten(0)).requires_grad_(True),
                        (torch.randn(2, 4),))
    assert kinds(report) == []

    class NoGrad(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 2)

        def forward(self, x):
            with torch.no_grad():
                return self.fc(x)

    (obs,) = run_checks(NoGrad(), (torch.randn(2, 4),)).observations
    assert (obs.kind, obs.names) == ("no_grad", ["fc.weight", "fc.bias"])


def test_eval_nondeterminism_and_buffer_updates_in_eval():
    class Noisy(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)
            self.register_buffer("mean", torch.zeros(4))
            self.register_buffer("var", torch.ones(4))

        def forward(self, x):
            return F.dropout(F.batch_norm(self.fc(x), self.mean, self.var, training=True), 0.5)

    report = run_checks(Noisy(), (torch.randn(4, 4),))
    assert kinds(report) == ["eval_buffer_update", "eval_nondeterministic"]
    assert "state_dict" not in report.checks


# Models that sample in eval mode on purpose, modelled on
# https://github.com/lucidrains/vit-pytorch/blob/main/vit_pytorch/ats_vit.py (adaptive token
# sampling: torch.multinomial-like draws at inference) and
# https://github.com/lucidrains/vector-quantize-pytorch/blob/master/vector_quantize_pytorch/binary_mapper.py
# (`deterministic_on_eval = False`: bits drawn with `.bernoulli()` in eval too).
class TokenSampler(nn.Module):
    def __init__(self):
        super().__init__()
        self.score = nn.Linear(4, 1)

    def forward(self, x):
        probs = self.score(x).squeeze(-1).softmax(-1)
        keep = torch.multinomial(probs, 2)
        return x.gather(1, keep[..., None].expand(-1, -1, x.shape[-1])) * probs.max()


class BitSampler(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        logits = self.fc(x)
        return logits + (logits.sigmoid().bernoulli() - logits.sigmoid()).detach()


class GumbelPick(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return F.gumbel_softmax(self.fc(x), tau=0.5)


@pytest.mark.parametrize("model, drawn", [(TokenSampler, "`multinomial`"), (BitSampler, "`bernoulli`"),
                                          (GumbelPick, "`exponential`")])
def test_sampling_in_eval_by_design_is_a_note_not_nn907(model, drawn):
    from nnlint.verify import isolate

    state = isolate.GlobalState.capture()
    report = run_checks(model(), (torch.randn(2, 5, 4),), rebuild=model)
    assert state.changes() == []  # recording imports torch._dynamo, which rebinds torch.manual_seed
    assert kinds(report) == []
    (note,) = [n for n in report.notes if "samples in eval mode" in n]
    assert note.startswith(f"two eval() forwards differ because the model samples in eval mode ({drawn} at "
                           f"test_checks.py:")
    assert "state_dict" in report.checks  # judged with the same seed on both sides


def test_recording_random_ops_does_not_import_torch_dynamo():
    # a VAE whose eval forward samples (`eps = torch.randn_like(std)`), as
    # https://github.com/AntixK/PyTorch-VAE/blob/master/models/vanilla_vae.py: the recording's
    # dispatch mode imported torch._dynamo on its first op, 2.5 s of CPU in each model's process
    # (median 3.5 s per model on that repository)
    import subprocess
    import sys

    script = """
import sys, torch
from torch import nn
from nnlint.verify import checks
class Vae(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Conv2d(3, 4, 3)
    def forward(self, x):
        mu = self.enc(x)
        return mu + torch.randn_like(mu) * 0.1
model = Vae().eval()
with torch.no_grad():
    ran = checks.record_random_ops(lambda: model(torch.randn(1, 3, 8, 8)))
print(sorted({op.kind for op in ran}), 'torch._dynamo' in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "['sampling'] False", done.stderr


def test_differing_eval_forwards_whose_random_ops_cannot_be_recorded_blame_nothing(monkeypatch):
    # a diffusion wrapper whose forward is its training loss (draws t and the noise), as
    # https://github.com/lucidrains/denoising-diffusion-pytorch/blob/main/denoising_diffusion_pytorch/repaint.py
    # where the recording failed in the worker: a guess either way would blame or excuse blindly
    def unrecordable(call):
        raise RuntimeError("dispatch mode refused")

    monkeypatch.setattr(checks, "record_random_ops", unrecordable)
    report = run_checks(TokenSampler(), (torch.randn(2, 5, 4),), rebuild=TokenSampler)
    assert kinds(report) == []
    (note,) = [n for n in report.notes if "could not be recorded" in n]
    assert note.startswith("two eval() forwards differ (")
    assert "state_dict" not in report.checks


def drop_path(x, p):  # timm's shape, without its `if not training: return x`
    keep = x.new_empty(x.shape[0], 1).bernoulli_(1 - p)
    return x * keep / (1 - p)


class AlwaysDropPath(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return drop_path(self.fc(x), 0.5)


class AlwaysDropout(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return F.dropout(self.fc(x), 0.5) + torch.multinomial(x.softmax(-1), 1)  # sampling too


class FreshWeights(nn.Module):
    def forward(self, x):
        return nn.Linear(4, 4)(x)


class CountsCalls(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        return self.fc(x) * self.calls


def test_a_forward_that_returns_only_integers_is_not_blamed_for_gradients():
    # modelled on https://github.com/lucidrains/vector-quantize-pytorch/blob/master/vector_quantize_pytorch/random_projection_quantizer.py
    # (without `indices`, forward returns the code indices; the loss path is taken when they are given)
    class CodeIndices(nn.Module):
        def __init__(self):
            super().__init__()
            self.codebook = nn.Parameter(torch.randn(8, 4))

        def forward(self, x, indices=None):
            distances = torch.cdist(x, self.codebook)
            if indices is not None:
                return F.cross_entropy(-distances, indices)
            return distances.argmin(dim=-1)

    report = run_checks(CodeIndices(), (torch.randn(3, 4),))
    assert (kinds(report), "gradients" in report.checks) == ([], False)
    assert "forward returns no floating-point tensor (int64): the gradients are not judged" in report.notes[0]


@pytest.mark.parametrize("model, what, line", [
    (AlwaysDropPath, "a dropout is still active (`bernoulli` at test_checks.py:", "keep = x.new_empty("),
    (AlwaysDropout, "a dropout is still active (`bernoulli` at test_checks.py:", "return F.dropout(self.fc(x), 0.5)"),
    (FreshWeights, "forward draws fresh random weights (a layer built in forward?) (`uniform` at "
                   "test_checks.py:", "return nn.Linear(4, 4)(x)"),
    (CountsCalls, "(no random operation ran: state kept between calls?)", None),
])
def test_dropout_fresh_weights_or_no_randomness_in_eval_is_nn907(model, what, line):
    (obs,) = run_checks(model(), (torch.randn(3, 4),)).observations
    assert obs.kind == "eval_nondeterministic"
    assert what in obs.message
    if line is None:
        assert obs.frames == []
    else:
        source = open(__file__, encoding="utf-8").read().splitlines()
        (path, number), = obs.frames
        assert (path, source[number - 1].strip().startswith(line)) == (__file__, True)


class AddsToItsInput(nn.Module):
    """Modelled on https://github.com/lucidrains/vit-pytorch/blob/main/vit_pytorch/cct.py (its
    classifier adds the positional embedding to its input in place): deterministic, so a check
    that fed the same tensor twice would see two different inputs and blame the model."""

    def __init__(self):
        super().__init__()
        self.pos = nn.Parameter(torch.ones(4))
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        x += self.pos
        return self.fc(x)


def test_each_forward_gets_its_own_copy_of_the_inputs():
    x = torch.randn(3, 4)
    report = run_checks(AddsToItsInput(), (x,), rebuild=AddsToItsInput)
    assert kinds(report) == []
    assert "eval" in report.checks and "state_dict" in report.checks


def test_warnings_become_observations():
    class Hooked(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)
            self.fc.register_backward_hook(lambda *args: None)

        def forward(self, x):
            return F.softmax(self.fc(x))

    report = run_checks(Hooked(), (torch.randn(2, 4),))
    assert kinds(report) == ["backward_hook_warning", "softmax_dim_warning"]
    assert len(report.warnings) == 2


def test_errors_are_classified_with_their_frames():
    class Broken(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.ones(4))

        def forward(self, x):
            self.w.add_(1)
            return x * self.w

    (obs,) = run_checks(Broken(), (torch.randn(2, 4),)).observations
    assert obs.kind == "inplace_leaf" and obs.frames[-1][0] == __file__
    assert checks.error_kind(NotImplementedError('Module [Net] is missing the required "forward" function'),
                             "forward") == "missing_forward"
    assert checks.error_kind(TypeError("list is not a Module subclass"), "build") == "container_error"
    assert checks.error_kind(AttributeError("cannot assign module before Module.__init__() call"),
                             "build") == "init_order_error"
    assert checks.error_kind(RuntimeError("Expected all tensors to be on the same device, but found "
                                          "at least two devices, cuda:0 and cpu!"), "forward") == "device_mismatch"


def test_compare_is_nan_aware_and_tolerant_on_request():
    a = torch.tensor([1.0, float("nan")])
    assert checks.compare([a], [a.clone()]) == (True, "")
    assert not checks.compare([a], [torch.tensor([1.0, 0.0])])[0]
    b = torch.tensor([1.0, 2.0])
    assert not checks.compare([b], [b + 1e-6])[0]
    assert checks.compare([b], [b + 1e-6], exact=False)[0]  # CUDA: float rounding is tolerated
    assert not checks.compare([b], [b + 0.5], exact=False)[0]


# ----- device selection and CUDA out-of-memory, with mocks -------------------------------------
def test_select_device(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert checks.select_device("auto") == ("cpu", "")
    assert checks.select_device("cuda")[0] == "cpu" and "not available" in checks.select_device("cuda")[1]
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert checks.select_device("auto") == ("cuda:0", "")
    assert checks.select_device("cpu") == ("cpu", "")


def test_cuda_out_of_memory_is_raised_by_run_checks_and_retried_on_cpu_by_the_worker(monkeypatch):
    """A model too big for the GPU: moving it to cuda raises out-of-memory (mocked)."""
    original_to = nn.Module.to

    def to(self, *args, **kwargs):
        device = args[0] if args else kwargs.get("device")
        if str(device).startswith("cuda"):
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 80.00 GiB")
        return original_to(self, *args, **kwargs)

    monkeypatch.setattr(nn.Module, "to", to)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: None)
    x = torch.randn(4, 4)
    with pytest.raises(torch.OutOfMemoryError):
        run_checks(Healthy(), (x,), device="cuda:0")
    report = worker._run_checks(Healthy(), (x,), {}, "cuda:0", Healthy, 0, [], lambda phase: None)
    assert report.device == "cpu" and kinds(report) == []
    assert report.notes[0].startswith("CUDA out of memory on cuda:0") and "checked on cpu" in report.notes[0]
    # an out-of-memory error on the CPU is the model's own failure, not retried
    assert not checks.is_oom(RuntimeError("DefaultCPUAllocator: can't allocate memory"))
    assert checks.is_oom(RuntimeError("CUDA out of memory. Tried to allocate 2 GiB"))


def test_stranded_tensors_on_a_device_move():
    """On a real device, a plain tensor that stays behind is named with its device."""
    model = Hidden()
    run = checks._Run(model, (torch.randn(2, 4),), {}, checks.CheckReport(device="cuda:0"), None, 0,
                      lambda phase: None)
    run.registration()
    run.double()
    table = next(o for o in run.report.observations if o.path == "table")
    assert ".to(cuda:0) left it on cpu" in table.message


class SparseBuffer(nn.Module):  # a graph's adjacency, as GNN code keeps it
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.register_buffer("adjacency", torch.eye(4).to_sparse())

    def forward(self, x):
        return torch.sparse.mm(self.adjacency, self.fc(x).t()).t()


class SparseOut(SparseBuffer):
    def forward(self, x):
        return self.fc(x).to_sparse()


class ComplexOut(SparseBuffer):
    def forward(self, x):
        return torch.fft.fft(self.fc(x))


class NestedOut(SparseBuffer):
    def forward(self, x):
        y = self.fc(x)
        return torch.nested.as_nested_tensor([y[0], y[1, :2]])


class QuantizedBuffer(SparseBuffer):
    def __init__(self):
        super().__init__()
        self.register_buffer("q", torch.quantize_per_tensor(torch.ones(4), 0.1, 0, torch.qint8))

    def forward(self, x):
        return self.fc(x) * self.q.dequantize()


@pytest.mark.parametrize("model", [SparseBuffer, SparseOut, ComplexOut, NestedOut, QuantizedBuffer])
def test_sparse_nested_quantized_and_complex_tensors_are_compared_not_blamed(model):
    """nnlint's own comparisons once raised on these layouts, and the model got an NN902."""
    report = run_checks(model(), (torch.randn(2, 4),), rebuild=model)
    assert kinds(report) == []
    assert report.checks == ["registration", "device", "forward", "gradients", "buffers", "eval",
                             "state_dict", "move"]


def test_plain_makes_every_layout_comparable():
    nested = torch.nested.nested_tensor([torch.ones(2), torch.zeros(1)])
    assert checks.plain(nested).tolist() == [1.0, 1.0, 0.0]
    assert checks.plain(torch.eye(2).to_sparse()).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert checks.plain(torch.tensor([1 + 2j])).tolist() == [[1.0, 2.0]]
    assert checks.plain(torch.empty(3, device="meta")) is None
    assert checks.compare([nested], [nested.clone()]) == (True, "")
