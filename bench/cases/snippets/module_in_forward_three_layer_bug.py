# source: https://github.com/pytorch/pytorch/issues/1291
# Layers constructed in forward: list(model.parameters()) is empty.
class ThreeLayerNet(torch.nn.Module):
    def __init__(self, d_in, h, d_out):
        super().__init__()
        self.sizes = (d_in, h, d_out)

    def forward(self, x):
        d_in, h, d_out = self.sizes
        x = torch.nn.Linear(d_in, h)(x).clamp(min=0)  # expect: NN109
        return torch.nn.Linear(h, d_out)(x)  # expect: NN109
