from nnlint.finding import Severity
from nnlint.rules.base import Rule


class SyntaxErrorInFile(Rule):
    """
    ## What it does
    Reports a file that cannot be checked: it does not parse, it is not valid text in its
    declared encoding (UTF-8 unless a PEP 263 `# coding:` line says otherwise), or it is binary.

    ## Why is this bad?
    Nothing in the file can be checked, and Python will refuse to import it. The message gives
    the reason and, for a syntax error, the line and column. Every other file is still checked.

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
    summary = "the file cannot be parsed or decoded"
    suggestion = "fix the syntax or the encoding so the file can be read"
