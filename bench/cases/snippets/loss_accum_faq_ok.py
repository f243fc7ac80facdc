# source: https://github.com/pytorch/pytorch/pull/6017
# The FAQ's fix: float(loss).
total_loss = 0
for i in range(10000):
    optimizer.zero_grad()
    output = model(inputs)
    loss = criterion(output, targets)
    loss.backward()
    optimizer.step()
    total_loss += float(loss)
