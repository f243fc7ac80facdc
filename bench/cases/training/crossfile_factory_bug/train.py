# source: https://www.codegenes.net/blog/crossentropyloss-pytorch-should-i-use-softmax-in-model
# The script only calls the builders: softmax into CrossEntropyLoss, and no zero_grad.
from build import build_criterion, build_model, build_optimizer

model = build_model()
criterion = build_criterion()
sgd = build_optimizer(model)
for x, y in loader:
    loss = criterion(model(x), y)  # expect: NN602
    loss.backward()  # expect: NN601
    sgd.step()
