# source: https://github.com/microsoft/Olive/pull/492
# CUDA events, synchronized before reading the elapsed time.
import torch


def measure_latency(model, input_shape, warmup=10, repeat=100):
    model = model.cuda().eval()
    dummy = torch.randn(*input_shape, device="cuda")
    latencies = []
    with torch.no_grad():
        for _ in range(warmup):
            model(dummy)
        for _ in range(repeat):
            start = torch.cuda.Event(enable_timing=True)
            end = torch.cuda.Event(enable_timing=True)
            start.record()
            model(dummy)
            end.record()
            torch.cuda.synchronize()
            latencies.append(start.elapsed_time(end) / 1000)
    return sum(latencies) / repeat
