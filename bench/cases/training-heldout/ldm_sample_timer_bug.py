# source: https://github.com/CompVis/latent-diffusion/blob/main/scripts/sample_diffusion.py
# The model reaches the timed function from its caller, moved to the GPU by another function:
# the clock stops while the last denoising steps are still queued on the GPU.
import time

import torch

from sampling import build_model, sample_ddim


def load_model(config, checkpoint):
    model = build_model(config)
    model.load_state_dict(torch.load(checkpoint, weights_only=True)["state_dict"])
    model.cuda()
    model.eval()
    return model


@torch.no_grad()
def sample_batch(model, batch_size, steps=50):
    shape = (batch_size, 4, 32, 32)
    t0 = time.time()
    sample = sample_ddim(model, steps=steps, shape=shape)
    t1 = time.time()  # expect: NN506
    return sample, batch_size / (t1 - t0)


def run(config, checkpoint, batches):
    model = load_model(config, checkpoint)
    rates = [sample_batch(model, 16)[1] for _ in range(batches)]
    print(f"{sum(rates) / len(rates):.2f} samples/s")
