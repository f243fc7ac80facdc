# source: https://github.com/danielhavir/capsule-network/issues/4
# .t() (or .T) transposes.
import torch


def attention_transpose(scores):
    return scores.t()


def symmetric(scores):
    return 0.5 * (scores + attention_transpose(scores))
