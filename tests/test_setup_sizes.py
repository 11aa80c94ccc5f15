"""The batch size and hidden width an idea's note gives its own experiment."""

from __future__ import annotations

from agentnotes.experiments.guards.setup_sizes import SetupSizes, setup_sizes


def test_the_notes_batch_and_network_widths_are_its_experiments_sizes() -> None:
    sizes = setup_sizes("## 怎么测\n- digits 8x8，MLP 64-128-128-10，batch 16（噪声大才有意思），400 steps")
    assert sizes == SetupSizes(batch_size=16, hidden=128) and sizes.said() == "batch 16, hidden width 128"
    assert setup_sizes("Setup: digits, Net: 64→256→10, batch size = 32, Adam") == SetupSizes(32, 256)
    assert setup_sizes("网络：64-100-100-10；bs=128") == SetupSizes(128, 100)


def test_a_size_the_note_gives_two_values_or_no_single_one_is_left_to_the_lab() -> None:
    assert setup_sizes("batch 16 和 batch 64 都跑一遍") == SetupSizes()  # two batch sizes
    assert setup_sizes("MLP 64-256-128-10") == SetupSizes()  # hidden layers of different widths
    assert setup_sizes("batch 平均就是 baseline 的 MSE；每个 batch 前向一次") == SetupSizes()  # no size
    assert setup_sizes("训练 500 个 batch，2023-03-14 记") == SetupSizes()  # a count of batches, a date
    assert setup_sizes("batch 100000, MLP 64-4096-4096-10") == SetupSizes()  # more than a small run holds
    assert setup_sizes("").said() == ""


def test_a_second_test_the_setup_adds_gives_no_sizes() -> None:
    note = "Setup：digits，MLP 64-128-128-10，batch 64，2000 步。回归任务（20 维输入，MLP 20-64-64-1）再跑一遍。"
    assert setup_sizes(note) == SetupSizes(64, 128)
    assert setup_sizes("Plan: MLP 64-256-256-10, 3000 steps, batch 128. Also try batch 16.") == SetupSizes(128, 256)
