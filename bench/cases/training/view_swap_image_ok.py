# source: https://github.com/jeya-maria-jose/TransWeather/issues/2
# permute moves the channel axis; view is not a transpose.
import torch


def to_image(im):
    return im[0].permute(1, 2, 0).detach().cpu().numpy()


def psnr(pred, gt):
    mse = ((to_image(pred) - to_image(gt)) ** 2).mean()
    return 10 * torch.log10(torch.tensor(1.0 / mse)).item()
