HIDDEN_OUTPUTS = []  # the hidden layers' outputs in the latest forward pass, after their activation, input side first
STATE = {}  # hidden layer -> a dict of its own, kept between calls


def build_model(in_dim, hidden, out_dim):
    model = baseline_model(in_dim, hidden, out_dim)
    layers = [m for m in model.modules() if isinstance(m, nn.Linear)]
    model.register_forward_pre_hook(lambda module, inputs: HIDDEN_OUTPUTS.clear())
    for layer in layers[1:]:  # what a later layer reads is a hidden layer's output, after its activation
        layer.register_forward_pre_hook(lambda module, inputs: HIDDEN_OUTPUTS.append(inputs[0].detach()))
    return model


def after_step(model, step):
    layers = [m for m in model.modules() if isinstance(m, nn.Linear)]
    outputs = list(HIDDEN_OUTPUTS)
    for layer, after, h in zip(layers, layers[1:], outputs):
        unit_op(layer, after, h, STATE.setdefault(layer, {}), step)


@torch.no_grad()
def unit_op(layer, after, h, state, step):
    """The idea's operation on the units of one hidden layer after optimizer step `step` (1, 2, ...). layer is the
    nn.Linear computing the units: row j of layer.weight (units, inputs) holds unit j's incoming weights and
    layer.bias[j] its bias; after is the next nn.Linear, reading them: column j of after.weight (next units, units)
    holds unit j's outgoing weights. h (batch, units) holds the units' outputs, after their activation, for the
    latest training batch. Change the weights in place (layer.weight[j] = ..., after.weight[:, j] = ...,
    layer.weight.mul_(...)); state is a dict kept for this layer between calls. An operation every N steps starts
    with: if step % N != 0: return"""
    ...
