# source: https://github.com/dragen1860/MAML-Pytorch/issues/40
# The no_grad block only measures accuracy; the loss that is backpropagated is computed outside it.
import torch
import torch.nn.functional as F


def meta_step(net, meta_optim, x_spt, y_spt, x_qry, y_qry, update_lr=0.4):
    logits = net(x_spt)
    loss = F.cross_entropy(logits, y_spt)
    grad = torch.autograd.grad(loss, net.parameters())
    fast_weights = [p - update_lr * g for g, p in zip(grad, net.parameters())]
    logits_q = net(x_qry, fast_weights)
    loss_q = F.cross_entropy(logits_q, y_qry)
    with torch.no_grad():
        correct = torch.eq(logits_q.argmax(dim=1), y_qry).sum().item()
    meta_optim.zero_grad()
    loss_q.backward()
    meta_optim.step()
    return correct
