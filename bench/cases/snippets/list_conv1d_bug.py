# source: https://github.com/pytorch/pytorch/issues/1053
# Text CNN with one Conv1d per kernel width, in a list.
class TextCNN(nn.Module):
    def __init__(self, emb, widths=(3, 4, 5)):
        super().__init__()
        self.convs = [nn.Conv1d(emb, 1, w) for w in widths]  # expect: NN101

    def forward(self, x):
        return torch.cat([F.relu(conv(x)).max(dim=2)[0] for conv in self.convs], dim=1)
