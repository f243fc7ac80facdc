from nnlint.finding import Severity
from nnlint.rules.base import Rule


class UnreadableFile(Rule):
    """
    ## What it does
    Reports a file that cannot be read as Python text: the operating system refuses it
    (permissions, a broken symlink), it is not a regular file (a FIFO or a device, which is
    never read: it could block the run forever), it is larger than `max-file-size` (5 MB by
    default: LibCST needs about 0.6-0.9 GB of memory per MB of code), it is binary (it
    contains NUL bytes), or it is not valid in its declared encoding (UTF-8 unless a PEP 263
    `# coding:` line says otherwise).

    Always reported, whatever the selection: `--select`, `--ignore` and `per-file-ignores`
    refuse this code (a usage error). To skip a file, exclude it (`extend-exclude`).

    ## Why is this bad?
    Nothing in the file can be checked, and Python cannot import it either. The message says
    why and, for a decoding error, where. Every other file is still checked.

    ## Example
    A file saved as Latin-1 without a coding line:
    ```python
    name = "café"  # the byte 0xE9 is not UTF-8
    ```

    ## Use instead
    Save it as UTF-8, or declare its encoding on the first or second line:
    ```python
    # -*- coding: latin-1 -*-
    name = "café"
    ```
    """

    code = "NN001"
    name = "unreadable-file"
    severity = Severity.ERROR
    summary = "the file cannot be read or decoded as Python text"
    suggestion = "make the file readable UTF-8 text (or declare its encoding), or exclude it"
    always_reported = True
