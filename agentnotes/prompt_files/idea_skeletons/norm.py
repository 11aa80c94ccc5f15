class IdeaNorm(nn.Module):
    """The idea's normalisation of each hidden layer's pre-activations z (after the layer's weights, before its
    activation), in place of the baseline's normalisation."""

    def __init__(self, width):
        super().__init__()
        self.width = width  # the features of the layer before it (the channels on images)
        self.extra_parameters()

    def extra_parameters(self):
        """Optional: the normalisation's learnable parameters, e.g. self.gamma = nn.Parameter(torch.ones(self.width))
        for a gain per feature, read in forward as per_unit(self.gamma, z); leave it out when there are none."""
        return

    def forward(self, z):
        """The idea's normalisation of z, of shape (batch, width) (on images (batch, width, height, width_px)): the
        same shape out. A sample's statistics over its features: z.mean(dim=1, keepdim=True); over the batch: dim=0."""
        ...


def build_model(in_dim, hidden, out_dim):
    return baseline_model(in_dim, hidden, out_dim, norm=IdeaNorm)
