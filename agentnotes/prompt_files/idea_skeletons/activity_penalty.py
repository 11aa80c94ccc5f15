HIDDEN_OUTPUTS = []  # the hidden layers' outputs in the latest forward pass, after their activation, input side first
PRE_ACTIVATIONS = []  # the same hidden layers' outputs before their activation (what their linear or conv layer computed)


def build_model(in_dim, hidden, out_dim):
    model = baseline_model(in_dim, hidden, out_dim)
    layers = [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    model.register_forward_pre_hook(lambda module, inputs: HIDDEN_OUTPUTS.clear() or PRE_ACTIVATIONS.clear())
    for layer in layers[1:]:  # what a later layer reads is a hidden layer's output, after its activation
        layer.register_forward_pre_hook(lambda module, inputs: HIDDEN_OUTPUTS.append(inputs[0]))
    for layer in layers[:-1]:  # what a hidden layer's weights compute, before its activation
        layer.register_forward_hook(lambda module, inputs, output: PRE_ACTIVATIONS.append(output))
    return model


def compute_loss(out, y, model, x):
    return task_loss(out, y) + penalty(list(HIDDEN_OUTPUTS), list(PRE_ACTIVATIONS), y, x)


def penalty(hidden, pre_activations, y, x):
    """The idea's penalty, a scalar tensor with its coefficient from the notes. hidden is a list of the outputs of the
    network's hidden layers (hidden[-1]: the last), after their activation, for this batch: input side first,
    each (batch, width) with one row per example (a conv layer's output flattened or (batch, channels, height,
    width)); pre_activations holds the same layers' outputs before their activation, for a penalty the notes put
    on those; y holds the batch's targets (class indices when classifying), for a penalty the notes compute per
    class (class c's mean of a layer's outputs: h[y == c].mean(dim=0)); x holds the batch's inputs as the network
    takes them, for a penalty the notes compare with the inputs (distances between examples in input space)."""
    ...
