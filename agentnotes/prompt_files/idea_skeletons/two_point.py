class IdeaOptimizer(torch.optim.Optimizer):
    """The idea's optimizer: the weights are moved by perturb(), the loss's gradient is taken again there,
    the weights are moved back, and update() steps each parameter with that second gradient."""

    def __init__(self, params, lr):
        super().__init__(params, {"lr": lr})
        self.t = 0

    def step(self, closure):
        self.t += 1
        params = [p for group in self.param_groups for p in group["params"] if p.grad is not None]
        with torch.no_grad():
            moves = perturb(params, [p.grad.detach().clone() for p in params])
            for p, move in zip(params, moves):
                p.add_(move)
        closure()  # the loss and its gradient again, on the same batch, at the moved weights
        with torch.no_grad():
            for p, move in zip(params, moves):
                p.sub_(move)  # back to the weights before the move
                if p.grad is not None:
                    update(p, p.grad, self.state[p], self.param_groups[0]["lr"], self.t)


def make_optimizer(params, lr):
    return IdeaOptimizer(params, lr)


@torch.no_grad()
def perturb(params, grads):
    """The idea's move of the weights before the second gradient: a list with one tensor per parameter,
    shaped like it. params are the model's parameters, grads their gradients at the current weights; a
    norm "over all parameters together" is torch.sqrt(sum((g ** 2).sum() for g in grads))."""
    ...


@torch.no_grad()
def update(p, g, state, lr, t):
    """One step of the idea's rule for one parameter p, from the weights before the move: change p in
    place (p.sub_, p.add_, p.copy_). g is the gradient at the moved weights (same shape as p); state is a
    dict kept for p between steps; lr is the learning rate; t the step number, 1, 2, ..."""
    ...
