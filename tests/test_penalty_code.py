"""An activity penalty written from the notes' own function of a hidden layer's output (guards/penalty_code.py)."""

from __future__ import annotations

import ast
import textwrap

import pytest
import torch
import torch.nn.functional as F

from agentnotes.experiments.guards.formula_code import program_reply
from agentnotes.experiments.guards.notation import plain_letters
from agentnotes.experiments.guards.skeleton import fill, load_skeleton, skeleton_for

SPREAD = """
```python
def spread(h, y, m=0.5):
    centres = torch.stack([h[y == c].mean(0) for c in y.unique()])
    return (m - torch.cdist(centres, centres)).clamp_min(0).mean()
```
"""
RATIO = """
```python
def ratio(x, h, y, eps=1e-3):
    rho = torch.cdist(h, h).pow(2) / (torch.cdist(x, x).pow(2) + eps)
    same = (y[:, None] == y[None, :]) & ~torch.eye(len(y), dtype=torch.bool)
    return torch.log(rho[same].mean()) - torch.log(rho.mean())
```
"""
HIDDEN = [torch.rand(8, 5), torch.rand(8, 3)]
PRE = [torch.randn(8, 5), torch.randn(8, 3)]
INPUTS = torch.randn(8, 4)
LABELS = torch.tensor([0, 1, 0, 1, 0, 1, 0, 1])


def _spread(h, y, m=0.5):
    centres = torch.stack([h[y == c].mean(0) for c in y.unique()])
    return (m - torch.cdist(centres, centres)).clamp_min(0).mean()


def _ratio(x, h, y, eps=1e-3):
    rho = torch.cdist(h, h).pow(2) / (torch.cdist(x, x).pow(2) + eps)
    return torch.log(rho[(y[:, None] == y[None, :]) & ~torch.eye(len(y), dtype=torch.bool)].mean()) - torch.log(rho.mean())


def _penalty(note: str):
    """The penalty the program writes for `note` (its formula lines: the lines with `=` outside the code), defined."""
    part = load_skeleton("activity_penalty")
    code_start = note.index("```")
    formulas = "\n".join(line for line in note[:code_start].splitlines() if "=" in line)
    reply = program_reply(part, plain_letters(formulas), plain_letters(note))
    assert "written from the notes' formulas" in reply
    function = next(n for n in ast.parse(fill(part, reply)).body if isinstance(n, ast.FunctionDef) and n.name == "penalty")
    namespace = {"torch": torch, "F": F}
    exec(textwrap.dedent(ast.unparse(function)), namespace)
    return namespace["penalty"]


@pytest.mark.parametrize(("note", "expected"), [
    # a letter the formulas define, added with the loss line's coefficient; the last hidden layer named in the idea
    ("# 类中心推开\n只看最后一个隐层 h：S = mean_{c≠c'} [m − ‖μ_c − μ_{c'}‖]_+\nL = CE + λ·S，λ = 0.2\n" + SPREAD,
     lambda: 0.2 * _spread(HIDDEN[-1], LABELS)),
    # the letter's definition starts with a constant the function never reads: the coefficient's
    ("# Spread penalty\nOn the first hidden layer.\nS = β · mean_pairs relu(m − dist)\nloss = CE + S, β = 3\n" + SPREAD,
     lambda: 3 * _spread(HIDDEN[0], LABELS)),
    # the function called by name in the loss line, subtracted, over a width; every hidden layer
    ("# Reward spread\nApplied to every hidden layer.\nloss = CE − γ · spread(H, y) / d，γ = 0.5\n" + SPREAD,
     lambda: sum(-0.5 * _spread(h, LABELS) / h.shape[1] for h in HIDDEN)),
    # said of the outputs before the activation
    ("# Spread before the activation\nOn the last hidden layer's pre-activation.\nL = CE + λ·S, λ = 0.1\n" + SPREAD,
     lambda: 0.1 * _spread(PRE[-1], LABELS)),
    # a function that also compares the hidden layer with the batch's inputs, its inputs in its own order; the loss line
    # adds it to PyTorch's cross-entropy
    ("# Expansion\nOn the last hidden layer.\nloss = F.cross_entropy(logits, y) + lam * ratio(x, h, y)，lam = 0.1\n"
     + RATIO, lambda: 0.1 * _ratio(INPUTS, HIDDEN[-1], LABELS)),
])
def test_the_notes_function_of_a_hidden_layer_is_called_on_the_layer_they_name(note: str, expected) -> None:
    assert abs(float(_penalty(note)(HIDDEN, PRE, LABELS, INPUTS)) - float(expected())) < 1e-6


@pytest.mark.parametrize("note", [
    "# Spread\nL = CE + λ·S，λ = 0.2\n" + SPREAD,  # which hidden layer, the notes never say
    "# Spread\nOn the last hidden layer, then on the first hidden layer.\nL = CE + λ·S，λ = 0.2\n" + SPREAD,  # two layers named
    "# Spread\nOn the last hidden layer.\nS = m · mean relu(m − dist)\nL = CE + S，m = 0.5\n" + SPREAD,  # m: the function's
    "# Spread\nOn the last hidden layer.\nS = β · a + b\nL = CE + S，β = 3\n" + SPREAD,  # S is more than one value
    "# Spread\nOn the last hidden layer.\nL = CE + λ·S + μ·T，λ = 0.2，μ = 1\n" + SPREAD,  # a second term
    "# Spread\nOn the last hidden layer.\nL = CE + λ·S，λ = 0.2\n" + SPREAD + SPREAD.replace("spread", "other"),  # two
    "# Spread\nOn the last hidden layer.\nL = CE + λ·S\n" + SPREAD,  # λ has no value
])
def test_a_penalty_function_the_program_cannot_be_sure_of_is_left_to_the_model(note: str) -> None:
    part = load_skeleton("activity_penalty")
    formulas = "\n".join(line for line in note[:note.index("```")].splitlines() if "=" in line)
    assert program_reply(part, plain_letters(formulas), plain_letters(note)) == ""


def test_a_loss_note_whose_code_is_a_function_of_a_hidden_output_gets_the_activity_penalty_skeleton() -> None:
    note = "# 类中心推开\nL = CE + λ·S，λ = 0.2\n" + SPREAD
    assert skeleton_for(["loss"], note, "digits").name == "activity_penalty"
    assert skeleton_for(["loss"], note.replace("spread(h, y", "spread(logits, y"), "digits").name == "loss"
