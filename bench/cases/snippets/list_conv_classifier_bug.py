# source: https://github.com/Lightning-AI/pytorch-lightning/issues/2623
# Input on the GPU, conv weights still on the CPU: the convs sit in a plain list.
class Conv1DClassifier(nn.Module):
    def __init__(self, num_classes, n_layers=8):
        super().__init__()
        self.conv_layers = []  # expect: NN101
        for i in range(n_layers):
            self.conv_layers.append(nn.Conv1d(2 ** i, 2 ** (i + 1), kernel_size=64, stride=64))
        self.fc = nn.Linear(2 ** n_layers, num_classes)

    def forward(self, x):
        for conv in self.conv_layers:
            x = F.relu(conv(x))
        return self.fc(x.flatten(1))
