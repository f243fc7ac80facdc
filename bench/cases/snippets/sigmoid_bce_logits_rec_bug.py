# source: https://github.com/yudi-mars/daisyRec/pull/15
# A recommender's click prediction: sigmoid in forward, BCEWithLogitsLoss in training.
class FM(nn.Module):
    def __init__(self, n_users, n_items, k=16):
        super().__init__()
        self.u = nn.Embedding(n_users, k)
        self.i = nn.Embedding(n_items, k)

    def forward(self, user, item):
        return torch.sigmoid((self.u(user) * self.i(item)).sum(-1))


model = FM(1000, 5000)
criterion = nn.BCEWithLogitsLoss()
optimizer = optim.Adam(model.parameters())
for user, item, label in train_loader:
    optimizer.zero_grad()
    loss = criterion(model(user, item), label.float())  # expect: NN605
    loss.backward()
    optimizer.step()
