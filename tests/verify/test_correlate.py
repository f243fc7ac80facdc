"""Static findings x runtime observations, on plain data (no torch): confirmed true / false /
null, strong matches before weak ones, and the runtime-only findings."""

from nnlint.finding import Finding, Severity
from nnlint.verify.correlate import StaticFile, correlate
from nnlint.verify.result import CheckReport, ClassSource, ModelRun, Observation

PATH = "/project/zoo.py"
ALL_CHECKS = ["build", "registration", "device", "forward", "gradients", "buffers", "eval", "state_dict", "move"]
LINES = {
    10: "class Net(nn.Module):",
    12: "        self.blocks = [nn.Linear(4, 4)]",
    13: "        self.other = [nn.Linear(4, 4)]",
    16: "        h = self.fc.weight.data",
    17: "        g = self.proj.weight.data",
    18: "        return F.dropout(h, 0.5)",
    20: "class Block(nn.Module):",
    22: "        self.w.add_(1)",
}


def finding(code, line, severity=Severity.ERROR):
    return Finding("zoo.py", line, 9, line, 30, code, code.lower(), severity, f"{code} message")


def static(*findings):
    lines = [LINES.get(n, "") for n in range(1, 30)]
    return {PATH: StaticFile(PATH, list(findings), lines)}


def run(*observations, checks=ALL_CHECKS, device="cpu", classes=None, status="checked"):
    report = CheckReport(device=device, checks=list(checks), observations=list(observations))
    classes = classes or {"": ClassSource("zoo:Net", PATH, 10, 19), "block": ClassSource("zoo:Block", PATH, 20, 25)}
    return ModelRun(name="zoo:Net", path="zoo.py", line=10, status=status, device=device, report=report,
                    classes=classes)


def verdicts(results):
    return [(f.code, f.line, f.confirmed, f.source) for r in results for f in r.findings]


def test_an_observation_under_the_named_attribute_confirms_that_finding_only():
    results = correlate([run(Observation("unregistered_module", "blocks holds 1 module", path="blocks"))],
                        static(finding("NN101", 12), finding("NN101", 13)))
    assert verdicts(results) == [("NN101", 12, True, "static"), ("NN101", 13, False, "static")]
    assert results[0].findings[0].evidence == "blocks holds 1 module"


def test_a_weak_match_confirms_only_with_an_observation_left_over():
    no_grad = Observation("no_grad", "fc.weight got no gradient", path="fc.weight")
    results = correlate([run(no_grad)], static(finding("NN201", 16), finding("NN201", 17)))
    assert verdicts(results) == [("NN201", 16, True, "static"), ("NN201", 17, False, "static")]
    cut = Observation("no_grad", "head.weight got no gradient", path="head.weight")  # names no line
    results = correlate([run(cut)], static(finding("NN201", 17)))
    assert verdicts(results) == [("NN201", 17, True, "static")]


def test_no_check_for_the_rule_or_the_check_did_not_run_is_null():
    results = correlate([run(checks=["build", "registration"])],
                        static(finding("NN301", 18), finding("NN108", 12, Severity.STYLE)))
    assert verdicts(results) == [("NN108", 12, None, "static"), ("NN301", 18, None, "static")]
    results = correlate([run(device="cpu")], static(finding("NN503", 18)))  # a GPU would tell
    assert verdicts(results) == [("NN503", 18, None, "static")]
    results = correlate([run(device="cuda:0")], static(finding("NN503", 18)))
    assert verdicts(results) == [("NN503", 18, False, "static")]


def test_frames_locate_errors():
    error = Observation("inplace_leaf", "forward raised ...", frames=[("/lib.py", 3), (PATH, 16)])
    results = correlate([run(error, status="failed")], static(finding("NN205", 16)))
    assert verdicts(results) == [("NN205", 16, True, "static")]
    elsewhere = Observation("inplace_leaf", "forward raised ...", frames=[("/other.py", 3)])
    results = correlate([run(elsewhere, status="failed")], static(finding("NN205", 16)))
    assert verdicts(results) == [("NN902", 10, True, "runtime"), ("NN205", 16, False, "static")]


def test_runtime_only_findings_are_grouped_and_consequences_folded():
    observations = [
        Observation("no_grad", "a got no gradient", path="a.weight"),
        Observation("no_grad", "b got no gradient", path="a.bias"),
        Observation("plain_tensor", "`mask` is a plain tensor", path="mask"),
        Observation("state_dict", "a fresh instance differs"),  # explained by the plain tensor
        Observation("eval_buffer_update", "eval changed buffers"),  # never alone
        Observation("forward_error", "forward raised KeyError", frames=[("/lib.py", 1), (PATH, 16)]),
    ]
    (result,) = correlate([run(*observations)], static())
    assert verdicts([result]) == [("NN903", 10, True, "runtime"), ("NN905", 10, True, "runtime"),
                                  ("NN902", 16, True, "runtime")]
    assert result.findings[0].message.startswith("2 parameters got no gradient")
    assert result.findings[0].name == "parameter-without-gradient"


def test_selection_filters_runtime_codes():
    (result,) = correlate([run(Observation("nonfinite", "NaN"))], static(),
                          enabled=lambda code, path: code != "NN904")
    assert result.findings == []


def test_findings_go_to_the_innermost_class_entry_and_factory_models_pull_their_submodules():
    net = run(Observation("inplace_leaf", "boom", frames=[(PATH, 22)]), status="failed")
    block = ModelRun(name="zoo:Block", path="zoo.py", line=20, status="skipped",
                     classes={"": ClassSource("zoo:Block", PATH, 20, 25)})
    results = correlate([net, block], static(finding("NN205", 22), finding("NN101", 12)))
    assert verdicts(results[:1]) == [("NN101", 12, False, "static")]
    assert verdicts(results[1:]) == [("NN205", 22, True, "static")]  # confirmed by Net's run

    factory = run(classes={"": ClassSource("lib:Big", "/lib/big.py", 1, 50),
                           "block": ClassSource("zoo:Block", PATH, 20, 25)})
    factory.factory = "f.py:big"
    results = correlate([factory], static(finding("NN205", 22)))
    assert verdicts(results) == [("NN205", 22, False, "static")]


# ----- what verify can confirm: one statement per rule (Rule.runtime) ---------------------------
def _emitted_kinds():
    """The observation kinds the checks and the supervisor can produce, read off their source:
    `report.add("kind", ...)` calls and the strings error_kind() returns."""
    import ast
    from pathlib import Path

    import nnlint.verify as package

    kinds = set()
    for name in ("checks.py", "supervisor.py", "worker.py"):
        tree = ast.parse((Path(package.__file__).parent / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                kinds.add(node.args[0].value)
            if isinstance(node, ast.FunctionDef) and node.name == "error_kind":
                kinds |= {n.value.value for n in ast.walk(node)
                          if isinstance(n, ast.Return) and isinstance(n.value, ast.Constant)}
    return kinds


def test_every_kind_the_checks_emit_is_known_and_shows_some_rule():
    from nnlint.rules import all_rules
    from nnlint.verify.result import KINDS

    emitted = _emitted_kinds()
    assert "init_order_error" in emitted and "state_dict" in emitted  # the reading works
    assert emitted <= set(KINDS), emitted - set(KINDS)
    shown = {kind for rule in all_rules().values() for kind in rule.runtime.kinds}
    assert shown == set(KINDS), set(KINDS) ^ shown


def test_rules_state_what_verify_can_see_of_them():
    from nnlint.rules import all_rules
    from nnlint.verify.correlate import confirming_kinds, runtime_code

    alone = {}
    for code, rule in all_rules().items():
        runtime = rule.runtime
        assert set(runtime.reports) <= set(runtime.kinds), code
        for kind in runtime.reports:
            assert alone.setdefault(kind, code) == code, f"{kind} reported by {alone[kind]} and {code}"
        if not code.startswith("NN00"):  # a file's own problems are never in a model
            assert bool(runtime.kinds) != bool(runtime.unobservable), (
                f"{code}: say which observations show it (kinds), or why none can (unobservable)")
        assert confirming_kinds(code) == tuple(runtime.kinds)
    assert {kind: runtime_code(kind) for kind in alone} == alone
    # the two the old hand-written tables disagreed on
    assert confirming_kinds("NN406") == ("softmax_dim_warning",)
    assert confirming_kinds("NN503") == ("device_mismatch",)


def test_each_static_finding_ends_with_a_verdict_and_a_reason():
    """confirmed / not reproduced / cannot be observed at runtime, with why."""
    files = static(finding("NN405", 18), finding("NN108", 12, Severity.STYLE), finding("NN503", 16),
                   finding("NN301", 18))
    ran = run(Observation("forward_error", "forward raised AttributeError: module 'torch.nn.functional' "
                                           "has no attribute 'pool'", frames=[(PATH, 18)]),
              checks=["build", "registration", "device"], status="failed")
    (result,) = correlate([ran], files)
    assert [(f.code, f.verdict, f.reason) for f in result.findings] == [
        ("NN108", "cannot be observed at runtime", "a style rule (both calls do the same)"),
        ("NN503", "cannot be observed at runtime", "forward failed before this could be checked"),
        ("NN301", "cannot be observed at runtime", "forward failed before this could be checked"),
        ("NN405", "confirmed", ""),
    ]  # and the AttributeError is not also an NN902
    skipped = run(checks=[], status="skipped")
    (result,) = correlate([skipped], static(finding("NN201", 16)))
    assert [(f.verdict, f.reason) for f in result.findings] == [
        ("cannot be observed at runtime", "the model was not run (skipped)")]
    on_cpu = run()
    (result,) = correlate([on_cpu], static(finding("NN503", 16)))
    assert [(f.verdict, f.reason) for f in result.findings] == [
        ("cannot be observed at runtime", "needs a GPU: the model ran on cpu")]


def test_an_error_elsewhere_does_not_confirm_an_at_line_rule():
    ran = run(Observation("forward_error", "forward raised AttributeError: no attribute 'x'",
                          frames=[(PATH, 17)]), checks=["build", "registration", "device"], status="failed")
    (result,) = correlate([ran], static(finding("NN405", 18)))
    assert [(f.code, f.verdict, f.source) for f in result.findings] == [
        ("NN902", "runtime", "runtime"), ("NN405", "cannot be observed at runtime", "static")]


def test_a_helper_function_outside_the_model_is_confirmed_where_it_raised():
    helper = finding("NN405", 27)  # below every class: a module-level function forward calls
    ran = run(Observation("forward_error", "forward raised AttributeError: ... 'pool'",
                          frames=[(PATH, 18), (PATH, 27)]), checks=["build", "registration", "device"],
              status="failed")
    (result,) = correlate([ran], static(helper))
    assert [(f.code, f.line, f.verdict) for f in result.findings] == [("NN405", 27, "confirmed")]


def test_a_deprecated_api_that_still_works_is_not_said_to_be_not_reproduced():
    """NN408 is confirmed by a removed API's error on its line; a run without one proves only
    that the installed torch still has the API (NN405, without such a reason, is "not reproduced")."""
    (result,) = correlate([run()], static(finding("NN408", 18), finding("NN405", 16)))
    assert [(f.code, f.verdict, f.reason) for f in result.findings] == [
        ("NN405", "not reproduced", ""),
        ("NN408", "cannot be observed at runtime",
         "a deprecated API that still works in the installed torch raises only once it is removed"),
    ]
