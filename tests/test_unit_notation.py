"""An operation on hidden units written unit by unit in the notes (guards/unit_notation.py), in the unit_op skeleton."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from agentnotes.experiments.guards.formula_code import program_reply, written_by_program
from agentnotes.experiments.guards.skeleton import fill, skeleton_for
from agentnotes.experiments.guards.static_check import blocking, check_idea_code
from agentnotes.experiments.guards.unit_notation import unit_op_body


def _unit_op(note: str):
    """The notes' operation, written by the program in the unit_op skeleton (the static checks passing)."""
    skeleton = skeleton_for(["weight_op"], note)
    assert skeleton is not None and "def unit_op" in skeleton.code
    code = fill(skeleton, program_reply(skeleton, note, note))
    assert written_by_program(skeleton, code) and not blocking(check_idea_code(code, ["weight_op"], [])), code
    namespace = {"torch": torch, "F": F, "nn": torch.nn, "math": __import__("math"), "baseline_model": None}
    exec(code, namespace)
    return namespace["unit_op"]


def _layers() -> tuple[torch.nn.Linear, torch.nn.Linear]:
    torch.manual_seed(0)
    return torch.nn.Linear(3, 4), torch.nn.Linear(4, 2)


def _applied(unit_op, layer: torch.nn.Linear, after: torch.nn.Linear, step: int) -> None:
    """unit_op on the two layers after step `step`, its outputs those of a batch of five zeros."""
    with torch.no_grad():
        unit_op(layer, after, torch.relu(layer(torch.zeros(5, 3))), {}, step)


def test_a_rescaling_by_rows_and_columns_balances_each_unit_and_keeps_the_function() -> None:
    note = ("# Balance each hidden unit\n每步之后，对每个隐藏单元 j（出边是下一层的列）：\n"
            "d_j = sqrt( ‖W_{l+1}[:, j]‖ / ‖W_l[j, :]‖ )\n"
            "W_l[j, :] ← d_j · W_l[j, :]\nb_l[j] ← d_j · b_l[j]\nW_{l+1}[:, j] ← W_{l+1}[:, j] / d_j\n")  # invented
    unit_op = _unit_op(note)
    layer, after = _layers()
    x = torch.randn(5, 3)
    before = after(torch.relu(layer(x))).detach()
    d = (after.weight.norm(dim=0) / layer.weight.norm(dim=1)).sqrt().detach()
    expected = layer.weight.detach() * d[:, None], layer.bias.detach() * d, after.weight.detach() / d
    _applied(unit_op, layer, after, 1)
    assert torch.allclose(layer.weight, expected[0]) and torch.allclose(layer.bias, expected[1])
    assert torch.allclose(after.weight, expected[2])
    assert torch.allclose(after(torch.relu(layer(x))), before, atol=1e-5)  # relu(d·z) = d·relu(z)


def test_in_place_steps_a_joined_row_and_the_period_are_the_notes() -> None:
    note = ("# Rebalance every 20 steps\n每 20 步，对每个隐藏单元：\n- a = ‖[W1[j,:], b1[j]]‖₂ （入权重连同偏置）\n"
            "- b = ‖W2[:, j]‖₂\n- c = sqrt(b / a)\n- W1[j,:] *= c，b1[j] *= c，W2[:, j] /= c\n")  # invented
    unit_op = _unit_op(note)
    layer, after = _layers()
    weight = layer.weight.detach().clone()
    _applied(unit_op, layer, after, 7)
    assert torch.equal(layer.weight, weight)  # not a step of the period
    joined = torch.cat([layer.weight, layer.bias[:, None]], dim=1).norm(dim=1).detach()
    c = (after.weight.norm(dim=0).detach() / joined).sqrt()
    _applied(unit_op, layer, after, 20)
    assert torch.allclose(layer.weight, weight * c[:, None])
    joined_after = torch.cat([layer.weight, layer.bias[:, None]], dim=1).norm(dim=1)
    assert torch.allclose(joined_after, after.weight.norm(dim=0), atol=1e-5)  # both sides now the same


def test_subscripted_parts_named_in_words_and_a_later_remark_is_no_step() -> None:
    note = ("# Unit norms every 10 steps\n把单元 j 的输入权重行 w_j 和偏置 b_j 乘 c，输出权重列 v_j 除以 c。\n"
            "每 10 步：\nin_j = sqrt(||w_j||² + b_j²)\nout_j = ||v_j||\nc_j = sqrt(out_j / (in_j + 1e-8))\n"
            "w_j ← c_j · w_j,  b_j ← c_j · b_j,  v_j ← v_j / c_j\n做完后 in_j = out_j。\n")  # invented
    unit_op = _unit_op(note)
    layer, after = _layers()
    _applied(unit_op, layer, after, 10)
    incoming = torch.cat([layer.weight, layer.bias[:, None]], dim=1).norm(dim=1)
    assert torch.allclose(incoming, after.weight.norm(dim=0), atol=1e-4)


def test_what_the_reader_cannot_be_sure_of_is_left_to_the_model() -> None:
    assert unit_op_body("W[j, :] ← W[j, :] + W[:, j]") is None  # one matrix by row and by column
    assert unit_op_body("W_l[j, :] ← s_j · W_l[j, :]") is None  # a value per unit nothing gives
    assert unit_op_body("d_j = ‖W_l[j, :]‖") is None  # nothing of a unit written
    assert unit_op_body("W_l[j, :] ← W_l[j, :] + W_{l+1}[:, j]") is None  # rows of different lengths
