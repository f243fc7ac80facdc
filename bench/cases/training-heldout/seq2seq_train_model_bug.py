# source: https://github.com/pytorch/pytorch/issues/958
# A seq2seq model's own train_model(): its caller switches it to eval for validation each
# epoch and never back.
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
    model.train()
    for epoch in range(epochs):
        for src, tgt in train_batches:
            optim.zero_grad()
            loss = nn.functional.cross_entropy(model(src).transpose(1, 2), tgt)  # expect: NN306
            loss.backward()
            optim.step()
        model.eval()
        with torch.no_grad():
            val = sum(nn.functional.cross_entropy(model(s).transpose(1, 2), t).item() for s, t in val_batches)
        print(epoch, val)


net = Seq2Seq()
run(net, train_batches, val_batches, torch.optim.Adam(net.parameters()), epochs=10)
