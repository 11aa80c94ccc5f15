"""What kind of idea it is, read from its own note sections (the shipped example notes, real chunker)."""

from __future__ import annotations

from pathlib import Path

import ast
import dataclasses
import pytest

from agentnotes.experiments.guards.idea_sections import (
    formula_lines,
    formulas_in,
    idea_passages,
    idea_terms,
    kinds_in_sections,
    named_sections,
    own_sections,
    text_of,
)
from agentnotes.notes.chunker import chunk_note
from agentnotes.notes.reader import read_note
from agentnotes.notes.types import Chunk, Hit

DATA = Path(__file__).resolve().parent.parent / "data"
HOOKS = "\n\ndef build_model(in_dim, hidden, out_dim):\n    return mlp(in_dim, hidden, out_dim)\n"


def _hits() -> list[Hit]:
    """Every chunk of the example notes, dated log entries first, so the idea's section is never simply the top hit."""
    chunks = [c for name in ("log-2024.txt", "ideas-layers.txt") for c in chunk_note(read_note(DATA / name))]
    return [Hit(c, 1.0) for c in chunks]


@pytest.mark.parametrize(("request_text", "kinds"), [
    ("mirror vs baseline", ["layer", "weight_op"]),  # merged every N steps
    ("Gonnor vs plain SGD", ["update_rule"]),
    ("mirror layer together with Gonnor vs baseline", ["update_rule", "layer", "weight_op"]),
    ("tanh logic gate layer vs MLP", ["activation"]),
    ("double ReLU vs ReLU", ["activation"]),
])
def test_kinds_come_from_the_ideas_own_sections(request_text, kinds):
    assert kinds_in_sections(request_text, _hits()) == kinds


def test_terms_are_the_idea_side_of_the_request():
    assert idea_terms("mirror layer together with Gonnor vs baseline") == ["mirror", "gonnor"]
    assert idea_terms("镜像层 versus plain SGD") == ["镜像层"]


def _section(heading: str, text: str) -> Hit:
    return Hit(Chunk("n.txt", 1, 3, f"【【【{heading}】】】\n\n{text}", (heading,)), 1.0)


def test_the_section_named_after_the_idea_alone_wins_over_one_about_it_and_more():
    both = _section("gonnor和mirror一起用的时候的注意事项", "out = (w1*(x+h) + w2*(x-h))/2 + b\ng = normalize(g)")
    own = _section("对抗梯度消失", "gonnor, gradient only normalization\ng = normalize(g)*lr")
    mentions = _section("mirror层", "上面说了Gonnor，这儿说一下mirror。\nout = (w1*(x+h) + w2*(x-h))/2 + b")
    assert own_sections("Gonnor vs SGD", [both, mentions, own]) == [own]
    assert kinds_in_sections("Gonnor vs SGD", [both, mentions, own]) == ["update_rule"]


def test_no_named_section_falls_back_to_the_best_hit_and_no_cue_gives_no_kind():
    plain = _section("misc", "some thoughts without formulas")
    other = _section("gonnor", "g = g / |g|")
    assert named_sections("unknown idea vs baseline", [plain, other]) == []
    assert own_sections("unknown idea vs baseline", [plain, other]) == [plain]
    assert idea_passages("unknown idea vs baseline", [plain, other]) == [plain]  # never every hit mixed
    assert kinds_in_sections("unknown idea vs baseline", [plain, other]) == []
    assert formula_lines("unknown idea vs baseline", [other, plain]) == "g = g / |g|"  # the formulas of the same hit


def test_request_terms_are_found_in_headings_as_whole_words():
    design = _section("design notes", "y = w*x + b")
    aggregate = _section("aggregate of runs", "y = w*x + b")
    gates = _section("gates", "y = w*x + b")
    assert named_sections("sign vs SGD", [design]) == [] and named_sections("gate vs MLP", [aggregate]) == []
    assert own_sections("gate vs MLP", [aggregate, gates]) == [gates]  # a plural still names it
    assert own_sections("镜像 vs MLP", [_section("镜像层", "y = w*x")]) != []  # Chinese: a substring


def test_code_writer_reads_only_the_sections_that_define_the_idea():
    headings = lambda request: list(dict.fromkeys(h.chunk.heading_path[-1] for h in idea_passages(request, _hits())))  # noqa: E731
    assert headings("mirror vs baseline") == ["镜像层 mirror layer"]
    assert headings("mirror layer together with Gonnor vs baseline") == ["镜像层 mirror layer", "Gonnor: gradient only normalization"]
    together = _section("gonnor和mirror一起用", "out = (w1*(x+h) + w2*(x-h))/2 + b\ng = normalize(g)")
    mirror = _section("mirror层", "out = (w1*(x+h) + w2*(x-h))/2 + b")
    assert idea_passages("mirror with gonnor vs SGD", [together, mirror]) == [together, mirror]


def test_a_plan_rule_without_formulas_is_replaced_by_the_notes_formula_lines():
    from agentnotes.agents.experimenter import Plan
    from agentnotes.pipeline.experiment import _ground_plan

    vague = Plan(idea_name="mirror", hypothesis="h", idea_rule="The mirror layer averages the gradients of two branches.",
                 kinds=["layer", "update_rule"], baseline="MLP", task="regression", metric="mse")
    grounded = _ground_plan(vague, "mirror vs baseline", _hits())
    assert "y = (w1*(x+h) + w2*(x-h))/2 + b" in grounded.idea_rule and "w = (w1+w2)/2" in grounded.idea_rule
    assert "g = g /" not in grounded.idea_rule and grounded.kinds == ["layer", "weight_op"]
    whole = "y = (w1*(x+h) + w2*(x-h))/2 + b with h = lr/2, and w = (w1+w2)/2 every 100 steps"
    with_formula = vague.model_copy(update={"idea_rule": whole})
    assert _ground_plan(with_formula, "mirror vs baseline", _hits()).idea_rule == whole
    named_only = vague.model_copy(update={"idea_rule": "Gonnor = GradientONly NORmalization, only the gradient is normalised"})
    assert "(w1+w2)/2" in _ground_plan(named_only, "mirror vs baseline", _hits()).idea_rule  # a name is not a formula
    short = _ground_plan(vague, "gate vs MLP", [_section("gate", "h = (W₁x + b₁) ⊙ σ(W₂x + b₂)")])
    assert Plan.model_validate(short.model_dump()).idea_rule.startswith("h = (W₁x + b₁) ⊙ σ(W₂x + b₂)\nThe mirror")
    for formula in ("𝓛 = CE(f(x), y) + λ · Σₗ ‖hₗ‖²", "θ ← θ − η·sign(m)"):  # any letter names it; ← assigns too
        assert _ground_plan(vague, "idea vs baseline", [_section("idea", formula)]).idea_rule.startswith(formula)


def test_a_note_showing_more_kinds_than_a_plan_holds_gives_a_valid_plan_of_the_first() -> None:
    from agentnotes.agents.experimenter import MAX_KINDS, Plan
    from agentnotes.pipeline.experiment import _ground_plan

    plan = Plan(idea_name="centres", hypothesis="h", idea_rule="Pull the features to their class centres, a penalty.",
                kinds=["loss"], baseline="MLP", task="digits", metric="accuracy")
    many = _section("centres", "每 100 步 w = w - 0.1 * w\nW ~ N(0, 0.01)\nL = CE + λ·Σ ‖h − c‖²\n正则项：+ λ·‖W‖²")
    grounded = _ground_plan(plan, "centres vs CE", [many])
    assert len(grounded.kinds) == MAX_KINDS and Plan.model_validate(grounded.model_dump()).kinds == grounded.kinds


def test_with_no_section_named_the_best_hit_that_is_no_aside_subsection_defines_the_idea():
    expectation = Hit(Chunk("gru.md", 28, 35, "Expected: the gates learn values near 1.", ("minGRU", "Expectation")), 3.0)
    svd = Hit(Chunk("svd.md", 1, 6, "# 每 N 步做一次 SVD 截断\n\n每 100 步把 W 的小奇异值置零", ("每 N 步做一次 SVD 截断",)), 2.0)
    assert own_sections("cutting small singular values every 100 steps", [expectation, svd]) == [svd]
    assert own_sections("cutting small singular values every 100 steps", [expectation]) == [expectation]


def test_a_note_that_shows_no_kind_compared_with_an_activation_alone_is_an_activation_idea():
    from agentnotes.agents.experimenter import Plan
    from agentnotes.pipeline.experiment import _ground_plan

    plan = Plan(idea_name="pairs", hypothesis="h", idea_rule="Sort the hidden units in pairs: (max, min) of each pair.",
                kinds=["layer", "activation"], baseline="MLP", task="digits", metric="test_acc")
    note = [_section("MaxMin 成对排序", "y_{2i-1} = max(a_i, b_i)，y_{2i} = min(a_i, b_i)")]
    assert _ground_plan(plan, "sorting units in pairs vs ReLU", note).kinds == ["activation"]
    assert _ground_plan(plan, "sorting units in pairs vs Linear+ReLU", note).kinds == ["layer", "activation"]


def test_the_plans_baseline_trains_with_the_optimizer_of_the_ideas_own_setup():
    from agentnotes.agents.experimenter import Plan
    from agentnotes.pipeline.experiment import _ground_plan

    plan = Plan(idea_name="qp", hypothesis="h", idea_rule="y = (A x) * (B x) + C x, a quadratic layer", kinds=["layer"],
                baseline="MLP", task="digits", metric="test_acc")
    note = [_section("Quadratic layer", "y = (A x) * (B x) + C x\n\nSetup: digits, MLP 64-64-10, Adam lr 1e-3, 2000 steps.")]
    assert "trained with adam" in _ground_plan(plan, "quadratic layer vs MLP", note).baseline
    assert "trained with rmsprop" in _ground_plan(plan, "quadratic layer vs RMSprop", note).baseline
    other = _section("Other idea", "Setup: digits, RMSprop lr 1e-3.")
    assert "trained with adam" in _ground_plan(plan, "quadratic layer vs MLP", [*note, other]).baseline  # its own setup
    rule = Hit(Chunk("q.md", 1, 4, "# Quadratic layer\n\ny = (A x) * (B x) + C x", ("Quadratic layer",)), 1.0)
    setup = Hit(Chunk("q.md", 5, 9, "## 实验\n- 数据：digits\n- 对照：Adam(lr=1e-3)", ("Quadratic layer", "实验")), 0.5)
    assert "trained with adam" in _ground_plan(plan, "quadratic layer vs MLP", [rule, setup]).baseline  # its subsection


def test_a_condition_the_note_names_sets_the_input_scale_the_plan_left_at_normal():
    from agentnotes.agents.experimenter import Plan
    from agentnotes.pipeline.experiment import _ground_plan

    plan = Plan(idea_name="mirror", hypothesis="h", idea_rule="y = (w1*(x+h) + w2*(x-h))/2 + b", kinds=["layer"],
                baseline="MLP", task="regression", metric="mse")
    grounded = _ground_plan(plan, "mirror vs baseline", _hits())
    assert grounded.input_scale == 0.01 and grounded.condition and any("input scale" in c for c in grounded.corrections)
    assert _ground_plan(plan, "Gonnor vs plain SGD", _hits()).input_scale == 1.0  # its note names no such condition
    chosen = plan.model_copy(update={"input_scale": 0.001})
    assert _ground_plan(chosen, "mirror vs baseline", _hits()).input_scale == 0.001  # the planner's own small scale stays
    invented = plan.model_copy(update={"input_scale": 0.01, "condition": "inputs close to zero",
                                       "hypothesis": "Gonnor is better for inputs close to zero"})
    reset = _ground_plan(invented, "Gonnor vs plain SGD", _hits())  # a condition its note never names
    assert reset.input_scale == 1.0 and reset.condition == "" and "zero" not in reset.hypothesis
    assert any("names no condition" in c for c in reset.corrections)


@pytest.mark.parametrize(("text", "said"), [
    ("- digits MLP，干净标签 和 20% 对称标签噪声 两种设置", 0.2),
    ("Second run with 30% symmetric label noise on train.", 0.3),
    ("实验：digits MLP，训练集 30% 标签随机打乱，lr 0.05，800 步。", 0.3),
    ("训练集标签加噪：对称噪声 0% / 20% / 40%，测试集干净", 0.2),  # the first share above 0
    ("Label noise at 0%, 20%, 40% symmetric.", 0.2),
    ("另外在训练中随机 1% 的 batch 上把标签打乱，人为制造尖峰。", None),  # a share of batches
    ("跳过 loss 最大的前 1%，可能是标签噪声", None),  # another clause's share
    ("对标签噪声样本，与其硬押一个错误的类，不如押弃权", None),  # no share
])
def test_the_share_of_wrong_training_labels_a_note_runs_its_idea_with(text: str, said: float | None) -> None:
    from agentnotes.experiments.guards.claim import label_noise_condition

    found = label_noise_condition(text)
    assert (found and found[0]) == said
    assert found is None or found[1] in text


@pytest.mark.parametrize(("text", "said"), [
    ("- 数据：sklearn digits，只用 300 个训练样本（故意小，制造过拟合）", 300),
    ("**故意小数据**：只用 300 个样本训练（每类约 30）", 300),
    ("digits 8x8，标准化，训练集只用 300 张（低标注量的情况）", 300),
    ("sum mod 5, L = 32, only 256 training sequences (overfitting regime)", 256),
    ("训练集只取 25% 看低数据场景", None),  # a share, not a count
    ("Fisher 只用 512 个样本估计", None),  # no training set
    ("在 1257 个训练样本上过拟合", None),  # the whole set, described
])
def test_the_few_training_examples_a_note_runs_its_idea_with(text: str, said: int | None) -> None:
    from agentnotes.experiments.guards.claim import train_size_condition

    found = train_size_condition(text)
    assert (found and found[0]) == said


@pytest.mark.parametrize(("text", "said"), [  # invented lines
    ("要看输入很小的情况：x ≈ 0 时它还更新吗", 0.01),
    ("顺便测\"输入放大\"：把像素值整体乘 20（不做标准化）", 20.0),
    ("Condition: inputs scaled up ×50, and the normal inputs as control", 50.0),
    ("输入放大：3 层 MLP", None),  # no factor
    ("先把输入放大到 [0, 16]", None),  # a range, not a factor
    ("学习率放大 10 倍", None),  # not the inputs
])
def test_the_input_scale_a_note_runs_its_idea_with(text: str, said: float | None) -> None:
    from agentnotes.experiments.guards.claim import input_condition

    found = input_condition(text)
    assert (found and found[0]) == said
    assert found is None or found[1] in text


@pytest.mark.parametrize(("text", "said"), [  # invented lines
    ("- 数据：digits，训练集做成长尾，不平衡比 20；测试集保持平衡", 20.0),
    ("Data: digits with a 50:1 class imbalance on the train split", 50.0),
    ("long-tailed digits: class k keeps n_k = 120·(0.05)^{k/9} examples", 20.0),
    ("不平衡版本：类 0–4 保留 100%，类 5–9 只留 25%", 4.0),
    ("imbalanced version: classes 5–9 subsampled 8× in training", 8.0),
    ("imbalanced training data, ρ ∈ {10, 100}", 10.0),
    ("层间不平衡比 4：第一层乘 4、第二层除 4", None),  # no classes or data on the line
    ("长尾分类里，少数类的特征范数更小", None),  # no ratio
    ("class imbalance ratio 1.5", None),  # too mild to be a condition
])
def test_the_class_imbalance_a_note_runs_its_idea_with(text: str, said: float | None) -> None:
    from agentnotes.experiments.guards.claim import class_imbalance_condition

    found = class_imbalance_condition(text)
    assert (found and found[0]) == said
    assert found is None or found[1] in text


def test_label_noise_the_note_names_becomes_a_condition_of_a_classifying_plan_only() -> None:
    from agentnotes.agents.experimenter import Plan
    from agentnotes.pipeline.experiment import _ground_plan

    note = [Hit(Chunk("n.md", 1, 6, "# Clipped loss\n\nL = mean(min(ce, c))，c = 2\n\n实验：digits MLP，"
                      "另加一组 20% 对称标签噪声。", ("Clipped loss",)), 1.0)]
    plan = Plan(idea_name="clipped loss", hypothesis="h", idea_rule="L = mean(min(ce, c)) with c = 2 on each batch", kinds=["loss"],
                task="digits")
    grounded = _ground_plan(plan, "clipped loss vs CE", note)
    assert grounded.label_noise == 0.2 and "20%" in grounded.condition
    assert any(c.startswith("label noise 0% -> 20%") for c in grounded.corrections)
    regression = [Hit(dataclasses.replace(note[0].chunk, text=note[0].chunk.text.replace("digits MLP", "回归 MLP")), 1.0)]
    assert _ground_plan(plan.model_copy(update={"task": "regression"}), "clipped loss vs MSE", regression).label_noise == 0.0
    few = [Hit(dataclasses.replace(note[0].chunk, text=note[0].chunk.text.replace("另加一组 20% 对称标签噪声", "只用 300 个训练样本")), 1.0)]
    grounded = _ground_plan(plan, "clipped loss vs CE", few)
    assert (grounded.train_size, grounded.label_noise) == (300, 0.0) and "300" in grounded.condition
    tail = [Hit(dataclasses.replace(note[0].chunk, text=note[0].chunk.text.replace("另加一组 20% 对称标签噪声", "训练集做成长尾，不平衡比 10")), 1.0)]
    grounded = _ground_plan(plan, "clipped loss vs CE", tail)
    assert (grounded.class_imbalance, grounded.label_noise) == (10.0, 0.0) and "不平衡比 10" in grounded.condition
    assert any(c.startswith("class imbalance none -> 10") for c in grounded.corrections)


@pytest.mark.parametrize(("request_text", "hooks"), [
    ("mirror vs baseline", ["build_model", "after_step"]),  # merged every N steps
    ("Gonnor vs plain SGD", ["make_optimizer"]),  # "every step" is not periodic
    ("double ReLU vs ReLU", ["build_model"]),
    ("unknown idea vs baseline", []),
])
def test_the_hooks_an_idea_needs_come_from_its_kinds(request_text, hooks):
    from agentnotes.experiments.guards.kinds import hooks_for

    assert hooks_for(kinds_in_sections(request_text, _hits()) if request_text != "unknown idea vs baseline" else []) == hooks


def test_a_hook_the_ideas_kinds_need_and_the_code_lacks_is_a_static_problem():
    from agentnotes.experiments.guards.static_check import check_idea_code

    code = "import torch.nn as nn\n\n\ndef build_model(in_dim, hidden, out_dim):\n    return mlp(in_dim, hidden, out_dim)\n"
    problems = check_idea_code(code, ["layer", "weight_op"])
    assert [(p.kind, "after_step" in p.message) for p in problems] == [("missing_hook", True)]
    sgd = "import torch\n\n\ndef make_optimizer(params, lr):\n    return torch.optim.SGD(params, lr)\n"
    assert [p.kind for p in check_idea_code(sgd, ["update_rule"])] == ["missing_hook"]  # the baseline's update rule
    own = sgd.replace("torch.optim.SGD(params, lr)", "Gonnor(params, lr)") + "\n\nclass Gonnor(torch.optim.SGD):\n    pass\n"
    assert check_idea_code(own, ["update_rule"]) == []
    assert check_idea_code(own, ["optimizer"]) == []  # the old part name of a saved plan
    shrink = "def after_step(model, step):\n    for p in model.parameters():\n        p.mul_(0.999)\n"
    assert check_idea_code(shrink, ["regulariser"]) == []  # either of the kind's hooks expresses it
    assert [p.kind for p in check_idea_code(shrink, ["loss"])] == ["missing_hook"]


def test_the_bracketed_sums_and_differences_of_the_notes_are_advised_in_the_code():
    from agentnotes.experiments.guards.idea_sections import note_pairs
    from agentnotes.experiments.guards.static_check import blocking, check_idea_code, is_advice

    assert [p[:3] for p in note_pairs("mirror vs baseline", _hits())] == [("x", "+", "h"), ("x", "-", "h"), ("w1", "+", "w2")]
    assert note_pairs("mirror vs baseline", _hits())[2][3].startswith("每训练 N 步（比如 N=50）做一次合并：w = (w1+w2)/2")
    assert note_pairs("Gonnor vs plain SGD", _hits()) == []  # (||g|| + eps) is not two names
    assert note_pairs("head reset", [_section("head reset", "不能和某个特定 head 共同过拟合（co-adaptation）；y = (a-b)")]) \
        == [("a", "-", "b", "不能和某个特定 head 共同过拟合（co-adaptation）；y = (a-b)")]  # a hyphenated word is no formula
    assert [p[:3] for p in note_pairs("mirror", [_section("mirror层", "out = （ w1 * ( x + half_lr ) + w2 * ( x - half_lr )）/2 + b\n"
                                                                  "w = （w1+w2）/2")])] == [("x", "+", "half_lr"), ("x", "-", "half_lr"), ("w1", "+", "w2")]
    pairs = [("x", "+", "h", "y = (w1*(x+h) + w2*(x-h))/2 + b"), ("x", "-", "h", "y = (w1*(x+h) + w2*(x-h))/2 + b"),
             ("w1", "+", "w2", "w = (w1+w2)/2")]
    code = ("import torch\nimport torch.nn.functional as F\n\n\ndef forward(self, x):\n    h = LR / 2\n"
            "    return (F.linear(x + h, self.w1) + F.linear(x - h, self.w2)) / 2\n\n\n"
            "def after_step(model, step):\n    with torch.no_grad():\n        model.w1.copy_((model.w2 + model.w1.data) / 2)\n")
    assert [p for p in check_idea_code(code, ["layer"], pairs) if p.kind == "advice_formula"] == []
    no_shift = code.replace("x + h", "x").replace("x - h", "x")
    assert [p.message.split(" but ")[0] for p in check_idea_code(no_shift, ["layer"], pairs) if p.kind == "advice_formula"] == [
        "the notes' formula has (x+h)", "the notes' formula has (x-h)"]
    inlined = code.replace("x + h", "x + LR / 2").replace("x - h", "x - LR / 2")  # h written out is the same formula
    assert [p for p in check_idea_code(inlined, ["layer"], pairs) if p.kind == "advice_formula"] == []
    spelled_out = code.replace("w1", "weight1").replace("w2", "weight_2")  # w1 spelled out is the same name
    assert [p for p in check_idea_code(spelled_out, ["layer"], pairs) if p.kind == "advice_formula"] == []
    other = code.replace("w2", "v2")
    assert [p.message.split(" but ")[0] for p in check_idea_code(other, ["layer"], pairs) if p.kind == "advice_formula"] == [
        "the notes' formula has (w1+w2)"]
    swapped = code.replace("(model.w2 + model.w1.data) / 2", "model.w2") + HOOKS
    problems = check_idea_code(swapped, ["layer", "weight_op"], pairs)
    assert [p.kind for p in problems] == ["advice_formula"] and "The note says: w = (w1+w2)/2" in problems[0].message
    assert blocking(problems) == []  # advice: the code may say it otherwise
    assert [p for p in check_idea_code(swapped, ["update_rule"], pairs) if is_advice(p)] == []  # a check for layers only
    held = swapped.replace("def forward", "class MirrorLinear(torch.nn.Module):\n    def __init__(self):\n"
                            "        super().__init__()\n        self.w1 = torch.nn.Parameter(torch.zeros(2, 2))\n"
                            "        self.w2 = torch.nn.Parameter(torch.zeros(2, 2))\n\n\ndef forward")
    problems = check_idea_code(held, ["layer", "weight_op"], pairs)
    assert [p.kind for p in blocking(problems)] == ["note_formula"]  # the notes' own names, never combined: it blocks


def test_an_output_the_notes_name_as_a_product_is_advised_on_its_own():
    from agentnotes.experiments.guards.idea_sections import note_pairs
    from agentnotes.experiments.guards.static_check import check_idea_code

    pairs = note_pairs("tanh logic gate layer vs MLP", _hits())
    assert [p[:3] for p in pairs] == [("a", "*", "b")] and "xor = -a*b" in pairs[0][3]
    assert note_pairs("mirror", [_section("mirror层", "y = w*x + b")]) == []  # a product inside a sum names no output
    only_and = ("import torch\n\n\ndef gates(x1, x2):\n    a, b = torch.tanh(5 * x1), torch.tanh(5 * x2)\n"
                "    return (1 + a + b - a * b) / 2\n")
    (problem,) = [p for p in check_idea_code(only_and, ["activation"], pairs) if p.kind == "advice_formula"]
    assert "never computes a * b as a value of its own" in problem.message and "xor = -a*b" in problem.message
    with_xor = only_and.replace("return (1 + a + b - a * b) / 2", "return torch.cat([(1 + a + b - a * b) / 2, -a * b], dim=-1)")
    assert [p for p in check_idea_code(with_xor, ["activation"], pairs) if p.kind == "advice_formula"] == []


def test_the_passages_for_a_missing_hook_are_those_whose_formulas_need_it():
    from agentnotes.experiments.guards.idea_sections import passages_for_hook

    request = "mirror layer together with Gonnor vs baseline"
    passages, parts = passages_for_hook(request, _hits(), "make_optimizer")
    assert [p.chunk.heading_path[-1] for p in passages] == ["Gonnor: gradient only normalization"] and parts == ["update_rule"]
    passages, parts = passages_for_hook(request, _hits(), "after_step")
    assert [p.chunk.heading_path[-1] for p in passages] == ["镜像层 mirror layer"] and parts == ["weight_op"]
    assert passages_for_hook("double ReLU vs ReLU", _hits(), "make_optimizer") == ([], [])


def test_a_note_written_y_equals_w_times_x_is_met_by_the_linear_layer_autofix_writes():
    from agentnotes.experiments.guards.autofix import apply_fixes
    from agentnotes.experiments.guards.idea_sections import note_pairs
    from agentnotes.experiments.guards.static_check import check_idea_code

    pairs = note_pairs("scaled", [_section("scaled layer", "y = w*x")])
    assert [p[:3] for p in pairs] == [("w", "*", "x")]
    code = ("import torch\nimport torch.nn as nn\n\n\nclass Scaled(nn.Module):\n    def __init__(self, i, o):\n"
            "        super().__init__()\n        self.w = nn.Parameter(nn.Linear(i, o).weight.detach().clone())\n\n"
            "    def forward(self, x):\n        return self.w * x\n\n\n"
            "def build_model(in_dim, hidden, out_dim):\n    return mlp(in_dim, hidden, out_dim, linear=Scaled)\n")
    fixed, fixes = apply_fixes(code, ["layer"], pairs)
    assert [f.after for f in fixes] == ["F.linear(x, self.w)"]
    assert check_idea_code(fixed.replace("import torch\n", "import torch\nimport torch.nn.functional as F\n", 1),
                           ["layer"], pairs) == []


def test_a_heading_with_the_ideas_words_as_one_phrase_wins_over_one_sharing_a_word():
    whole = _section("最后一层零初始化 zero init last layer", "只把输出层的权重初始化为 0")
    shares = _section("正交初始化 orthogonal init", "W^T W = I，bias = 0")
    assert own_sections("zero init last layer vs baseline", [whole, shares]) == [whole]
    assert own_sections("orthogonal init vs baseline", [whole, shares]) == [shares]


def test_the_task_a_note_names_as_a_task_wins_over_the_words_that_suggest_one() -> None:
    from agentnotes.experiments.guards.task import task_in_notes

    assert task_in_notes("Two 1-D convolutions over time replace the GRU on the sequence task.") == "sequence"
    assert task_in_notes("学习率大的时候（regression 任务上）不发散，分类准确率也许更高") == "regression"
    assert task_in_notes("每个卷积层换成 depthwise 卷积，在 digits 任务上比较") == "digits_image"  # images, named digits
    assert task_in_notes("把 3x3 卷积换成空洞卷积，看分类准确率") == "digits_image"  # no task named: the cues
    assert task_in_notes("a gated layer; the accuracy should rise") == "classification"
    assert task_in_notes("an idea with no task in it") is None
    assert task_in_notes("GRU 在合成序列分类任务上用 SGD 训练") == "sequence"  # a sequence classification task
    assert task_in_notes("on the sequence classification task, a GRU") == "sequence"
    # Images read as flat vectors by the MLP: the flat digits task, unless convolutions are named.
    assert task_in_notes("digits 的 64 个像素里有几个恒为 0；第一层的行用主成分方向") == "digits"
    # MNIST is what the lab's digits stand for; an MLP on it in the setup is the flat task, a conv net elsewhere aside
    assert task_in_notes("试验：10 层 MLP on MNIST，lr 调高") == "digits"
    assert task_in_notes("## Experiments\n- MNIST, 3-layer MLP width 64\n\n## Open questions\n- for conv nets: filters") == "digits"
    assert task_in_notes("each 64-d digits vector is reshaped to 8×8, shifted by a pixel, flattened again") == "digits"
    assert task_in_notes("digits 图像平铺成 64 维，但第一层换成 3×3 卷积") == "digits_image"
    assert task_in_notes("sklearn digits 8x8 (1797 images, 64 inputs, 10 classes)") == "digits"
    assert task_in_notes("8x8 digits images, MLP 64-128-10, ReLU") == "digits"  # an MLP reads them flat
    # The setup part names the data; another part's "sequence" is a word in another sense.
    note = ("# Even rows\nA low-discrepancy sequence spreads the rows more evenly.\n\n"
            "## Setup\n- sklearn digits 8x8\n- MLP 64-128-10\n")
    assert task_in_notes(note) == "digits"
    assert task_in_notes(note.replace("## Setup", "## Notes")) == "sequence"  # no setup part: the first cue
    # ... unless the whole note says the same task more specifically: digits read by convolutions are images.
    assert task_in_notes("整体：1x1 conv 升通道 → 两个块 → 池化\n设置：sklearn digits 8x8，80/20") == "digits_image"


def test_a_note_whose_first_line_names_the_idea_as_one_phrase_is_its_only_section():
    other = _section("sparse init", "W = 0, then k entries per row drawn from N(0, 1/k)")
    own = Hit(Chunk("identity.md", 1, 3, "Identity init for hidden-to-hidden layers\n\nW = I + N(0, σ²)", ()), 1.0)
    assert own_sections("identity init vs baseline", [other, own]) == [own]


def test_a_layer_said_in_brackets_is_no_formula_to_compute():
    from agentnotes.experiments.guards.idea_sections import note_pairs

    section = _section("maxout", "把每个隐藏层（Linear + ReLU）换成 maxout。合并：w = (w1+w2)/2")
    assert [pair[:3] for pair in note_pairs("maxout vs baseline", [section])] == [("w1", "+", "w2")]


def test_a_request_in_another_language_names_its_section_through_the_rewrite():
    from agentnotes.experiments.guards.idea_sections import names_in_notes

    schedule = _section("lr: short warmup, long flat, linear cooldown", "lr = lr0 * (T - t) / T")
    cosine = _section("余弦相似度 + 可学温度的隐藏层", "h = ReLU(s * w·x / (|w||x|)) ")
    request = "cosine layer with learnable temperature vs baseline"
    assert named_sections(request, [schedule, cosine]) == []  # no heading holds the request's words
    names = names_in_notes(request, "余弦层学习温度 vs 基线 baseline", [schedule, cosine])
    assert own_sections(names, [schedule, cosine]) == [cosine] and idea_passages(names, [schedule, cosine]) == [cosine]
    # A request whose words name a section is kept; a rewrite sharing no words (or one of several) names nothing.
    assert names_in_notes("warmup cooldown vs SGD", "余弦 vs 基线", [schedule, cosine]) == "warmup cooldown vs SGD"
    assert names_in_notes(request, "完全无关的翻译 vs 基线", [schedule, cosine]) == request
    # A rewrite on one line, its key terms after "vs": still read; the request's baseline side is no idea word.
    penalty = _section("惩罚隐层单元之间的相关性", "R = λ·Σ C_ij²")
    init = _section("kaiming 初始化的变体", "W ~ N(0, 2/fan_in)")
    said = names_in_notes("unit decorrelation vs Kaiming init", "单元去相关 vs 基线 baseline 协方差惩罚 Kaiming 初始化", [init, penalty])
    assert said == "惩罚隐层单元之间的相关性"
    assert names_in_notes(request, "余弦层 vs 基线", [schedule, _section("余弦退火", "lr = cos(t)"), cosine]) == request


def test_the_formulas_a_plan_rule_leaves_out_are_added_to_it():
    from agentnotes.agents.experimenter import Plan
    from agentnotes.pipeline.experiment import _ground_plan

    gates = _section("gate layer", "a = tanh(k*x1), b = tanh(k*x2)，k 取 5。\nXOR 用乘法：xor = -a*b。\n学习率 lr = 0.05")
    plan = Plan(idea_name="gates", hypothesis="h", idea_rule="a = tanh(k*x1), b = tanh(k*x2), AND = (1 + a + b - a*b)/2",
                kinds=["activation"], baseline="MLP", task="classification", metric="accuracy")
    grounded = _ground_plan(plan, "gate layer vs MLP", [gates])
    assert grounded.idea_rule == f"{plan.idea_rule}\nXOR 用乘法：xor = -a*b。"  # a setting (lr = 0.05) is no formula to add
    assert any("xor = -a*b" in c for c in grounded.corrections)
    assert Plan.model_validate(grounded.model_dump())


def test_a_title_sharing_more_with_the_rewrite_wins_over_a_section_naming_one_word_of_the_request():
    from agentnotes.experiments.guards.idea_sections import names_in_notes

    schedule = _section("warmup + cosine decay", "lr = lr0 * cos(t)")
    cosine = _section("余弦相似度 + 可学温度的隐藏层", "h = ReLU(s * w·x / (|w||x|))")
    request = "cosine layer with learnable temperature vs baseline"
    assert named_sections(request, [schedule, cosine]) == [schedule]  # "temperature" and "learnable" name nothing
    names = names_in_notes(request, "余弦层学习温度 vs 基线", [schedule, cosine])
    assert own_sections(names, [schedule, cosine]) == [cosine]
    # Of two sections each naming one word, the one sharing more with the rewrite is the idea's alone.
    rounding = _section("periodic stochastic rounding of weights", "q(w) = Δ · floor(w/Δ + u)")
    rebalance = _section('每 N 步做一次神经元"尺度再平衡"（relu 的正齐次性）', "w_in ← w_in·s, w_out ← w_out/s")
    said = names_in_notes("periodic relu neuron rebalancing vs SGD", "周期性 relu 神经元再平衡 vs SGD", [rounding, rebalance])
    assert own_sections(said, [rounding, rebalance]) == [rebalance]
    # A section named by half the request's words stands, whatever the rewrite shares with another title (here the
    # baseline's translation, 交叉熵).
    zloss = _section("z-loss on the log-partition", "loss = CE + 1e-4 * logZ²")
    taylor = _section("taylor 截断交叉熵", "L = (1 − p_y) + (1 − p_y)²/2")
    request = "z-loss penalty vs plain cross-entropy"
    assert names_in_notes(request, "损失函数 loss function z-loss penalty 交叉熵 cross-entropy", [taylor, zloss]) == request
    # Every term named (two ideas together): the request's own sections stand.
    gonnor = _section("Gonnor", "g = g / |g|")
    assert names_in_notes("cosine with gonnor vs SGD", "余弦层 温度 vs 基线", [schedule, gonnor, cosine]) == "cosine with gonnor vs SGD"


def test_the_formula_a_note_says_the_idea_replaces_is_no_sum_to_compute():
    from agentnotes.experiments.guards.idea_sections import note_pairs

    for line in ("把隐藏层 h = ReLU(Wx + b) 换成只看方向的版本：h = ReLU(s·cos(w, x) + b)",
                 "Replace the hidden map y = (Wx + b) with y = s·cos(w, x) + b.",
                 "Instead of y = (Wx + b), the layer computes y = (u - v)·x."):
        pairs = note_pairs("cosine layer vs baseline", [_section("cosine layer", line)])
        assert ("W", "+", "b") not in [p[:3] for p in pairs] and ("Wx", "+", "b") not in [p[:3] for p in pairs]
    kept = note_pairs("cosine layer vs baseline", [_section("cosine layer", "Instead of y = Wx + b, the layer computes y = (u - v)·x.")])
    assert [p[:3] for p in kept] == [("u", "-", "v")]  # the idea's own formula on the same line stays


def test_a_word_the_baseline_shares_or_one_that_only_says_the_kind_brings_in_no_neighbour():
    neglog = _section("负半轴对数激活 NegLog-ReLU", "f(x) = x (x > 0), f(x) = -α log(1 - x) (x ≤ 0)")
    balance = _section("激活率平衡正则", "R = λ · mean(p_j²)")
    double = _section("double relu", "h1 = relu(x), h2 = relu(-x)")
    assert idea_passages("NegLog-ReLU 激活 vs ReLU", [balance, double, neglog]) == [neglog]
    assert idea_passages("double relu vs relu", [balance, double, neglog]) == [double]


def test_the_words_of_an_aside_in_brackets_pick_no_section():
    agreement = _section("Agreement-scaled momentum", "m <- beta * m + g\nc = cos(g, m)")
    gonnor = _section("Gonnor: gradient only normalization", "g = g / (||g|| + eps)")
    request = "agreement-scaled momentum (cosine of gradient and velocity) vs SGD with momentum"
    assert idea_passages(request, [gonnor, agreement]) == [agreement]


def test_the_functions_of_a_formula_the_request_writes_out_pick_no_section():
    tanhexp = _section("TanhExp 激活", "f(x) = x · tanh(e^x)")
    penalized = _section("penalized tanh", "f(x) = tanh(x) if x > 0 else 0.25 * tanh(x)")
    assert idea_passages("TanhExp activation x*tanh(exp(x)) vs ReLU", [penalized, tanhexp]) == [tanhexp]


def test_one_idea_s_words_pick_the_section_naming_most_of_them_and_joined_ideas_each_their_own():
    warmup = _section("按层错开的 warmup", "η_ℓ(t) = η · clip((t − start_ℓ) / 150, 0.02, 1)")
    momentum = _section("Momentum warmup for a small GRU", "beta(t) = 0.5 + 0.45 * min(1, t / 500)")
    request = "momentum coefficient warmup for GRU vs constant momentum 0.95"
    assert idea_passages(request, [warmup, momentum]) == [momentum]
    together = _section("gonnor和mirror一起用", "out = (w1*(x+h) + w2*(x-h))/2 + b\ng = normalize(g)")
    mirror = _section("mirror层", "out = (w1*(x+h) + w2*(x-h))/2 + b")
    assert idea_passages("mirror with gonnor vs SGD", [together, mirror]) == [together, mirror]


def test_every_part_of_the_ideas_section_is_read_in_line_order():
    """A section too long for one passage is found in parts; the part with its setup gives the formulas' constants."""
    parts = [c for c in chunk_note(read_note(DATA / "ideas-layers.txt")) if c.heading_path[-1:] == ("镜像层 mirror layer",)]
    assert len(parts) > 1
    hits = [Hit(c, 1.0) for c in [*reversed(parts), *chunk_note(read_note(DATA / "log-2024.txt"))]]
    assert [h.chunk for h in idea_passages("mirror vs baseline", hits)] == parts


def test_a_line_that_goes_on_the_formula_above_gets_its_target():
    from agentnotes.experiments.guards.idea_sections import formulas_in

    note = _section("cooldown", "    lr(t) = lr0 * t/W      if t < W\n          = lr0            if W <= t < T - C\n"
                                "          = lr0 * (T - t)/C   otherwise\nlr0 = 0.05")
    assert formulas_in([note]).splitlines()[1:3] == ["lr(t) = lr0            if W <= t < T - C",
                                                    "lr(t) = lr0 * (T - t)/C   otherwise"]


def test_of_one_section_found_in_parts_every_part_defines_the_idea_but_its_asides():
    heading = ("Momentum warmup",)
    later = Hit(Chunk("n.md", 18, 27, "Control: to tell it from a rate warmup, a rate that keeps lr/(1-beta) fixed,\n"
                                      "lr(t) = 0.05 * (1 - beta(t)) / 0.05", heading), 3.0)
    opening = Hit(Chunk("n.md", 1, 13, "# Momentum warmup\n\nbeta(t) = 0.5 + 0.45 * min(1, t / 500)\n"
                                       "`m <- beta(t) * m + g ; w <- w - lr * m`", heading), 2.0)
    request = "momentum warmup vs constant momentum"
    assert own_sections(request, [later, opening]) == [opening, later]
    assert kinds_in_sections(request, [later, opening]) == ["update_rule"]  # the control is an aside
    motivation = Hit(Chunk("t.md", 1, 3, "# Soft tropical layer\n\nMax-plus units $y_j = \\max_i (x_i + w_{ji})$ train badly.",
                           ("Soft tropical layer",)), 2.0)
    rule = Hit(Chunk("t.md", 5, 8, "Forward:\n$y_j = \\tau \\log \\sum_i \\exp((x_i + w_{ji})/\\tau)$", ("Soft tropical layer",)), 1.0)
    assert "\\tau \\log" in formula_lines("soft tropical layer vs MLP", [motivation, rule])  # the rule after the motivation


def test_a_section_named_by_the_ideas_abbreviation_is_its_own_and_a_common_word_names_none():
    kwta = _section("k-WTA 层：每个样本只放前 k 个单元通过", "z = W·x + b，h_j = z_j · 1[z_j ≥ c]")
    readout = _section("All-layer readout", "logits = sum_l a_l * (V_l h_l) + c")
    request = "k-winners-take-all layer vs Linear+ReLU"
    assert idea_passages(request, [readout, kwta]) == [kwta]
    swa = _section("SWA：权重平均", "w_swa = (n * w_swa + w) / (n + 1)")
    assert idea_passages("stochastic weight averaging vs SGD", [readout, swa]) == [swa]


def test_a_long_prose_paragraph_gives_the_formulas_of_its_inline_math_only():
    from agentnotes.experiments.guards.idea_sections import formulas_in

    prose = ("Max-plus networks keep coming back and I have never tried one. The appeal: a unit $y_j = \\max_i (x_i + w_{ji})$ "
             "is piecewise linear already, and multiplication is replaced by addition; the hard max sends the gradient to one "
             "input per unit, so training is miserable. One $\\tau$ per layer, init $\\tau = 0.5$, weights $w \\sim U(-0.1, 0.1)$.")
    note = f"# Soft tropical layer\n\n{prose}\n\n$y_j = \\tau \\log \\sum_i \\exp((x_i + w_{{ji}})/\\tau)$\n"
    assert formulas_in([_section("Soft tropical layer", note)]).splitlines() == [
        "$y_j = \\max_i (x_i + w_{ji})$; $\\tau = 0.5$; $w \\sim U(-0.1, 0.1)$",
        "$y_j = \\tau \\log \\sum_i \\exp((x_i + w_{ji})/\\tau)$"]
    short = "Rule: $m = \\beta m + g$ with β = 0.9."
    assert formulas_in([_section("momentum", short)]) == short  # a short line stays as written


def _ranked(heading: str, text: str, score: float, note: str) -> Hit:
    return Hit(Chunk(note, 1, 3, f"# {heading}\n\n{text}", (heading,)), score)


def test_a_common_word_of_a_one_idea_request_does_not_add_a_section_the_search_ranks_lower():
    own = _ranked("一对多 sigmoid BCE 代替 softmax", "L = Σ_k BCE(σ(z_k), y_k)", 0.35, "ova.md")
    other = _ranked("Center loss as a compactness penalty", "L = CE + λ·|h - c_y|²", 0.16, "center.md")
    assert named_sections("one-vs-all sigmoid BCE loss vs softmax cross-entropy", [own, other]) == [own]
    # Ranked the other way round, the search and the words disagree: both stay.
    assert len(named_sections("one-vs-all sigmoid BCE loss vs softmax", [dataclasses.replace(own, score=0.1), other])) == 2


def test_the_search_decides_between_a_weakly_named_section_and_the_rewrite_title():
    from agentnotes.experiments.guards.idea_sections import names_in_notes

    snap = _ranked("每 N 步把权重拉向聚类中心", "W ← W + λ·(c(W) − W)", 0.30, "snap.md")
    spectral = _ranked("Per-layer LR from the spectral exponent of weights", "lr_l = lr·α_l", 0.17, "lr.md")
    request = "periodic cluster weight snapping vs post-training quantization"
    assert named_sections(request, [snap, spectral]) == [spectral]  # only "weight" names a heading
    names = names_in_notes(request, "周期性权重 snapping vs 后训练量化", [snap, spectral])
    assert own_sections(names, [snap, spectral]) == [snap]  # one shared word, and the search found it first
    # The section the request's words name stands when the search ranks it first, whatever generic words the
    # rewrite shares with another title.
    own = _ranked("QuadELU：用二次段代替指数段", "f(x) = x (x>0), x²/2 + x (x≤0)", 0.34, "quad.md")
    other = _ranked("symlog 激活函数", "f(x) = sign(x)·log(1+|x|)", 0.20, "symlog.md")
    request = "QuadELU (piecewise-quadratic ELU) activation vs ELU"
    names = names_in_notes(request, "为什么使用QuadELU激活函数而不是ELU激活函数", [own, other])
    assert own_sections(names, [own, other]) == [own]
    assert own_sections(names_in_notes(request, "为什么使用QuadELU激活函数而不是ELU激活函数",
                                       [dataclasses.replace(own, score=0.1), other]), [own, other]) == [other]


def test_a_setup_line_takes_the_list_under_it_and_its_flat_inputs_win_over_a_convolution_named_elsewhere():
    from agentnotes.experiments.guards.task import setup_part, task_in_notes

    note = ("动机：原论文把卷积里的乘法换成了减法。\n\n实验设置：\n- 数据：sklearn digits，8x8 拉平成 64 维\n"
            "- 模型：MLP 64-128-10\n\n预期：差 1 个点")
    assert setup_part(note).splitlines()[1:] == ["- 数据：sklearn digits，8x8 拉平成 64 维", "- 模型：MLP 64-128-10"]
    assert task_in_notes(note) == "digits"
    aside = "实验（两个设定）：\n1. 普通 digits，64-128-10 ReLU，Adam lr 1e-3\n2. 带捷径的 digits\n\n预期：差 1 个点"
    assert setup_part(aside).splitlines() == aside.split("\n\n")[0].splitlines()  # a label with an aside in brackets
    # A setup item's sibling items are not under it; convolutions in the setup keep the images' shape.
    assert setup_part("- 设置：digits\n- 规则：y = Wx") == "- 设置：digits"
    # a heading that names the experiment's plan, or its toy version, is the setup part too (invented)
    for heading in ("## 实验计划", "## Experiment plan", "## Plan", "## 小数据上的玩具版", "## Toy version"):
        planned = f"# 想法\n动机：卷积网络上效果好。\n\n{heading}\n- 数据：digits，MLP 64-128-10\n\n## 预期\n差 1 个点"
        assert setup_part(planned) == f"{heading}\n- 数据：digits，MLP 64-128-10\n", heading
        assert task_in_notes(planned) == "digits", heading
    assert setup_part("## 为什么小实验做不了\n- 要 64 张卡") == ""
    # a setup line ending in a colon, an aside before it, takes the unlisted paragraph under it (invented)
    paragraph = ("The paper ran on CIFAR-100.\n\nExperiment, as planned:\ndigits, small train sets.\nMLP 64-128-10, Adam.\n\n"
                 "Keep it if it wins.")
    assert setup_part(paragraph) == "Experiment, as planned:\ndigits, small train sets.\nMLP 64-128-10, Adam."
    assert setup_part("实验：digits，MLP\n另一段") == "实验：digits，MLP"  # the line says it all: nothing under it
    assert task_in_notes(note.replace("MLP 64-128-10", "小卷积网")) == "digits_image"
    widths = "可视化每个 unit 的 8x8 权重，看像素\n\nSetup:\n- digits 64 → 100 → 10, ReLU\n"
    assert task_in_notes(widths) == "digits"  # an MLP's widths read the images flat
    # a layer reading 64 inputs, or the input said to lie in a 64-dimensional box, reads them flat too (invented)
    assert task_in_notes("每个像素当作墨水的概率，x ∈ [0,1]^64；对比 Linear(64, 100)+ReLU，digits") == "digits"


def test_a_setup_label_in_bold_is_a_setup_line_and_its_task_wins_over_a_second_test() -> None:
    from agentnotes.experiments.guards.task import setup_part, task_in_notes

    # invented notes: a bold label closed by its colon, or by its full stop
    note = "动机：Muon 在大模型上有用。\n\n**设置**：digits MLP 64-128-10，400 步\n\n**测**：准确率\n\nTODO: the sequence task too"
    assert setup_part(note) == "**设置**：digits MLP 64-128-10，400 步"
    assert task_in_notes(note) == "digits"
    assert setup_part("intro\n**Setup.** digits, batch 32\nmore\n") == "**Setup.** digits, batch 32"
    assert setup_part("**Plan:**\n- digits\n- 300 steps\n\nend") == "**Plan:**\n- digits\n- 300 steps"
    assert setup_part("**Setups of old** were slow") == ""  # a bold phrase that only starts like a label
    circular = "绑定用循环卷积 a ⊛ b。\n\n设置：digits，64 → HRR(128) → ReLU，对照 64 → Linear(128) → ReLU"
    assert task_in_notes(circular) == "digits"  # a layer reading the 64 pixels flat: no image task


def test_a_condition_alone_on_its_line_holds_for_the_formulas_below_it_until_otherwise():
    from agentnotes.experiments.guards.idea_sections import formulas_in
    from agentnotes.experiments.guards.note_program import note_program

    note = _section("gated momentum", "β = 0.9\n- $q_t = 1 - \\beta^t$，$m_t = \\beta m_{t-1} + g_t$\n- 如果 $q_t > 0.5$：\n"
                                      "  $\\theta_{t+1} = \\theta_t - \\eta\\, m_t / q_t$\n- 否则（开头几步）：$\\theta_{t+1} = \\theta_t - \\eta\\, g_t$")
    formulas = formulas_in([note])
    assert "如果" not in formulas and "否则" not in formulas
    program = note_program(formulas, ["update_rule"])
    assert program is not None and program.state == ("m",)
    assert program.statements[-1] == ("theta", "where(q > 0.5, theta - eta * m / q, theta - eta * g)")


def test_the_parts_of_a_note_are_read_in_line_order_and_a_condition_goes_on_into_the_next_part():
    from agentnotes.experiments.guards.idea_sections import formulas_in

    first = Chunk("n.md", 1, 3, "# clipped step\nm = 0.9*m + g\nif t > 100:", ("clipped step",))
    second = Chunk("n.md", 4, 5, "  w = w - lr*m\n否则：w = w - lr*g", ("clipped step",))
    formulas = formulas_in([Hit(second, 1.0), Hit(first, 0.5)])
    assert formulas.splitlines() == ["m = 0.9*m + g", "w = w - lr*m（t > 100）", "w = w - lr*g"]
    apart = Chunk("n.md", 9, 10, "  w = w - lr*m\n否则：w = w - lr*g", ("clipped step",))
    assert "（t > 100）" not in formulas_in([Hit(apart, 1.0), Hit(first, 0.5)])


def test_a_rule_in_latex_longer_than_a_plan_holds_is_cut_at_a_line_and_the_plan_stays_valid():
    from agentnotes.agents.experimenter import RULE_CHARS, Plan
    from agentnotes.pipeline.experiment import _ground_plan

    lines = [f"- $v^{{({i})}}_t = \\beta_{i} v^{{({i})}}_{{t-1}} + (1-\\beta_{i})\\, \\nabla_\\theta \\mathcal{{L}}^{{({i})}}_t$" for i in range(9)]
    note = _section("stacked averages", "\n".join(lines))
    vague = Plan(idea_name="stacked", hypothesis="h", idea_rule="Several running averages of the gradient, stacked.",
                 kinds=["update_rule"], baseline="MLP", task="regression", metric="mse")
    grounded = _ground_plan(vague, "stacked averages vs SGD", [note])
    assert Plan.model_validate(grounded.model_dump()).idea_rule == grounded.idea_rule
    assert len(grounded.idea_rule) <= RULE_CHARS[1] and grounded.idea_rule.splitlines()[0] == lines[0]


def test_a_code_line_that_defines_a_function_is_no_formula_though_its_defaults_assign():
    from agentnotes.experiments.guards.idea_sections import formulas_in

    text = ("# Shrink\n\n规则：θ ← λ·θ + σ·ε,   ε ~ N(0, I)\n\n```python\n@torch.no_grad()\n"
            "def shrink_perturb(model, lam=0.8, sigma=0.01):\n    p.mul_(lam)\n```\n")
    formulas = formulas_in([Hit(Chunk("/n/s.md", 1, 9, text, ("Shrink",)), 1.0)])
    assert "θ ← λ·θ + σ·ε" in formulas and "def" not in formulas


def test_a_setup_section_read_whole_with_its_note_gives_no_formula():
    from agentnotes.experiments.guards.idea_sections import formulas_in

    text = ("# Bent activation\n\n    f(x) = x + 0.5·|x|\n\n## Setup\n- 数据：合成回归 y = sin(3x₁) + |x₂|，噪声 0.05\n"
            "- Adam lr = 1e-3\n\n## 预期\n- 预期：loss = 0.1 左右\n")
    assert formulas_in([Hit(Chunk("/n/b.md", 1, 12, text, ("Bent activation",)), 1.0)]) == "f(x) = x + 0.5·|x|"


def test_a_sequence_of_label_permutations_is_no_sequence_task() -> None:
    from agentnotes.experiments.guards.task import task_in_notes

    assert task_in_notes("实验：\n1. sklearn digits，MLP 64-128-10。\n2. digits 上做 label permutation 序列，每 20 epoch 随机打乱一次标签。") == "digits"
    assert task_in_notes("实验：合成序列分类，GRU hidden 32。") == "sequence"


def test_a_formula_labelled_as_another_version_of_the_idea_is_not_one_of_its_formulas() -> None:
    from agentnotes.experiments.guards.idea_sections import formulas_in
    from agentnotes.notes.types import Chunk, Hit

    text = ("w = (1 + r)^γ / n\nL = w · CE(z, y)\n一个软版本（可导，但先不用）：r̃ = Σ sigmoid((z_c − z_y)/τ)\n"
            "A smooth version (not used here): r = Σ tanh(z_c − z_y)\n")
    formulas = formulas_in([Hit(Chunk("/n/a.md", 1, 4, text, ("a",)), 1.0)])
    assert "L = w · CE(z, y)" in formulas and "sigmoid" not in formulas and "tanh" not in formulas


def test_the_task_of_a_how_to_test_part_is_its_first_setup_not_a_second_test_it_adds() -> None:
    from agentnotes.experiments.guards.task import task_in_notes

    note = ("# 第一层权重的 total variation 正则\n\n对 H×W 的图像输入，每行 reshape 成权重图 M_i。\n\n如何测试：\n"
            "- MNIST 只用 1000 张训练样本，MLP 784-256-10\n- 再测一个 1D 例子：合成正弦叠加序列分类，长度 128\n")
    assert task_in_notes(note) == "digits"
    assert task_in_notes(note.replace("- 再测一个 1D 例子：", "- ")) == "sequence"  # named as the task itself
    # The second test said in the same sentence group as the first: only its own clause is set aside.
    one_line = "Setup：digits，MLP 64-128-10，2000 步，5 个 seed。回归任务（20 维输入）再跑一遍。"
    assert task_in_notes(one_line) == "digits"
    assert task_in_notes("实验：toy 回归 y = sin(x₁)，n=2000；再跑 digits。") == "regression"
    assert task_in_notes("Setup: digits MLP 64-128-10, T = 4000. Also the synthetic regression task (20-d input).") == "digits"
    # Classes read off a sequence, the setup naming only the classes: the sequence task.
    assert task_in_notes("RNN：h_t = tanh(W x_t + U h_{t−1})\n\n设置：隐藏维 64，读出层 Linear(H → 类别数)，Adam") == "sequence"


def test_a_vector_form_said_alone_is_the_rule() -> None:
    from agentnotes.experiments.guards.idea_sections import formulas_in
    from agentnotes.notes.types import Chunk, Hit

    text = "Rule, in vector form:\n\n    m ← β·m + g\n    w ← w − lr·m\n"
    assert "w ← w − lr·m" in formulas_in([Hit(Chunk("/n/a.md", 1, 4, text, ("a",)), 1.0)])


def test_a_step_written_in_place_as_code_is_its_assignment() -> None:
    from agentnotes.experiments.guards.idea_sections import formulas_in

    text = "```\nm = b1*m + (1-b1)*g\nw  -= lr * m / (sqrt(v) + eps)  # the step\n```\n"
    formulas = formulas_in([Hit(Chunk("/n/a.md", 1, 4, text, ("a",)), 1.0)])
    assert "w = w - (lr * m / (sqrt(v) + eps))" in formulas


def test_a_count_of_indices_is_the_sum_of_its_indicator() -> None:
    from agentnotes.experiments.guards.formula_lines import _statements
    from agentnotes.experiments.guards.idea_sections import formulas_in

    text = "设 logits z，真实类别 y：\n\n    r = #{ c : z_c > z_y }\n    L = (1 + r) · CE\n"
    formulas = formulas_in([Hit(Chunk("/n/a.md", 1, 4, text, ("a",)), 1.0)])
    assert "r = Σ_c 1[z_c > z_y]" in formulas
    assert ("r", "sum_over(gt(z, z_y))") in [(t, ast.unparse(v)) for t, v in _statements(formulas)]


def test_what_a_note_says_could_also_be_done_and_a_side_effect_are_not_its_formulas() -> None:
    from agentnotes.experiments.guards.idea_sections import formulas_in

    text = ("v ← β·v + g，w ← w − η·v\n也可以试：不全信它，g̃ = λ·med + (1−λ)·g\n"
            "偏置初始 0（也可以试偏置初始成 b = 1，作为变体）\n"
            "Fun side effect: row norms only grow; if that is a bug, add a lane with its own lr η_r = 0.1·η.\n")
    formulas = formulas_in([Hit(Chunk("/n/a.md", 1, 4, text, ("a",)), 1.0)])
    assert formulas.startswith("v ← β·v + g，w ← w − η·v")
    assert "g̃" not in formulas and "b = 1" not in formulas and "η_r" not in formulas


def test_what_a_note_would_do_if_the_idea_misbehaved_is_not_its_formula() -> None:
    from agentnotes.experiments.guards.idea_sections import formulas_in

    def formulas(text: str) -> str:
        return formulas_in([Hit(Chunk("/n/a.md", 1, 4, text, ("a",)), 1.0)])

    rule = "v ← β·v + g，w ← w − η·v\n"
    assert formulas(rule + "Not sure — if it's a bug, add a lane with its own lr η_r = 0.1·η.\n") == rule.strip()
    assert formulas(rule + "如果不稳定就加 clip：g = clamp(g, −1, 1)\n") == rule.strip()
    halving = "如果 Armijo 条件不满足，就把步长减半：η = η/2"
    assert halving in formulas(rule + halving)  # a condition of the rule itself stays


def test_a_run_the_setup_adds_in_passing_does_not_name_the_task() -> None:
    from agentnotes.experiments.guards.task import task_in_notes

    note = "## 怎么测\n- 合成回归：y = sin(3x₁) + x₂·x₃ + 噪声，600 steps\n- 顺便在 digits 上跑一遍确认不掉点\n"
    assert task_in_notes(note) == "regression"
    assert task_in_notes(note.replace("顺便在", "在")) == "digits"  # named as a test of its own: the cues' order decides


def test_a_soft_version_kept_in_reserve_is_a_variant() -> None:
    from agentnotes.experiments.guards.idea_sections import formulas_in

    text = "p_ij = w_ij · x_j\n- 软版本备选：y_i = Σ_j p_ij · softmax_j(|p_ij|/τ)，τ 可学\n"
    assert formulas_in([Hit(Chunk("/n/a.md", 1, 2, text, ("a",)), 1.0)]) == "p_ij = w_ij · x_j"


def test_a_line_under_an_asides_label_in_one_passage_is_no_formula_in_a_passage_that_starts_below_the_label():
    label = Chunk("n.md", 5, 7, "Known problem: no calibration. So two variants:\n  (1) plain;\n  (2) L = r + b·CE", ("N",))
    below = Chunk("n.md", 6, 9, "  (1) plain;\n  (2) L = r + b·CE\n\nHow to test: digits", ("N",))
    idea = Chunk("n.md", 1, 3, "# N\n\nr = Σ_k sigmoid(z_k − z_y)", ("N",))
    formulas = formulas_in([Hit(idea, 1.0), Hit(label, 0.9), Hit(below, 0.8)])
    assert "sigmoid" in formulas and "CE" not in formulas


def test_a_clip_said_in_words_follows_the_formula_of_its_value() -> None:
    note = ("r = g / (|m| + ε)\nw ← w − η·r\n"
            "r 裁剪到 [−1, 1]，防止一步太大。")  # invented
    assert formulas_in([_section("clipped ratio", note)]).splitlines() == [
        "r = g / (|m| + ε)", "r = clip(r, -1, 1)", "w ← w − η·r"]
    unclipped = "w ← w − η·g\nclip everything to [0, 1] later"  # no formula computes "everything"
    assert "clip(" not in formulas_in([_section("plain", unclipped)])


def test_a_line_saying_where_else_the_idea_holds_names_no_task() -> None:
    from agentnotes.experiments.guards.task import task_in_notes

    note = ("每 100 步把每层权重的行范数拉平。\n不变：2×64 ReLU MLP，digits。\n"
            "注意：conv net 上同样适用（按输出通道）。")  # invented
    assert task_in_notes(note) == "digits"
    assert task_in_notes(note.replace("同样适用", "更明显")) == "digits_image"  # a conv net the note does speak of


def test_a_formula_labelled_as_the_usual_method_is_not_the_ideas():
    note = ("普通 mixup 随机配对：x̃ = λ·x_i + (1−λ)·x_j，ỹ 同理。\n改法：按 loss 排序后首尾配对，λ_hard = max(λ, 1−λ)\n"
            "Standard residual block: h = x + f(x).\n标准差：s = sqrt(v + eps)\n")
    assert formulas_in([_section("paired mixup", note)]).splitlines() == [
        "改法：按 loss 排序后首尾配对，λ_hard = max(λ, 1−λ)", "标准差：s = sqrt(v + eps)"]  # a standard deviation is no contrast


def test_two_passages_of_one_section_that_overlap_are_read_once() -> None:
    text = "# Slope\n\nWhy: dead units.\n\n```python\nclass A(nn.Module):\n    def forward(s, z):\n        return z\n```\n\nPlan: digits"
    lines = text.split("\n")
    first = Hit(Chunk("n.md", 1, 7, "\n".join(lines[:7]), ("Slope",)), 2.0)
    second = Hit(Chunk("n.md", 5, 11, "\n".join(lines[4:11]), ("Slope",)), 1.0)
    inside = Hit(Chunk("n.md", 6, 7, "\n".join(lines[5:7]), ("Slope",)), 0.5)
    assert text_of(idea_passages("Slope", [first, second, inside])) == text


def test_a_note_giving_kinds_and_formulas_is_planned_by_the_program_and_one_without_formulas_by_the_planner() -> None:
    from agentnotes.pipeline.experiment import _ground_plan, _plan_from_note

    plan = _plan_from_note("mirror vs baseline", _hits(), "mirror vs baseline")
    assert plan is not None and plan.kinds == ["layer", "weight_op"] and plan.task == "regression"
    assert "y = (w1*(x+h) + w2*(x-h))/2 + b" in plan.idea_rule and plan.input_scale == 0.01  # the note's condition
    assert plan.condition in plan.hypothesis and "no planner call" in plan.corrections[0]
    grounded = _ground_plan(plan, "mirror vs baseline", _hits(), "mirror vs baseline")
    assert grounded.model_dump(exclude={"baseline"}) == plan.model_dump(exclude={"baseline"})  # nothing to correct
    assert _plan_from_note("double ReLU vs ReLU", _hits(), "double ReLU vs ReLU") is None  # too short a rule: the planner's
    digits = [_section("sign momentum", "m = β·m + (1−β)·sign(g)\nw = w − lr·m\n\n实验：digits，3 seeds")]  # invented
    planned = _plan_from_note("sign momentum vs SGD", digits, "sign momentum vs SGD")
    assert planned is not None and planned.task == "digits" and planned.idea_name == "sign momentum"


@pytest.mark.parametrize(("words", "effect"), [("预期：收敛更快，最终精度差不多", "convergence"),
                                                ("Expect it to converge faster early on", "convergence"),
                                                ("训练更稳定，大学习率下不容易发散", "stability"),
                                                ("expect +0.5% test accuracy", "final_metric")])
def test_the_effect_a_note_expects_is_read_from_its_words(words: str, effect: str) -> None:
    from agentnotes.experiments.guards.claim import expected_effect

    assert expected_effect(words) == effect  # invented wordings


def test_a_formula_line_too_long_for_the_rule_leaves_the_shorter_ones_after_it() -> None:
    from agentnotes.experiments.guards.idea_sections import MAX_RULE_CHARS, formulas_in

    # invented note: a long paragraph of background around one formula, then the idea's own lines
    background = "Prior work: use s = (a·b)·b, " + "which is noisy and slow " * (MAX_RULE_CHARS // 20)
    note = f"# Guided steps\n\n{background}\n\n- u = m / (‖m‖ + ε)\n- w ← w − η·u"
    formulas = formulas_in([Hit(Chunk("n.md", 1, 6, note, ("Guided steps",)), 1.0)])
    assert formulas.splitlines() == ["- u = m / (‖m‖ + ε)", "- w ← w − η·u"]


def test_a_passage_that_starts_inside_an_indented_code_block_reads_as_that_block() -> None:
    from agentnotes.experiments.guards.note_code import code_blocks

    first = Hit(Chunk("n.md", 1, 2, "# Count norm\nLayer right after the ReLU:", ("Count norm",)), 1.0)
    second = Hit(Chunk("n.md", 4, 5, "    def occ(z):\n        return z", ("Count norm",)), 0.5)
    text = text_of([first, second])
    assert text == "# Count norm\nLayer right after the ReLU:\n\n    def occ(z):\n        return z"
    assert code_blocks(text) == ["    def occ(z):\n        return z"]


def test_the_formulas_of_a_synthetic_data_section_are_the_setups_not_the_ideas() -> None:
    from agentnotes.experiments.guards.idea_sections import formulas_in

    # invented: the data a loss idea is tried on, under its own heading or label
    for label in ("## 合成数据", "## Synthetic data", "Toy data:"):
        note = f"# Quantile loss\n\n## loss\nρ(r) = max(τ·r, (τ − 1)·r)\n\n{label}\ny = sin(3x) + 0.5·|x|·ε\n"
        formulas = formulas_in([Hit(Chunk("/n/q.md", 1, 8, note, ("Quantile loss",)), 1.0)])
        assert "max(τ·r" in formulas and "sin(3x)" not in formulas, label


def test_a_small_experiment_heading_is_the_setup_and_a_success_criterion_is_no_formula() -> None:
    from agentnotes.experiments.guards.idea_sections import formulas_in
    from agentnotes.experiments.guards.task import task_in_notes

    # invented: the motivation speaks of "a noise sequence"; the setup heading is an adjective and "experiment"
    for heading in ("## Small experiment", "## 小实验", "## Quick experiment"):
        note = f"Add the increment of a noise sequence to each step.\n\n{heading}\n1. digits, MLP 64-128-10, 5 seeds\n"
        assert task_in_notes(note) == "digits", heading
    note = "# Noisy step\n\nθ ← θ − η·g + σ·ε\n\nSuccess = (c) ≥ (a) on test NLL for some σ.\n算成功：(b) ≤ (c)\n"
    formulas = formulas_in([Hit(Chunk("/n/s.md", 1, 6, note, ("Noisy step",)), 1.0)])
    assert "θ ← θ − η·g + σ·ε" in formulas and "Success" not in formulas
