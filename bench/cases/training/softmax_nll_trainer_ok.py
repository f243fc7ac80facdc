# source: https://clay-atlas.com/us/blog/2021/05/25/nllloss-en-pytorch-loss-function
# The model ends with `.log_softmax(dim=-1)`, which NLLLoss expects.
import torch
from torch import nn


class IntentClassifier(nn.Module):
    def __init__(self, vocab=5000, dim=128, n_intents=12):
        super().__init__()
        self.emb = nn.Embedding(vocab, dim)
        self.rnn = nn.GRU(dim, dim, batch_first=True)
        self.out = nn.Linear(dim, n_intents)

    def forward(self, tokens):
        _, h = self.rnn(self.emb(tokens))
        return self.out(h[-1]).log_softmax(dim=-1)


class Trainer:
    def __init__(self):
        self.model = IntentClassifier()
        self.criterion = nn.NLLLoss()
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3)

    def step(self, tokens, labels):
        self.optimizer.zero_grad()
        loss = self.criterion(self.model(tokens), labels)
        loss.backward()
        self.optimizer.step()
        return loss.item()
