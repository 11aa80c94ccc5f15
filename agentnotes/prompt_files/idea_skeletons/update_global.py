class IdeaOptimizer(torch.optim.Optimizer):
    """The idea's optimizer: every step reads this batch's loss and the squared norm of the whole gradient (all the
    parameters together), then applies update() to each parameter that has a gradient."""

    def __init__(self, params, lr):
        super().__init__(params, {"lr": lr})
        self.t = 0

    def step(self, closure):
        self.t += 1
        loss = closure().item()  # this batch's training loss, its gradients taken again at the same weights
        grads = [p.grad for group in self.param_groups for p in group["params"] if p.grad is not None]
        grad_sq = float(sum((g * g).sum() for g in grads))
        with torch.no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        update(p, p.grad, self.state[p], group["lr"], self.t, loss, grad_sq)


def make_optimizer(params, lr):
    return IdeaOptimizer(params, lr)


@torch.no_grad()
def update(p, g, state, lr, t, loss, grad_sq):
    """One step of the idea's rule for one parameter p: change p in place (p.sub_, p.add_, p.copy_).
    g is p's gradient (same shape; p.dim() == 2 for a weight matrix, 1 for a bias); state is a dict kept
    for p between steps; lr is the learning rate; t the step number, 1, 2, ...; loss is this batch's training
    loss (a float); grad_sq is the squared norm of the gradient of all the parameters together, ‖g‖² (a float:
    the global norm is math.sqrt(grad_sq))."""
    ...
