def lr_at(step, lr):
    """lr until half of the steps, 0.1 * lr until three quarters, 0.01 * lr after."""
    if step <= 0.5 * STEPS:
        return lr
    if step <= 0.75 * STEPS:
        return 0.1 * lr
    return 0.01 * lr
