"""The readers of nnlint.sources: IPython syntax neutralised in place, a notebook's and a Markdown
file's program and the map back, fixes put back byte for byte, and the assumed imports of
fragments."""

import ast
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from samples import BUGGY, notebook

from nnlint.config import Settings as _Settings
from nnlint.engine import _allow_deep_trees, check_source
from nnlint.sources import DocumentError, Location, cell_sources, diff_pieces, kind_of, read
from nnlint.sources.fragments import ASSUMED_IMPORTS, assumed_names, may_assume
from nnlint.sources.ipython import neutralise, python_cell


# ----- IPython syntax --------------------------------------------------------------------------
def test_ipython_syntax_becomes_python_line_for_line():
    lines = ["%matplotlib inline", "!pip install torchvision \\", "    --upgrade", "files = !ls data",
             "t = %timeit -o step()", "model?", "??nn.Linear", "for i in range(3):", "    %time step(i)",
             "/print 1", "x = a % b", "y = (1,", "     !2)", "s = '''", "%not a magic in a string", "'''",
             "print('why?')  # no help?", "import torch"]
    assert neutralise(lines) == [
        "pass", "pass", "", "files = None", "t = None", "pass", "pass", "for i in range(3):", "    pass",
        "pass", "x = a % b", "y = (1,", "     !2)", "s = '''", "%not a magic in a string", "'''",
        "print('why?')  # no help?", "import torch"]


def test_cell_magics_keep_a_python_body_and_drop_others():
    assert python_cell(["%%time", "x = f()", "!ls"]) == ["", "x = f()", "pass"]
    assert python_cell(["%%capture output", "train()"]) == ["", "train()"]
    assert python_cell(["%%bash", "ls -l"]) is None
    assert python_cell(["%%writefile model.py", "import torch"]) is None


# ----- notebooks ---------------------------------------------------------------------------------
CELLS = ["%matplotlib inline\nimport torch\n", "x = torch.ones(2)\nx?\n", "%%bash\nls\n", "y = (\n"]


def test_a_notebook_is_its_code_cells_in_order_and_the_map_names_each_cell():
    document = read("nb.ipynb", notebook(CELLS, markdown=[1]))  # cells: code, markdown, code, bash, bad
    assert document.python == ("# nnlint: unit 1\npass\nimport torch\n"
                               "# nnlint: unit 2\nx = torch.ones(2)\npass\n")
    assert document.locate(3, 8) == Location(1, 2, 8)
    assert document.locate(5, 1) == Location(3, 1, 1)
    assert document.locate(4, 1) is None  # a separator
    assert [(p.code, p.message, p.location) for p in document.problems] == [
        ("NN000", "syntax error: '(' was never closed", Location(5, 1, 5))]
    assert document.sources() == {1: CELLS[0], 3: CELLS[1], 4: CELLS[2], 5: CELLS[3]}


def test_a_notebook_of_another_language_has_no_program():
    assert read("nb.ipynb", notebook(["x <- 1\n"], language="R")).python == ""


@pytest.mark.parametrize("text, message, where", [
    ("{\n  \"cells\": [\n", "not a notebook: invalid JSON (Expecting value)", (3, 1)),
    ("[1, 2]", "not a notebook: no `nbformat` in the JSON", (1, 1)),
    ('{"nbformat": 3, "worksheets": []}', "nbformat 3 notebooks are not supported, only nbformat 4 (convert "
                                         "with `jupyter nbconvert --to notebook --nbformat 4`)", (1, 1)),
    ('{"nbformat": 4, "cells": {}}', "not an nbformat 4 notebook: `cells` is not a list", (1, 1)),
    ('{"nbformat": 4, "cells": [{"cell_type": "code", "source": 7}]}',
     "not an nbformat 4 notebook: the source of cell 1 is not text", (1, 1)),
])
def test_what_is_not_an_nbformat_4_notebook_says_why(text, message, where):
    with pytest.raises(DocumentError) as raised:
        read("nb.ipynb", text)
    assert (raised.value.message, (raised.value.line, raised.value.column)) == (message, where)


def test_a_fix_rewrites_only_the_changed_cells_source_in_the_notebooks_own_layout():
    text = notebook(["import torch\n", "a = 1\nb = 2\n", "c = 3"]).replace('"outputs": []', '"outputs": [7]')
    document = read("nb.ipynb", text)
    fixed = document.rewrite(document.python.replace("b = 2", "b = 20").replace("c = 3", "c = 30"))
    assert fixed == text.replace('"b = 2\\n"', '"b = 20\\n"').replace('"c = 3"', '"c = 30"')


def test_a_fix_that_adds_a_line_keeps_the_list_layout_and_a_string_source_stays_a_string():
    text = notebook(["a = 1\nb = 2"])
    document = read("nb.ipynb", text)
    fixed = document.rewrite(document.python.replace("a = 1\n", "import x\na = 1\n"))
    assert fixed == text.replace('"a = 1\\n",', '"import x\\n",\n    "a = 1\\n",')
    compact = '{"cells": [{"cell_type": "code", "source": "a = 1\\nb = \\"\\u00e9\\""}], "nbformat": 4}'
    document = read("nb.ipynb", compact)
    assert document.rewrite(document.python.replace("a = 1", "a = 2")) == compact.replace("a = 1", "a = 2")


def test_a_fix_that_touches_a_magic_or_a_separator_is_not_put_back():
    document = read("nb.ipynb", notebook(["%time x = 1\ny = 2\n", "z = 3\n"]))
    assert document.rewrite(document.python.replace("pass", "pass  # changed")) is None
    assert document.rewrite(document.python.replace("# nnlint: unit 2\n", "")) is None
    assert document.rewrite(document.python.replace("y = 2", "y = 3")) is not None


def test_file_position_is_the_character_inside_the_json_string():
    text = notebook(["import torch\n", "msg = 'é\"' ; x = torch.ones(1)\n"])
    document = read("nb.ipynb", text)
    line, column = document.file_position(Location(2, 1, 14))  # the `x` after an escaped quote
    assert text.splitlines()[line - 1][column - 1:column + 3] == "x = "
    compact = '{"cells": [{"cell_type": "code", "source": "s = \\"\\u00e9\\"\\nb = 2"}], "nbformat": 4}'
    assert read("nb.ipynb", compact).file_position(Location(1, 2, 5)) == (1, 65)
    assert compact[64] == "2"


def test_notebook_cells_for_the_reporters_and_diffs():
    before = notebook(["a = 1\n", "b = 2\n"])
    after = before.replace("b = 2", "b = 3")
    assert cell_sources("nb.ipynb", before) == {1: "a = 1\n", 2: "b = 2\n"}
    assert cell_sources("x.py", "a") == {None: "a"}
    assert diff_pieces("nb.ipynb", before, after) == [("nb.ipynb:cell 2", "b = 2\n", "b = 3\n")]
    assert diff_pieces("x.py", "a", "b") == [("x.py", "a", "b")]
    assert [kind_of(p) for p in ("a.ipynb", "a.md", "A.MARKDOWN", "a.qmd", "a.py", "a")] == [
        "notebook", "markdown", "markdown", "markdown", "python", "python"]


# ----- Markdown ----------------------------------------------------------------------------------
MARKDOWN = """\
# A tutorial

```python
import torch
```

```bash
pip install torch
```

1. A list item:

   ~~~py
   x = torch.ones(2)
   ~~~

```{code-cell} ipython3
:tags: [hide-output]
%matplotlib inline
y = x * 2
```

```pycon
>>> z = y + 1
>>> for i in range(2):
...     print(i)
0
```

```python
unclosed = (
"""


def test_markdown_python_blocks_are_the_program_at_the_files_own_lines():
    document = read("t.md", MARKDOWN)
    assert [(u.first_line, u.python) for u in document.units] == [
        (4, ["import torch"]),
        (14, ["x = torch.ones(2)"]),
        (18, ["", "pass", "y = x * 2"]),
        (24, ["z = y + 1", "for i in range(2):", "    print(i)", ""]),
    ]
    x_line = document.python.splitlines().index("x = torch.ones(2)") + 1
    assert document.locate(x_line, 5) == Location(None, 14, 8)  # the list item's indentation
    z_line = document.python.splitlines().index("z = y + 1") + 1
    assert document.locate(z_line, 1) == Location(None, 24, 5)  # after the prompt
    assert [(p.code, p.location) for p in document.problems] == [("NN000", Location(None, 31, 12))]


def test_markdown_fixes_are_put_back_inside_the_fences_only():
    document = read("t.md", MARKDOWN)
    fixed = document.rewrite(document.python.replace("x = torch.ones(2)", "x = torch.ones(2)\nw = 1"))
    assert fixed == MARKDOWN.replace("   x = torch.ones(2)\n", "   x = torch.ones(2)\n   w = 1\n")
    assert document.rewrite(document.python.replace("z = y + 1", "z = y + 2")) is None  # a console block
    crlf = MARKDOWN.replace("\n", "\r\n")
    document = read("t.md", crlf)
    assert document.rewrite(document.python.replace("import torch", "import torch as t")) == \
        crlf.replace("import torch\r\n", "import torch as t\r\n")


# ----- fragments ---------------------------------------------------------------------------------
def _assumed(code):
    return assumed_names(code, ast.parse(code))


def test_conventional_names_used_and_bound_nowhere_are_assumed():
    snippet = ("class Net(nn.Module):\n    def forward(self, x):\n        return F.relu(x)\n"
               "loader = DataLoader(data)\nopt = optim.SGD(net.parameters(), lr=0.1)\n"
               "init.zeros_(w)\nv = Variable(torch.ones(1))\nclass D(Dataset):\n    pass\n")
    assert _assumed(snippet) == list(ASSUMED_IMPORTS)
    assert may_assume(snippet) and not may_assume("x = 1\n")


@pytest.mark.parametrize("binding", [
    "import torch.nn as nn", "from torch import nn", "nn = make()", "def f(nn): pass", "for nn in x: pass",
    "global nn", "with a as nn: pass", "from torch import (\n    nn,\n)", "class nn: pass",
    "try:\n    pass\nexcept E as nn:\n    pass", "[nn for nn in x]", "(nn := 1)", "lambda nn: 0",
])
def test_any_binding_of_a_name_anywhere_means_it_is_the_programs_own(binding):
    assert _assumed(f"def g():\n    return nn.Linear(2, 2)\n{binding}\n") == []


def test_a_star_import_of_anything_but_torch_turns_assumptions_off():
    assert _assumed("from mylib import *\nlayer = nn.Linear(2, 2)\n") == []
    assert _assumed("from torch.nn import *\nlayer = nn.Linear(2, 2)\n") == ["nn"]


def test_a_word_is_not_a_use():
    assert _assumed("init = 1\ntext = 'the nn. module, F. and Dataset'\n") == []
    assert _assumed("# see torch.nn\nx = 1\n") == []
    assert _assumed("import torch\nx = torch.zeros(1)\n") == []
    assert json.dumps(ASSUMED_IMPORTS)  # the README's table is this table


# ----- properties: notebooks and Markdown files nobody wrote by hand ------------------------------
_allow_deep_trees()  # as the engine does on its first file: hypothesis wants it unchanged meanwhile
_RULES = _Settings(root=Path("."), select=["ALL"]).rules_for("nb.ipynb")
_LINES = st.sampled_from([
    "import torch.nn as nn", "class Net(nn.Module):", "    def __init__(self):", "        super().__init__()",
    "        self.layers = [nn.Linear(2, 2) for _ in range(2)]", "    def forward(self, x):",
    "        return F.dropout(x, 0.5)", "%matplotlib inline", "%%time", "%%bash", "!pip install timm",
    "files = !ls", "model?", "??nn.Linear", "x = (", "", "    ", "# comment", "\t", "y = F.softmax(x)",
    "for b in loader:", "    loss = F.cross_entropy(F.softmax(b, dim=1), t)", "    loss.backward()",
    "    opt.step()", "display(x)", "é = 'ü\\u2028'", "```", "~~~", ">>> x = 1",
]) | st.text(max_size=12)
# whole programs with fixes to put back, under a magic or not
_FIXABLE = st.tuples(st.sampled_from([[], ["%%time"], ["%matplotlib inline", "!pip install x"], ["model?"]]),
                     st.sampled_from([BUGGY.rstrip("\n"), "class D(nn.Module):\n    def forward(self, x):\n"
                                      "        return F.dropout(x, 0.5)  # fixable"])).map(lambda p: p[0] + [p[1]])
_CELLS = st.lists(st.tuples(st.sampled_from(["code", "code", "markdown", "raw"]),
                            st.one_of(st.lists(_LINES, max_size=8), _FIXABLE), st.booleans()), max_size=5)


def _notebook_text(cells, as_list, indent, ascii_only):
    items = []
    for kind, lines, final_break in cells:
        source = "\n".join(lines) + ("\n" if final_break and lines else "")
        items.append({"cell_type": kind, "metadata": {}, "source":
                      source.splitlines(keepends=True) if as_list else source,
                      **({"outputs": [], "execution_count": None} if kind == "code" else {})})
    return json.dumps({"cells": items, "metadata": {}, "nbformat": 4, "nbformat_minor": 5},
                      indent=indent, ensure_ascii=ascii_only) + "\n"


@settings(max_examples=15, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(_CELLS, st.booleans(), st.sampled_from([None, 1, 2]), st.booleans())
def test_any_notebook_is_checked_and_fixed_without_an_exception_and_keeps_its_other_bytes(cells, as_list, indent,
                                                                                           ascii_only):
    text = _notebook_text(cells, as_list, indent, ascii_only)
    result = check_source(text, "nb.ipynb", _RULES, fix=True, unsafe_fixes=True)
    assert all(f.cell is None or f.cell >= 1 for f in result.findings)
    if result.fixed_text is not None:
        before, after = json.loads(text), json.loads(result.fixed_text)
        for cell in before["cells"] + after["cells"]:
            cell.pop("source")
        assert after == before  # only sources change
        again = check_source(result.fixed_text, "nb.ipynb", _RULES, fix=True, unsafe_fixes=True)
        assert again.fixed_text is None


@settings(max_examples=15, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(st.sampled_from(["```python", "```py", "```{code-cell} ipython3", "~~~pycon", "```",
                                           "    ```python", "prose", ""]),
                          st.one_of(st.lists(_LINES, max_size=6), _FIXABLE)), max_size=5))
def test_any_markdown_file_is_checked_and_fixed_without_an_exception_and_changes_only_fenced_lines(blocks):
    text = "".join(f"{fence}\n" + "".join(line + "\n" for line in lines) + "```\n\n" for fence, lines in blocks)
    result = check_source(text, "t.md", _RULES, fix=True, unsafe_fixes=True)
    assert all(f.cell is None for f in result.findings)
    if result.fixed_text is not None:
        assert [line for line in result.fixed_text.splitlines() if line.lstrip().startswith(("```", "~~~"))] == [
            line for line in text.splitlines() if line.lstrip().startswith(("```", "~~~"))]
        assert check_source(result.fixed_text, "t.md", _RULES, fix=True, unsafe_fixes=True).fixed_text is None
