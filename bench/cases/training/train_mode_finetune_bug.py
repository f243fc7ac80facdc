# source: https://github.com/ando-khachatryan/HiDDeN/issues/13
# A checkpoint is evaluated, then fine-tuned, without switching back to train mode.
import torch
import torch.nn as nn

model = nn.Sequential(nn.Conv2d(3, 64, 3), nn.BatchNorm2d(64), nn.ReLU(), nn.Flatten(), nn.LazyLinear(10))
model.load_state_dict(torch.load("encoder_decoder.pt", weights_only=True))
model.eval()
with torch.no_grad():
    baseline = sum((model(x).argmax(1) == y).sum().item() for x, y in test_loader)
print("before fine-tuning:", baseline)

optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
for x, y in finetune_loader:
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)  # expect: NN306
    loss.backward()
    optimizer.step()
