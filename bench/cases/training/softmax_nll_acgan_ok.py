# source: https://github.com/clvrai/ACGAN-PyTorch/issues/8
# LogSoftmax for the auxiliary head with NLLLoss; logits with BCEWithLogitsLoss for the other.
import torch
import torch.nn as nn


class netD(nn.Module):
    def __init__(self, ndf=64, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, ndf, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True), nn.Dropout(0.5),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, inplace=True),
        )
        self.fc_dis = nn.Linear(8 * 8 * ndf * 2, 1)
        self.fc_aux = nn.Linear(8 * 8 * ndf * 2, num_classes)
        self.log_softmax = nn.LogSoftmax(dim=1)

    def forward(self, x):
        flat = self.features(x).view(x.size(0), -1)
        realfake = self.fc_dis(flat).view(-1)
        classes = self.log_softmax(self.fc_aux(flat))
        return realfake, classes


dis_criterion = nn.BCEWithLogitsLoss()
aux_criterion = nn.NLLLoss()
D = netD()
optimizerD = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
for real_cpu, label in dataloader:
    D.zero_grad()
    dis_label = torch.ones(real_cpu.size(0))
    dis_output, aux_output = D(real_cpu)
    errD_real = dis_criterion(dis_output, dis_label) + aux_criterion(aux_output, label)
    errD_real.backward()
    optimizerD.step()
