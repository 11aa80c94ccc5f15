"""A layer written entry by entry in the notes (guards/index_notation.py), built in the layer skeleton and run."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from agentnotes.experiments.guards.formula_code import program_reply, written_by_program
from agentnotes.experiments.guards.index_notation import indexed_layer_body
from agentnotes.experiments.guards.skeleton import fill, skeleton_for
from agentnotes.experiments.guards.static_check import blocking, check_idea_code


def _layer(note: str, in_features: int = 3, out_features: int = 2) -> torch.nn.Module:
    """The notes' layer, written by the program in the layer skeleton (the static checks passing), built."""
    skeleton = skeleton_for(["layer"], note)
    code = fill(skeleton, program_reply(skeleton, note, note))
    assert written_by_program(skeleton, code) and not blocking(check_idea_code(code, ["layer"], [])), code
    namespace = {"torch": torch, "F": F, "nn": torch.nn, "math": __import__("math"), "mlp": None}
    exec(code, namespace)
    torch.manual_seed(0)
    return namespace["IdeaLinear"](in_features, out_features)


def test_a_sum_over_the_inputs_index_is_the_plain_layer() -> None:
    layer = _layer("# A plain unit\ny_i = Σ_j w_ij x_j + b_i")
    x = torch.randn(4, 3)
    assert torch.allclose(layer(x), F.linear(x, layer.weight, layer.bias), atol=1e-6)


def test_a_distance_summed_over_the_input_index_is_taken_for_every_unit_and_sample() -> None:
    layer = _layer("# L1 units\ny_j = − Σ_i |x_i − w_ji| + b_j")
    x = torch.randn(4, 3)
    expected = -(x[:, None, :] - layer.weight[None]).abs().sum(-1) + layer.bias
    assert torch.allclose(layer(x), expected, atol=1e-6)


def test_a_units_row_times_the_input_is_their_inner_product_and_its_norm_the_rows() -> None:
    note = ("# Cosine units\nh_i = relu(s · w_iᵀ x / (‖w_i‖ ‖x‖ + ε) + b_i)\n"
            "s 是可学习标量，初值 s_0 = 5，ε = 1e-6")  # invented
    layer = _layer(note)
    x = torch.randn(4, 3)
    cosine = F.linear(x, layer.weight) / (layer.weight.norm(dim=1) * x.norm(dim=1, keepdim=True) + 1e-6)
    assert torch.allclose(layer(x), F.relu(5 * cosine + layer.bias), atol=1e-5)
    assert isinstance(layer.s, torch.nn.Parameter) and layer.s.item() == 5.0  # learnable, started as the notes say


def test_a_rounded_weight_passes_its_gradient_straight_through_where_the_notes_say_so() -> None:
    note = ("# Ternary rows\nα_j = mean_i |W_ji|\nŴ_ji = α_j · round(clip(W_ji / α_j, −1, 1))\ny = Ŵ x + b\n"
            "Backward: straight-through for the rounding.")  # invented
    layer = _layer(note)
    alpha = layer.weight.abs().mean(dim=1, keepdim=True)
    ternary = alpha * torch.round(torch.clamp(layer.weight / alpha, -1, 1))
    x = torch.randn(4, 3)
    out = layer(x)
    assert torch.allclose(out, F.linear(x, ternary, layer.bias), atol=1e-6)
    out.sum().backward()
    weight = layer.weight.detach().clone().requires_grad_()
    alpha = weight.abs().mean(dim=1, keepdim=True)
    clipped = torch.clamp(weight / alpha, -1, 1)
    F.linear(x, alpha * (clipped + (torch.round(clipped) - clipped).detach()), layer.bias.detach()).sum().backward()
    assert torch.allclose(layer.weight.grad, weight.grad, atol=1e-6)  # the rounding's gradient is the identity's


def test_variants_of_the_output_or_a_name_nothing_gives_are_left_to_the_model() -> None:
    assert indexed_layer_body("y_j = max_i(x_i + w_ji)\ny_j = log Σ_i exp(x_i + w_ji)") is None  # two outputs: variants
    assert indexed_layer_body("y_j = Σ_i w_ji x_i · mystery_j") is None  # a value per unit the notes never start
    assert indexed_layer_body("y = W x + b") is None  # nothing written entry by entry


def test_a_layer_whose_backward_pass_the_notes_give_apart_is_left_to_the_model() -> None:
    note = "# L1 units\ny_j = − Σ_i |x_i − w_ji| + b_j\n反向（不用真梯度）：∂y_j/∂w_ji 用 x_i − w_ji"  # invented
    skeleton = skeleton_for(["layer"], note)
    assert program_reply(skeleton, note, note) == ""
