L1 = 1e-3


def compute_loss(out, y, model):
    """Task loss plus L1 times the sum of absolute weights (weight matrices only, no biases)."""
    penalty = sum(p.abs().sum() for p in model.parameters() if p.dim() >= 2)
    return task_loss(out, y) + L1 * penalty
