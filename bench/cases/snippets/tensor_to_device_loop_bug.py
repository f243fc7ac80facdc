# source: https://github.com/the-matter-lab/Pasithea/issues/3
# "Expected all tensors to be on the same device": the batch is moved and thrown away.
device = torch.device("cuda")
model.to(device)
for x, y in loader:
    x.to(device)  # known-miss: NN501
    y.to(device)  # known-miss: NN501
    loss = F.mse_loss(model(x), y)
