class AttentionPooling(nn.Module):
    """Embedding, one head of self-attention without positions, mean over time, linear output."""

    def __init__(self, vocab, hidden, out_dim):
        super().__init__()
        self.embed = nn.Linear(vocab, hidden)
        self.q = nn.Linear(hidden, hidden)
        self.k = nn.Linear(hidden, hidden)
        self.v = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, out_dim)

    def forward(self, x):
        e = self.embed(x)
        scores = self.q(e) @ self.k(e).transpose(1, 2) / math.sqrt(e.shape[-1])
        a = torch.softmax(scores, dim=-1) @ self.v(e)
        return self.out(a.mean(dim=1))


def build_model(in_dim, hidden, out_dim):
    steps, vocab = in_dim
    return AttentionPooling(vocab, hidden, out_dim)
