# source: https://github.com/jindongwang/Deep-learning-activity-recognition/issues/10
# Activity recognition: F.softmax at the end of forward, then nn.CrossEntropyLoss.
class HARNet(nn.Module):
    def __init__(self, n_classes=6):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(9, 32, (1, 9)), nn.ReLU(), nn.MaxPool2d((1, 2)))
        self.fc = nn.Linear(32 * 60, n_classes)

    def forward(self, x):
        x = self.conv(x).reshape(x.size(0), -1)
        return F.softmax(self.fc(x), dim=1)


net = HARNet()
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
for sample, target in train_loader:
    output = net(sample)
    loss = criterion(output, target)  # expect: NN602
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
