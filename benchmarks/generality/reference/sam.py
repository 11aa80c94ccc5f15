RHO = 0.05


class SAM(torch.optim.Optimizer):
    """Gradient at w + rho*g/||g|| (same batch, via the closure), applied as an SGD step from w."""

    def __init__(self, params, lr, rho=RHO):
        super().__init__(params, dict(lr=lr, rho=rho))

    def step(self, closure):
        params = [p for group in self.param_groups for p in group["params"] if p.grad is not None]
        with torch.no_grad():
            norm = torch.sqrt(sum((p.grad ** 2).sum() for p in params)) + 1e-12
            shifts = []
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    e = group["rho"] * p.grad / norm
                    p.add_(e)
                    shifts.append((p, e))
        with torch.enable_grad():
            closure()
        with torch.no_grad():
            for p, e in shifts:
                p.sub_(e)
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p.add_(p.grad, alpha=-group["lr"])


def make_optimizer(params, lr):
    return SAM(params, lr)
