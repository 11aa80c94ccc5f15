class SwishBeta(nn.Module):
    """f(x) = x * sigmoid(beta * x), beta learnable, starting at 1."""

    def __init__(self):
        super().__init__()
        self.beta = nn.Parameter(torch.ones(1))

    def forward(self, x):
        return x * torch.sigmoid(self.beta * x)


def build_model(in_dim, hidden, out_dim):
    return mlp(in_dim, hidden, out_dim, activation=SwishBeta)
