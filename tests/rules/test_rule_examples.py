"""Every rule's own VALID/INVALID examples, fixit-style: exact codes, lines and fixes."""

import re

import pytest

from nnlint.engine import check_bytes, check_source, may_have_findings
from nnlint.finding import Applicability
from nnlint.fix import apply_edits, apply_fixes, is_valid_python
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
        assert rule.fixable == ("## Fix safety" in doc), f"{rule.code}: a fixable rule's page says how safe its fixes are"
        if rule.fixable:
            assert any(example.fixed for example in rule.INVALID), rule.code
            section = doc.split("## Fix safety", 1)[1].split("\n## ", 1)[0]
            for applicability in rule.fix_safety:
                assert re.search(rf"\b{applicability.value}\b", section), (rule.code, applicability)


def test_every_declared_fix_safety_is_exemplified():
    for rule in RULES:
        seen = set()
        for example in rule.INVALID:
            result = check_source(example.code, "example.py", [rule])
            seen |= {f.fix.applicability for f in result.findings if f.fix is not None}
        assert seen == set(rule.fix_safety), rule.code


def test_a_fix_of_an_undeclared_safety_is_our_bug_not_a_silent_fix(monkeypatch):
    """Every fix a rule offers is of a safety its page declares, wherever it fires (not only in
    its examples): one that is not is refused as an NN009, never applied or shown untold."""
    rule = all_rules()["NN101"]
    monkeypatch.setattr(rule, "fix_safety", (Applicability.SAFE,))
    result = check_bytes(rule.INVALID[0].code.encode(), "example.py", [rule], fix=True, unsafe_fixes=True)
    assert [(f.code, f.message) for f in result.findings] == [
        ("NN009", "nnlint's NN101 check failed here (please report it): ValueError: NN101 offers a fix "
                  "that is unsafe, but its fix_safety declares safe")]
    assert result.fixed_text is None


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

    fixed = check_source(example.code, "example.py", [rule], fix=True, unsafe_fixes=True)
    if example.fixed is None:
        assert fixed.fixed_text is None
        assert all(f.fix is None for f in result.findings)
        return
    assert fixed.fixed_text == example.fixed
    assert is_valid_python(fixed.fixed_text)
    assert check_source(fixed.fixed_text, "example.py", [rule], fix=True, unsafe_fixes=True).fixed_text is None

    fixes = [f.fix for f in result.findings if f.fix is not None]
    for fix in fixes:  # each fix on its own is what an editor's quick fix applies
        assert fix.applicability in rule.fix_safety and fix.description
        assert is_valid_python(apply_edits(example.code, fix.edits))
    first_round = apply_fixes(example.code, fixes)
    if not any(f.fix for f in check_source(first_round, "example.py", [rule]).findings):
        assert first_round == example.fixed  # the edits are the whole fix, nothing else

    safe_only = check_source(example.code, "example.py", [rule], fix=True)
    if all(fix.applicability is not Applicability.SAFE for fix in fixes):
        assert safe_only.fixed_text is None
