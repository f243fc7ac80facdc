"""What several test modules share: a buggy sample module and the in-process CLI runner."""

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
