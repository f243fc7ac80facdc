# source: https://github.com/gitabcworld/MatchingNetworks/issues/5
# Attention over support-set similarities, softmaxed, then F.cross_entropy.
def episode_loss(similarities, support_labels, target):
    attention = F.softmax(similarities, dim=1)
    preds = torch.bmm(attention.unsqueeze(1), support_labels).squeeze(1)
    return F.cross_entropy(preds, target)  # known-miss: NN602
