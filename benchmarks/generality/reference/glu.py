class GLU(nn.Module):
    """y = (W1 x + b1) * sigmoid(W2 x + b2), with its weights and biases as the layer's own parameters."""

    def __init__(self, in_features, out_features):
        super().__init__()
        value, gate = nn.Linear(in_features, out_features), nn.Linear(in_features, out_features)
        self.W1, self.b1 = nn.Parameter(value.weight.detach().clone()), nn.Parameter(value.bias.detach().clone())
        self.W2, self.b2 = nn.Parameter(gate.weight.detach().clone()), nn.Parameter(gate.bias.detach().clone())

    def forward(self, x):
        return F.linear(x, self.W1, self.b1) * torch.sigmoid(F.linear(x, self.W2, self.b2))


def build_model(in_dim, hidden, out_dim):
    return mlp(in_dim, hidden, out_dim, linear=GLU, activation=None, head=nn.Linear)
