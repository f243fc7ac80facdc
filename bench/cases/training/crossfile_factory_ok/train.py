# source: https://www.codegenes.net/blog/crossentropyloss-pytorch-should-i-use-softmax-in-model
# Logits into CrossEntropyLoss, gradients zeroed each step.
from build import build_criterion, build_model, build_optimizer

model = build_model()
criterion = build_criterion()
sgd = build_optimizer(model)
for x, y in loader:
    sgd.zero_grad()
    loss = criterion(model(x), y)
    loss.backward()
    sgd.step()
