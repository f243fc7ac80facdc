# source: https://github.com/hunkim/PyTorchZeroToAll/pull/6
# Pre-0.4 style: inputs wrapped in Variable before the forward pass.
inputs = Variable(inputs.cuda())  # expect: NN408
labels = Variable(labels.cuda())  # expect: NN408
outputs = model(inputs)
loss = criterion(outputs, labels)
