# source: https://thecodeforge.io/ml-ai/pytorch-training-loop/
# Training loss drops, validation stays random: the gradients pile up across batches.
model = nn.Linear(20, 2)
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(model.parameters(), lr=0.1)
for epoch in range(5):
    for xb, yb in train_loader:
        loss = criterion(model(xb), yb)
        loss.backward()  # expect: NN601
        optimizer.step()
