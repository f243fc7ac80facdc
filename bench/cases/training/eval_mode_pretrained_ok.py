# source: https://github.com/ando-khachatryan/HiDDeN/issues/13
# eval() before inference, as the torchvision docs show.
import torch
import torchvision

weights = torchvision.models.ResNet18_Weights.DEFAULT
model = torchvision.models.resnet18(weights=weights)
model.eval()
preprocess = weights.transforms()

with torch.no_grad():
    batch = torch.stack([preprocess(img) for img in images])
    prediction = model(batch).softmax(dim=1)
    print(prediction.argmax(dim=1))
