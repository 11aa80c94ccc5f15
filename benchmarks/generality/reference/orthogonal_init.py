def build_model(in_dim, hidden, out_dim):
    """The baseline network with (semi-)orthogonal weights of gain 1 and zero biases."""
    model = baseline_model(in_dim, hidden, out_dim)
    for layer in model.modules():
        if isinstance(layer, nn.Linear):
            nn.init.orthogonal_(layer.weight, gain=1.0)
            nn.init.zeros_(layer.bias)
    return model
