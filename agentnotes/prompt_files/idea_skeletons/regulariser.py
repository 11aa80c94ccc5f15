INITIAL = {}  # weight matrix -> its value before training


def build_model(in_dim, hidden, out_dim):
    model = baseline_model(in_dim, hidden, out_dim)
    for p in model.parameters():
        INITIAL[p] = p.detach().clone()
    return model


def compute_loss(out, y, model):
    weights = [p for p in model.parameters() if p.dim() > 1]
    return task_loss(out, y) + penalty(weights, [INITIAL[p].to(p.device) for p in weights])


def penalty(weights, initial):
    """The idea's penalty, a scalar tensor with its coefficient from the notes. weights are the model's
    weight matrices (input side first, each (out_features, in_features)); initial holds their values
    before training, in the same order."""
    ...
