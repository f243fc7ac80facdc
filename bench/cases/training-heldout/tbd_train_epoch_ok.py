# source: https://github.com/davidmascharka/tbd-nets/issues/8
# The training forward runs with autograd on.
import torch


def train_epoch(tbd_net, train_loader, optimizer, xent_loss):
    tbd_net.train()
    for batch in train_loader:
        _, answers, _, programs, feats = batch
        optimizer.zero_grad()
        outs = tbd_net(feats, programs)
        loss = xent_loss(outs, answers)
        loss.backward()
        optimizer.step()
