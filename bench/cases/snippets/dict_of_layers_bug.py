# source: https://github.com/rish-16/tokenlearner-pytorch/issues/5
# Token learner with its attention maps built from a plain list of small MLPs.
class TokenLearner(nn.Module):
    def __init__(self, dim, n_tokens):
        super().__init__()
        self.maps = [nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, 1)) for _ in range(n_tokens)]  # expect: NN101

    def forward(self, x):
        weights = torch.cat([m(x) for m in self.maps], dim=-1).softmax(dim=1)
        return torch.einsum("bnk,bnd->bkd", weights, x)
