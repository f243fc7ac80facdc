# source: https://github.com/akamaster/pytorch_resnet_cifar10/issues/11
# A ResNet from the repository's factory, saved whole: pickling fails on a lambda shortcut.
import torch
import torch.nn as nn


class LambdaLayer(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


def resnet20(num_classes=10):
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        LambdaLayer(lambda x: x[:, :, ::2, ::2]),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, num_classes),
    )


model = resnet20()
torch.save(model, "test.pkl")  # expect: NN505
