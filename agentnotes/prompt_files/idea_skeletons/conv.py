class IdeaConv(nn.Module):
    """The idea's convolution, in place of each nn.Conv2d(in_channels, out_channels, 3, padding=1) of the
    baseline's convnet (two of them, each followed by a ReLU and a 2x2 max-pool, then a linear head)."""

    def __init__(self, in_channels, out_channels, kernel_size=3, padding=1):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.padding = kernel_size, padding
        self.layers()

    def layers(self):
        """The idea's layers and parameters, from self.in_channels, self.out_channels, self.kernel_size and
        self.padding, e.g. self.conv = nn.Conv2d(self.in_channels, self.out_channels, self.kernel_size,
        padding=self.padding)."""
        ...

    def forward(self, x):
        """The idea's output for x of shape (batch, in_channels, height, width): shape (batch, out_channels,
        height, width), the same height and width as x."""
        ...


def build_model(in_dim, hidden, out_dim):
    return baseline_model(in_dim, hidden, out_dim, conv=IdeaConv)
