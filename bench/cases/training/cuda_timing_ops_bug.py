# source: https://github.com/TristanBilot/mlx-benchmark/pull/21
# An op benchmark on the GPU: implausibly fast numbers, because nothing waits for the kernels.
import time

import torch

device = torch.device("cuda")
a = torch.randn(4096, 4096, device=device)
b = torch.randn(4096, 4096, device=device)

timings = {}
for name, fn in {"matmul": torch.matmul, "add": torch.add}.items():
    start = time.time()
    for _ in range(100):
        fn(a, b)
    timings[name] = (time.time() - start) / 100 * 1000  # expect: NN506
print(timings)
