# source: https://github.com/hunkim/PyTorchZeroToAll/pull/6
# The fix from the pull request: assign the moved copies.
model = RNN(input_size=5, hidden_size=5)
model.cuda()
inputs = torch.eye(5)[[0, 1, 0, 2, 3]].unsqueeze(0)
labels = torch.LongTensor([1, 0, 2, 3, 3])
inputs = inputs.cuda()
labels = labels.cuda()
outputs = model(inputs)
