"""A normalisation layer's forward pass written from the notes' formulas (guards/norm_body.py)."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from agentnotes.experiments.guards.formula_code import program_reply
from agentnotes.experiments.guards.notation import plain_letters
from agentnotes.experiments.guards.skeleton import fill, load_skeleton


def _norm(note: str, width: int = 6):
    """The IdeaNorm the program writes for `note` (its formula lines: those with `=`), built for `width` units."""
    part = load_skeleton("norm")
    formulas = "\n".join(line for line in note.splitlines() if "=" in line)
    reply = program_reply(part, plain_letters(formulas), plain_letters(note), "digits")
    assert "written from the notes' formulas" in reply
    code = fill(part, reply)
    namespace = {"torch": torch, "nn": nn, "per_unit": lambda values, x: values.view(1, -1)}
    exec(code[:code.index("def build_model")], namespace)
    return namespace["IdeaNorm"](width)


def _reply(note: str, task: str = "digits") -> str:
    formulas = "\n".join(line for line in note.splitlines() if "=" in line)
    return program_reply(load_skeleton("norm"), plain_letters(formulas), plain_letters(note), task)


def test_a_samples_own_statistics_over_its_units_with_a_gain_and_shift_per_unit() -> None:
    note = ("# 平均绝对偏差归一化\n  μ = mean_j h_j\n  ρ = mean_j |h_j − μ|\n  ĥ_j = γ_j · (h_j − μ) / (ρ + ε) + β_j\n"
            "ε = 1e-5，γ 初始化 1、β 初始化 0。")
    norm = _norm(note)
    z = torch.randn(4, 6) * 3 + 1
    mu = z.mean(dim=1, keepdim=True)
    rho = (z - mu).abs().mean(dim=1, keepdim=True)
    assert torch.allclose(norm(z), (z - mu) / (rho + 1e-5), atol=1e-6)
    assert norm.gamma.shape == (6,) and norm.beta.shape == (6,)  # one per unit, as the formulas index them
    assert torch.equal(norm.gamma.detach(), torch.ones(6)) and torch.equal(norm.beta.detach(), torch.zeros(6))


def test_a_median_and_a_scalar_gain_where_the_notes_start_it() -> None:
    note = "# Median-centred unit-length norm\n  m = median_j z_j\n  c = z − m\n  y = g · c / ‖c‖\ng is learnable, starts at 2."
    norm = _norm(note)
    z = torch.randn(5, 6)
    centred = z - z.median(dim=1, keepdim=True).values
    assert norm.g.shape == () and float(norm.g.detach()) == 2.0
    assert torch.allclose(norm(z), 2 * centred / centred.norm(dim=1, keepdim=True), atol=1e-6)


def test_the_normalised_output_is_the_one_named_so_beside_another_unread_value() -> None:
    note = "# Centred norm\n  c = mean_j z_j\n  ẑ = z − c\n  spread = mean_j |z_j|"  # spread: a quantity to watch
    z = torch.randn(3, 6)
    assert torch.allclose(_norm(note)(z), z - z.mean(dim=1, keepdim=True), atol=1e-6)


@pytest.mark.parametrize("note", [
    "# Batch-centred norm\n  μ = mean(z) over the batch\n  ẑ = z − μ",  # the batch's statistic, not the sample's
    "# Running-centred norm\n  μ ← 0.9 μ + 0.1 mean(z)\n  ẑ = z − μ, with a running mean",  # kept across steps
    "# ScaleNorm\n  y = g · z / ‖z‖\ng 从 √d 开始",  # a start the notes give that is no number
    "# Odd norm\n  ẑ = (z − q) / s",  # q and s: nothing gives them
    "# Two outputs\n  a1 = z − mean_j z_j\n  a2 = z / ‖z‖",  # which is the output, the notes do not say
    "# Unread line\n  m = median_j z_j\n  y = g · (z − m) / ‖z − m‖",  # the output's line does not read as code
])
def test_a_normalisation_the_program_cannot_be_sure_of_is_left_to_the_model(note: str) -> None:
    assert _reply(note) == ""


def test_no_normalisation_is_written_for_images() -> None:
    assert _reply("# Centred norm\n  c = mean_j z_j\n  ẑ = z − c", "digits_image") == ""
