"""Hints added to the code generator's feedback for common failures."""

from agentnotes.experiments.guards.failure_hints import hints_for


def test_shape_error_of_an_elementwise_weight_product_gets_the_linear_hint() -> None:
    error = "RuntimeError: The size of tensor a (8) must match the size of tensor b (64) at non-singleton dimension 1"
    hints = hints_for(error)
    assert len(hints) == 1 and "F.linear(x + h, w)" in hints[0]


def test_several_problems_get_several_hints_and_unknown_errors_none() -> None:
    assert len(hints_for("AttributeError: 'MirrorLinear' object has no attribute 'lr'\nNameError: name 'EVERY' is not defined")) == 2
    assert hints_for("ZeroDivisionError: division by zero") == []


def test_a_diverged_arm_gets_the_initialisation_hint() -> None:
    from agentnotes.experiments.guards.problems import Problem, format_problems

    text = format_problems([Problem("diverged", "idea seed 0: no finite final metric (diverged or NaN)")])
    hints = hints_for(text)
    assert len(hints) == 1 and "never torch.randn" in hints[0]


def test_a_forward_with_two_inputs_gets_the_one_tensor_hint() -> None:
    hints = hints_for("TypeError: TanhLogicGate.forward() missing 1 required positional argument: 'x2'")
    assert len(hints) == 1 and "x1, x2 = x[:, 0::2], x[:, 1::2]" in hints[0]


def test_a_tensor_used_as_a_condition_gets_the_where_hint() -> None:
    hints = hints_for("RuntimeError: Boolean value of Tensor with more than one value is ambiguous")
    assert len(hints) == 1 and "torch.where" in hints[0]


def test_a_python_number_given_to_a_torch_function_gets_the_math_hint() -> None:
    hints = hints_for("TypeError: sqrt(): argument 'input' (position 1) must be Tensor, not float")
    assert len(hints) == 1 and "math.sqrt" in hints[0]


def test_torch_max_of_a_number_and_a_tensor_gets_the_clamp_hint() -> None:
    hints = hints_for("TypeError: max() received an invalid combination of arguments - got (int, Tensor), but expected one of:")
    assert len(hints) == 1 and "torch.clamp(x, min=0)" in hints[0]
