# source: https://github.com/natanielruiz/deep-head-pose/issues/118
# Test script turning binned angle scores into probabilities.
idx_tensor = torch.arange(66, dtype=torch.float32)
yaw, pitch, roll = model(img)
yaw_predicted = F.softmax(yaw)  # expect: NN406
pitch_predicted = F.softmax(pitch)  # expect: NN406
yaw_deg = torch.sum(yaw_predicted * idx_tensor, 1) * 3 - 99
