# source: https://github.com/ugent-korea/pytorch-unet-segmentation/issues/18
# A test loop in eval mode that still records the autograd graph of every batch.
def test_model(model, loader, criterion):
    model.eval()
    total = 0.0
    for images, masks in loader:
        outputs = model(images)  # expect: NN206
        total += criterion(outputs, masks).item()
    return total / len(loader)
