# source: https://github.com/zijundeng/R3Net/issues/3
# Sigmoid at test time only; training feeds logits to BCEWithLogitsLoss.
class SaliencyNet(nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone
        self.predict = nn.Conv2d(64, 1, 1)

    def forward(self, x):
        out = self.predict(self.backbone(x))
        if self.training:
            return out
        return torch.sigmoid(out)


net = SaliencyNet(backbone)
criterion = nn.BCEWithLogitsLoss()
net.train()
loss = criterion(net(images), masks)
