"""Sources that several test modules lint."""

import textwrap

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
