# source: https://github.com/SimonThomine/RememberingNormality/issues/7
# The fix: nn.Parameter, registered and trained, moved with the module.
class Memory(nn.Module):
    def __init__(self, L, channel):
        super().__init__()
        self.keys = nn.Parameter(torch.randn(L, channel))
        self.values = nn.Parameter(torch.randn(L, channel))

    def forward(self, q):
        attn = torch.softmax(q @ self.keys.t(), dim=-1)
        return attn @ self.values
