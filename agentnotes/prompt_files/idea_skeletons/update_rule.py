class IdeaOptimizer(torch.optim.Optimizer):
    """The idea's optimizer: every step applies update() to each parameter that has a gradient."""

    def __init__(self, params, lr):
        super().__init__(params, {"lr": lr})
        self.t = 0

    @torch.no_grad()
    def step(self):
        self.t += 1
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    update(p, p.grad, self.state[p], group["lr"], self.t)


def make_optimizer(params, lr):
    return IdeaOptimizer(params, lr)


@torch.no_grad()
def update(p, g, state, lr, t):
    """One step of the idea's rule for one parameter p: change p in place (p.sub_, p.add_, p.copy_).
    g is p's gradient (same shape; p.dim() == 2 for a weight matrix, 1 for a bias); state is a dict kept
    for p between steps, e.g. m = state.setdefault("m", torch.zeros_like(p)); lr is the learning rate;
    t the step number, 1, 2, ..."""
    ...
