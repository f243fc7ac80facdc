from nnlint.finding import Severity
from nnlint.rules.base import Rule, Runtime


class StateDictRoundtrip(Rule):
    """
    ## What it does
    Reported by `nnlint verify` when the model's `state_dict()`, saved with `torch.save` and
    read back with `torch.load(weights_only=True)`, cannot be loaded into a fresh instance with
    `load_state_dict(strict=True)`, or when the loaded instance gives a different eval output
    on the same input. When the cause is already reported (a submodule or tensor hidden in a
    plain container), it is not reported again.

    ## Why is this bad?
    A checkpoint does not restore the model: the served or resumed model is not the one that
    was trained. Causes: state drawn at random in `__init__` outside parameters and buffers (a
    Python list permutation, a numpy array), extra state that is not plain tensors, or keys
    that change between instances.

    ## Example
    ```python
    def __init__(self):
        super().__init__()
        self.order = random.sample(range(16), 16)  # not in the state_dict
    ```

    ## Use instead
    ```python
    def __init__(self):
        super().__init__()
        self.register_buffer("order", torch.randperm(16))
    ```

    ## References
    - https://pytorch.org/tutorials/beginner/saving_loading_models.html
    """

    code = "NN906"
    name = "state-dict-roundtrip"
    severity = Severity.ERROR
    summary = "a fresh instance loaded with state_dict() gives different outputs (nnlint verify)"
    suggestion = "register all state as parameters or buffers (or implement get_extra_state / set_extra_state)"
    runtime = Runtime(("state_dict",),
                      "a fresh instance loaded with the saved state_dict() differs in eval mode",
                      reports=("state_dict",))
