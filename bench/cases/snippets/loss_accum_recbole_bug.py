# source: https://github.com/RUCAIBox/RecBole/pull/307
# A trainer's epoch: the summed losses hold every batch's graph.
class Trainer:
    def __init__(self, model, optimizer):
        self.model = model
        self.optimizer = optimizer

    def train_epoch(self, train_data):
        self.model.train()
        total_loss = None
        for interaction in train_data:
            self.optimizer.zero_grad()
            loss = self.model.calculate_loss(interaction)
            total_loss = loss if total_loss is None else total_loss + loss  # known-miss: NN204
            loss.backward()
            self.optimizer.step()
        return total_loss
