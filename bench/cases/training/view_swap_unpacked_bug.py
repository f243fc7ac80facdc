# source: https://github.com/Selen-Suyue/DensePolicy2D/issues/3
# NHWC camera frames turned into NCHW with a reshape of the unpacked shape.
import torch
import torch.nn as nn


class ImageEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 64, 7, stride=2, padding=3)

    def forward(self, img):
        b, h, w, c = img.shape
        img = img.reshape(b, c, h, w)  # expect: NN409
        return self.conv(img)
