class IdeaActivation(nn.Module):
    """The idea's activation, in place of the baseline's ReLU between the layers."""

    def forward(self, x):
        return activation(x)


def build_model(in_dim, hidden, out_dim):
    return baseline_model(in_dim, hidden, out_dim, activation=IdeaActivation)


def activation(x):
    """The idea's activation of x (a tensor of any shape), elementwise unless the notes say otherwise."""
    ...
