# source: https://github.com/amdegroot/ssd.pytorch/issues/114
# The detector's test-time softmax over class scores, dim left implicit.
class Detect(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.num_classes = num_classes
        self.softmax = nn.Softmax()  # expect: NN406

    def forward(self, conf):
        return self.softmax(conf.view(-1, self.num_classes))
