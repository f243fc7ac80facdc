from nnlint.finding import Severity
from nnlint.rules.base import Rule, Runtime


class StrandedTensor(Rule):
    """
    ## What it does
    Reported by `nnlint verify` when a model (or one of its own submodules) holds a tensor as a
    plain attribute, or in a plain list or dict, that is neither a parameter nor a buffer. The
    verifier shows it: after `.to(device)` (on a GPU) the tensor is still on the old device,
    after `.double()` it is still float32, and `state_dict()` does not hold it. Where a static
    NN105 finding predicted it, that finding is marked confirmed instead. A tensor that
    `forward` moves itself at each use (`self.pos.to(x.device, dtype=x.dtype)`, `.type_as(x)`)
    or never combines with the model's tensors is not reported (a note names it): it cannot be
    stranded.

    ## Why is this bad?
    On a GPU the first forward fails with `Expected all tensors to be on the same device`; in
    half or double precision it fails with a dtype mismatch, and a checkpoint silently lacks it.

    ## Example
    ```python
    def __init__(self):
        super().__init__()
        self.mask = build_mask(16)  # a helper returning a tensor
    ```

    ## Use instead
    ```python
    def __init__(self):
        super().__init__()
        self.register_buffer("mask", build_mask(16), persistent=False)
    ```

    ## References
    - https://pytorch.org/docs/stable/generated/torch.nn.Module.html#torch.nn.Module.register_buffer
    """

    code = "NN905"
    name = "stranded-tensor"
    severity = Severity.WARNING
    summary = "a tensor attribute left behind by .to(device) / .double() (nnlint verify)"
    suggestion = "self.register_buffer(name, tensor) (persistent=False if it is not state)"
    runtime = Runtime(("plain_tensor",),
                      "the attribute stays behind when the model moves, and is absent from state_dict()",
                      reports=("plain_tensor",))
