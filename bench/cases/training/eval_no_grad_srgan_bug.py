# source: https://github.com/leftthomas/SRGAN/issues/43
# Validation of a super-resolution generator after each epoch: GPU memory explodes midway.
import torch
import torch.nn.functional as F

for epoch in range(1, NUM_EPOCHS + 1):
    netG.train()
    for data, target in train_loader:
        optimizerG.zero_grad()
        g_loss = F.mse_loss(netG(data), target)
        g_loss.backward()
        optimizerG.step()

    netG.eval()
    psnr = 0.0
    for val_lr, val_hr in val_loader:
        sr = netG(val_lr)  # expect: NN206
        mse = ((sr - val_hr) ** 2).mean()
        psnr += 10 * torch.log10(1 / mse).item()
    print(epoch, psnr / len(val_loader))
