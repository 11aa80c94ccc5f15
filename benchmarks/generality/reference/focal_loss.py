GAMMA = 2.0


def compute_loss(out, y):
    """-mean((1 - p_t)^GAMMA * log p_t), p_t the probability of the true class."""
    log_pt = F.log_softmax(out, dim=1).gather(1, y.unsqueeze(1)).squeeze(1)
    pt = log_pt.exp()
    return -((1 - pt) ** GAMMA * log_pt).mean()
