# source: https://github.com/pytorch/pytorch/issues/15005
# The same heads in an nn.ModuleList: registered, moved, trained.
class MultiHead(nn.Module):
    def __init__(self, n_in, sizes):
        super().__init__()
        self.heads = nn.ModuleList()
        for size in sizes:
            self.heads.append(nn.Linear(n_in, size))

    def forward(self, x):
        return [head(x) for head in self.heads]
