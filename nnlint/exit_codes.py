"""The exit codes of every command, like ruff's and flake8's, and the error that means exit 2."""

EXIT_CLEAN = 0  # nothing found
EXIT_FINDINGS = 1  # findings (or, with --diff, fixes to make)
EXIT_USAGE = 2  # a usage or configuration error (a missing path, an unknown code, a broken
# config), or a fix --fix could not write


class ConfigError(Exception):
    """A problem with the configuration or the command line: exit code 2."""
