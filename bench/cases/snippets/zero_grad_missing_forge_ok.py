# source: https://preproom.ai/learn/model-training-pytorch.html
# The canonical loop: clear, predict, score, back-propagate, step.
model = nn.Linear(1, 1)
criterion = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.03)
model.train()
for epoch in range(200):
    optimizer.zero_grad()
    pred = model(x)
    loss = criterion(pred, y)
    loss.backward()
    optimizer.step()
