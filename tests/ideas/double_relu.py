"""Double ReLU: keep both halves of the input, concat(relu(x), relu(-x)); the layer doubles the width."""

import torch
import torch.nn as nn
import torch.nn.functional as F


class DoubleReLU(nn.Module):
    def forward(self, x):
        return torch.cat([F.relu(x), F.relu(-x)], dim=-1)


def build_model(in_dim, hidden, out_dim):
    return mlp(in_dim, hidden, out_dim, activation=DoubleReLU)
