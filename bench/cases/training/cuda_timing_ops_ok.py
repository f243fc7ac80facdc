# source: https://github.com/TristanBilot/mlx-benchmark/pull/21
# torch.cuda.synchronize() before each end time.
import time

import torch

device = torch.device("cuda")
a = torch.randn(4096, 4096, device=device)
b = torch.randn(4096, 4096, device=device)

timings = {}
for name, fn in {"matmul": torch.matmul, "add": torch.add}.items():
    torch.cuda.synchronize()
    start = time.time()
    for _ in range(100):
        fn(a, b)
    torch.cuda.synchronize()
    timings[name] = (time.time() - start) / 100 * 1000
print(timings)
