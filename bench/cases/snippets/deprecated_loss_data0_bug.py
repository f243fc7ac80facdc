# source: https://github.com/qbx2/PAAC.pytorch/issues/1
# The old way to read a scalar loss, from before zero-dimensional tensors.
loss_sum = 0
for step in range(num_steps):
    optimizer.zero_grad()
    loss = policy_loss(rollout) + value_loss(rollout)
    loss.backward()
    optimizer.step()
    loss_sum += loss.data[0]  # known-miss: NN408
