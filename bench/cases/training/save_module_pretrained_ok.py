# source: https://github.com/Cadene/pretrained-models.pytorch/issues/203
# Weights only; the loader rebuilds the architecture.
import torch
import torchvision

m = torchvision.models.resnet18(weights=torchvision.models.ResNet18_Weights.IMAGENET1K_V1)
save_path = "here.pt"
torch.save(m.state_dict(), save_path)
restored = torchvision.models.resnet18()
restored.load_state_dict(torch.load(save_path, weights_only=True))
