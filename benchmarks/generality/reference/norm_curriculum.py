def transform_batch(x, y, step):
    """Keep the ceil(f * B) examples of smallest input norm, f growing from 0.25 to 1 over the first half."""
    f = min(1.0, 0.25 + 0.75 * step / (STEPS / 2))
    keep = math.ceil(f * x.shape[0])
    order = x.norm(dim=1).argsort()[:keep]
    return x[order], y[order]
