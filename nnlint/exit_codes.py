"""The exit codes of every command, like ruff's and flake8's."""

EXIT_CLEAN = 0  # nothing found
EXIT_FINDINGS = 1  # findings (or, with --diff, fixes to make)
EXIT_USAGE = 2  # a usage or configuration error (a missing path, an unknown code, a broken
# config), or a fix --fix could not write
