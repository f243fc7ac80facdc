# source: https://github.com/natanielruiz/deep-head-pose/issues/118
# The bins are the last dimension: say so.
idx_tensor = torch.arange(66, dtype=torch.float32)
yaw, pitch, roll = model(img)
yaw_predicted = F.softmax(yaw, dim=1)
pitch_predicted = F.softmax(pitch, dim=1)
yaw_deg = torch.sum(yaw_predicted * idx_tensor, 1) * 3 - 99
