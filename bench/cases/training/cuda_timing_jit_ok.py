# source: https://github.com/laggui/pytorch-cpp/issues/1
# Reading a result on the host waits for the GPU, so the timing includes the work.
import time

import torch
import torchvision

model = torchvision.models.resnet18().cuda().eval()
scripted = torch.jit.script(model)
x = torch.rand(1, 3, 224, 224, device="cuda")

with torch.no_grad():
    for name, m in (("eager", model), ("script", scripted)):
        start = time.time()
        top = m(x).argmax(dim=1).item()
        elapsed = time.time() - start
        print(name, top, elapsed)
