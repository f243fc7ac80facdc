# source: https://github.com/pytorch/pytorch/issues/958
# train() at the top of each epoch.
import torch
import torch.nn as nn


class Seq2Seq(nn.Module):
    def __init__(self, vocab=10000, dim=256):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.rnn = nn.LSTM(dim, dim, num_layers=2, dropout=0.3, batch_first=True)
        self.out = nn.Linear(dim, vocab)

    def forward(self, src):
        h, _ = self.rnn(self.embed(src))
        return self.out(h)


def run(model, train_batches, val_batches, optim, epochs):
    for epoch in range(epochs):
        model.train()
        for src, tgt in train_batches:
            optim.zero_grad()
            loss = nn.functional.cross_entropy(model(src).transpose(1, 2), tgt)
            loss.backward()
            optim.step()
        model.eval()
        with torch.no_grad():
            val = sum(nn.functional.cross_entropy(model(s).transpose(1, 2), t).item() for s, t in val_batches)
        print(epoch, val)


net = Seq2Seq()
run(net, train_batches, val_batches, torch.optim.Adam(net.parameters()), epochs=10)
