# source: https://github.com/ZhaoJ9014/face.evoLVe/issues/178
# A face-detection proposal net's classification branch.
class PNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 10, 3), nn.PReLU(10), nn.MaxPool2d(2, 2, ceil_mode=True))
        self.conv4_1 = nn.Conv2d(10, 2, 1)
        self.conv4_2 = nn.Conv2d(10, 4, 1)

    def forward(self, x):
        x = self.features(x)
        a = self.conv4_1(x)
        b = self.conv4_2(x)
        a = F.softmax(a)  # expect: NN406
        return b, a
