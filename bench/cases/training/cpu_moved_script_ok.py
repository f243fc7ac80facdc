# source: https://github.com/RasmussenLab/vamb/pull/467
# device= at construction; a NumPy array still goes through from_numpy and a move.
import numpy as np
import torch

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
n_contigs = 10000
kld_sum = torch.zeros(n_contigs, device=device)
labels = torch.tensor([0, 1, 1, 2], device=device)
mask = torch.ones(n_contigs, dtype=torch.bool, device=device)
depths = torch.from_numpy(np.load("depths.npy")).to(device)
half = kld_sum.to(torch.float16)
