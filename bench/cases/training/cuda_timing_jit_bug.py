# source: https://github.com/laggui/pytorch-cpp/issues/1
# Comparing eager and TorchScript forward times on the GPU with time.time() alone.
import time

import torch
import torchvision

model = torchvision.models.resnet18().cuda().eval()
scripted = torch.jit.script(model)
x = torch.rand(1, 3, 224, 224, device="cuda")

with torch.no_grad():
    for name, m in (("eager", model), ("script", scripted)):
        start = time.time()
        out = m(x)
        elapsed = time.time() - start  # expect: NN506
        print(name, elapsed)
