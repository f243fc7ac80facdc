# source: https://github.com/samuelyu2002/ImVisible/issues/2
# The fix from the thread: add loss.item().
running_loss = 0.0
running_mse = 0.0
for images, targets in train_loader:
    optimizer.zero_grad()
    mse = F.mse_loss(model(images), targets)
    loss = mse * 10
    loss.backward()
    optimizer.step()
    running_loss += loss.item()
    running_mse += mse.item()
print(running_loss / len(train_loader))
