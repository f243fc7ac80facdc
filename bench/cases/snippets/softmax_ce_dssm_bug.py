# source: https://github.com/nishnik/Deep-Semantic-Similarity-Model-PyTorch/issues/2
# DSSM: cosine scores of the positive and negative documents, softmaxed by a layer.
class DSSM(nn.Module):
    def __init__(self, n_in, n_out=128):
        super().__init__()
        self.query = nn.Linear(n_in, n_out)
        self.doc = nn.Linear(n_in, n_out)
        self.softmax = nn.Softmax(dim=1)

    def forward(self, q, docs):
        qv = torch.tanh(self.query(q))
        scores = torch.stack([F.cosine_similarity(qv, torch.tanh(self.doc(d))) for d in docs], dim=1)
        return self.softmax(scores)


model = DSSM(30000)
criterion = nn.CrossEntropyLoss()
y_pred = model(q, docs)
loss = criterion(y_pred, torch.zeros(len(q), dtype=torch.long))  # expect: NN602
