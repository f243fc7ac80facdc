# source: https://github.com/facebookarchive/loop/issues/57
# evaluate() runs under torch.no_grad().
import torch


@torch.no_grad()
def evaluate(model, criterion, valid_loader):
    model.eval()
    total = 0.0
    for srcs, tgts, lens in valid_loader:
        output, _ = model(srcs, lens, tgts)
        total += criterion(output, tgts).item()
    return total / len(valid_loader)


def train(model, criterion, optimizer, train_loader, valid_loader, epochs):
    for epoch in range(epochs):
        model.train()
        for srcs, tgts, lens in train_loader:
            optimizer.zero_grad()
            output, _ = model(srcs, lens, tgts)
            criterion(output, tgts).backward()
            optimizer.step()
        print(evaluate(model, criterion, valid_loader))
