# source: https://github.com/jeya-maria-jose/TransWeather/issues/2
# Turning a (1, 3, H, W) output into an (H, W, 3) image with view scrambles the pixels.
import torch


def to_image(im):
    return im[0].view(im.shape[2], im.shape[3], 3).detach().cpu().numpy()  # expect: NN409


def psnr(pred, gt):
    mse = ((to_image(pred) - to_image(gt)) ** 2).mean()
    return 10 * torch.log10(torch.tensor(1.0 / mse)).item()
