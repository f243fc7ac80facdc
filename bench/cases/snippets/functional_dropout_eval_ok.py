# source: https://github.com/pytorch/pytorch/issues/26338
# F.dropout told the module's mode.
class Net(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return F.dropout(x, training=self.training)
