class ReZeroBlock(nn.Module):
    """y = x + alpha * relu(W x + b), alpha a learnable scalar starting at 0."""

    def __init__(self, width):
        super().__init__()
        self.linear = nn.Linear(width, width)
        self.alpha = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return x + self.alpha * torch.relu(self.linear(x))


def build_model(in_dim, hidden, out_dim):
    return nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), ReZeroBlock(hidden), nn.Linear(hidden, out_dim))
