# source: https://theneuralbase.com/pytorch/learn/beginner/forward-pass-loss-backward-step/
# The same function with the reset.
def train_steps(model, batches, criterion, optimizer, max_steps=1000):
    step = 0
    while step < max_steps:
        for inputs, targets in batches:
            optimizer.zero_grad()
            output = model(inputs)
            loss = criterion(output, targets)
            loss.backward()
            optimizer.step()
            step += 1
    return model
