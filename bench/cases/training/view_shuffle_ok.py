# source: https://github.com/danielhavir/capsule-network/issues/4
# Channel shuffle: a view that splits the channel axis, a transpose, then a view back.
# Every view keeps the axes in memory order, so nothing here is a disguised transpose.
import torch


def channel_shuffle(x, groups):
    b, c, h, w = x.size()
    x = x.view(b, groups, c // groups, h, w)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(b, c, h, w)


def heads(q, n_heads):
    b, t, d = q.shape
    return q.view(b, t, n_heads, d // n_heads).transpose(1, 2)
