# source: https://github.com/Selen-Suyue/DensePolicy2D/issues/3
# permute(0, 3, 1, 2) puts the channels first.
import torch
import torch.nn as nn


class ImageEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 64, 7, stride=2, padding=3)

    def forward(self, img):
        img = img.permute(0, 3, 1, 2).contiguous()
        return self.conv(img)
