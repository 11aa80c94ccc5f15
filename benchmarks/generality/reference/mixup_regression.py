ALPHA = 0.4


def transform_batch(x, y):
    """Mix each example with a shuffled partner: inputs and targets with the same lambda ~ Beta(ALPHA, ALPHA)."""
    lam = float(torch.distributions.Beta(ALPHA, ALPHA).sample())
    j = torch.randperm(x.shape[0], device=x.device)
    return lam * x + (1 - lam) * x[j], lam * y + (1 - lam) * y[j]
