class IdeaActivation(nn.Module):
    """The idea's activation, in place of the baseline's activation between the layers."""

    def __init__(self, width=1):
        super().__init__()
        self.width = width  # the units (features, channels) of the layer before it
        self.extra_parameters()

    def extra_parameters(self):
        """Optional: the activation's learnable parameters, e.g. self.a = nn.Parameter(torch.tensor(0.5)) for a
        learnable scalar the notes start at 0.5, or self.a = nn.Parameter(torch.full((self.width,), 0.5)) for one
        per unit, read in forward as per_unit(self.a, x); leave it out when there are none."""
        return

    def forward(self, x):
        """The idea's activation of x (a tensor of any shape), elementwise unless the notes say otherwise.
        It may change the width of the last dimension (the next layer adapts): several functions of x
        joined with torch.cat(..., dim=-1), or a function of two inputs on pairs of units,
        x1, x2 = x[..., 0::2], x[..., 1::2]."""
        ...


def build_model(in_dim, hidden, out_dim):
    return baseline_model(in_dim, hidden, out_dim, activation=IdeaActivation)
