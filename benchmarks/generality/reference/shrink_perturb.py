EVERY = 100
SHRINK = 0.8
NOISE = 0.01


def after_step(model, step):
    """Every EVERY steps: w = SHRINK * w + NOISE * eps for every parameter."""
    if step % EVERY != 0:
        return
    for p in model.parameters():
        p.mul_(SHRINK).add_(NOISE * torch.randn_like(p))
