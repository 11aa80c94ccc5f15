class SeparableConv(nn.Module):
    """Depthwise 3x3 (one filter per channel), ReLU, then pointwise 1x1 across channels."""

    def __init__(self, channels):
        super().__init__()
        self.depthwise = nn.Conv2d(channels, channels, 3, padding=1, groups=channels)
        self.pointwise = nn.Conv2d(channels, channels, 1)

    def forward(self, x):
        return self.pointwise(torch.relu(self.depthwise(x)))


def build_model(in_dim, hidden, out_dim):
    channels, height, width = in_dim
    return nn.Sequential(
        nn.Conv2d(channels, hidden, 3, padding=1), nn.ReLU(),
        SeparableConv(hidden), nn.ReLU(),
        nn.Flatten(), nn.Linear(hidden * height * width, out_dim),
    )
