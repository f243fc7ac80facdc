# source: https://github.com/BatsResearch/labelmodels/issues/4
# running_loss sums loss tensors: each batch's graph is kept alive until the epoch ends.
import torch


def estimate(model, batches, optimizer, epochs=5):
    for epoch in range(epochs):
        running_loss = 0.0
        for batch in batches:
            optimizer.zero_grad()
            loss = -model(batch).mean()
            loss.backward()
            optimizer.step()
            running_loss += loss  # expect: NN204
        print(f"epoch {epoch}: {running_loss / len(batches)}")
