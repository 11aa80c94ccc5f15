"""Hints added to the code generator's feedback for common failures."""

import pytest

from agentnotes.experiments.guards.failure_hints import hints_for


def test_shape_error_of_an_elementwise_weight_product_gets_the_linear_hint() -> None:
    error = "RuntimeError: The size of tensor a (8) must match the size of tensor b (64) at non-singleton dimension 1"
    hints = hints_for(error)
    assert len(hints) == 1 and "F.linear(x + h, w)" in hints[0]


def test_a_loss_that_takes_the_class_indices_as_one_hot_rows_gets_the_one_hot_hint() -> None:
    error = ("  idea code line 9, in compute_loss: loss = ((y - p) ** 2).sum(1).mean()\n"
             "RuntimeError: The size of tensor a (64) must match the size of tensor b (10) at non-singleton dimension 1\n"
             "Values when it failed (idea code line 9, in compute_loss):\n  out = tensor of shape (64, 10), float32\n"
             "  y = tensor of shape (64,), int64\n")
    assert any("F.one_hot(y, out.shape[1])" in hint for hint in hints_for(error))
    regression = error.replace("(64,), int64", "(64, 1), float32")  # a regression target: no class indices
    assert not any("one_hot" in hint for hint in hints_for(regression))


def test_several_problems_get_several_hints_and_unknown_errors_none() -> None:
    assert len(hints_for("AttributeError: 'MirrorLinear' object has no attribute 'lr'\nNameError: name 'EVERY' is not defined")) == 2
    assert hints_for("ZeroDivisionError: division by zero") == []


def test_a_diverged_arm_gets_the_initialisation_hint() -> None:
    from agentnotes.experiments.guards.problems import Problem, format_problems

    text = format_problems([Problem("diverged", "idea seed 0: no finite final metric (diverged or NaN)")])
    hints = hints_for(text)
    assert len(hints) == 1 and "never torch.randn" in hints[0]


@pytest.mark.parametrize(("error", "wanted"), [
    ("TypeError: TanhLogicGate.forward() missing 1 required positional argument: 'x2'", "x1, x2 = x[:, 0::2], x[:, 1::2]"),
    ("RuntimeError: Boolean value of Tensor with more than one value is ambiguous", "torch.where"),
    ("TypeError: sqrt(): argument 'input' (position 1) must be Tensor, not float", "math.sqrt"),
    ("ValueError: only one element tensors can be converted to Python scalars", "torch.exp(x)"),
    ("AttributeError: module 'torch' has no attribute 'argpartition'", "torch.topk"),
    ("NotImplementedError: affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, respectively. "
     "Got size torch.Size([64, 64]).", "x.view(-1, 1, 8, 8)"),
    ("UnboundLocalError: cannot access local variable 'm_t' where it is not associated with a value",
     'state.setdefault("m", torch.zeros_like(p))'),
    ("TypeError: max() received an invalid combination of arguments - got (int, Tensor), but expected one of:",
     "torch.clamp(x, min=0)"),
    ("RuntimeError: 1D tensors expected, but got 2D and 2D tensors", "(a * b).sum()"),
    ("KeyError: 'prev_p'", "state.get("),
    ("AttributeError: 'list' object has no attribute 'size'", "hidden[-1]"),
    ("TypeError: unsupported operand type(s) for *: 'float' and 'list'", "sum(term(h) for h in hidden)"),
    ("IndexError: tuple index out of range", "p.shape[1] fan-in"),
    ("TypeError: can't multiply sequence by non-int of type 'float'", ".values"),
    ("TypeError: unsupported operand type(s) for -: 'Tensor' and 'torch.return_types.median'", ".values"),
    ("`v_hat` is used but never defined here: define it, import it or take it as an argument", "m_hat = m / (1 - beta1 ** t)"),
    ("`t` is used but never defined here: define it, import it or take it as an argument", "update(p, g, state, lr, t)"),
    ("IndexError: index 187 is out of bounds for dimension 0 with size 10", "p.view(-1)[idx]"),
])
def test_a_common_runtime_error_gets_its_one_hint(error: str, wanted: str) -> None:
    hints = hints_for(error)
    assert len(hints) == 1 and wanted in hints[0]


def test_a_per_sample_choice_indexed_or_branched_on_in_a_batch_change_gets_the_mask_hint() -> None:
    for error in ("IndexError: index 1 is out of bounds for dimension 0 with size 1",
                  "RuntimeError: Boolean value of Tensor with more than one value is ambiguous"):
        for traceback in (f'  File "/run/experiment.py", line 331, in transform_batch\n    x = x[:, axis]\n{error}',
                          f"  idea code line 19, in transform_batch: x = x[:, axis]\n{error}"):  # as explained
            hints = hints_for(traceback)
            assert len(hints) == 2 and any("torch.arange(8, device=x.device)[None, :] == rows[:, None]" in h for h in hints)
        assert not any("rows[:, None]" in h for h in hints_for(error))  # elsewhere: the error's own hint only


def test_terms_of_differently_shaped_weight_matrices_added_in_a_penalty_get_the_scalar_hint() -> None:
    error = "RuntimeError: The size of tensor a (64) must match the size of tensor b (512) at non-singleton dimension 1"
    hints = hints_for(f"  idea code line 37, in penalty: total += term\n{error}")
    assert len(hints) == 2 and any("term.abs().sum()" in h for h in hints)
    assert not any("term.abs().sum()" in h for h in hints_for(f"  idea code line 9, in forward: y = w * x\n{error}"))
