class CentralizedSGD(torch.optim.Optimizer):
    """SGD on gradients whose rows (fan-in) have mean zero; 1-D gradients unchanged."""

    def __init__(self, params, lr):
        super().__init__(params, dict(lr=lr))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad
                if g.dim() > 1:
                    g = g - g.mean(dim=tuple(range(1, g.dim())), keepdim=True)
                p.add_(g, alpha=-group["lr"])


def make_optimizer(params, lr):
    return CentralizedSGD(params, lr)
