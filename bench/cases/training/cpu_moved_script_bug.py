# source: https://github.com/RasmussenLab/vamb/pull/467
# Accumulators created on the CPU and moved when CUDA is on.
import torch

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
n_contigs = 10000
kld_sum = torch.zeros(n_contigs).to(device)  # expect: NN504
labels = torch.tensor([0, 1, 1, 2]).to(device)  # expect: NN504
mask = torch.ones(n_contigs, dtype=torch.bool).cuda()  # expect: NN504
