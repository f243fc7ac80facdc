# source: https://github.com/jokester-zzz/SSA-SC/issues/2
# Losses logged per key, summed as tensors.
epoch_loss = {"total": 0, "semantic": 0}
for data in dataset:
    optimizer.zero_grad()
    loss = model.compute_loss(model(data), data)
    loss["total"].backward()
    optimizer.step()
    for key in loss:
        epoch_loss[key] += loss[key]  # known-miss: NN204
