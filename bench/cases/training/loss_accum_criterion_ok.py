# source: https://github.com/samuelyu2002/ImVisible/issues/2
# The maintainer's fix: .item() on every total.
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
        running_loss += loss.item()
        running_mse += MSE.item()
        running_ce += cross_entropy.item()
    print(running_loss / len(loader), running_mse / len(loader), running_ce / len(loader))


def main(model, loader):
    optimizer = torch.optim.Adam(model.parameters())
    train_epoch(model, loader, optimizer, torch.nn.MSELoss(), torch.nn.CrossEntropyLoss())
