class IdeaLinear(nn.Module):
    """The idea's layer, in place of every nn.Linear(in_features, out_features) of the baseline's network."""

    def __init__(self, in_features, out_features):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        base = nn.Linear(in_features, out_features)  # the baseline layer's initial values
        self.weight = nn.Parameter(base.weight.detach().clone())  # (out_features, in_features)
        self.bias = nn.Parameter(base.bias.detach().clone())  # (out_features,)
        self.extra_parameters()

    def extra_parameters(self):
        """Optional: the other parameters of the idea's layer, e.g. self.gain =
        nn.Parameter(torch.full((self.weight.shape[0],), 0.5)) for a gain per output the notes start at 0.5;
        leave it out when there are none."""
        return

    def forward(self, x):
        """The idea's output for x of shape (batch, in_features): shape (batch, out_features).
        A weight times the input is F.linear(x, W) (= x @ W.t()), never W * x or W @ x."""
        ...


def build_model(in_dim, hidden, out_dim):
    return mlp(in_dim, hidden, out_dim, linear=IdeaLinear)
