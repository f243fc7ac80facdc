# source: https://github.com/hunkim/PyTorchZeroToAll/pull/6
# Tensors are autograd variables since 0.4: move them and use them.
inputs = inputs.cuda()
labels = labels.cuda()
outputs = model(inputs)
loss = criterion(outputs, labels)
