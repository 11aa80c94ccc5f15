K = 5
ALPHA = 0.5


def after_step(model, step):
    """Every K steps the slow weights move ALPHA of the way to the fast ones, and the fast ones jump there."""
    params = list(model.parameters())
    if not hasattr(model, "slow_weights"):
        model.slow_weights = [p.detach().clone() for p in params]
    if step % K != 0:
        return
    for p, slow in zip(params, model.slow_weights):
        slow.add_(ALPHA * (p - slow))
        p.copy_(slow)
