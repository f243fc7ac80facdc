from nnlint.finding import Severity
from nnlint.rules.base import Rule


class InternalError(Rule):
    """
    ## What it does
    Reports that nnlint itself failed on this file: a bug in nnlint, not in your code. The
    message names the exception; please report it with the file (or a small part of it that
    still fails). Every other file is still checked. When one rule's check fails, the finding
    names the rule and stands where it failed, and the other rules' findings in the file are
    still reported (the language server logs the traceback). The same code says that the
    check ran out of memory, or that the worker process checking the file died (the signal is
    named: SIGKILL is usually the system's out-of-memory killer, SIGABRT or SIGSEGV a failure
    in native code); such an outcome is not cached, and the next run tries the file again.

    The run exits 2, even with `--exit-zero`: the file was not checked, which is nnlint's
    failure, not a finding in your code (ty, ruff's type checker, exits 2 on a panic too).

    Always reported, whatever the selection: `--select`, `--ignore` and `per-file-ignores`
    refuse this code (a usage error), so a failure never passes as a clean file. To go on
    while it is fixed, exclude the file (`extend-exclude`).

    ## Why is this bad?
    The file was not checked: any finding in it is missing from the report.

    ## Example
    ```text
    model.py:1:1: NN009 nnlint failed on this file (please report it): KeyError: 'boom'
    model.py:7:9: NN009 nnlint's NN401 check failed here (please report it): KeyError: 'boom'
    ```

    ## Use instead
    Upgrade nnlint, or report the failure; exclude the file meanwhile.
    """

    code = "NN009"
    name = "internal-error"
    severity = Severity.ERROR
    summary = "nnlint failed on this file (a bug of nnlint: please report it)"
    suggestion = "report it to nnlint's issue tracker; exclude the file meanwhile"
    always_reported = True
