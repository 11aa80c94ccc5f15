class TCN(nn.Module):
    """Three kernel-3 convolutions over time with dilations 1, 2, 4 (same length), mean over time, linear."""

    def __init__(self, vocab, hidden, out_dim):
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv1d(vocab if d == 1 else hidden, hidden, 3, dilation=d, padding=d) for d in (1, 2, 4)
        )
        self.out = nn.Linear(hidden, out_dim)

    def forward(self, x):
        h = x.transpose(1, 2)  # (batch, vocab, time)
        for conv in self.convs:
            h = torch.relu(conv(h))
        return self.out(h.mean(dim=2))


def build_model(in_dim, hidden, out_dim):
    steps, vocab = in_dim
    return TCN(vocab, hidden, out_dim)
