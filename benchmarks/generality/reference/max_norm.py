MAX_NORM = 2.0


def after_step(model, step):
    """After every step, each weight row longer than MAX_NORM is scaled back to that length."""
    for p in model.parameters():
        if p.dim() < 2:
            continue
        norms = p.norm(dim=1, keepdim=True)
        p.mul_(torch.clamp(MAX_NORM / norms, max=1.0))
