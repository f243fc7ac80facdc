# source: https://github.com/pytorch/pytorch/issues/1053
# The same convolutions in an nn.ModuleList.
class TextCNN(nn.Module):
    def __init__(self, emb, widths=(3, 4, 5)):
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv1d(emb, 1, w) for w in widths])

    def forward(self, x):
        return torch.cat([F.relu(conv(x)).max(dim=2)[0] for conv in self.convs], dim=1)
