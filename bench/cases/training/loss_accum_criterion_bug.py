# source: https://github.com/samuelyu2002/ImVisible/issues/2
# Three running totals of loss tensors; the criteria come in as parameters.
import torch


def train_epoch(model, loader, optimizer, mse_criterion, ce_criterion):
    running_loss = running_mse = running_ce = 0.0
    for images, points, modes in loader:
        optimizer.zero_grad()
        pred_points, pred_modes = model(images)
        MSE = mse_criterion(pred_points, points)
        cross_entropy = ce_criterion(pred_modes, modes)
        loss = MSE + cross_entropy
        loss.backward()
        optimizer.step()
        running_loss += loss  # expect: NN204
        running_mse += MSE  # expect: NN204
        running_ce += cross_entropy  # expect: NN204
    print(running_loss / len(loader), running_mse / len(loader), running_ce / len(loader))


def main(model, loader):
    optimizer = torch.optim.Adam(model.parameters())
    train_epoch(model, loader, optimizer, torch.nn.MSELoss(), torch.nn.CrossEntropyLoss())
