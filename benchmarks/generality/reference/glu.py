class GLU(nn.Module):
    """y = (W1 x + b1) * sigmoid(W2 x + b2)."""

    def __init__(self, in_features, out_features):
        super().__init__()
        self.value = nn.Linear(in_features, out_features)
        self.gate = nn.Linear(in_features, out_features)

    def forward(self, x):
        return self.value(x) * torch.sigmoid(self.gate(x))


def build_model(in_dim, hidden, out_dim):
    return nn.Sequential(GLU(in_dim, hidden), GLU(hidden, hidden), nn.Linear(hidden, out_dim))
