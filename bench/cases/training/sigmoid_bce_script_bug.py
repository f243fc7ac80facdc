# source: http://www.philkr.net/cs342/doc/sigmoid/
# A sigmoid layer's output scored with BCELoss.
import torch

m = torch.nn.Sigmoid()
output = m(model(x))
loss = torch.nn.BCELoss()
target = torch.empty(128).random_(2)
loss_val = loss(output, target)  # expect: NN603
loss_val.backward()
