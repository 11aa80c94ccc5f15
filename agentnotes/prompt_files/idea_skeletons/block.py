class IdeaBlock(nn.Module):
    """The idea's block, in place of each hidden-to-hidden layer of the baseline's network: it maps
    (batch, width) to (batch, width)."""

    def __init__(self, width):
        super().__init__()
        self.width = width
        self.layers_and_parameters()

    def layers_and_parameters(self):
        """The block's own layers and parameters, e.g. self.inner = nn.Linear(self.width, self.width), or
        self.a = nn.Parameter(torch.tensor(0.5)) for a learnable scalar the notes start at 0.5."""
        ...

    def forward(self, x):
        """The block's output for x of shape (batch, width): the same shape (x plus the block's branch for
        a residual block)."""
        ...


def build_model(in_dim, hidden, out_dim):
    return mlp(in_dim, hidden, out_dim, block=IdeaBlock)
