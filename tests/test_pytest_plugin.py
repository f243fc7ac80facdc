"""The pytest plugin: `--nnlint` lints the project modules the collected tests import, one item
per file; without it the plugin adds nothing and imports neither libcst nor torch."""

import textwrap

import pytest

pytest_plugins = ["pytester"]

BUGGY = textwrap.dedent("""\
    import torch.nn as nn


    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = [nn.Linear(4, 4) for _ in range(2)]

        def forward(self, x):
            for block in self.blocks:
                x = block(x)
            return x
""")
CLEAN = textwrap.dedent("""\
    import torch.nn as nn


    class Head(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 2)

        def forward(self, x):
            return self.fc(x)
""")


@pytest.fixture(autouse=True)
def _loaded_once():
    """pytester runs pytest in this process and then unloads every module the run imported;
    native extensions (libcst's parser, torch) do not survive being loaded twice. Load them
    out here first, so the inner runs find them loaded and leave them alone."""
    try:
        import torch  # noqa: F401  (the test project's modules import it)
    except ImportError:
        pass
    from nnlint.engine import check_source
    from nnlint.rules import all_rules

    check_source(BUGGY, "warm.py", list(all_rules().values()))


@pytest.fixture
def project(pytester):
    """mypkg/{encoder,head,legacy,unused}.py, a dependency in a virtual environment inside the
    project, and a test importing all but `unused`; `legacy` is excluded by the config."""
    pytest.importorskip("torch")  # the test imports the project's modules (before the inner run)
    pytester.makepyprojecttoml('[tool.nnlint]\nextend-exclude = ["mypkg/legacy.py"]\n')
    pkg = pytester.mkpydir("mypkg")
    (pkg / "encoder.py").write_text(BUGGY)
    (pkg / "head.py").write_text(CLEAN)
    (pkg / "legacy.py").write_text(BUGGY)
    (pkg / "unused.py").write_text(BUGGY)
    deps = pytester.path / ".venv" / "lib" / "site-packages"
    deps.mkdir(parents=True)
    (deps / "somedep.py").write_text(BUGGY)
    pytester.makepyfile(test_model=f"""
        import sys
        sys.path.insert(0, {str(deps)!r})
        import somedep
        from mypkg import encoder, head, legacy

        def test_shapes():
            assert head.Head()
    """)
    pytester.syspathinsert()
    return pytester


def test_nnlint_option_lints_the_imported_project_modules(project):
    result = project.runpytest("--nnlint", "-v", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4, failed=1)  # __init__, head, test_model, test_shapes; encoder
    result.stdout.fnmatch_lines([
        "mypkg/__init__.py::nnlint PASSED*",
        "mypkg/encoder.py::nnlint FAILED*",
        "mypkg/head.py::nnlint PASSED*",
        "test_model.py::nnlint PASSED*",
        "test_model.py::test_shapes PASSED*",
        "mypkg/encoder.py:7:9: NN101 `self.blocks` holds nn.Linear built in a list comprehension*",
    ])
    assert "7 |         self.blocks = [nn.Linear(4, 4) for _ in range(2)]\n" in result.stdout.str()
    for other in ("unused.py", "legacy.py", "somedep.py"):
        assert other not in result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_keyword_selects_the_nnlint_items(project):
    result = project.runpytest("--nnlint", "-k", "nnlint", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, failed=1, deselected=1)
    result = project.runpytest("--nnlint", "-m", "not nnlint", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, deselected=4)


def test_a_bad_config_is_a_usage_error(project):
    project.makepyprojecttoml('[tool.nnlint]\nignore = ["NN999"]\n')
    result = project.runpytest("--nnlint", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*nnlint*unknown rule code or prefix 'NN999'*"])


def test_without_the_option_the_plugin_is_registered_and_inert(pytester):
    """A fresh interpreter, as a user's session: the entry point loads the plugin, which adds
    no item and imports neither the linter nor torch."""
    pytester.makepyfile(test_plain="""
        import sys

        def test_nothing_heavy_imported(pytestconfig):
            assert pytestconfig.pluginmanager.hasplugin("nnlint")  # loaded through pytest11
            heavy = [m for m in ("torch", "libcst", "nnlint.engine") if m in sys.modules]
            assert not heavy, heavy
    """)
    result = pytester.runpytest_subprocess("-v", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "::nnlint" not in result.stdout.str()
