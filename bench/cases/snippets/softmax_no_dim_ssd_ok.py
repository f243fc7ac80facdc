# source: https://github.com/amdegroot/ssd.pytorch/issues/104
# The fix from the thread: nn.Softmax(dim=-1).
class Detect(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.num_classes = num_classes
        self.softmax = nn.Softmax(dim=-1)

    def forward(self, conf):
        return self.softmax(conf.view(-1, self.num_classes))
