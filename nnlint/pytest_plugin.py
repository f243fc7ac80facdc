"""The pytest plugin (entry point `pytest11`): `pytest --nnlint` lints the project's own Python
files that the collected tests import, one test item per file, as pytest-ruff and
pytest-flake8 do. Without `--nnlint` it only adds the option: pytest loads it in every session
of everyone who installed nnlint, so importing it costs nothing (no libcst, no torch).

For health checks of live models inside tests, see `nnlint.testing.assert_healthy`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Iterable, List

import pytest

MARKER = "nnlint"
# folders that hold somebody else's code, whatever the project's layout
_NOT_PROJECT = {"site-packages", "dist-packages"}


def pytest_addoption(parser) -> None:
    group = parser.getgroup("nnlint")
    group.addoption("--nnlint", action="store_true", default=False,
                    help="lint with nnlint the project's own modules the collected tests import "
                         "(and the test files): one test item per file, failing on findings")


def pytest_configure(config) -> None:
    if config.getoption("nnlint"):
        config.addinivalue_line("markers", f"{MARKER}: nnlint's static check of one file (--nnlint)")


@pytest.hookimpl(tryfirst=True)  # before -k / -m deselect, so `-k nnlint` or `-m nnlint` select them
def pytest_collection_modifyitems(session, config, items) -> None:
    if not config.getoption("nnlint"):
        return
    from nnlint.config import ConfigError, load_settings

    root = Path(str(config.rootpath)).resolve()
    try:
        settings = load_settings(start=root)
        settings.validate()
    except ConfigError as exc:
        raise pytest.UsageError(f"nnlint: {exc}") from None
    paths = [p for p in project_files(root, items, sys.modules.values()) if not settings.is_excluded(str(p))]
    from nnlint.project import ProjectIndex

    project = ProjectIndex(settings)  # one per session: the items share what it reads
    items[:0] = [NnlintItem.from_parent(NnlintFile.from_parent(session, path=path), name=MARKER,
                                        settings=settings, project=project)
                 for path in paths]


def project_files(root: Path, items: Iterable, modules: Iterable) -> List[Path]:
    """The collected test files and the files of the imported modules, under `root`, outside
    virtual environments, site-packages and the folders nnlint never walks; sorted."""
    from nnlint.config import DEFAULT_EXCLUDE

    skip = set(DEFAULT_EXCLUDE) | _NOT_PROJECT
    prefixes = {Path(p).resolve() for p in (sys.prefix, sys.exec_prefix)}
    candidates = {getattr(item, "path", None) for item in items}
    candidates |= {getattr(module, "__file__", None) for module in list(modules)}
    found = set()
    for candidate in candidates:
        if not candidate or not str(candidate).endswith(".py"):
            continue
        path = Path(os.path.realpath(candidate))  # as `root`: symlinks resolved
        try:
            parts = path.relative_to(root).parts
        except ValueError:
            continue
        if (any(part in skip or part.endswith(".egg-info") for part in parts[:-1])
                or any(prefix in path.parents for prefix in prefixes) or not path.is_file()):
            continue
        found.add(path)
    return sorted(found)


class NnlintFile(pytest.File):
    def collect(self):  # the items are made in pytest_collection_modifyitems
        return []


class NnlintFindings(Exception):
    """The findings of one file, as nnlint prints them."""


class NnlintItem(pytest.Item):
    def __init__(self, *, settings, project, **kwargs):
        super().__init__(**kwargs)
        self.settings = settings
        self.project = project
        self.add_marker(MARKER)

    def runtest(self) -> None:
        from nnlint.engine import check_file
        from nnlint.report import RunSummary, render

        shown = os.path.relpath(self.path)
        shown = str(self.path) if shown.startswith("..") else shown
        result = check_file(shown, self.settings.rules_for(shown), project=self.project,
                            max_bytes=self.settings.for_path(shown).max_file_size)
        if result.findings:
            sources = {(shown, None): result.source.text} if result.source is not None else None
            findings = sorted(result.findings, key=lambda f: f.sort_key)
            raise NnlintFindings(render("full", findings, RunSummary(files=1), sources=sources).rstrip())

    def repr_failure(self, excinfo, style=None):
        if excinfo.errisinstance(NnlintFindings):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, f"nnlint {self.nodeid.split('::')[0]}"
