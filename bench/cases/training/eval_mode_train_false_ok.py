# source: https://github.com/facebookresearch/VideoPose3D/issues/113
# model.train(False) is the same as model.eval().
import torch
import torch.nn as nn

model = nn.Sequential(nn.Conv1d(34, 256, 3), nn.BatchNorm1d(256), nn.ReLU(), nn.Conv1d(256, 51, 1))
model.load_state_dict(torch.load("pretrained_h36m.bin", weights_only=True))
model.train(False)
with torch.no_grad():
    predicted_3d = model(inputs_2d)
