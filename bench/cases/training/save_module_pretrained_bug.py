# source: https://github.com/Cadene/pretrained-models.pytorch/issues/203
# A hub model saved whole; loading needs the exact package version that pickled it.
import torch
import torchvision

m = torchvision.models.resnet18(weights=torchvision.models.ResNet18_Weights.IMAGENET1K_V1)
save_path = "here.pt"
torch.save(m, save_path)  # expect: NN505
