from nnlint.finding import Severity
from nnlint.rules.base import Rule


class TooDeeplyNested(Rule):
    """
    ## What it does
    Reports a file nested too deeply to analyse: an expression or a block structure thousands
    of levels deep (a generated chain of `a + b + ...`, a huge nested literal), beyond what
    CPython's own parser accepts at its default limits and what LibCST's parser survives. The
    same code names a limit of LibCST's parser that CPython does not have: an implicit
    concatenation of more than 3,000 string literals (`"a" "b" "c" ...`), which LibCST's
    grammar nests one level per literal
    (`an implicit concatenation of 5,000 string literals is more than LibCST's parser takes`).

    Always reported, whatever the selection: `--select`, `--ignore` and `per-file-ignores`
    refuse this code (a usage error). To skip a file, exclude it (`extend-exclude`).

    ## Why is this bad?
    nnlint cannot check the file, so its findings would be silently missing; the rest of the
    files are still checked. Such files are usually generated data, not code to lint.

    ## Example
    ```python
    total = x0 + x1 + x2 + ...  # twelve thousand terms
    ```

    ## Use instead
    Build the value in a loop (`sum(xs)`, `"".join(parts)`), or exclude the generated file.
    """

    code = "NN002"
    name = "too-deeply-nested"
    severity = Severity.ERROR
    summary = "the file is nested too deeply to analyse"
    suggestion = "exclude the file (generated code), or flatten the expression"
    always_reported = True
