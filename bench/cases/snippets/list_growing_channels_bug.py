# source: https://github.com/pytorch/pytorch/issues/8017
# Channels doubled layer by layer, the convolutions appended to a list.
class Pyramid(nn.Module):
    def __init__(self, c_in, c_out, depth):
        super().__init__()
        self.conv = []  # expect: NN101
        for _ in range(depth):
            self.conv.append(nn.Conv2d(c_in, c_out, kernel_size=3))
            c_in, c_out = c_out, c_out * 2

    def forward(self, x):
        for conv in self.conv:
            x = conv(x)
        return x
