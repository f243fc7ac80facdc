# source: https://github.com/pytorch/pytorch/issues/666
# A configurable number of layers built in a list comprehension.
class Net(nn.Module):
    def __init__(self, num_layers):
        super().__init__()
        self.first = nn.Linear(1, 1)
        self.rest = [nn.Linear(1, 1) for _ in range(num_layers)]  # expect: NN101

    def forward(self, x):
        x = self.first(x)
        for layer in self.rest:
            x = layer(x)
        return x
