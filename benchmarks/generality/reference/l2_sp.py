L2SP = 0.01


def compute_loss(out, y, model):
    """Task loss plus L2SP/2 * ||W - W0||^2, W0 the weight matrices before the first step."""
    weights = [p for p in model.parameters() if p.dim() >= 2]
    if not hasattr(model, "start_weights"):
        model.start_weights = [p.detach().clone() for p in weights]
    penalty = sum(((p - p0) ** 2).sum() for p, p0 in zip(weights, model.start_weights))
    return task_loss(out, y) + L2SP / 2 * penalty
