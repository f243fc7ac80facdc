# source: https://github.com/sinAshish/Multi-Scale-Attention/issues/14
# The same layer calling super().__init__() first.
class PAMLayer(nn.Module):
    def __init__(self, in_ch):
        super().__init__()
        self.attn = nn.Sequential(nn.Conv2d(in_ch * 2, in_ch, 3, padding=1), nn.BatchNorm2d(in_ch), nn.PReLU())

    def forward(self, x):
        return self.attn(torch.cat([x, x], dim=1))
