# source: https://github.com/samuelyu2002/ImVisible/issues/2
# Running losses summed as tensors: every batch's graph is kept until the epoch ends.
running_loss = 0.0
running_mse = 0.0
for images, targets in train_loader:
    optimizer.zero_grad()
    preds, mse = model(images), F.mse_loss(model(images), targets)
    loss = mse * 10
    loss.backward()
    optimizer.step()
    running_loss += loss  # expect: NN204
    running_mse += mse  # expect: NN204
print(running_loss / len(train_loader))
