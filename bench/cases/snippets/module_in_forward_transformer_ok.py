# source: https://github.com/graykode/nlp-tutorial/issues/29
# The projection and the norm built once, in __init__.
class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, n_heads):
        super().__init__()
        self.n_heads = n_heads
        self.W_Q = nn.Linear(d_model, d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.norm = nn.LayerNorm(d_model)

    def forward(self, q, residual):
        context = self.W_Q(q)
        return self.norm(self.proj(context) + residual)
