HIDDEN_OUTPUTS = []  # the hidden layers' outputs in the latest forward pass, input side first


def build_model(in_dim, hidden, out_dim):
    model = baseline_model(in_dim, hidden, out_dim)
    layers = [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    model.register_forward_pre_hook(lambda module, inputs: HIDDEN_OUTPUTS.clear())
    for layer in layers[1:]:  # what a later layer reads is a hidden layer's output, after its activation
        layer.register_forward_pre_hook(lambda module, inputs: HIDDEN_OUTPUTS.append(inputs[0]))
    return model


def compute_loss(out, y, model):
    return task_loss(out, y) + penalty(list(HIDDEN_OUTPUTS))


def penalty(hidden):
    """The idea's penalty, a scalar tensor with its coefficient from the notes. hidden holds the outputs of the
    network's hidden layers, after their activation, for this batch: input side first, each (batch, width) with
    one row per example (a conv layer's output flattened or (batch, channels, height, width))."""
    ...
