# source: https://github.com/pytorch/pytorch/issues/11999
# Dropout "still active in eval mode": the model uses the functional form in forward.
class Classifier(nn.Module):
    def __init__(self, n_in, n_hidden, n_out):
        super().__init__()
        self.fc1 = nn.Linear(n_in, n_hidden)
        self.fc2 = nn.Linear(n_hidden, n_out)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = F.dropout(x, p=0.5)  # expect: NN301
        return self.fc2(x)
