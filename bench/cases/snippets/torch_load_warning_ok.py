# source: https://github.com/mj-will/nessai/pull/455
# The fix: weights_only=True, the file holds only tensors.
checkpoint = torch.load("weights/online_net.torch", weights_only=True)
online_network.load_state_dict(checkpoint)
optimizer.load_state_dict(torch.load("weights/optimizer.torch", weights_only=True))
