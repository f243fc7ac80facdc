# source: https://github.com/ariecattan/SciCo/issues/2
# The logits go to the criterion; the probabilities only to the prediction.
criterion = nn.CrossEntropyLoss()


def validation_step(model, batch):
    x, y = batch
    logits = model(x)
    loss = criterion(logits, y)
    return loss, torch.softmax(logits, dim=1).argmax(dim=1)
