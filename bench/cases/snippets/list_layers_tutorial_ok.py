# source: https://www.engineermaxxing.com/micro/lessons/pytorch-internals.html
# The fixed model: an nn.ModuleList.
class MyModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(64, 32), nn.Linear(32, 10)])

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


model = MyModel()
optimizer = optim.Adam(model.parameters(), lr=1e-3)
