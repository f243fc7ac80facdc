from nnlint.finding import Severity
from nnlint.rules.base import Rule


class SyntaxErrorInFile(Rule):
    """
    ## What it does
    Reports a file that does not parse: a syntax error (with its line and column), or syntax
    that LibCST, the parser the rules read, does not know yet. In a notebook, a code cell that
    does not parse (after IPython's magics and shell escapes are set aside) is reported at its
    cell and left out, and the other cells are still checked; so is a Markdown file's code
    block. A notebook that is not valid JSON, or not an nbformat 4 notebook, is reported here
    too.

    Always reported, whatever the selection: `--select`, `--ignore` and `per-file-ignores`
    refuse this code (a usage error), as ruff does for syntax errors. To skip a file, exclude
    it (`extend-exclude`). The other problems with a file itself have codes of their own:
    NN001 (cannot be read or decoded), NN002 (too deeply nested), and NN009 is nnlint's own
    failure.

    ## Why is this bad?
    Nothing in the file can be checked, and Python will refuse to import it. Every other file
    is still checked.

    ## Example
    ```python
    def forward(self, x)
        return x
    ```

    ## Use instead
    ```python
    def forward(self, x):
        return x
    ```
    """

    code = "NN000"
    name = "syntax-error"
    severity = Severity.ERROR
    summary = "the file does not parse"
    suggestion = "fix the syntax so the file can be read"
    always_reported = True
