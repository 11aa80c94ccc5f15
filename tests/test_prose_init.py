"""An initialisation said in words (guards/prose_init.py), written only when its layers and values are certain."""

from __future__ import annotations

import pytest
import torch

from agentnotes.experiments.guards.prose_init import prose_init_body


def _initialised(body: str) -> list[torch.nn.Linear]:
    torch.manual_seed(0)
    layers = [torch.nn.Linear(4, 6), torch.nn.Linear(6, 6), torch.nn.Linear(6, 3)]
    with torch.no_grad():
        exec(body, {"torch": torch, "layers": layers})
    return layers


def test_a_constant_for_the_output_layers_weights_and_biases_leaves_the_other_layers_alone() -> None:
    found = prose_init_body("其他层保持默认初始化，只把输出层（最后一个 Linear）的权重 W 和偏置 b 都初始化为 0。")
    assert found is not None and found[1].startswith("只把输出层")
    first, hidden, last = _initialised(found[0])
    assert torch.count_nonzero(last.weight) == 0 and torch.count_nonzero(last.bias) == 0
    assert torch.count_nonzero(first.weight) > 0 and torch.count_nonzero(hidden.bias) > 0


def test_a_named_initialisation_with_its_gain_and_biases_set_for_the_layers_the_note_names() -> None:
    found = prose_init_body("Every Linear layer's weight W is initialised orthogonal, gain = 2. Biases are set to 0.5.")
    assert found is not None
    for layer in _initialised(found[0]):
        rows = layer.weight if layer.weight.shape[0] <= layer.weight.shape[1] else layer.weight.T
        assert torch.allclose(rows @ rows.T, 4 * torch.eye(rows.shape[0]), atol=1e-4)
        assert torch.all(layer.bias == 0.5)


@pytest.mark.parametrize("note", [
    "输出层的权重初始化为 0，第一层的权重初始化为 1，偏置初始化为 0。",  # which layers do the biases belong to?
    "隐藏层和输出层的权重都初始化为 0。",  # two layer sets in one clause
    "权重初始化为很小的随机数。",  # no plain value
    "输出层的 bias 初始化成正交矩阵。",  # a vector cannot be orthogonal
    "网络和 baseline 一样，用默认初始化。",  # nothing new
    "输出层的权重初始化为 0 均值、0.01 标准差的正态分布。",  # a draw, not the constant 0
    "The output layer's weights are initialised to 0.1 times their default values.",  # a scale, not the constant 0.1
])
def test_an_initialisation_in_words_that_is_not_certain_gives_no_body(note: str) -> None:
    assert prose_init_body(note) is None


def test_a_bound_on_the_weights_or_a_multiple_of_their_scale_is_no_initial_value() -> None:
    assert prose_init_body("然后 clamp：|w| ≤ w_max = 3·σ_init（每层按自己的初始化尺度）") is None
    assert prose_init_body("每层的权重初始化为 3·σ") is None
    assert prose_init_body("输出层的权重初始化为 0") is not None  # a plain number still is one
