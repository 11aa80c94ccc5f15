class Lion(torch.optim.Optimizer):
    """p -= lr * sign(b1*m + (1-b1)*g); m = b2*m + (1-b2)*g."""

    def __init__(self, params, lr, betas=(0.9, 0.99)):
        super().__init__(params, dict(lr=lr, betas=betas))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if "m" not in state:
                    state["m"] = torch.zeros_like(p)
                m = state["m"]
                c = beta1 * m + (1 - beta1) * p.grad
                p.add_(torch.sign(c), alpha=-group["lr"])
                m.mul_(beta2).add_(p.grad, alpha=1 - beta2)


def make_optimizer(params, lr):
    return Lion(params, lr)
