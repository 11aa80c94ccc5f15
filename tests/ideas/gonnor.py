"""Gonnor: normalize each parameter's gradient to unit L2 norm, then take a plain SGD step."""

import torch


class Gonnor(torch.optim.Optimizer):
    def __init__(self, params, lr):
        super().__init__(params, dict(lr=lr))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                norm = p.grad.norm()
                if norm > 0:
                    p.add_(p.grad / norm, alpha=-group["lr"])


def make_optimizer(params, lr):
    return Gonnor(params, lr)
