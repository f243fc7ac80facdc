"""The exit codes of every command, like ruff's and flake8's, and the error that means exit 2."""

EXIT_CLEAN = 0  # nothing found
EXIT_FINDINGS = 1  # findings (or, with --diff, fixes to make)
EXIT_USAGE = 2  # a usage or configuration error (a missing path, an unknown code, a broken
# config), a fix --fix could not write, or a file nnlint failed on (NN009: nnlint's own error,
# as ruff's red-knot/ty exits 2 on a panic, so CI tells "nnlint broke" from "your code has findings")


class ConfigError(Exception):
    """A problem with the configuration or the command line: exit code 2."""
