# source: https://github.com/OpenTrafficCam/OTVision/issues/132
# An inference script: weights loaded, predictions made, but the model is still in train mode.
import torch
import torch.nn as nn


class Detector(nn.Module):
    def __init__(self, n_classes=4):
        super().__init__()
        self.backbone = nn.Sequential(
            nn.Conv2d(3, 32, 3, stride=2), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 64, 3, stride=2), nn.BatchNorm2d(64), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.head = nn.Linear(64, n_classes)

    def forward(self, x):
        return self.head(self.backbone(x))


model = Detector()
model.load_state_dict(torch.load("detector.pt", map_location="cpu", weights_only=True))
with torch.no_grad():
    for frame in frames:
        scores = model(frame.unsqueeze(0))  # expect: NN305
        print(scores.argmax(dim=1).item())
