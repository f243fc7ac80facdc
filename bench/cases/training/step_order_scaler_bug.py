# source: https://github.com/princeton-vl/RAFT/issues/104
# Mixed precision: scaler.step(optimizer) runs before the scaled backward of the same batch,
# right after the gradients were reset.
import torch


def train(model, train_loader, optimizer, scheduler, args):
    scaler = torch.amp.GradScaler("cuda")
    model.train()
    for image1, image2, flow in train_loader:
        optimizer.zero_grad()
        with torch.autocast("cuda"):
            flow_predictions = model(image1, image2)
            loss = (flow_predictions - flow).abs().mean()
        scaler.step(optimizer)  # expect: NN606
        scaler.scale(loss).backward()
        scaler.update()
        scheduler.step()
