# source: https://github.com/hkchengrex/STCN/issues/44
# zero_grad before the forward, scaler.step after the scaled backward.
import torch


class STCNModel:
    def __init__(self, net, lr=1e-5):
        self.net = net
        self.optimizer = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=1e-7)
        self.scaler = torch.amp.GradScaler("cuda")
        self.scheduler = torch.optim.lr_scheduler.StepLR(self.optimizer, 10000, 0.1)

    def do_pass(self, data_loader):
        self.net.train()
        for data in data_loader:
            self.optimizer.zero_grad(set_to_none=True)
            with torch.autocast("cuda"):
                loss = self.net(data["rgb"], data["gt"]).mean()
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
            self.scheduler.step()
