# source: https://github.com/qbx2/PAAC.pytorch/issues/1
# loss.item() reads the Python number.
loss_sum = 0
for step in range(num_steps):
    optimizer.zero_grad()
    loss = policy_loss(rollout) + value_loss(rollout)
    loss.backward()
    optimizer.step()
    loss_sum += loss.item()
