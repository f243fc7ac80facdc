# source: https://github.com/davidmascharka/tbd-nets/issues/8
# A notebook-style train_epoch(): the loss for the batch is computed under torch.no_grad(),
# copied there from the validation cell.
import torch


def train_epoch(tbd_net, train_loader, optimizer, xent_loss):
    tbd_net.train()
    for batch in train_loader:
        _, answers, _, programs, feats = batch
        optimizer.zero_grad()
        with torch.no_grad():
            outs = tbd_net(feats, programs)
            loss = xent_loss(outs, answers)
        loss.backward()  # expect: NN207
        optimizer.step()
