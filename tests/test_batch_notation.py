"""A loss written over the samples of the batch (guards/batch_notation.py), written by the program and run with the
lab's own task loss."""

from __future__ import annotations

import ast
import textwrap

import torch
import torch.nn.functional as F

from agentnotes.experiments.guards.batch_notation import PER_SAMPLE_LOSS, batch_reductions
from agentnotes.experiments.guards.formula_code import program_reply
from agentnotes.experiments.guards.skeleton import fill, load_skeleton
from agentnotes.experiments.lab.template import harness_source


def _function(code: str, name: str, **names):
    function = next(n for n in ast.parse(code).body if isinstance(n, ast.FunctionDef) and n.name == name)
    namespace = {"torch": torch, "F": F, **names}
    exec(textwrap.dedent(ast.unparse(function)), namespace)
    return namespace[name]


def _loss_of(note: str, task: str):
    """The compute_loss the program writes from `note`, with the lab's task_loss for `task`."""
    task_loss = _function(harness_source(), "task_loss", TASK=task)
    part = load_skeleton("loss")
    reply = program_reply(part, note, note, task)
    assert reply, note
    return _function(fill(part, reply), "compute_loss", task_loss=task_loss)


def test_a_penalty_on_the_spread_of_the_samples_losses_is_their_standard_deviation() -> None:
    note = "# Even losses\nL = (1/N) Σ_n ℓ_n + λ · sqrt((1/N) Σ_n (ℓ_n − ℓ̄)²)，λ = 0.5"  # invented
    out, y = torch.randn(6, 4), torch.tensor([0, 1, 2, 3, 1, 0])
    each = F.cross_entropy(out, y, reduction="none")
    written = _loss_of(note, "classification")(out, y, 1)
    assert torch.allclose(written, each.mean() + 0.5 * each.std(unbiased=False))


def test_a_latex_mean_of_exponentiated_losses_over_the_batch() -> None:
    note = "# Tilted\n$$L = \\frac{1}{\\tau}\\log\\Big(\\frac{1}{B}\\sum_{i=1}^{B} e^{\\tau\\,\\ell_i}\\Big)$$，τ = 2"  # invented
    out, y = torch.randn(5, 1), torch.randn(5, 1)
    each = (out - y).pow(2).squeeze(1)
    written = _loss_of(note, "regression")(out, y, 1)
    assert torch.allclose(written, 0.5 * torch.log(torch.exp(2 * each).mean()))


def test_only_the_lines_with_the_batch_index_change_and_a_name_for_a_samples_loss_is_dropped() -> None:
    formulas = "ℓ_i = CE(f(x_i), y_i)\nH = −Σ_k p_k log p_k\nL = (1/B) Σ_i ℓ_i − β·H"
    assert batch_reductions(formulas).splitlines() == ["H = −Σ_k p_k log p_k", f"L = mean_batch({PER_SAMPLE_LOSS}) − β·H"]
    assert batch_reductions("L = −Σ_k q_k log p_k") == "L = −Σ_k q_k log p_k"  # no batch index: as written


def test_a_step_letter_in_a_loss_no_hook_value_gives_is_left_to_the_model() -> None:
    note = "# Tilted by t\nL = (1/t) · log((1/B) Σ_i exp(t·ℓ_i))，t = 2"  # invented: t names the step elsewhere
    assert program_reply(load_skeleton("loss"), note, note, "regression") == ""
