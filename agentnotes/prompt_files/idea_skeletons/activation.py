class IdeaActivation(nn.Module):
    """The idea's activation, in place of the baseline's ReLU between the layers."""

    def __init__(self):
        super().__init__()
        self.extra_parameters()

    def extra_parameters(self):
        """Optional: the activation's learnable parameters, e.g. self.a = nn.Parameter(torch.tensor(0.5)) for a
        learnable scalar the notes start at 0.5; leave it out when there are none."""
        return

    def forward(self, x):
        """The idea's activation of x (a tensor of any shape), elementwise unless the notes say otherwise."""
        ...


def build_model(in_dim, hidden, out_dim):
    return baseline_model(in_dim, hidden, out_dim, activation=IdeaActivation)
