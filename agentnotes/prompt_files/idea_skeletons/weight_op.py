STATE = {}  # parameter -> a dict of its own; "initial" holds its value before training


def build_model(in_dim, hidden, out_dim):
    model = baseline_model(in_dim, hidden, out_dim)
    for p in model.parameters():
        STATE[p] = {"initial": p.detach().clone()}
    return model


def after_step(model, step):
    for p in model.parameters():
        if p not in STATE:
            STATE[p] = {"initial": p.detach().clone()}
        state = STATE[p]
        state["initial"] = state["initial"].to(p.device)
        weight_op(p, state, step)


@torch.no_grad()
def weight_op(p, state, step):
    """The idea's operation on one parameter p after optimizer step `step` (1, 2, ...): change p in place
    (p.copy_, p.mul_, p.clamp_). p.dim() == 2 for a weight matrix (one row per output unit), 1 for a
    bias. state is a dict kept for p between calls; state["initial"] is p before training; p.grad is the
    gradient of this step's loss. An operation every N steps starts with: if step % N != 0: return (what the
    notes keep up every step, such as a running score, comes before it). A reset draws p afresh as a new layer's does:
    nn.init.kaiming_uniform_(p, a=math.sqrt(5)) for a weight matrix, p.zero_() for a bias."""
    ...
