# source: https://github.com/sinAshish/Multi-Scale-Attention/issues/14
# An attention layer that never calls the base initialiser: assigning its first submodule fails.
class PAMLayer(nn.Module):
    def __init__(self, in_ch):  # expect: NN103
        self.attn = nn.Sequential(nn.Conv2d(in_ch * 2, in_ch, 3, padding=1), nn.BatchNorm2d(in_ch), nn.PReLU())

    def forward(self, x):
        return self.attn(torch.cat([x, x], dim=1))
