# source: https://github.com/hunkim/PyTorchZeroToAll/pull/6
# A character RNN moved to the GPU: the model moves in place, the tensors do not.
model = RNN(input_size=5, hidden_size=5)
model.cuda()
inputs = torch.eye(5)[[0, 1, 0, 2, 3]].unsqueeze(0)
labels = torch.LongTensor([1, 0, 2, 3, 3])
inputs.cuda()  # expect: NN501
labels.cuda()  # expect: NN501
outputs = model(inputs)
