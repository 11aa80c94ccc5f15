class WeightNormLinear(nn.Module):
    """y = (g * v / ||v||) x + b, one norm per output row; g starts at the initial row norms."""

    def __init__(self, in_features, out_features):
        super().__init__()
        base = nn.Linear(in_features, out_features)
        self.v = nn.Parameter(base.weight.detach().clone())
        self.g = nn.Parameter(base.weight.detach().norm(dim=1))
        self.b = nn.Parameter(base.bias.detach().clone())

    def forward(self, x):
        w = self.g[:, None] * self.v / self.v.norm(dim=1, keepdim=True)
        return F.linear(x, w, self.b)


def build_model(in_dim, hidden, out_dim):
    return mlp(in_dim, hidden, out_dim, linear=WeightNormLinear)
