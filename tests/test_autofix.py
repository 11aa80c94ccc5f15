"""The mechanical fix of elementwise weight products in generated layers."""

import textwrap

import torch
import torch.nn as nn
import torch.nn.functional as F

from agentnotes.experiments.autofix import fix_weight_products

LAYER = textwrap.dedent("""
    class MirrorLinear(nn.Module):
        def __init__(self, in_features, out_features):
            super().__init__()
            base = nn.Linear(in_features, out_features)
            self.w1 = nn.Parameter(base.weight.detach().clone())
            self.w2 = nn.Parameter(torch.randn(out_features, in_features))
            self.bias = nn.Parameter(torch.zeros(out_features))

        def forward(self, x):
            h = 0.01  # shift
            if self.training:
                return (self.w1 * (x + h) + (x - h) * self.w2) / 2 + self.bias
            return F.linear(x, self.w1, self.bias) * 2
""")


def test_weight_times_input_becomes_a_linear_layer_and_runs() -> None:
    fixed, fixes = fix_weight_products(LAYER)
    assert [f.after for f in fixes] == ["F.linear(x + h, self.w1)", "F.linear(x - h, self.w2)"]
    assert "# shift" in fixed and "* 2" in fixed  # comments and other products stay
    namespace = {"nn": nn, "torch": torch, "F": F}
    exec(fixed, namespace)
    layer = namespace["MirrorLinear"](4, 3)
    assert layer(torch.zeros(5, 4)).shape == (5, 3)


def test_bias_products_and_correct_code_are_left_alone() -> None:
    code = LAYER.replace("self.w1 * (x + h) + (x - h) * self.w2", "F.linear(x + h, self.w1) + self.bias * 0.5")
    fixed, fixes = fix_weight_products(code)
    assert fixes == [] and fixed == code
    assert fix_weight_products("def broken(:\n") == ("def broken(:\n", [])
