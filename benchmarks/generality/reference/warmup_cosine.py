def lr_at(step, lr):
    """Linear warmup over the first 10% of the steps, then cosine decay to zero."""
    warm = 0.1 * STEPS
    if step <= warm:
        return lr * step / warm
    progress = (step - warm) / (STEPS - warm)
    return lr * 0.5 * (1 + math.cos(math.pi * progress))
