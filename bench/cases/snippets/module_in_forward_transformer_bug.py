# source: https://github.com/graykode/nlp-tutorial/issues/29
# A projection made fresh in every forward: its weights are never trained.
class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, n_heads):
        super().__init__()
        self.n_heads = n_heads
        self.W_Q = nn.Linear(d_model, d_model)
        self.d_model = d_model

    def forward(self, q, residual):
        context = self.W_Q(q)
        output = nn.Linear(self.d_model, self.d_model)(context)  # expect: NN109
        return nn.LayerNorm(self.d_model)(output + residual)  # expect: NN109
