def build_model(in_dim, hidden, out_dim):
    model = baseline_model(in_dim, hidden, out_dim)
    layers = [m for m in model.modules() if isinstance(getattr(m, "weight", None), torch.Tensor) and m.weight.dim() > 1]
    with torch.no_grad():
        init_weights(layers)
    return model


def init_weights(layers):
    """Set the idea's initial values in place. layers are the model's layers with a weight matrix, input
    side first (layers[-1] is the output layer); each has .weight (out_features, in_features) and .bias
    (a vector or None). Use torch.nn.init functions (uniform_, normal_, constant_, ones_, zeros_, eye_,
    xavier_uniform_, xavier_normal_, kaiming_uniform_, kaiming_normal_, trunc_normal_, orthogonal_,
    sparse_; each takes the tensor first and changes it in place) or .copy_(); keep every layer and shape."""
    ...
