from nnlint.finding import Severity
from nnlint.rules.base import Rule, Runtime


class InstantiationFailed(Rule):
    """
    ## What it does
    Reported by `nnlint verify` when constructing a model raises: the constructor itself fails,
    a `sys.exit` is called, or the worker process dies or runs past `--timeout` while building
    it. A model that needs constructor arguments the configuration does not give is *skipped*
    with the TOML to add, not failed; a file that cannot be imported fails each of its models.

    ## Why is this bad?
    A model that cannot be built cannot be trained or served. The message quotes the error, e.g.
    `construction raised ValueError: width must be even`. When the error is
    `cannot assign module before Module.__init__() call`, the static finding NN103 or NN104 in
    the class is marked confirmed instead, and no NN901 is added.

    ## Example
    ```python
    class Net(nn.Module):
        def __init__(self, width=3):
            super().__init__()
            if width % 2:
                raise ValueError("width must be even")
    ```

    ## Use instead
    ```python
    class Net(nn.Module):
        def __init__(self, width=4):
            super().__init__()
            if width % 2:
                raise ValueError("width must be even")
    ```
    or give working arguments in `[tool.nnlint.verify.models."module:Net"]`.

    ## References
    - https://pytorch.org/docs/stable/generated/torch.nn.Module.html
    """

    code = "NN901"
    name = "instantiation-failed"
    severity = Severity.ERROR
    summary = "the model could not be built (nnlint verify)"
    suggestion = "make the constructor work with the configured arguments, or give them in [tool.nnlint.verify.models]"
    runtime = Runtime(("init_order_error", "container_error", "build_error"),
                      "constructing the model raised",
                      reports=("init_order_error", "container_error", "build_error"))
