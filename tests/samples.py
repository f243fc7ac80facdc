"""What several test modules share: a buggy sample module and the in-process CLI runner."""

import json
import textwrap

from nnlint.cli import main

BUGGY = textwrap.dedent("""\
    import torch.nn as nn
    import torch.nn.functional as F


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Linear(4, 4) for _ in range(2)]

        def forward(self, x):
            return F.dropout(x, 0.5)
""")


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def notebook(cells, language="python", markdown=()):
    """An nbformat 4 notebook as Jupyter writes it (one-space indent, sorted keys, sources as
    lists of lines, a final newline): `cells` are code cells' sources; `markdown` holds the
    positions (0-based) at which Markdown cells are inserted."""
    items = []
    for source in cells:
        items.append({"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                      "source": source.splitlines(keepends=True)})
    for index in sorted(markdown):
        items.insert(index, {"cell_type": "markdown", "metadata": {}, "source": ["Some *text*."]})
    metadata = {"kernelspec": {"display_name": language, "language": language, "name": language},
                "language_info": {"name": language}}
    document = {"cells": items, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
