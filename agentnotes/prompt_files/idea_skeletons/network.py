class IdeaNet(nn.Module):
    """The idea's whole network, in place of the baseline's MLP: it maps (batch, in_dim) to (batch, out_dim)."""

    def __init__(self, in_dim, hidden, out_dim):
        super().__init__()
        self.in_dim, self.hidden, self.out_dim = in_dim, hidden, out_dim
        self.layers_and_parameters()

    def layers_and_parameters(self):
        """The network's layers and parameters, from self.in_dim, self.hidden and self.out_dim, e.g.
        self.W1 = nn.Linear(self.in_dim, self.hidden) and self.W2 = nn.Linear(self.in_dim + self.hidden, self.out_dim)
        for a second layer that reads the input beside the first layer's output; each activation a module of its own
        (self.act1 = nn.ReLU(), self.act2 = nn.ReLU(), ...)."""
        ...

    def forward(self, x):
        """The network's output for x of shape (batch, in_dim): shape (batch, out_dim). Features joined side by
        side are torch.cat([x, h1], dim=-1)."""
        ...


def build_model(in_dim, hidden, out_dim):
    return IdeaNet(in_dim, hidden, out_dim)
