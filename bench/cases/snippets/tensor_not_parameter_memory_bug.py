# source: https://github.com/SimonThomine/RememberingNormality/issues/7
# A memory of keys and values meant to be learned, stored as plain tensors.
class Memory(nn.Module):
    def __init__(self, L, channel):
        super().__init__()
        self.keys = torch.randn(L, channel).to("cuda")  # expect: NN105
        self.values = torch.randn(L, channel).to("cuda")  # expect: NN105

    def forward(self, q):
        attn = torch.softmax(q @ self.keys.t(), dim=-1)
        return attn @ self.values
