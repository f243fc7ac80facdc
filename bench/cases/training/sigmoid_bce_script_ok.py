# source: http://www.philkr.net/cs342/doc/sigmoid/
# BCEWithLogitsLoss on the raw outputs.
import torch

output = model(x)
loss = torch.nn.BCEWithLogitsLoss()
target = torch.empty(128).random_(2)
loss_val = loss(output, target)
loss_val.backward()
