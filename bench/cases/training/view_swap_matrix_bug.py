# source: https://github.com/danielhavir/capsule-network/issues/4
# "Transposing" an attention matrix with view(size(1), size(0)).
import torch


def attention_transpose(scores):
    return scores.view(scores.size(1), scores.size(0))  # expect: NN409


def symmetric(scores):
    return 0.5 * (scores + attention_transpose(scores))
