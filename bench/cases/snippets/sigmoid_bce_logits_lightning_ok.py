# source: https://github.com/Lightning-AI/pytorch-lightning/issues/18272
# The example that looked wrong but is not: the scores are for metrics, the logits go to the loss.
def training_step(model, batch):
    x, y = batch
    y_logits = model(x)
    y_scores = torch.sigmoid(y_logits)
    loss = F.binary_cross_entropy_with_logits(y_logits, y.float())
    return loss, (y_scores > 0.5).float()
