"""Logic-gate layer: binarize units with a steep tanh, then soft AND, OR and XOR of neighbouring pairs."""

import torch
import torch.nn as nn

SHARPNESS = 3.0


class GateLayer(nn.Module):
    def forward(self, x):
        b = torch.tanh(x * SHARPNESS)
        left, right = b[..., 0::2], b[..., 1::2]
        gate_and = torch.tanh((left + right - 1.0) * SHARPNESS)
        gate_or = torch.tanh((left + right + 1.0) * SHARPNESS)
        gate_xor = -left * right
        return torch.cat([b, gate_and, gate_or, gate_xor], dim=-1)


def build_model(in_dim, hidden, out_dim):
    return mlp(in_dim, hidden, out_dim, activation=GateLayer)
