# source: https://github.com/pytorch/pytorch/issues/15005
# A multitask model whose per-task heads live in a plain list: .cuda() leaves them behind.
class MultiHead(nn.Module):
    def __init__(self, n_in, sizes):
        super().__init__()
        self.heads = []  # expect: NN101
        for size in sizes:
            self.heads.append(nn.Linear(n_in, size))

    def forward(self, x):
        return [head(x) for head in self.heads]
