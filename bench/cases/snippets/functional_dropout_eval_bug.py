# source: https://github.com/pytorch/pytorch/issues/26338
# F.dropout in forward keeps dropping after net.eval().
class Net(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return F.dropout(x)  # expect: NN301
