# source: https://github.com/ando-khachatryan/HiDDeN/issues/13
# A pretrained torchvision network used for inference in train mode: batch norm normalises
# each batch with its own statistics.
import torch
import torchvision

weights = torchvision.models.ResNet18_Weights.DEFAULT
model = torchvision.models.resnet18(weights=weights)
preprocess = weights.transforms()

with torch.no_grad():
    batch = torch.stack([preprocess(img) for img in images])
    prediction = model(batch).softmax(dim=1)  # expect: NN305
    print(prediction.argmax(dim=1))
