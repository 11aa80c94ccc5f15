DELTA = 1.0


def compute_loss(out, y):
    """Huber loss of the residual out - y with threshold DELTA."""
    r = (out - y).abs()
    return torch.where(r <= DELTA, 0.5 * r ** 2, DELTA * (r - 0.5 * DELTA)).mean()
