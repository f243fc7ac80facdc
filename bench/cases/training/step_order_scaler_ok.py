# source: https://github.com/princeton-vl/RAFT/issues/104
# scale(loss).backward(), unscale_, clip, step, update.
import torch


def train(model, train_loader, optimizer, scheduler, args):
    scaler = torch.amp.GradScaler("cuda")
    model.train()
    for image1, image2, flow in train_loader:
        optimizer.zero_grad()
        with torch.autocast("cuda"):
            flow_predictions = model(image1, image2)
            loss = (flow_predictions - flow).abs().mean()
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        scaler.step(optimizer)
        scheduler.step()
        scaler.update()
