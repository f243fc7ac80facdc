# source: https://github.com/facebookresearch/VideoPose3D/issues/113
# predict() is called after loading a checkpoint; nothing puts the model in eval mode.
import torch
import torch.nn as nn


class TemporalModel(nn.Module):
    def __init__(self, joints=17, channels=256):
        super().__init__()
        self.expand = nn.Conv1d(joints * 2, channels, 3)
        self.bn = nn.BatchNorm1d(channels)
        self.drop = nn.Dropout(0.25)
        self.shrink = nn.Conv1d(channels, joints * 3, 1)

    def forward(self, x):
        return self.shrink(self.drop(torch.relu(self.bn(self.expand(x)))))


def predict(model, keypoints):
    with torch.no_grad():
        return model(keypoints).cpu().numpy()  # expect: NN305


def main(checkpoint_path, keypoints):
    model = TemporalModel()
    checkpoint = torch.load(checkpoint_path, map_location="cpu", weights_only=True)
    model.load_state_dict(checkpoint["model_pos"])
    return predict(model, keypoints)
