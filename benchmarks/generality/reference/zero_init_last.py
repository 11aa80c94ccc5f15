def build_model(in_dim, hidden, out_dim):
    """The baseline network with its output layer's weight and bias set to zero."""
    model = baseline_model(in_dim, hidden, out_dim)
    last = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
    nn.init.zeros_(last.weight)
    nn.init.zeros_(last.bias)
    return model
