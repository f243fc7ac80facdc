# source: https://github.com/rixwew/pytorch-fm/issues/21
# Attention scores dropped out with F.dropout and no training flag.
class AttentionalFM(nn.Module):
    def __init__(self, dim, attn_size, dropout=0.1):
        super().__init__()
        self.attention = nn.Linear(dim, attn_size)
        self.projection = nn.Linear(attn_size, 1)
        self.p = dropout

    def forward(self, inner):
        scores = F.softmax(self.projection(F.relu(self.attention(inner))), dim=1)
        scores = F.dropout(scores, p=self.p)  # expect: NN301
        return torch.sum(scores * inner, dim=1)
