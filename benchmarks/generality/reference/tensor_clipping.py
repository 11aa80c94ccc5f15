CLIP = 1.0


class TensorClipSGD(torch.optim.Optimizer):
    """Each parameter's gradient clipped to norm CLIP on its own, then a plain SGD step."""

    def __init__(self, params, lr, clip=CLIP):
        super().__init__(params, dict(lr=lr, clip=clip))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad
                norm = g.norm()
                if norm > group["clip"]:
                    g = g * (group["clip"] / norm)
                p.add_(g, alpha=-group["lr"])


def make_optimizer(params, lr):
    return TensorClipSGD(params, lr)
