def build_model(in_dim, hidden, out_dim, x, y):
    model = baseline_model(in_dim, hidden, out_dim)
    layers = [m for m in model.modules() if isinstance(getattr(m, "weight", None), torch.Tensor) and m.weight.dim() > 1]
    with torch.no_grad():
        init_weights(layers, x.flatten(1), y)
    return model


def init_weights(layers, x, y):
    """Set the idea's initial values in place, computed from the training data. layers are the model's
    layers with a weight matrix, input side first (layers[0] reads the inputs, layers[-1] is the output
    layer); each has .weight (out_features, in_features) and .bias (a vector or None). x holds all the
    training inputs as rows (n, in_features) and y their targets (class indices, or (n, 1) floats for
    regression). Useful: x.mean(0), torch.cov(x.T) (the features' covariance), vals, vecs =
    torch.linalg.eigh(cov) (eigenvalues ascending; eigenvector i is the column vecs[:, i], so the k largest
    as rows are vecs[:, -k:].flip(1).T with their values vals[-k:].flip(0)), x[torch.randperm(x.shape[0])[:k]]
    (k training samples as rows), torch.cdist(a, b) (pairwise distances). A layer pretrained on x (an
    autoencoder's steps) needs gradients: train it inside `with torch.enable_grad():` on a copy of its weight made a
    leaf with requires_grad_(), then copy_ the result. Build each new weight as one
    (out_features, in_features) tensor, then layer.weight.copy_(it); keep every layer and shape."""
    ...
