# source: https://github.com/Turoad/lanedet/issues/32
# The existence head squashes its scores; the loss squashes them again.
class ExistHead(nn.Module):
    def __init__(self, n_lanes=4):
        super().__init__()
        self.fc9 = nn.Linear(4500, 128)
        self.fc10 = nn.Linear(128, n_lanes)

    def forward(self, x):
        x = F.relu(self.fc9(x.flatten(1)))
        return torch.sigmoid(self.fc10(x))


head = ExistHead()
exist_loss = nn.BCEWithLogitsLoss()(head(feat), exist_gt)  # expect: NN605
