EPS = 0.1


def compute_loss(out, y):
    """Cross entropy against (1 - EPS) * onehot(y) + EPS / K."""
    k = out.shape[1]
    q = (1 - EPS) * F.one_hot(y, k).float() + EPS / k
    return -(q * F.log_softmax(out, dim=1)).sum(dim=1).mean()
