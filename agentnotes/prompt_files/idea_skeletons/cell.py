class IdeaCell(nn.Module):
    """The idea's sequence encoder, in place of the baseline's nn.GRU(input_size, hidden_size, batch_first=True);
    the baseline's linear head reads its output at the last time step."""

    def __init__(self, input_size, hidden_size, batch_first=True):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        self.layers()

    def layers(self):
        """The idea's layers and parameters, from self.input_size and self.hidden_size, e.g.
        self.rnn = nn.GRU(self.input_size, self.hidden_size, batch_first=True)."""
        ...

    def forward(self, x):
        """The idea's outputs for x of shape (batch, T, input_size): shape (batch, T, hidden_size), whose last
        time step outputs[:, -1] the head reads; or, for an idea that pools over the time steps (a mean over
        time), the pooled vector of shape (batch, hidden_size), which the head reads as it is. A layer over
        time such as nn.Conv1d takes (batch, channels, T): x.transpose(1, 2). States the notes carry from step
        to step (h_{t-1}, r_{t-1}) start at zero, h = x.new_zeros(x.shape[0], self.hidden_size), and are updated
        in a loop, for t in range(x.shape[1]): reading x[:, t], appending each step's output to a list returned
        as torch.stack(outputs, dim=1)."""
        ...


def build_model(in_dim, hidden, out_dim):
    return baseline_model(in_dim, hidden, out_dim, cell=IdeaCell)
