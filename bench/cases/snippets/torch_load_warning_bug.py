# source: https://github.com/Linesight-RL/linesight/issues/50
# Resuming from a checkpoint with torch.load's pickle default.
checkpoint = torch.load("weights/online_net.torch")  # expect: NN502
online_network.load_state_dict(checkpoint)
optimizer.load_state_dict(torch.load("weights/optimizer.torch"))  # expect: NN502
