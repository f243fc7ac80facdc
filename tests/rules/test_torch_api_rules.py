"""Facts NN405/NN408 read from torch_api.json, and what their messages suggest: things the
rules' VALID/INVALID examples (codes and lines only) cannot express."""

from nnlint import torch_api
from nnlint.engine import check_source
from nnlint.rules import all_rules
from nnlint.rules.nn405_unknown_torch_api import closest_names


def _exists(qualified):
    namespace, _, leaf = qualified.rpartition(".")
    names = torch_api.names_in(namespace)
    return names is not None and leaf in names


def test_every_rename_target_exists_in_the_recorded_api():
    renames = {old: info for old, info in torch_api.data()["deprecated"].items() if info["rename"]}
    assert "torch.nn.init.normal" in renames and "torch.nn.utils.clip_grad_norm" in renames
    for old, info in renames.items():
        assert info["new"] and _exists(info["new"]), old


def test_names_served_by_module_getattr_are_known():
    torch_names = torch_api.names_in("torch")
    assert {"has_cuda", "set_vital", "_dynamo", "_C"} <= torch_names
    assert "npu" in torch_api.device_modules() and "npu" not in torch_names


def test_suggestions_use_name_parts_and_case():
    functional = torch_api.names_in("torch.nn.functional")
    assert closest_names("pool", functional) == ["max_pool2d", "avg_pool2d"]
    assert closest_names("Conv2D", torch_api.names_in("torch.nn"))[0] == "Conv2d"
    assert closest_names("qwertyuiop", functional) == []


def test_unknown_api_message_suggests_in_the_files_own_spelling():
    rule = all_rules()["NN405"]
    code = "import torch.nn.functional as F\ny = F.pool(x, 2)\n"
    [finding] = check_source(code, "m.py", [rule]).findings
    assert "`F.pool`" in finding.message and "`F.max_pool2d`" in finding.message


def test_deprecated_rename_imports_the_new_name_when_the_file_has_none():
    rule = all_rules()["NN408"]
    code = "from torch.nn.utils import clip_grad_norm\nclip_grad_norm(params, 1.0)\n"
    [finding] = check_source(code, "m.py", [rule]).findings
    assert finding.fix.description == "use clip_grad_norm_, imported from torch.nn.utils"
    result = check_source(code, "m.py", [rule], fix=True)
    assert result.findings == []
    assert result.fixed_text == ("from torch.nn.utils import clip_grad_norm, clip_grad_norm_\n"
                                 "clip_grad_norm_(params, 1.0)\n")


def test_deprecated_rename_is_not_fixed_when_its_new_name_is_taken_in_the_file():
    rule = all_rules()["NN408"]
    code = ("from torch.nn.utils import clip_grad_norm\n"
            "clip_grad_norm_ = print  # a local of that name: an import would shadow it\n"
            "clip_grad_norm(params, 1.0)\n")
    result = check_source(code, "m.py", [rule], fix=True)
    assert [(f.code, f.line, f.fix) for f in result.findings] == [("NN408", 3, None)]
    assert result.fixed_text is None
