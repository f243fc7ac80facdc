"""Rule behaviour that depends on where the file is, which VALID/INVALID examples (all linted
as `example.py`) cannot express."""

import pytest

from nnlint.engine import check_source
from nnlint.rules import all_rules

LOAD_IN_A_TEST = """\
import torch

def test_cached_item(tmp_path):
    cached = torch.load(tmp_path / "utt1.pt")
    assert cached == ["hello"]

def load_checkpoint(path):
    return torch.load(path)
"""


@pytest.mark.parametrize("path, lines", [
    ("tests/unittests/test_data_pipeline.py", [8]),  # the test's own file: only the library call
    ("pkg/io_test.py", [8]),
    ("pkg/data_pipeline.py", [4, 8]),  # not a test module: `test_cached_item` is just a name
])
def test_unsafe_load_in_a_test_function(path, lines):
    findings = check_source(LOAD_IN_A_TEST, path, [all_rules()["NN502"]]).findings
    assert [f.line for f in findings] == lines
