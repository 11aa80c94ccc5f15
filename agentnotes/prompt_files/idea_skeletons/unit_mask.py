class IdeaMask(nn.Module):
    """The baseline's activation, then the idea's random change of its output while training; in evaluation the
    activation's output passes unchanged."""

    def __init__(self, width=1):
        super().__init__()
        self.width = width  # the units (features, channels) of the layer before it
        self.activation = make_activation("baseline", width)

    def forward(self, h):
        h = self.activation(h)
        return self.mask(h) if self.training else h

    def mask(self, h):
        """The idea's change of h while training, drawn afresh at every call (torch.rand_like(h), torch.bernoulli):
        which units (or blocks of a feature map) it zeroes or scales, and how it rescales the rest, as the notes say.
        h is a hidden layer's output after its activation: (batch, width), or (batch, channels, height, width) in a
        convnet. Return a new tensor of h's shape (h * keep, ...): never change h in place, the backward pass needs it."""
        ...


def build_model(in_dim, hidden, out_dim):
    return baseline_model(in_dim, hidden, out_dim, activation=IdeaMask)
