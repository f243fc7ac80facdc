# source: https://github.com/mlelarge/graph_neural_net/pull/37
# Node classification: the model's last op is a softmax, the loss is cross-entropy.
class EdgeClassifier(nn.Module):
    def __init__(self, n_in, n_classes):
        super().__init__()
        self.lin = nn.Linear(n_in, n_classes)

    def forward(self, x):
        return F.softmax(self.lin(x), dim=-1)


model = EdgeClassifier(64, 2)
loss_fn = nn.CrossEntropyLoss()
for x, y in loader:
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)  # expect: NN602
    loss.backward()
    optimizer.step()
