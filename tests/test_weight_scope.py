"""The layers a weight operation or a penalty acts on, as the notes restrict them, read and run."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_experiments_harness import run_idea

from agentnotes.experiments.guards.skeleton import fill, skeleton_for
from agentnotes.experiments.guards.weight_scope import weight_scope


@pytest.mark.parametrize(("note", "scope"), [
    ("每步之后把权重行归一化。只作用第一层（输入那层）。", "[:1]"),
    ("# 第一层权重的稀疏惩罚\nL = CE + λ Σ|W|", "[:1]"),
    ("Project the rows after every step; the output layer stays unconstrained.", "[:-1]"),
    ("对每个隐藏层的权重做截断（不动最后的输出层）", "[:-1]"),
    ("Clip the weights of the last layer only.", "[-1:]"),
    ("除了输出层以外的所有 Linear 权重都加惩罚", "[:-1]"),
    ("# 周期性重置分类头\n每隔 N 步把 head 重新初始化", "[-1:]"),
    ("只对 hidden 层做，最后的分类层不动", "[:-1]"),
])
def test_a_clause_restricting_the_layers_gives_their_slice(note: str, scope: str) -> None:
    assert weight_scope(note) == scope


@pytest.mark.parametrize("note", [
    "每步之后把每层权重行归一化。",  # every layer
    "只作用在隐层和输出层的权重矩阵上",  # two sets named: all of them
    "每个隐层 W 一个 mask，按 |w| 剪枝",  # named, not restricted
    "缩放基本只改变 logits 的尺度，但输出层也被缩放",  # "only" said of something else
    "只作用第一层。变体：只作用输出层。",  # two clauses disagree
    "Weight decay on the last layer partly blocks that but not fully.",  # no restriction of the idea
])
def test_notes_that_restrict_nothing_leave_every_layer(note: str) -> None:
    assert weight_scope(note) is None


def test_the_skeletons_hook_loops_over_the_restricted_layers_only() -> None:
    note = "每次 opt.step() 之后把第一层权重每一行减去均值：W = W - mean(W)。只作用第一层。"
    code = skeleton_for(["weight_op"], note).code
    assert "[:1] for p in layer.parameters()]:  # the first layer only" in code
    assert "for p in model.parameters():" in code  # build_model still records every parameter
    assert "[:1]" not in skeleton_for(["weight_op"], "每步之后把每层权重行减去均值。").code
    assert "[:1]" not in skeleton_for(["layer"], note).code  # a layer's skeleton has no such loop


@pytest.mark.sandbox
def test_a_penalty_kept_off_the_output_layer_sees_the_other_weights_only(tmp_path: Path) -> None:
    note = "L = task_loss + λ Σ W²，λ = 1e-4；输出层不加。"
    body = ("def penalty(weights, initial):\n"
            "    assert [tuple(w.shape) for w in weights] == [(64, 64), (64, 64)], [tuple(w.shape) for w in weights]\n"
            "    return 1e-4 * sum((w ** 2).sum() for w in weights)\n")
    ran = run_idea(tmp_path, fill(skeleton_for(["regulariser"], note), body), "--describe", task="digits")
    assert ran.returncode == 0, ran.stderr
    assert ran.metrics["arms"]["idea"]["probes"]["compute_loss"]["differs"]  # the penalty (and its assert) ran


@pytest.mark.sandbox
def test_a_weight_operation_on_the_first_layer_leaves_the_others_alone(tmp_path: Path) -> None:
    note = "每步之后把权重每一行减去均值，只作用第一层。"
    body = ("def weight_op(p, state, step):\n"
            "    assert p.shape in ((64, 64), (64,)), tuple(p.shape)\n"
            "    if p.dim() == 2:\n"
            "        p.sub_(p.mean(dim=1, keepdim=True))\n")
    ran = run_idea(tmp_path, fill(skeleton_for(["weight_op"], note), body), "--describe", task="digits")
    assert ran.returncode == 0, ran.stderr
    assert ran.metrics["arms"]["idea"]["probes"]["after_step"]["changes_weights"]  # the assert ran on each step
