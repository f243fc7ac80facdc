"""Every rule's own VALID/INVALID examples, fixit-style: exact codes, lines and fixes."""

import pytest

from nnlint.engine import check_source, may_have_findings
from nnlint.fix import is_valid_python
from nnlint.rules import all_rules

RULES = list(all_rules().values())
VALID = [pytest.param(rule, example, id=f"{rule.code}-valid-{i}")
         for rule in RULES for i, example in enumerate(rule.VALID)]
INVALID = [pytest.param(rule, example, id=f"{rule.code}-invalid-{i}")
           for rule in RULES for i, example in enumerate(rule.INVALID)]


def test_every_rule_has_examples_and_docs():
    for rule in RULES:
        if rule.always_reported or rule.code.startswith("NN9"):
            continue  # the file itself / found only at runtime: no static examples
        assert rule.VALID and rule.INVALID, rule.code
        doc = rule.documentation()
        assert "## What it does" in doc and "## Why is this bad?" in doc, rule.code
        if rule.fixable:
            assert any(example.fixed for example in rule.INVALID), rule.code


@pytest.mark.parametrize("rule, example", VALID)
def test_valid(rule, example):
    result = check_source(example.code, "example.py", [rule])
    assert [(f.code, f.line) for f in result.findings] == []


@pytest.mark.parametrize("rule, example", INVALID)
def test_invalid(rule, example):
    assert may_have_findings(example.code, [rule]), f"{rule.code}.triggers would skip this file unparsed"
    result = check_source(example.code, "example.py", [rule])
    assert [(f.code, f.line) for f in result.findings] == [(rule.code, line) for line in example.lines]
    for finding in result.findings:
        assert finding.message and finding.name == rule.name

    fixed = check_source(example.code, "example.py", [rule], fix=True)
    if example.fixed is None:
        assert fixed.fixed_text is None
        return
    assert fixed.fixed_text == example.fixed
    assert is_valid_python(fixed.fixed_text)
    assert check_source(fixed.fixed_text, "example.py", [rule], fix=True).fixed_text is None
