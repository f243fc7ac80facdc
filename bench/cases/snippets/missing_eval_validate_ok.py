# source: https://github.com/wolny/pytorch-3dunet/issues/53
# The fix from the thread: eval() before the validation pass, train() before training.
class Trainer:
    def __init__(self, model, loss_fn, optimizer, train_loader, val_loader):
        self.model = model
        self.loss_fn = loss_fn
        self.optimizer = optimizer
        self.train_loader = train_loader
        self.val_loader = val_loader

    def train_epoch(self):
        self.model.train()
        for x, y in self.train_loader:
            self.optimizer.zero_grad()
            loss = self.loss_fn(self.model(x), y)
            loss.backward()
            self.optimizer.step()

    def validate(self):
        self.model.eval()
        losses = []
        with torch.no_grad():
            for x, y in self.val_loader:
                losses.append(self.loss_fn(self.model(x), y).item())
        return sum(losses) / len(losses)
