# source: https://theneuralbase.com/pytorch/learn/beginner/forward-pass-loss-backward-step/
# A library-style training function: nothing in the file says what `optimizer` is but its name.
def train_steps(model, batches, criterion, optimizer, max_steps=1000):
    step = 0
    while step < max_steps:
        for inputs, targets in batches:
            output = model(inputs)
            loss = criterion(output, targets)
            loss.backward()  # expect: NN601
            optimizer.step()
            step += 1
    return model
