# source: https://github.com/ugent-korea/pytorch-unet-segmentation/issues/18
# The same test loop under torch.no_grad().
def test_model(model, loader, criterion):
    model.eval()
    total = 0.0
    with torch.no_grad():
        for images, masks in loader:
            outputs = model(images)
            total += criterion(outputs, masks).item()
    return total / len(loader)
