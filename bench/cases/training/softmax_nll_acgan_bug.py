# source: https://github.com/clvrai/ACGAN-PyTorch/issues/8
# The auxiliary classifier of an ACGAN discriminator ends in Softmax; its loss is NLLLoss,
# which expects log-probabilities.
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
        self.softmax = nn.Softmax(dim=1)
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        flat = self.features(x).view(x.size(0), -1)
        realfake = self.sigmoid(self.fc_dis(flat)).view(-1)
        classes = self.softmax(self.fc_aux(flat))
        return realfake, classes


dis_criterion = nn.BCELoss()
aux_criterion = nn.NLLLoss()
D = netD()
optimizerD = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
for real_cpu, label in dataloader:
    D.zero_grad()
    dis_label = torch.ones(real_cpu.size(0))
    dis_output, aux_output = D(real_cpu)
    errD_real = dis_criterion(dis_output, dis_label) + aux_criterion(aux_output, label)  # expect: NN603, NN604
    errD_real.backward()
    optimizerD.step()
