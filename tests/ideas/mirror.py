"""Mirror layer: train with two weight copies on shifted inputs, average them periodically, use one weight in eval.

Training forward: (w1 @ (x + h) + w2 @ (x - h)) / 2 + b with h = LR / 2, so inputs near zero
still move the weights. Every AVERAGE_EVERY steps w1 and w2 are reset to their mean.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

AVERAGE_EVERY = 10


class MirrorLinear(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        base = nn.Linear(in_features, out_features)  # same initialisation as the baseline layer
        self.w1 = nn.Parameter(base.weight.detach().clone())
        self.w2 = nn.Parameter(base.weight.detach().clone())
        self.bias = nn.Parameter(base.bias.detach().clone())

    def forward(self, x):
        if self.training:
            h = LR / 2
            return (F.linear(x + h, self.w1) + F.linear(x - h, self.w2)) / 2 + self.bias
        return F.linear(x, (self.w1 + self.w2) / 2, self.bias)

    @torch.no_grad()
    def average(self):
        w = (self.w1 + self.w2) / 2
        self.w1.copy_(w)
        self.w2.copy_(w)


def build_model(in_dim, hidden, out_dim):
    return mlp(in_dim, hidden, out_dim, linear=MirrorLinear)


def after_step(model, step):
    if step % AVERAGE_EVERY == 0:
        for module in model.modules():
            if isinstance(module, MirrorLinear):
                module.average()
