"""The registry of idea kinds (experiments/guards/kinds.py): cues, hooks, examples, fixes and checks."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from agentnotes.agents.experimenter import EXAMPLE_RULE_MARK, EXAMPLES_DIR, copied_example_rules, extract_code, idea_examples
from agentnotes.experiments.guards.autofix import FIXES, apply_fixes
from agentnotes.experiments.guards.kinds import (
    KINDS,
    PENALISED_ACTIVATIONS,
    VARIANT,
    allowed_changes,
    canonical,
    checks_for,
    examples_for,
    fixes_for,
    hooks_for,
    kinds_in_notes,
)
from agentnotes.experiments.guards.static_check import IDEA_CHECKS, blocking, check_idea_code
from agentnotes.experiments.lab.template import hook_names

CONTRACT_KINDS = ["update_rule", "layer", "activation", "weight_op", "init", "loss", "data", "schedule", "regulariser",
                  "architecture"]
CONFOUNDS = {"layers", "activation", "architecture", "init", "optimizer", "loss", "batch", "lr", "weights"}
GENERALITY = Path(__file__).resolve().parent.parent / "benchmarks" / "generality"


def test_the_registry_holds_the_contracts_kinds_and_names_only_what_exists() -> None:
    assert [kind.name for kind in KINDS] == CONTRACT_KINDS
    for kind in KINDS:
        assert set(kind.hooks) <= set(hook_names()) and kind.hooks, kind.name
        assert (EXAMPLES_DIR / kind.example).is_file(), kind.name
        assert set(kind.changes) <= CONFOUNDS and kind.changes, kind.name
        assert set(kind.fixes) <= set(FIXES), kind.name
        assert set(kind.checks) <= set(IDEA_CHECKS) | {"own_optimizer"}, kind.name
    assert sorted(p.name for p in EXAMPLES_DIR.glob("*.md")) == sorted(examples_for(CONTRACT_KINDS))


def test_old_part_names_still_load_and_the_lookups_follow_the_registry() -> None:
    assert canonical(["optimizer", "layer", "layer", "unknown"]) == ["update_rule", "layer"]
    assert hooks_for(["layer", "optimizer", "weight_op"]) == ["make_optimizer", "build_model", "after_step"]
    assert hooks_for(["regulariser"]) == ["compute_loss", "after_step", "build_model"]  # a mask drawn while training too
    assert allowed_changes(["schedule"]) == {"lr"} and allowed_changes(["layer", "weight_op"]) == {"layers", "init", "weights"}
    assert "fix_weight_products" in fixes_for(["layer"]) and "fix_weight_products" not in fixes_for(["init", "activation"])
    assert checks_for(["update_rule"]) == {"own_optimizer", "overwritten_weights"} and checks_for(["loss"]) == set()


@pytest.mark.parametrize(("note", "kinds"), [
    ("g = g / (||g|| + eps)，然后 w = w - lr * g", ["update_rule"]),
    ("add gradient noise: g = g + σ*ε with ε ~ N(0, 1)", ["update_rule"]),
    ("step = lr*sign(g); w = w - step", ["update_rule"]),
    ("带动量的更新规则：m = 0.9*m + g", ["update_rule"]),
    ("y = W*x + b 换成 y = W*x + V*x² + b", ["layer"]),
    ("# 逐元素 max 的残差\n  u = W2·relu(W1 h_l)\n  h_{l+1}[j] = max(h_l[j], u[j])", ["architecture"]),  # layer l+1 from l
    ("keep `d_j ← ρ d_j + (1−ρ)·mean_i 1[z_ij ≤ 0]` (ρ = 0.99, d_j init 0.5) and use `f_j(z) = max(z,0) + a_j·min(z,0)`",
     ["activation"]),  # a unit's own function; a kept value's start is no initialisation
    ("# Seam carving 增强：删一条 seam\n1. 能量图 E = |∂_x X|\n2. 每张图执行 k 次，k ~ Uniform{1, 2}", ["data"]),  # per image
    ("# Leave-one-out BatchNorm\nz_i normalised by the others' mean.\nRunning stats for eval stay as in BN (EMA of μ, σ², "
     "momentum 0.1).", ["layer"]),  # the running statistics' momentum is no update rule
    ("# Seam carving 增强\nE = |∂_x X|\n\n## 计划\n- 模型：small CNN（conv 16-32, 3×3）", ["data"]),  # the plan's model
    ("# 丢掉输入，权重也跟着变\n实现：`h = ((x*m) @ W.T) / (1-p)`，m 每个样本独立抽。", ["layer"]),  # masked input, then W
    ("# 带状起点\n- 每个隐藏单元只连一条 4 像素的横带，其余权重为 0，都可训练——这只是一个初始化", ["init"]),  # said so
    ("# 随机抖动节奏\n增强（每个 batch 都做）：\n- τ = cumsum(exp(σ·randn(T)))\n\n模型：单层 GRU，hidden 32。", ["data"]),  # labelled
    ("想在 MLP 中间插一层读出近邻。这是架构上的改动，不是正则项。", ["architecture"]),  # what the idea is said not to be
    ("每 N = 100 步做一次：找 l_star = argmin_l r_l，冻住它。这不是 layer-wise lr schedule，而是周期性操作。", ["weight_op"]),
    ("L = (1/B) Σ_b (ŷ_b − y_b)² + λ · (1/B) Σ_k (ŷ_(k) − y_(k))²，第二项是排序后的 W₂²", ["loss"]),  # a term of outputs
    ("L = CE + λ · Σ_l ‖W_l‖²", ["loss", "regulariser"]),  # a term of the weights stays a regulariser
    ("# 抖动符号 SGD（dithered signSGD）\n- s_l = RMS(m_l)\n- Δ_i = −η·sign(m_i + ξ_i)", ["update_rule"]),  # named an optimizer
    ("- t_l = T(1 − c − s) + s·T·(L − l)/(L − 1)\n  (head l = L starts earliest, layer 1 last)", []),  # l = L: an index
    ("L = CE + μ · ‖h − M‖²\n\nContrast: a mixup-style augmentation of two views vs this.", ["loss"]),  # an aside
    ("Random minibatches are mostly easy contrast: build each batch from pairs of nearby examples of different "
     "classes; the loss is still plain CE.", ["data"]),  # which examples share a batch
    ("# 相邻隐层 CKA 冗余罚项\n总损失：L = CE + μ · Σ_{l=1}^{L−1} max(0, CKA(H_l, H_{l+1}) − κ)\n"
     "```python\ndef lin_cka(X, Y):\n    return (X.T @ Y).norm() ** 2\n```", ["regulariser"]),  # the title's penalty; no wiring
    ("# 卷积展开初始化：把全连接第一层初始化成随机 3×3 卷积的展开\nW0 = conv(eye).view(64, -1).T", ["init"]),
    ("# 每 N 步对第一层做一次中值滤波\n为什么是中值不是均值：这和光滑性罚项不同，中值保边缘。", ["weight_op"]),
    ("# 过采样 + 贪心挑选的初始化\n1. 每层先采 M = 4n 个候选行\n2. 算候选激活 A_{ik} = relu(w_k·x_i + b_k)", ["init"]),
    ("- 实际 lr：η_t = η_sched(t) · b_t\n想验证的是：没有 warmup、tiny transformer 用 post-LN 时能否用更大的 lr。", ["schedule"]),
    ("A memory read-out inserted after the first hidden layer: an architectural change, it is not a regulariser.",
     ["architecture"]),
    ("f(x) = x * sigmoid(x)，替换 ReLU", ["activation"]),
    ("f(x) = x·cos(x)。MLP 64-128-10，SGD 动量 0.9，lr 0.05", ["activation"]),  # the training's optimizer, no idea
    ("# 成对排序激活（组大小 2）\n把隐藏单元两两分组：y1 = max(a, b)，y2 = min(a, b)", ["activation"]),  # named in its heading
    ("# 隐层激活的 L2 惩罚\n训练 loss 加一个惩罚项 λ*Σ‖h‖²", ["regulariser"]),  # the heading names what is penalised
    ("每一步更新之后把每个权重矩阵的行投影回半径 c 的球里", ["weight_op"]),
    ("every 5 steps pull the weights halfway back to their slow copy", ["weight_op"]),
    ("after every step, w = w / ||w||", ["weight_op"]),
    ("只改初始化：权重 W 初始化成正交矩阵", ["init"]),
    ("L = -mean((1 - p_t)^γ * log p_t)", ["loss"]),
    ("x = x + 0.1*randn：给输入加噪声", ["data"]),
    ("lr_t = lr * 0.5^(t/100)", ["schedule"]),
    ("训练 loss 加一个惩罚项 λ*Σ|W|", ["regulariser"]),
    # the new layer's own backward pass is no update rule; the same step said otherwise is one
    ("# TernaryLinear: rounded weights\ny = Ŵ x + b\nBackward: straight-through, g := g (zero the grad where |W| > α)",
     ["layer"]),
    ("TernaryLinear: rounded weights\ny = Ŵ x + b\nThen g := g (zero the grad where |W| > α)", ["update_rule", "layer"]),
    # a new input drawn from a set, the setup's optimizer without a number, a layer norm of x (no draw)
    ("x̃ = round(x·(q − 1))/(q − 1)，q ~ Uniform{2, 4, 8}\n实验：MLP，SGD momentum；5 seeds", ["data"]),
    ("X ← X + W·LN(X)", []),
    ("y = W x + b 换成 y = W*x + V*x² + b\n- 对照 2：concat(relu(x), relu(−x)) 再接 Linear", ["layer"]),  # a control arm
    ("训练 loss 加一个惩罚项 λ*Σ|W|（和 group norm 层一样的想法）", ["regulariser"]),  # a kind said only in brackets beside
    # another: an aside
    ("R = λ·Σ_u (p_u − 0.5)²\n总 loss = CE + R", ["loss", "regulariser"]),  # the task loss plus a named penalty
    # the penalty's own value, computed with tanh, is no activation idea; an activation's output is one
    ("p_j = (1/B) Σ_b tanh(2·a_bj)\nR = λ·Σ_j p_j²\nloss = L_task + R", ["loss", "regulariser"]),
    ("新激活：y = clip(x, 0, α)，α 可学习\nloss = L_task + R，R = λ·α²", ["activation", "loss", "regulariser"]),
    # a step after each optimizer step that reads no gradient is the operation's; one reading a value of it is a rule
    ("每次 optimizer.step() 之后：w ← w − γ·(w − Q(w))\nQ(w) = s·round(w/s)\nSTE 给 round 的梯度不光滑", ["weight_op"]),
    ("every k steps refresh h:\nm ← 0.9·m + g\nθ ← θ − η·m / h", ["update_rule", "weight_op"]),
    ("- mask = σ(4·a)，a = gA·gB / ḡ²\n- w ← w − lr · mask ⊙ ḡ，ḡ 是梯度", ["update_rule"]),  # the rule's own gate
    # what the network's activation allows, and a unit re-initialised in the operation's step
    ("every N = 500 steps merge unit j into unit i: relu(v_j·x) ≈ c·relu(v_i·x), so W_out[:, i] += c·W_out[:, j]; "
     "re-init unit j", ["weight_op"]),
    ("顶层反馈：第二遍第一层多加一项 P·h_L（反馈通道）\npass 1:  h_1 = φ(W_1 x),  h_l = φ(W_l h_{l−1})\n"
     "pass 2:  h'_1 = φ(W_1 x + P h_L),  y = W_o h'_L", ["architecture"]),
    ("用一个小的卷积网络 (conv net) 处理 8×8 图像", ["architecture"]),
    # a new input made for the same label, or a function of a batch and its labels, is a batch change
    ("把两张同类图的左半边互换，标签不变", ["data"]),
    ("```python\ndef swap_halves(x, y):\n    return x.flip(1)\n```", ["data"]),
    # a layer named in the heading; the weights it makes with no step to make them at are the layer's, no operation
    ("# CayleyLinear：正交参数化\nW = (I − A)(I + A)⁻¹·diag(s)，A = S − Sᵀ，W/‖W‖ 的谱不变", ["layer"]),
    # words inside other words, negations and measured outcomes name no kind
    ("design notes on aggregate results; convergence was slow", []),
    ("no weight decay for now; same architecture as the baseline; 起到正则化作用; m 初始化为 0", []),
    ("预期：训练损失下降更快，学习率用 0.05", []),
    ("判据：换一个 seed 只改初始化，看剪掉的权重和初始化时最小的那批重合多少", []),  # how the idea is judged
    ("算成功：K=3 比同参数的两层 MLP 高 ≥ 0.5%，或者一样准但初始化更稀疏", []),  # what counts as success (invented)
    ("Success: the warmup-free run matches the tuned init within 0.5%", []),
    ("另外想看：把 K 个头换成共享初始化会不会变差", []),  # a side question (invented)
    ("Side question: does a larger init make the loss spike?", []),
    ("Keep it if: the new init beats Kaiming by a point", []),
    # doubts are asides; a g said in words to be a module is no gradient (invented)
    ("# Start with Adam, then switch to SGD\nThings I don't trust:\n- might need label noise to see a gap at all", ["update_rule"]),
    ("顾虑：\n- 可能要加标签噪声才看得出差别", []),
    ("L = CE + λ·SupCon(z), z = normalize(g(h)), g = small MLP head 128→64", ["loss"]),
    ("C[i][j] = #{x : y_tilde(x) = i，且 j = argmax_k p_k(x)}", []),  # a condition on a label, no function defined
    ("squash(x) = x / (1 + |x|)", ["activation"]),
    ("# Ghost BatchNorm：按小块算 BN 统计量\n想弄清楚的：\n1. 在 MLP 上和在 conv 上效果一样吗？", ["layer"]),  # questions
    ("# Nonlinear-CG momentum\nd = −g + β·d_prev，θ = θ + η·d", ["update_rule"]),  # no CamelCase layer name in "Nonlinear"
    ("- Not a normalisation layer: it keeps the scale.\nf(x) = x · σ(β·x / rms(x)), β per unit, learnable, init 2",
     ["activation"]),  # a denial; a learnable value's start is no initialisation
    ("# Extrapolated SGD\nw ← w − η·g, then α = argmin ‖Σ α_i r_i‖² + λ‖α‖²", ["update_rule"]),  # a subproblem's penalty
    ("Smooth the gradient: g ← (I + λL)⁻¹ g.\n- Compared with clipping the weights every N steps: this keeps them.\n"
     "Equivalent view: each frequency is divided by 1 + λ·(2 − 2cos(πu/8)).", ["update_rule"]),  # comparisons, restatements
    ("Then f(x) = x·tanh(x)/2; hence the LayerNorm+tanh control.", ["activation"]),  # a comparison arm
    ("Each batch takes exactly B/4 examples from each quartile of the loss table.", ["data"]),
    ("借邻居的标签：y_i^soft = (1 − α)·e_{y_i} + α·q_i", ["loss"]),  # soft targets by a formula
    ("# 邻居标签平滑\n目标改成邻居标签的平均", ["loss"]),
    ("# 随机换标签\n每步以概率 α 随机换标签，期望上等于 label smoothing。", ["data"]),  # label smoothing as a comparison
    ("# Stroke-aware CutMix\npatch λ from the ink, not the area", ["data"]),
    ("想在两个隐层中间插一层乘积单元。", ["architecture"]),
    ("Unlike other pair activations, scale each pair by its length:\n    g = torch.tanh(r * self.k) / r", ["activation"]),
    ("```python\nclass QuietBoost(torch.optim.Optimizer):\n    pass\n```", ["update_rule"]),  # an optimizer class
    ("若醒了：`Δw_i = −η·g_i·2`，否则照常", ["update_rule"]),
    ("每个单元的权重 reshape 成 8×8 后罚核范数", ["regulariser"]),
    ("L(θ) = CE(θ) + μ · mean(h)\nθ ← θ − η ∇_θ L", ["loss"]),  # the plain step written out beside a new loss
    ("每 k = 50 步把 W 的行在输入协方差下正交化。真正进入激活函数的是 `z = W x`。", ["weight_op"]),
    ("# 单元选择性罚项\n对隐藏单元 j，按类别算平均激活 μ_(j,c) = mean(relu(h_j))，\n罚项：R = λ · mean_j relu(μ_j − 1)",
     ["regulariser"]),  # a value the penalty reads, no activation idea
    ("# 偏置初始化：按分位数设阈值\n在一个 batch 上算 z_j = w_j·x，取 b_j = −Quantile(z_j)", ["init"]),  # the biases' init
    ("# Pixel-weighted weight decay\nR = λ Σ e_i W_ji², the diagonal part of E‖Wx‖²", ["regulariser"]),
    ("罚项 R = λ · mean_j N_j\n```python\ndef pair_penalty(h1, h2, d=1e-3):\n    N = 0.5 * (h1 - h2).pow(2).mean(0)\n"
     "    S = (0.5 * (h1.var(0) + h2.var(0)) - N)\n    return (N / (S + d)).mean()\n```", ["regulariser"]),  # its inputs
    ("# 按验证误差控制学习率\nη_{e+1} = η_e · (g*/g_e)^κ", ["schedule"]),
    ("Ĥ = γ ⊙ H / (s(H) + ε) + β, one scalar per batch", ["layer"]),  # a normalisation's affine form
    ("边缘像素几乎总是 0（x=0），测试时有墨水就往隐层里灌噪声。\n初始化：W_ij ~ N(0, s_j²)", ["init"]),  # a case, no data
    ("# 按预测的方差采样\n每个样本 i 的采样概率：P(i) ∝ std_H(p_i) + ε", ["data"]),  # how often each example is drawn
    ("# Linear decay to zero\nη(t) = η_max · (T − t)/T\nLate in training the average over steps averages out gradient "
     "noise.", ["schedule"]),  # gradient noise as a reason, not noise the idea adds
])
def test_a_notes_cues_name_its_kinds_as_whole_words(note: str, kinds: list[str]) -> None:
    assert kinds_in_notes(note) == kinds


def _tuned_ideas() -> list[dict]:
    """The generality suite's ideas that guards may be tuned on (never the held-out ones)."""
    path = GENERALITY / "ideas.toml"
    ideas = tomllib.loads(path.read_text(encoding="utf-8"))["idea"] if path.exists() else []
    return [idea for idea in ideas if idea["split"] == "tuned" and idea["testable"]]


@pytest.mark.parametrize("idea", _tuned_ideas(), ids=lambda idea: idea["id"])
def test_the_cues_find_each_tuned_ideas_kinds_and_its_reference_passes_the_guards_unchanged(idea: dict) -> None:
    found = kinds_in_notes((GENERALITY / idea["note"]).read_text(encoding="utf-8"))
    assert set(idea["kinds"]) <= set(found)
    reference = (GENERALITY / "reference" / f"{idea['id']}.py").read_text(encoding="utf-8")
    for kinds in (idea["kinds"], found):
        assert apply_fixes(reference, kinds) == (reference, [])
        assert blocking(check_idea_code(reference, kinds)) == []


@pytest.mark.parametrize("kind", CONTRACT_KINDS)
def test_each_worked_example_passes_the_guards_of_its_kind_and_marks_its_rule(kind: str) -> None:
    text = idea_examples([kind])
    code = extract_code(text)
    assert check_idea_code(code, [kind]) == [] and apply_fixes(code, [kind]) == (code, [])
    assert EXAMPLE_RULE_MARK in code and "`" in text.splitlines()[0]  # its rule lines, its formulas in backticks
    assert copied_example_rules(code, text)  # pasted as it is, it is a copy
    for other in set(CONTRACT_KINDS) - {kind}:
        assert code not in idea_examples([other])


def test_the_examples_are_not_ideas_of_the_notes_or_of_the_suite() -> None:
    text = idea_examples(CONTRACT_KINDS).lower()
    names = ["mirror", "gonnor", "signsgd", "softsign", "slowlinear", "logic gate", "double relu"]
    path = GENERALITY / "ideas.toml"
    suite = tomllib.loads(path.read_text(encoding="utf-8"))["idea"] if path.exists() else []
    names += [idea["id"].replace("_", " ") for idea in suite] + [idea["id"] for idea in suite]
    assert [name for name in names if re.search(rf"\b{re.escape(name)}\b", text)] == []


def test_only_the_first_kinds_example_is_shown() -> None:
    assert idea_examples(["activation", "update_rule"]) == idea_examples(["update_rule"])
    assert idea_examples(["weight_op", "layer"]) == idea_examples(["layer"])


def test_a_line_equal_to_an_examples_rule_is_not_copying_when_the_users_note_says_it() -> None:
    examples = idea_examples(["activation"])
    code = "class C(nn.Module):\n    def forward(self, x):\n        return x.clamp(-1, 1) ** 3 + 0.1 * x\n"
    copied = ["return x.clamp(-1, 1) ** 3 + 0.1 * x"]
    assert copied_example_rules(code, examples) == copied
    assert copied_example_rules(code, examples, "my activation: y = clamp(x, -1, 1)^3 + 0.1*x") == []  # the example's formula
    assert copied_example_rules(code, examples, "y = x.clamp(-1, 1)**3 + 0.1*x") == []  # the line's own expression
    assert copied_example_rules(code, examples, "y = clamp(x, -1, 1)") == copied  # a part of it is not the formula


def test_a_term_of_the_examples_rule_added_to_the_ideas_formula_is_taken_out_unless_the_note_writes_its_number() -> None:
    from agentnotes.agents.experimenter import copied_example_terms, without_terms

    examples = idea_examples(["activation"])  # the example's rule: clamp(x, -1, 1)^3 + 0.1*x
    code = ("class C(nn.Module):\n    def forward(self, x):\n        c = self.c + 0.5\n"
            "        return torch.relu(x) * torch.exp(-x ** 2 / c) + 0.1 * x  # the idea\n")
    note = "f(x) = relu(x)·exp(−x²/c), c 可学，init 3"  # invented
    assert copied_example_terms(code, examples, note) == ["0.1 * x"]
    assert without_terms(code, ["0.1 * x"]).splitlines()[-1] == "        return torch.relu(x) * torch.exp(-x ** 2 / c)"
    assert copied_example_terms(code, examples, note + "，加一个 0.1 倍的线性泄漏") == []  # the note writes the number
    assert copied_example_terms(code.replace("0.1 * x", "x"), examples, note) == []  # no number of the example's
    loss = "def compute_loss(out, y, model):\n    penalty = model[0].weight.abs().sum()\n    return task_loss(out, y) + 1e-3 * penalty\n"
    assert copied_example_terms(loss, idea_examples(["regulariser"]), "R = λ·Σ|W|") == []  # the idea's own value, scaled


@pytest.mark.parametrize(("kind", "task"), [(kind, "digits_image" if kind == "architecture" else "regression")
                                            for kind in CONTRACT_KINDS])
def test_each_worked_example_builds_in_the_real_lab(tmp_path: Path, kind: str, task: str) -> None:
    from agentnotes.experiments import ExperimentConfig, assemble_script

    code = extract_code(idea_examples([kind]))
    (tmp_path / "experiment.py").write_text(assemble_script(code, ExperimentConfig(task=task, seeds=(0, 1, 2), steps=20)))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.run([sys.executable, "experiment.py", "--describe"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    described = json.loads((tmp_path / "arms.json").read_text())
    hooks = described["arms"]["idea"]["hooks"]
    # an example defines its kind's hooks; the layer example also shows a layer's periodic operation (after_step)
    extra = {"after_step"} if kind == "layer" else set()
    assert described["error"] is None and set(hooks) & set(hooks_for([kind])) and set(hooks) <= set(hooks_for([kind])) | extra


def test_a_hidden_state_computed_from_the_one_before_is_a_recurrent_cell_not_a_layer() -> None:
    from agentnotes.experiments.guards.kinds import kinds_in_notes

    cell = "z_t = σ(W_z x_t + b_z)\nc_t = W_h x_t + b_h\nh_t = (1 - z_t) ⊙ h_{t-1} + z_t ⊙ c_t"
    assert kinds_in_notes(cell) == ["architecture"]
    # An optimizer's running value named h, beside the gradient: no cell.
    assert kinds_in_notes("h_t = ρ·h_{t-1} + (1−ρ)·g_t²\nw = w - lr * g / sqrt(h_t + eps)") == ["update_rule"]


def test_a_learning_rate_changed_every_n_steps_is_a_schedule_not_a_weight_operation() -> None:
    from agentnotes.experiments.guards.kinds import kinds_in_notes

    assert kinds_in_notes("The learning rate is halved every 100 steps, starting from the base rate.") == ["schedule"]
    assert kinds_in_notes("学习率每 100 步减半。") == ["schedule"]
    assert kinds_in_notes("每 50 步把所有权重乘以 0.5。") == ["weight_op"]
    # The rate made from itself every K steps, in a note whose English words start with w ("when", "window").
    rule = ("Every K steps, when the window's mean loss fell:\n    η ← min(η · ρ_up, η_max)\nelse:  η ← η · ρ_down\n"
            "Plain SGD with the same η for all layers.")
    assert kinds_in_notes(rule) == ["schedule"]
    assert "schedule" not in kinds_in_notes("w = w - lr * g / (|g| + 1e-8); lr = 1.0 (so really no lr)")
    # a curve of the rate over the steps, named so (invented)
    assert kinds_in_notes("# 从谱解出 lr 曲线\n\n把解出的 η*(t) 按步数缩放，直接当 MLP 的 schedule") == ["schedule"]
    assert kinds_in_notes("Fit the learning-rate curve to the loss, then reuse it on the MLP.") == ["schedule"]
    assert "schedule" not in kinds_in_notes("目标熵 H*(t) 线性降到 0.1，相当于一个熵的 schedule；loss = CE − β·H")


def test_the_optimizer_kept_as_it_is_shows_no_update_rule_and_a_line_search_does() -> None:
    from agentnotes.experiments.guards.kinds import kinds_in_notes

    recentre = "每 100 步：b = b - 0.5 * median(z)，梯度为 0 的 unit 会死。只动 bias；优化器的 momentum 状态不清零。"
    assert kinds_in_notes(recentre) == ["weight_op"]
    assert kinds_in_notes(recentre.replace("优化器的 momentum 状态不清零", "加 momentum")) == ["update_rule", "weight_op"]
    assert kinds_in_notes("Every step, a backtracking line search on the same batch picks the step size.") == ["update_rule"]


def test_a_weighted_sum_of_the_earlier_layers_outputs_is_an_architecture() -> None:
    from agentnotes.experiments.guards.kinds import kinds_in_notes

    assert kinds_in_notes("u_l = relu(W_l a_{l-1})\na_l = Σ_{k=0..l} α[l,k] · h_k\ninit: α[l,l] = 1") == ["architecture"]
    assert kinds_in_notes("y = \\sum_{k<l} c_k h_k") == ["architecture"]
    assert "architecture" not in kinds_in_notes("h̃_i = h_i - \\frac{1}{d}\\sum_{k=1}^{d} h_k")  # a mean over the units


def test_a_warmup_an_update_rule_does_away_with_is_no_schedule() -> None:
    from agentnotes.experiments.guards.kinds import kinds_in_notes

    rule = "Adam 前几步 v 很小，所以大家要 warmup。\nv ← β·v + (1−β)·g²\nη_t = α/(√v_t + ε)\nθ ← θ − η_t·g\n起到 warmup 的作用。"
    assert kinds_in_notes(rule) == ["update_rule"]
    # the rate as a function of the step, or decayed beside the rule: both
    assert kinds_in_notes(rule.replace("η_t = α/(√v_t + ε)", "η_t = α·min(1, t/100)/(√v + ε)")) == ["update_rule", "schedule"]
    assert kinds_in_notes(rule + "\n之后学习率余弦衰减。") == ["update_rule", "schedule"]


def test_an_initialisation_that_names_the_layers_it_changes_and_why_is_no_layer_or_activation() -> None:
    from agentnotes.experiments.guards.kinds import kinds_in_notes

    note = ("Identity init: any Linear layer whose weight is square gets W = I + N(0, σ²), σ = 0.01, b = 0.\n"
            "Why: at init each hidden layer passes its input through, so ReLU(I·h) = h.\n")
    assert kinds_in_notes(note) == ["init"]
    assert kinds_in_notes("A new layer that computes y = W x + b, then f(x) = x·sigmoid(x).") == ["layer", "activation"]
    schedule = ("lr(t) = lr0 * t/W if t < W, lr0 * (T - t)/C otherwise\n"
                "expect: final MSE below the constant-lr baseline (the SGD noise floor gets removed in the cooldown)\n")
    assert kinds_in_notes(schedule) == ["schedule"]  # what it expects of SGD is no update rule


def test_what_a_note_keeps_as_in_the_baseline_shows_no_kind() -> None:
    from agentnotes.experiments.guards.kinds import kinds_in_notes

    note = "f(x) = log(1 + max(0, x))\n把所有 ReLU 换成 f，其余不变（init、SGD lr=0.05、batch、epoch 数）。\n"
    assert kinds_in_notes(note) == ["activation"]
    assert kinds_in_notes("f(x) = x·tanh(x). Everything else as in the baseline: init, lr = 0.05 for every epoch.") \
        == ["activation"]
    assert kinds_in_notes("lr = 0.05、batch 32、epoch 10，其余不变") == []  # a list of settings is no schedule
    channels = "输入多两个坐标通道 u[i, j] = 2·i/7 − 1，第一层卷积输入通道 1 → 3，其余（通道数、初始化方式）都和 baseline 一样。"
    assert "init" not in kinds_in_notes(channels)


def test_units_initialised_again_every_n_steps_are_a_weight_operation_not_an_initialisation() -> None:
    from agentnotes.experiments.guards.kinds import kinds_in_notes

    assert kinds_in_notes("每 N = 200 步，把沉默单元的输入权重重新 Kaiming 初始化。") == ["weight_op"]
    assert kinds_in_notes("Every 100 steps, re-initialise the dead units with nn.init.kaiming_uniform_.") == ["weight_op"]
    assert kinds_in_notes("权重用正交初始化，每 100 步把所有权重乘以 0.9。") == ["weight_op", "init"]  # an init of its own
    # A weight formula of an initialisation, with no step to apply it at: the initial value.
    assert kinds_in_notes("第一层初始化：wᵢ = √2·(x_a − x_b)/‖x_a − x_b‖，x_a, x_b 是两张训练图。") == ["init"]
    assert kinds_in_notes("第一层初始化为单位向量；每 100 步 w = w / ‖w‖。") == ["weight_op", "init"]


@pytest.mark.parametrize(("note", "kinds"), [
    ("y = (A ⊙ B) x + b, A, B ∈ ℝ^{64×fan_in}", ["layer"]),  # a bracketed weight times the input
    ("# 每步之后把权重分布拉回初始化分布\n每次 optimizer.step() 之后：W ← sort 后换回初始值\n"
     "和现有东西的区别：kurtosis 正则是罚项，只管四阶矩", ["weight_op"]),  # the init it returns to, a related method
    ("# A smooth rank loss instead of cross-entropy\nrank(x, y) = Σ_k sigmoid(z_k − z_y)\n"
     "- far-wrong samples (label noise?) don't dominate\nKnown problem: from random init all logits are equal",
     ["loss"]),  # a guess in brackets, a known problem: no kinds of their own
    ("# Gated layer\ny = sigmoid(Wg x) ⊙ (W x) + b\n\nWorries\n- the gate may close; add a penalty on it\n\n"
     "Also could try: a convnet version", ["layer"]),  # a worry's remedy, another version: not the idea
    ("# 残差分支最后一层零初始化\n初始化：$W_2 = 0$，$W_1$ 保持默认。", ["init"]),  # zero init, an init label
    ("# 小角度随机旋转增强\n角度 θ ~ U(−15°, 15°)，每个样本独立", ["data"]),  # an augmentation named by what it does
    ("𝓛 = CE(f(x), y) + λ · Σₗ ‖hₗ‖²\n其中 hₗ 是第 ℓ 个隐层（激活函数之后）的输出", ["regulariser"]),  # where h is taken
    ("W[i, :] = W[i, :] - k * ||W[i, :]|| * g_i / (||g_i|| + eps)", ["update_rule"]),  # a row of a weight matrix
    ("L(t) = round(5 + 15 * min(1, t / (0.5*T)))，每个 batch 的序列长度随训练步数增长", ["data"]),  # a length at step t
    ("f(x) = log(1 + x)\nTask: digits, baseline MLP (2×64, ReLU), plain SGD\n保持不变：初始化、lr、batch", ["activation"]),
    ("Padam 在 GRU 序列分类上：θ ← θ - lr · m̂ / (v̂^p + ε)", ["update_rule"]),  # the task's own model: where it runs
    ("Padam 在 GRU 上，每层加残差连接：θ ← θ - lr · m̂ / (v̂^p + ε)", ["update_rule", "architecture"]),
    ("把第一个 Linear 整个换成可学习 RBF 层，中心 c_j 和宽度都用梯度学", ["layer"]),  # a layer in place of a layer
    ("Growing the batch size: 16, 32, 64, 128 in four equal stages", ["data"]),
    # An architecture's own layers written out are its wiring; a new layer beside a residual path stays a layer.
    ("每个隐藏层的输入是原始输入和之前所有隐藏层输出的拼接：\n- h1 = relu(W1 · x)，W1: 64×d\n- h2 = relu(W2 · [x; h1])\n"
     "- y = W3 · [x; h1; h2]", ["architecture"]),
    ("residual connections around a new layer: h = relu(W x) * sigmoid(V x)", ["layer", "architecture"]),
    # the new layer's factors' start is the layer's own, no init idea (a note titled as an init is one)
    ("Replace the dense hidden→hidden matrix by two 4×4 factors and a rank-2 term. Init both with N(0, 1/4)", ["layer"]),
    # The input fed again into a later layer is wiring across layers; its new matrices' start is no init idea.
    ("h1 = relu(W1 x)\nh2 = relu(W2 h1 + R x)\nR starts at zero so the net begins as the baseline", ["architecture"]),
    ("只改第一层初始化：行 = 训练集的主成分方向", ["init"]),
    # A setup section (its bullets up to a blank line) shows no kind; an experiment said on its label's line may.
    ("f(x) = x + x^2 / 4\n\n实验设置：\n- MLP，Adam lr 1e-3，momentum 0.9\n- init 用 Kaiming\n\n预期：\n- 更新更稳", ["activation"]),
    ("实验：小卷积网，把两处 ReLU 都换成 SmeLU，其它（SGD lr 0.05）完全不变。", ["activation"]),
    ("±c init：W_ij = s_ij * c\n其它全都不变：init、优化器、momentum 0.9", ["init"]),
    ("更新（每层单独）：\n  m ← β m + (1−β) g\n  w ← w − η · m / (√v + ε)", ["update_rule"]),  # 更新 names no new layer
    ("只做中心化的 norm 层：h̃ = h − mean(h) + β", ["layer"]),
    ("logits = sum_{l=1..L} a_l * (V_l h_l) + c，a_l init 0.1", ["architecture"]),  # read out from every layer
    ("L = CE + λ · Σ_l Σ_j |h_{l,j}|", ["loss", "regulariser"]),  # a penalty summed over the layers reads out nothing
    ("每 K = 10 个 epoch 结束时：θ ← λ·θ + σ·ε，只动 conv kernel 和 weight 矩阵", ["weight_op"]),  # the weights from themselves
    ("分组 LayerNorm：G = 16 组，G = 1 时退化为普通 LayerNorm", ["layer"]),  # G = 16 is a count, not a gradient
    ("lr(k, t) = lr0 * (0.7 ** k) * (0.3 ** (t / (T - 1)))", ["schedule"]),  # a rate of the cycle and the step
    ("m_i <- beta * m_i + g_i / (||g_i|| + eps)\nw_i <- w_i - lr * m_i\n\nWhat stays the same: model, init, data.",
     ["update_rule"]),  # a row's update; what stays the same shows no kind
    # A motivation item shows no kind, and the list item after it is the idea again.
    ("- 动机：原论文只在卷积网络上试过\n- 前向：y_j = −Σ_i |x_i − w_ji| + b_j\n- 数据：digits", ["layer"]),
    ("- 规则：每步之后 W ← 1.5·W − 0.5·W·Wᵀ·W\n- 可选：之后乘 g（g = √2）", ["weight_op"]),  # a gain g, an optional item
    ("每步之后 W ← 1.5·W − 0.5·W·Wᵀ·W；只在 ‖W‖ < √3 时收敛，所以初始化用正交矩阵", ["weight_op"]),  # another clause
    ("hidden 64 = g = 8 modules × 8 units, each module i ticks every 2^i steps: h_t[i] = tanh(W h_{t-1} + U x_t)",
     []),  # g counts modules; the recurrence is the lab's own
    ("Clockwork RNN: h_t[i] = h_{t-1}[i] unless t mod T_i == 0", ["architecture"]),  # a recurrent model of its own
    ("Tasks\n- target y = sum of 3 sines with periods 5, 40, 160", []),  # a bare label line opens an aside
    ("y = U(Vx) + b，V: in→r，U: r→out", ["layer"]),  # two factor matrices applied to the input
    ("# 重尾初始化：用 Student-t 抽权重\nW = c · T，T ~ t(ν)", ["init"]),  # a heading names the initialisation
    ("每张图：Δx ← α·(G_σ * Δx)（高斯核卷积），x' = bilinear(x, Δ)，弹性形变增强", ["data"]),  # a blur is no conv layer
    ("f(x) = x·tanh(x)\n- init、lr、数据顺序、seed 全部一致。", ["activation"]),  # what is kept, said at the line's end
])
def test_what_a_note_line_shows_of_the_idea(note: str, kinds: list[str]) -> None:
    from agentnotes.experiments.guards.kinds import kinds_in_notes

    assert kinds_in_notes(note) == kinds


def test_an_aside_heading_is_an_asides_label_and_nothing_more() -> None:
    from agentnotes.experiments.guards.kinds import is_aside_heading

    assert all(map(is_aside_heading, ["Setup", "Baseline", "预期", "Expectation", "设置", "Variant for later"]))
    assert not any(map(is_aside_heading, ["Rule", "规则", "实验：镜像层", "Experiments with momentum"]))


def test_the_setup_and_the_condition_an_idea_is_tried_under_show_no_kind() -> None:
    note = ("# 有界损失，抗标签噪声\n\n"
            "$\\log_t(x) = \\frac{x^{1-t} - 1}{1-t}$\n损失：$L = \\sum_i y_i(\\log_t y_i - \\log_t p_i)$\n\n"
            "## 设置\n训练集加 40% 标签噪声；SGD 的 w ← w − η g\n")
    assert kinds_in_notes(note) == ["loss"]  # log_t(x) is the loss's own function, the noise the setup's
    assert kinds_in_notes(note.replace("## 设置", "## 规则")) == ["update_rule", "loss", "data"]  # said as the idea
    assert kinds_in_notes("ReLU 换成 f(x) = x·tanh(x)\n损失函数照旧：L = CE(f(x), y)") == ["activation", "loss"]
    assert kinds_in_notes("A bounded loss L = (1 - p_y^q)/q, robust to label noise.") == ["loss"]
    assert kinds_in_notes("A tilted loss L = log(mean(exp(t·ℓ)))/t; try it on digits, clean and with label noise.") == ["loss"]


def test_a_network_part_defined_as_a_function_is_no_activation_and_flipped_labels_are_a_data_idea() -> None:
    assert kinds_in_notes("卷积层后的池化换成 BlurPool(x) = Subsample(Blur(MaxPool(x)))") == ["architecture"]
    assert kinds_in_notes("squash(x) = x / (1 + |x|)，替换 ReLU") == ["activation"]
    assert kinds_in_notes("每个 batch 以概率 α 随机扰动一部分标签，换成均匀抽的类") == ["data"]
    assert kinds_in_notes("Each minibatch, flip the labels of 10% of the samples to a random class.") == ["data"]
    assert kinds_in_notes("把 one-hot 标签换成平滑过的分布：L = CE(q, p)") == ["loss"]  # soft targets: the loss's


def test_what_a_note_says_it_does_without_shows_no_kind() -> None:
    note = "A soft max-plus unit y_j = τ·log Σ_i exp((x_i + w_ji)/τ) is piecewise linear already, so no activation is needed."
    assert "activation" not in kinds_in_notes(note)
    assert kinds_in_notes(note.replace("so no activation is needed", "an activation is applied after it")) == [
        "layer", "activation"]
    assert kinds_in_notes("不用动量，也不加 warmup；g = g / ‖g‖") == ["update_rule"]


def test_a_running_average_of_the_loss_is_no_loss_and_weights_moved_by_lambda_no_penalty() -> None:
    schedule = "规则：$\\bar L_t = \\beta \\bar L_{t-1} + (1-\\beta) L_t$，然后 $\\eta_t = \\eta_0 (\\bar L_t / \\bar L_0)^p$。"
    assert kinds_in_notes(schedule) == ["schedule"]
    assert kinds_in_notes(schedule + "\n损失：L = CE + 0.1·H(p)") == ["loss", "schedule"]  # a loss of its own
    snap = "每 50 步：W ← W + λ·(c(W) − W)，c(W) 是每个元素最近的 k-means 中心。"
    assert kinds_in_notes(snap) == ["weight_op"]
    assert "regulariser" in kinds_in_notes("L = CE + λ·(‖W‖² − 1)")
    assert kinds_in_notes("实验两个任务：(1) digits；(2) 合成回归 y = sin(3 w₁ᵀx) + ε。\n规则：η_t = η_0 · (1 − t/T)") == ["schedule"]


def test_a_units_own_output_and_a_drop_in_for_linear_show_a_layer() -> None:
    assert kinds_in_notes("Each unit: $y_j = \\tau \\log \\sum_i \\exp((x_i + w_{ji})/\\tau) + b_j$.") == ["layer"]
    assert kinds_in_notes("# A sparse mixing layer as a drop-in for nn.Linear") == ["layer"]


def test_an_augmentation_named_with_what_it_changes_is_a_data_idea() -> None:
    assert kinds_in_notes("# 随机 gamma 强度增强（digits 8x8）\n\n每个样本抽 γ，x' = x^γ。") == ["data"]


def test_something_started_from_the_weights_is_no_initialisation_idea() -> None:
    snap = "每 50 步：对 W 做 k-means，W ← W + λ·(c(W) − W)。第一次的中心用 W 的均匀分位数初始化。"
    assert kinds_in_notes(snap) == ["weight_op"]
    assert kinds_in_notes("W 用 Kaiming 初始化，偏置初始化为 0。") == ["init"]


def test_a_structured_matrix_in_place_of_a_dense_layer_is_a_layer() -> None:
    assert kinds_in_notes("# 用两个低秩因子的乘积代替 nn.Linear") == ["layer"]
    assert kinds_in_notes("A butterfly product of sparse factors, used instead of each dense layer.") == ["layer"]
    assert "layer" not in kinds_in_notes("Also try a square-root cooldown instead of linear: η = η_0 · (1 − √s).")


def test_a_clipped_input_is_an_activation_and_a_penalty_added_in_place_is_a_regulariser() -> None:
    assert kinds_in_notes("y = clamp(x, -c, c)，c 每层一个，可学习") == ["activation"]
    assert kinds_in_notes("loss += λ·Σ c²，防止 c 一直变大") == ["regulariser"]
    assert "regulariser" in kinds_in_notes("loss = CE + lam * (1/L) * sum_l skew(W_l)^2")
    assert "regulariser" in kinds_in_notes("L = CE + λ·T(W₂)，T 是相邻列的差的平方和")


def test_a_weight_projection_after_the_optimizer_step_is_a_weight_operation() -> None:
    assert kinds_in_notes("每次 `optimizer.step()` 之后把 W2 的每一列归一化到和为 1") == ["weight_op"]
    assert kinds_in_notes("```\nW2 -= W2.median(dim=0).values\n```") == ["weight_op"]
    assert kinds_in_notes("- 每 K = 50 steps 做一次：\n    revive: 死掉的单元 w 初始化为小随机数") == ["weight_op"]


def test_a_value_of_the_loss_a_prior_a_model_lends_and_why_it_works_show_no_kind() -> None:
    assert kinds_in_notes("输出 bias 初始化为 log 先验，这样初始 loss = H(π)") == ["init"]
    assert "architecture" not in kinds_in_notes("一个平滑惩罚，相当于给 MLP 一点卷积的先验：L = CE + λ·S(W₁)")
    assert kinds_in_notes("g = clip(g, -1, 1)\n为什么应该有用：相当于自动 warmup") == ["update_rule"]
    assert kinds_in_notes("setup\n- digits, MLP, SGD\n- baselines: dense\n- 另外记录每 100 步后的 acc") == []


def test_a_swapped_hidden_layer_is_a_layer_and_an_optimizers_starting_state_no_initialisation() -> None:
    assert "layer" in kinds_in_notes("把 MLP 中间一层换成 mixture-of-experts：router 挑 2 个 expert")
    assert "layer" in kinds_in_notes("# Block-circulant linear layer (replace nn.Linear)")
    assert kinds_in_notes("m = β·m + g，w = w − lr·m\nPer-coordinate state, init: m = 0，v = 1e-8") == ["update_rule"]
    assert "init" in kinds_in_notes("w = w − lr·g·s\n权重初始化：W ~ N(0, 0.01)")  # the weights' own start: an idea


def test_a_units_weights_against_its_input_are_a_layer_and_a_diagonal_matrix_no_mixing_weight() -> None:
    assert kinds_in_notes("$$ b_{j,k} = \\sigma( w_{j,k}^\\top x_{S_k} + c_{j,k} ) $$") == ["layer"]
    assert kinds_in_notes("b_j = relu(w_jᵀx + c_j)") == ["layer"]
    assert "data" not in kinds_in_notes("$$ x_t = \\Lambda \\odot x_{t-1} + B u_t $$")  # a recurrence's matrix
    assert kinds_in_notes("x = λ·x_i + (1 − λ)·x_j") == ["data"]  # mixup's λ


def test_a_penalty_on_the_gradient_is_a_loss_and_a_measured_loss_no_new_loss() -> None:
    note = "L_reg(θ) = L(θ) + (λ/2)·‖∇θ L(θ)‖²\n梯度 ∇L_reg = g + λ·H g，用 `g = autograd.grad(L, params, create_graph=True)`"
    assert kinds_in_notes(note) == ["loss"]
    assert kinds_in_notes("每 K 步：L_val = loss(θ) on held-out；if L_val > L_best: θ ← θ_best") == ["weight_op"]


def test_copied_lines_are_removed_only_where_the_rest_of_their_block_still_does_something() -> None:
    from agentnotes.agents.experimenter import without_lines

    rule = "g = torch.sign(g) * g.abs().pow(1 / 3)  # the example's own rule"
    code = f'def update(p, g, state, lr, t):\n    """doc"""\n    {rule}\n    p.sub_(lr * g)\n'
    assert without_lines(code, [rule]) == ('def update(p, g, state, lr, t):\n    """doc"""\n    p.sub_(lr * g)\n', [(3, rule)])
    alone = f'def update(p, g, state, lr, t):\n    """doc"""\n    {rule}\n'
    assert without_lines(alone, [rule]) == (alone, [])  # nothing of the idea's own is left
    returned = "def loss(out, y):\n    m = out.mean()\n    return task_loss(out, y) ** 1.5\n"
    assert without_lines(returned, ["return task_loss(out, y) ** 1.5"]) == (returned, [])  # a return carries the result
    assert without_lines("x = 1\ny = 2\n", ["x = 1"]) == ("x = 1\ny = 2\n", [])  # only inside functions


def test_a_variant_with_a_label_and_an_aside_before_its_colon_is_a_variant() -> None:
    from agentnotes.experiments.guards.kinds import VARIANT

    assert VARIANT.match("- 变体 B（Meta-ACON 的简化）：β = σ(u·mean(h) + c)")
    assert VARIANT.match("变体A: 只对第一层做") and VARIANT.match("消融（去掉阶段 3）：μ 固定")
    assert not VARIANT.match("变体 = 1") and not VARIANT.match("- p₁, p₂, β 每个隐单元一组")


def test_an_initialisation_named_in_the_title_of_a_conv_net_note_is_no_architecture_idea():
    note = ("# Delta 初始化（只在卷积核中心放正交矩阵）\n\n做法：3x3 核除了中心全是 0，中心是正交矩阵 H。\n"
            "这样初始时每层就是一个 1x1 的正交卷积。\n")
    assert kinds_in_notes(note) == ["init"]
    structure = "# 残差块里的门\n\n每个残差块加一个门 g，P, Q 初始化为 0，h = x + g·F(x)\n"
    assert "architecture" in kinds_in_notes(structure) and "init" not in kinds_in_notes(structure)


def test_the_weights_passed_to_a_call_that_measures_the_curvature_do_not_make_a_rate_rule_a_weight_operation():
    note = ("# 每 N 步按曲率设学习率\n\n- 每 N = 100 步估计 λ_max\n- 否则 η ← min(η*, 2·η_old)\n\n"
            "```python\ndef hvp(loss_fn, params, v):\n    g = torch.autograd.grad(loss_fn(), params, create_graph=True)\n```\n")
    assert kinds_in_notes(note) == ["schedule"]


def test_a_variant_said_after_a_few_words_is_a_variant():
    assert VARIANT.match("所以再加一个变体：ξ = σ(|Δg| / (√v̂ + ε))")
    assert not VARIANT.match("这个变体的意思：a = 1")


def test_a_block_repeated_in_the_models_chain_is_an_architecture_and_the_norm_around_it_no_layer_idea():
    note = ("# Reversible blocks\n\nBlock: y₁ = h₁ + F(h₂), y₂ = h₂ + G(y₁)\n\n"
            "Model: x(64) → Linear(64→128) → [RevBlock] × D → LayerNorm → Linear(128→10)\n")
    assert kinds_in_notes(note) == ["architecture"]
    assert kinds_in_notes("# RMSNorm 层\n\n换成 RMSNorm：y = x / rms(x) · g\n") == ["layer"]


def test_what_a_note_measures_every_n_steps_and_what_it_drops_show_no_kind() -> None:
    note = ("# 隐藏层方差 hinge 罚项\n\n  R_l = (1/d) · Σ_j max(0, γ − s_j)\n  L = CE + λ · Σ_l R_l\n\n"
            "指标：\n- 死单元比例，每 500 步记一次\n")
    assert "weight_op" not in kinds_in_notes(note) and "regulariser" in kinds_in_notes(note)
    clipping = ("# Unit-wise gradient clipping\n\nClipping each unit's gradient is what lets them drop BatchNorm.\n"
                "Rule, per output unit i (for conv, one output channel = one row):\n"
                "if ‖G_i‖/‖W_i‖ > λ: G_i ← λ·‖W_i‖/‖G_i‖·G_i (so zero-init rows can still move); momentum 0.9\n")
    assert kinds_in_notes(clipping) == ["update_rule"]
    scaled = ("- q > 1 时 w = 0 附近步子 → 0，零初始化的 bias 一直不动 → bias 单独用普通 SGD\n"  # invented
              "- 动量放在对偶空间：m ← β·m + g，u ← u − η·m\n- 按层用 init std s 归一化：u = w/s\n")
    assert kinds_in_notes(scaled) == ["update_rule"]
    # the standard initialisation the setup's network starts from (invented)
    standard = ("# Damped Gauss-Newton steps\n\nd = −(G + λI)⁻¹ g, then θ ← θ + α·d\n\n"
                "Net: 8 hidden layers of 32, tanh, standard Xavier init (deliberately not a friendly init).\n")
    assert kinds_in_notes(standard) == ["update_rule"]
    assert kinds_in_notes(standard.replace("standard Xavier init", "默认初始化")) == ["update_rule"]
    # what a cited paper ran, in prose beside the idea; a cited line with the idea's formula still shows it (invented)
    cited = ("# Variance-reduced steps\n\nSmith & Jones (2019) found it useless on big ResNets with BN and data augmentation.\n"
             "g̃ = g(w) − g(w̃) + μ, w ← w − η·g̃\n")
    assert kinds_in_notes(cited) == ["update_rule"]
    gain = "# Depth gain\n\nHe init (W ~ N(0, g²/N)) with g = √2 · exp(1/N)\n\nmomentum 0.9, lr from the grid\n"
    assert "init" in kinds_in_notes(gain)  # a named init the idea changes is still the idea


def test_a_gradient_changed_from_its_rows_is_an_update_rule_and_a_table_it_refreshes_no_weight_operation() -> None:
    note = ("# 同组单元梯度对齐\n\n- 每 100 步更新一次分组表：按 cos(W_i, W_j) 聚成 8 组\n"  # invented
            "- 每步：g̃_i = g_i + β·(mean_{k∈G(i)} g_k − g_i)\n- 之后照常 SGD+momentum\n")
    assert kinds_in_notes(note) == ["update_rule"]
    assert "weight_op" in kinds_in_notes(note.replace("更新一次分组表", "把权重缩小一次"))


def test_a_model_named_as_where_a_borrowed_function_comes_from_shows_no_architecture() -> None:
    note = ("# 单调宽度门\n\nQRNN-LSTM 里的 cummax 拿来当隐藏层的门：\n\n    z = relu(W x + b)\n"  # invented
            "    g = 1 − cumsum(softmax(V x))\n    h = z ⊙ g\n")
    assert kinds_in_notes(note) == ["layer"]
    assert "architecture" in kinds_in_notes(note.replace("里的 cummax 拿来当隐藏层的门", "：把 LSTM 的输出接到隐藏层"))


def test_a_memory_the_network_reads_and_writes_is_an_architecture_beside_the_gates_it_computes() -> None:
    queue = ("# LSTM with a soft queue\n\nController: h_t = LSTM([x_t ; front(Q_{t−1})], h_{t−1})\n"  # invented
             "- enqueue strength e = sigmoid(E·h_t)\n- Q_t = e·enqueue(Q) + (1 − e)·Q\n")
    assert kinds_in_notes(queue) == ["architecture"]
    assert kinds_in_notes("# 可微队列\n\n写入强度 e = sigmoid(E·h)，队列 Q 每步更新。\n") == ["architecture"]
    # a circular convolution of two vectors (binding, FFT products) is an operation inside a layer, no conv net
    bind = "# 绑定层\n\n隐层输出 h = u ⊛ v，u = W_u x，v = W_v x，⊛ 是 circular convolution（循环卷积，FFT 下逐点相乘）\n"
    assert kinds_in_notes(bind) == ["layer"]  # invented


def test_a_new_nonlinearity_on_a_plain_layers_output_is_an_activation_and_a_hypernetwork_an_architecture() -> None:
    sort = "# GroupSort 激活\n\nforward：\n  h = W x + b\n  h = h.view(B, d/k, k).sort(dim=-1).values.view(B, d)\n"
    assert kinds_in_notes(sort) == ["activation"]
    blend = "# BlendLinear\n\n替换 MLP 里的 nn.Linear + 激活：\n  z = W x + b\n  h = g · relu(z) + (1 − g) · tanh(z)\n"
    assert "layer" in kinds_in_notes(blend)  # the note replaces the linear layer itself
    hyper = ("# Static hypernetwork\n\nA shared generator maps each chunk's embedding to its weights: W = reshape(A z + c).\n"
             "Init matters: initialise A ~ N(0, s²).\n")
    assert kinds_in_notes(hyper) == ["architecture"]
    looped = "# 循环残差块\n\n  h_0 = W_in · x\n  h_{k+1} = h_k + f(LN(h_k))\n  y = W_out · LN(h_K)\n"
    assert kinds_in_notes(looped) == ["architecture"]


def test_a_multiplicative_step_with_the_gradient_is_an_update_rule_and_the_biases_start_an_aside() -> None:
    note = ("# Madam\n\nw ← w ⊙ exp(−η · sign(w) ⊙ g / √(v̂))，v ← β·v + (1−β)·g²\n"
            "- bias 初始化为 0 的话乘性更新永远是 0，要么单独用 Adam。\n")
    assert kinds_in_notes(note) == ["update_rule"]
    shrink = "# 近端步\n\nSGD 每步之后对每列做 w ← w * max(0, 1 - η·λ / ‖w‖)\n"
    assert "update_rule" not in kinds_in_notes(shrink)  # a shrink by the rate alone: the weights' operation
    assert "update_rule" not in kinds_in_notes("# Hashed layer\n\n    g = torch.Generator().manual_seed(seed)\n")


def test_a_penalty_function_of_the_weights_added_to_the_loss_is_a_regulariser_and_a_conv_kernel_the_tasks_model() -> None:
    note = ("# 卷积核平滑惩罚\n\n对第一层每个 filter W_f，\nR(W) = λ · Σ_f Σ_{i,j} (W_f[i+1,j] − W_f[i,j])²\n"
            "总 loss = CE + R(W)。\n\n小实验：\n- 网络：conv 5×5 → ReLU → linear 10\n")
    assert kinds_in_notes(note) == ["loss", "regulariser"]


def test_a_plain_product_a_weight_operation_measures_is_no_layer_and_an_init_seed_no_initialisation() -> None:
    note = ("# 每 N 步重新校准偏置\n\n操作（每 N 步一次）：\n2. 依次算 a_j = w_j·x（不含 bias）的经验分位数\n"
            "3. b_j ← (1−τ)·b_j + τ·b_target_j\n")
    assert kinds_in_notes(note) == ["weight_op"]
    smooth = "# SmeLU\n\nSmeLU(x) = 0 if x ≤ −β; x if x ≥ β\n\nPlan:\n- pairs of runs with the same init seed\n"
    assert kinds_in_notes(smooth) == ["activation"]


def test_a_setup_label_with_an_aside_before_its_colon_opens_an_aside() -> None:
    from agentnotes.experiments.guards.kinds import idea_lines

    note = "h_{k+1} = h_k + f(LN(h_k))\n\n任务（两个）：\n1. 迭代映射回归：T(z) = tanh(A z + c)\n\n对照组：\n- A：不共享"
    assert [line for line in idea_lines(note) if line] == ["h_{k+1} = h_k + f(LN(h_k))"]
    asides = "h ← h + W₂ · relu(W₁ · h)\n第三个对照（为了拆开变量）：r=1\n看：test acc\n要问自己：r=1 ≈ r=4？"
    assert [line for line in idea_lines(asides) if line] == ["h ← h + W₂ · relu(W₁ · h)"]


def test_a_projection_after_each_step_in_no_grad_code_on_linear_and_conv_weights_is_a_weight_operation_only() -> None:
    from agentnotes.experiments.guards.kinds import VARIANT, kinds_in_notes

    note = ("# 每步之后把权重行投影到零均值\n每次 optimizer.step() 之后，对每个 Linear/Conv 的权重做：\n"
            "W[i, :] ← W[i, :] − (1/d_in)·Σ_j W[i, j]\nconv 的话把 (C_in, k, k) 摊平当作一行。\n"
            "```python\n@torch.no_grad()\ndef project(model):\n    w.sub_(w.mean(1, keepdim=True))\n```")
    assert kinds_in_notes(note) == ["weight_op"]  # `no_grad` names no gradient; the conv is where it also applies
    assert VARIANT.match("可选变体：投影后再把行范数恢复")


def test_a_running_average_named_like_a_loss_and_the_starts_of_an_optimizers_averages_are_an_update_rule() -> None:
    from agentnotes.experiments.guards.kinds import kinds_in_notes

    note = ("State per coordinate: s and ℓ.\n$$ s_t = \\beta_1 s_{t-1} + (1-\\beta_1)\\,\\mathrm{sign}(g_t) $$\n"
            "$$ \\ell_t = \\beta_2 \\ell_{t-1} + (1-\\beta_2)\\,\\log(|g_t| + \\epsilon) $$\n"
            "$$ w_{t+1} = w_t - \\eta \\; s_t \\; \\exp(\\ell_t) $$\nConstants: $\\beta_1 = 0.9$. Init $s_0 = 0$, $\\ell_0 = 0$")
    assert kinds_in_notes(note) == ["update_rule"]  # ℓ averages the log-magnitude, no loss; s_0, ℓ_0 no initialisation


def test_a_module_class_named_as_a_linear_layer_is_a_layer_idea() -> None:
    from agentnotes.experiments.guards.kinds import kinds_in_notes

    note = ("在 nn.Linear 前面乘一个可学习门：\n```python\nclass InputGatedLinear(nn.Module):\n"
            "    def forward(self, x):\n        return self.lin(x * torch.sigmoid(self.a))\n```")
    assert kinds_in_notes(note) == ["layer"]


def test_a_buffer_kept_with_no_grad_and_a_learnable_parameters_start_belong_to_the_new_layer() -> None:
    from agentnotes.experiments.guards.kinds import kinds_in_notes

    note = ("# Linear layer that subtracts a learnable fraction of the running input mean\n  y = W (x − α ⊙ μ) + b\n"
            "- μ: running mean of x over the batch dim, EMA with momentum 0.01, no grad (buffer)\n"
            "- α ∈ R^{d_in}: learnable, init 0.5 (so it starts half-centering)")
    assert kinds_in_notes(note) == ["layer"]


def test_every_layers_output_concatenated_into_the_head_is_an_architecture_idea_not_a_layer() -> None:
    from agentnotes.experiments.guards.kinds import kinds_in_notes

    note = ("# 所有 hidden 层直接接到分类头\n普通 MLP 只有最后一层 feature 进 classifier。改成：每一层的输出都 concat 起来再进最后的 Linear。\n"
            "  z = concat[ h₁, h₂, …, h_L ]\n  logits = W_head z + b")
    assert kinds_in_notes(note) == ["architecture"]


def test_a_penalty_on_the_hidden_activations_is_no_activation_idea() -> None:
    from agentnotes.experiments.guards.kinds import kinds_in_notes
    from agentnotes.experiments.guards.skeleton import skeleton_for

    note = "# Penalise low effective rank of hidden activations\n  erank(H) = exp(−Σ_k p_k log p_k)\n  loss = CE − λ · erank(H) / d"
    assert kinds_in_notes(note) == ["loss"]
    assert skeleton_for(["loss"], note, "digits").name == "activity_penalty"


def test_bold_labels_comparisons_and_a_gram_matrix_are_not_the_idea() -> None:
    from agentnotes.experiments.guards.kinds import kinds_in_notes

    nudge = ("**动机**：严格正交约束走 optimizer step 太贵，梯度的范数会漂。\n\n"
             "**操作**（每次 optimizer.step() 之后）：\n\n    W ← W − α · W (WᵀW − I)\n\n"
             "```python\nG = W.T @ W\nW.sub_(alpha * (W @ G))\n```\n\n**疑问**：它不走 optimizer 的 momentum，重要吗？\n")
    assert kinds_in_notes(nudge) == ["weight_op"]
    assert "update_rule" in kinds_in_notes(nudge.replace("G = W.T @ W", "G = p.grad"))  # a G that is the gradient
    penalty = ("R = λ · ‖f(x + δ) − f(x)‖²\nloss = CE(f(x), y) + R\n\n"
               "Testing\n- Compare: no penalty, Gaussian data augmentation with the same σ.\n")
    assert kinds_in_notes(penalty) == ["loss"]


def test_the_raw_input_fed_to_every_layer_is_an_architecture() -> None:
    from agentnotes.experiments.guards.kinds import kinds_in_notes

    assert kinds_in_notes("# 每层都注入原始输入\n\nh_l = σ(W_l h_{l−1} + P_l z + b_l)，z = E x，P_l 初始化为 0") == ["architecture"]
    assert kinds_in_notes("Input injection: h_l = relu(W_l h_{l-1} + P_l E x)") == ["architecture"]


def test_a_rate_made_from_the_weights_own_distance_is_the_update_rules() -> None:
    from agentnotes.experiments.guards.kinds import kinds_in_notes

    note = ("# 按离初始化距离自动退火的逐层学习率\n\n    d_t = ‖W_t − W_0‖ / (‖W_0‖ + ε)\n\n更新规则：\n\n"
            "    m ← β·m + g\n    η_t = η / (1 + κ·d_t)\n    W ← W − η_t·m\n\n"
            "- bias 和 LayerNorm 参数先直接排除（它们用固定 η）\n")
    assert kinds_in_notes(note) == ["update_rule"]
    # A rate given as a function of the step is a schedule beside the rule.
    assert "schedule" in kinds_in_notes(note.replace("η_t = η / (1 + κ·d_t)", "η_t = η / (1 + κ·t)"))
    assert kinds_in_notes("We want to initialize the weights with W ~ N(0, 1/fan_in).") == ["init"]
    # LayerNorm named as the idea, not as what it leaves out, stays a layer.
    assert "layer" in kinds_in_notes(note.replace("先直接排除", "换成 LayerNorm 之后再更新"))


def test_a_sample_weight_named_with_a_normaliser_is_no_weight_operation() -> None:
    from agentnotes.experiments.guards.kinds import kinds_in_notes

    assert kinds_in_notes("r = 真实类别的排名\nw = (1 + r)^γ / normaliser\nL = w · CE(z, y)") == ["loss"]
    assert "weight_op" in kinds_in_notes("每步之后：w = w / norm(w)")


def test_a_title_that_names_one_of_the_kinds_read_is_the_idea() -> None:
    from agentnotes.experiments.guards.kinds import kinds_in_notes

    subspace = ("# 子空间动量：只在梯度的主方向上保留动量\n"
                "- 每 K=20 步刷新一次子空间：U ← qr(G·Gᵀ·U).Q\n- W ← W − η·(U·M + κ·G_⊥)\n")
    assert kinds_in_notes(subspace) == ["update_rule"]  # the refresh every K steps is the rule's own state
    assert kinds_in_notes(subspace.replace("# ", "", 1)) == ["update_rule", "weight_op"]  # no title: both read
    classes = "# Class-by-class curriculum\n- start with two classes in the sampler; every K steps add one more\n"
    assert kinds_in_notes(classes) == ["data"]
    assert kinds_in_notes("# ReLU 换成 f(x) = x·tanh(x)\n损失函数照旧：L = CE(f(x), y)") == ["activation"]
    saturated = ("# 饱和动量：速度有上限\n- v ← μ·v − η·g\n- Δw = v / √(1 + (rms(v)/c)²)，按层算 rms(v) = ‖v‖/√n\n"
                 "```python\nclass SatMom(torch.optim.Optimizer):\n    def step(self):\n        pass\n```\n")
    assert kinds_in_notes(saturated) == ["update_rule"]  # the notes' optimizer class: its step reads the gradient
    assert kinds_in_notes(saturated.replace("(torch.optim.Optimizer)", "")) == ["weight_op"]
    both = "# 可学的门控激活，逐层初始化\nf(x) = x·σ(a·x)\n初始化：W ~ N(0, 2/fan_in)\n"
    assert kinds_in_notes(both) == ["activation", "init"]  # a title naming two kinds decides nothing


def test_words_that_contain_a_cue_a_gram_matrix_a_subproblem_and_a_rising_rate() -> None:
    from agentnotes.experiments.guards.kinds import kinds_in_notes

    assert kinds_in_notes("目标：z* = z − α·δ（每个样本的移动量固定）") == []  # 移动量 is no 动量
    assert kinds_in_notes("G = A.T @ A\n然后解 (G + λI) w = b") == []  # a Gram matrix, no gradient
    assert "regulariser" not in kinds_in_notes("W ← argmin_W ‖A Wᵀ − Z‖² + λ‖W − W_old‖²")  # the step's subproblem
    assert kinds_in_notes("What if the lr ramps *up* linearly all run, 0.02 → 0.2?") == ["schedule"]
    assert kinds_in_notes("学习率全程线性上升，0.02 → 0.2") == ["schedule"]
    assert kinds_in_notes("# A max-pooling token mixer\nu_t = relu(W x_t), s_t = max(s_{t−1}, u_t)") == ["architecture"]


def test_an_aside_label_with_a_long_bracketed_remark_is_still_an_aside() -> None:
    from agentnotes.experiments.guards.kinds import idea_lines

    note = ("# f(x) = relu(x)·tanh(κx)\n\n对照（digits，MLP 64-128-128-10，Adam 1e-3，batch 64，30 epoch，5 seeds）：\n"
            "- ReLU / GELU\n- 再跑一个小回归：y = sin(3x₁)·x₂ + 噪声\n")
    assert [line for line in idea_lines(note, aside_headings=True) if line.strip()] == ["# f(x) = relu(x)·tanh(κx)"]


def test_a_test_section_an_option_and_a_learnable_start_are_not_the_idea() -> None:
    from agentnotes.experiments.guards.kinds import kinds_in_notes

    init = ("# Per-unit gain init\n\nW ~ He normal, then scale row i by g_i, log g_i ~ U(−log r, log r)\n\n"
            "## Test\n- SGD+momentum and Adam; 400 steps\n")
    assert kinds_in_notes(init) == ["init"]
    untitled = init.replace("## Test\n", "").replace("# Per-unit gain init", "Per-unit gain init:")
    assert "update_rule" in kinds_in_notes(untitled)  # the optimizers said in the idea itself, which no title names
    nudge = "每步 optimizer.step() 之后：W ← W + α·(T − W)。也可以只在前 50 步 warmup 之后才开始推。"
    assert kinds_in_notes(nudge) == ["weight_op"]
    layer = "Output:\n  y_i = (W x + b)_i · |c_i|^{γ_i},   γ_i = softplus(ρ_i), init γ ≈ 0.5\n"
    assert kinds_in_notes(layer) == ["layer"]


def test_a_penalty_section_and_a_residual_channel_name_their_kinds() -> None:
    from agentnotes.experiments.guards.kinds import kinds_in_notes

    assert kinds_in_notes("# Saliency diversity\n\n## Penalty\n  R = λ · mean_n cos(s_y, s_k)²\n") == ["regulariser"]
    assert kinds_in_notes("# 窄的线性总线：plain MLP 旁边挂一条 8 维的残差通道\n\nQ_l 零初始化") == ["architecture"]


def test_a_penalty_reading_the_hidden_units_pre_activations_penalises_activations() -> None:
    from agentnotes.experiments.guards.kinds import PENALISED_ACTIVATIONS

    assert PENALISED_ACTIVATIONS.search("a_{n,u}：样本 n 在隐藏单元 u 的 pre-activation\nR = λ · mean exp(−a²)")
    assert PENALISED_ACTIVATIONS.search("h_j: the hidden unit j's activation on sample n")
    assert not PENALISED_ACTIVATIONS.search("R = λ · Σ ‖w_i‖²，w_i 是隐藏单元 i 的入权重")


def test_an_experiment_line_that_only_gives_the_setup_and_its_conditions_says_no_kind() -> None:
    from agentnotes.experiments.guards.kinds import kinds_in_notes

    loss = "L = mean_i ℓ_i + λ · max_i ℓ_i，λ = 0.1\n"  # invented
    assert kinds_in_notes(loss + "- 实验：digits，MLP 64-128-10；标签噪声 0% 和 20%；3 seeds。") == ["loss"]
    assert kinds_in_notes(loss + "Experiment: digits; compare with an L1 penalty tuned to the same sparsity.") == ["loss"]
    assert "activation" in kinds_in_notes("实验：digits 小卷积网，新方法把 ReLU 换成 softsign。")  # the change said there


def test_a_formula_labelled_as_the_penalty_is_a_regulariser() -> None:
    from agentnotes.experiments.guards.kinds import kinds_in_notes

    assert kinds_in_notes("每个 hidden unit：s_j = std_b h_bj\n- 惩罚：P = λ · Σ_j (s_j − 1)²，λ = 1e-3") == ["regulariser"]
    assert kinds_in_notes("Penalty: R = 0.1 · Σ_j |m_j|") == ["regulariser"]  # invented


def test_a_unit_written_by_index_against_the_input_and_a_heading_naming_a_linear_are_layers() -> None:
    from agentnotes.experiments.guards.kinds import kinds_in_notes

    assert kinds_in_notes("  s_jk = Σ_{i ∈ G_k} W_ji · x_i\n  y_j = median_k(s_jk) + b_j") == ["layer"]  # invented
    assert kinds_in_notes("# 分组求和：一个更稳的 Linear\n\n每组算部分和再取中位数。") == ["layer"]
    assert "layer" not in kinds_in_notes("b = −w · (x_a + x_b)/2，超平面过两点中点")  # samples a and b, not the input


def test_a_period_said_with_its_value_and_count_word_and_an_iteration_count_per_step_is_none() -> None:
    import re

    from agentnotes.experiments.guards.kinds import PERIODIC, kinds_in_notes
    from agentnotes.experiments.guards.note_symbols import note_period

    note = "每 N = 100 个训练步，把死掉的单元的入权重 W_l[j, :] 重新采样。"  # invented
    assert re.search(PERIODIC, note) and note_period(note) == 100
    assert not re.search(PERIODIC, "σ_max 用 power iteration 估，每步做 1 次迭代")  # iterations in a step, no period
    assert kinds_in_notes("每次 optimizer step 之后：W ← W · min(1, τ/σ_max(W))") == ["weight_op"]


def test_a_period_in_epochs_is_named_with_the_same_letters_as_a_period_in_steps() -> None:
    assert kinds_in_notes("# 周期性收缩\n\n每 T 个 epoch 把所有权重乘以 0.5，再继续训练。") == ["weight_op"]  # invented
    assert kinds_in_notes("Every M epochs, multiply all weights by 0.5 and keep training.") == ["weight_op"]


def test_a_bound_kept_on_the_activations_own_parameter_after_each_step_is_no_weight_operation() -> None:
    # invented
    assert kinds_in_notes("f(x) = x·σ(βx)，β 可学。\n每步之后 clamp β ≤ 2.5，防止饱和。") == ["activation"]
    assert kinds_in_notes("f(h) = a·h·σ(h/b)\n约束：a, b 每步后 clip 到 ≥ 0.1") == ["activation"]
    assert kinds_in_notes("f(u) = (a/b)·u,  u ≥ 0") == ["activation"]  # of a hidden value, no weights
    assert "activation" not in kinds_in_notes("每个 block：f(h) = W₂ relu(W₁ h)")  # a block of weights
    assert kinds_in_notes("f(x) = x·σ(βx)，β 可学。\n每步之后把 W clamp 到 [-1, 1]。") == ["activation", "weight_op"]


def test_the_rate_taken_down_every_p_steps_is_a_schedule_not_a_weight_operation() -> None:
    # invented
    assert kinds_in_notes("每 P 步做一次短 dip：\nlr 线性从 η 降到 0.2η，再升回 η。") == ["schedule"]


def test_what_a_pitfalls_section_warns_about_shows_no_kind() -> None:
    # invented
    note = "# 新的层\n\ny = W x + b，W = (I − A)(I + A)⁻¹\n\n坑：\n- S = 0 初始化时 W = I，可能要小随机初始化\n"
    assert kinds_in_notes(note) == ["layer"]
    english = "v ← β·v + g\nw ← w − η·v/√(v+ε)\n\nPitfalls:\n- Inject 5% label noise in one run to see what breaks.\n"
    assert kinds_in_notes(english) == ["update_rule"]


def test_the_last_linear_replaced_in_chinese_is_a_layer_and_a_variance_of_x_no_activation() -> None:
    # invented
    note = "把最后的 nn.Linear 换成一个随机特征层：\n- φ(h) = cos(W h + b)，W ~ N(0, 1) 固定\n- logits = βᵀ φ(h)\n"
    assert kinds_in_notes(note) == ["layer"]
    assert "activation" not in kinds_in_notes("推理时 var(x) = φᵀ Σ φ，再校正 logits")


def test_an_optimizer_state_summing_the_gradient_is_an_update_rule() -> None:
    # invented: the weights recomputed from accumulated gradients each step
    assert kinds_in_notes("逐坐标：\n- s ← s + g²\n- w = −u / (√s + ε)") == ["update_rule"]
    assert kinds_in_notes("- u ← u + g − c·w") == ["update_rule"]


def test_a_heading_naming_the_baseline_optimizer_after_vs_is_no_update_rule() -> None:
    assert "update_rule" not in kinds_in_notes("# Gated residual MLP vs SGD-trained baseline\nh = x + σ(a)·f(x)")


def test_a_nonlinearity_by_its_temperature_subscript_by_max_or_by_its_class_name_is_an_activation() -> None:
    assert kinds_in_notes("g_β(x) = x·σ(βx)\nf_β(x) = g_β(x) / g_β(1)") == ["activation"]  # invented
    assert kinds_in_notes("前向：h = max(0, x)，反向换成平滑的导数") == ["activation"]
    assert kinds_in_notes("```python\nclass LeakyBackReLU(torch.autograd.Function):\n    pass\n```") == ["activation"]
    # a heading whose word "activation" starts a compound names no nonlinearity
    assert kinds_in_notes("# Activation-weighted momentum\nv = μ·v + g·a") == ["update_rule"]


def test_what_the_idea_implicitly_is_a_test_time_input_change_and_another_value_annealed_say_no_kind() -> None:
    assert kinds_in_notes("f(x) = x·σ(x/τ)\n早期几乎线性，这算是一种隐式的 curriculum。") == ["activation"]  # invented
    assert kinds_in_notes("RMSNorm 加下限：y = g ⊙ x / max(rms(x), τ)\n- 测试集上加一组扰动：x' = 0.5·x + N(0, 0.1²)") == ["layer"]
    annealed = kinds_in_notes("f(x) = relu(x) + c·x\n- c 从 0.5 余弦退火到 0（最后就是 ReLU）")
    assert annealed == ["activation"]
    assert "schedule" in kinds_in_notes("lr 从 0.1 余弦退火到 0")  # the rate itself annealed is a schedule
    assert kinds_in_notes("f(x) = x·σ(x/τ)\n- KL 系数从 0 线性 warmup 到 1（几十个 epoch）") == ["activation"]  # invented


def test_the_ordinary_step_on_chosen_examples_is_a_batch_choice_and_a_periodic_measurement_no_weight_operation() -> None:
    chosen = kinds_in_notes("Build the batch to spread over the hidden space: greedy max-min selection of 32 out of "
                            "128 candidates. Take the optimizer step on the 32 only.")  # invented
    assert chosen == ["data"]
    assert kinds_in_notes("从 256 个候选里选出 64 个当 batch") == ["data"]
    assert "weight_op" not in kinds_in_notes("f(x) = x·tanh(x)\n每 50 步记录一次死单元比例")
    assert "init" not in kinds_in_notes("η = η_0 / (1 + t/100)\n- the estimate is tiny at init, so warm up?")


def test_a_headed_layer_a_learned_scalars_start_and_an_added_model_of_the_inputs_are_structure() -> None:
    assert kinds_in_notes("# Two-path output layer: a dense head plus a gated one\n- ε is a learned scalar, init 0") \
        == ["layer"]  # invented
    assert kinds_in_notes("# 稀疏连接的隐藏层\n每个单元只连 8 个输入像素") == ["layer"]
    assert kinds_in_notes("logits(x) = k(x) + MLP(x)，k 是预先拟合好的 kNN 分数，MLP 最后一层零初始化") == ["architecture"]
    assert "architecture" not in kinds_in_notes("log_not = torch.log1p(-q[None] * x[:, None])")  # indexing, no repeated block


def test_a_penalty_of_a_hidden_layer_named_in_a_heading_is_an_activity_penalty_and_a_noise_scale_no_gradient_noise() -> None:
    assert PENALISED_ACTIVATIONS.search("# 隐藏层两两单元的 HSIC 罚项")  # invented
    assert not PENALISED_ACTIVATIONS.search("# 隐藏层权重的谱范数罚项")
    assert kinds_in_notes("# LR from the gradient noise scale\nη_t = η_max · B / (B + B_noise)") == ["schedule"]


def test_a_heading_naming_where_the_idea_acts_or_a_layer_the_network_gains_is_no_layer_idea() -> None:
    assert kinds_in_notes("# Smoothed gradients for the first layer\ng ← g · (I + λL)⁻¹") == ["update_rule"]  # invented
    assert kinds_in_notes("# 离散化隐层：\n在 MLP 中间插一层量化，h 吸附到最近的码字") == ["architecture"]


def test_a_task_lists_boxes_do_not_hide_its_aside_labels() -> None:
    from agentnotes.experiments.guards.kinds import idea_lines

    todo = "TODO\n- [ ] 每 50 步：W ← W / ‖W‖\n- [x] 测：梯度噪声、test acc\n- [ ] Compare: momentum SGD"  # invented
    assert idea_lines(todo, aside_headings=True) == ["TODO", "- 每 50 步：W ← W / ‖W‖"]
    assert kinds_in_notes(todo) == ["weight_op"]


def test_a_gain_named_g_in_an_augmentation_a_warm_up_pass_and_a_python_list_are_not_other_kinds() -> None:
    gain = "# Random contrast field augmentation\ng = F.interpolate(z, size=(8, 8)).exp()\nx' = g ⊙ x"  # invented
    assert kinds_in_notes(gain) == ["data"]
    assert kinds_in_notes("# BatchNorm from the previous batch's statistics\nFirst step: a warm-up forward pass.") \
        == ["layer"]
    assert "architecture" not in kinds_in_notes("memory = [None] * 10\np -= lr * sum(m for m in memory if m is not None)")


def test_a_replaced_linear_a_weightless_formula_of_the_pre_activation_and_a_new_values_init_are_the_ideas_own() -> None:
    head = "- Replace the last `Linear(H, 10)` by a bilinear score z_c = hᵀ A_c h\n- Init $A_c$ ~ N(0, 0.01²)"  # invented
    assert kinds_in_notes(head) == ["layer"]
    groups = "- pre-activation 每 3 个一组：$h_i = x_i \\cdot \\sigma(x_i - \\max_{grp} x)$，init τ = 1"
    assert kinds_in_notes(groups) == ["activation"]


def test_a_code_blocks_comments_open_no_aside_section() -> None:
    from agentnotes.experiments.guards.kinds import idea_lines

    note = "# Rank norm\n```python\n# Setup of the layer\nclass RankNorm(nn.Module):\n    pass\n```\n## Setup\ndigits"
    assert idea_lines(note, aside_headings=True) == note.split("\n## Setup")[0].splitlines()  # invented


def test_a_fixed_part_of_every_batch_a_dropout_module_and_a_loss_named_in_the_title_are_their_kinds() -> None:
    # invented notes
    shared = ("# Shared rows: the same few samples in every batch\nEach batch = 48 fresh samples + the same 16 rows.\n"
              "- a variant re-drawn every 200 steps")
    assert kinds_in_notes(shared) == ["data"]
    module = "class GroupedDropout(nn.Module):\n    def forward(self, h):\n        return h * mask"
    assert kinds_in_notes(module) == ["layer"]
    titled = "# Hedged loss：an extra 'pass' output\nloss = −log(p_y + p_pass / 3)，用在标签噪声样本上"
    assert kinds_in_notes(titled) == ["loss"]


def test_guesses_pre_activations_the_tasks_own_loss_and_a_layers_running_average_show_no_other_kind() -> None:
    # invented notes
    guessed = "class SoftGateLayer(nn.Module):\n    pass\n猜：两个 init 最后会汇合。"
    assert kinds_in_notes(guessed) == ["layer"]
    penalised = "# 隐层预激活的溢出罚项\n罚项：R = λ·mean(relu(|z| − 2)²)，z 是预激活。\n一般靠 init / norm 层解决，这里直接罚。"
    assert kinds_in_notes(penalised) == ["regulariser"]
    sketch = ("- g = ∇L(w_slow + λ(w − w_slow))\n- w ← w − η·g\n```python\nloss = F.cross_entropy(net(xb), yb)\n"
              "q.copy_(s + lam * (p - s))\n```")
    assert kinds_in_notes(sketch) == ["update_rule"]
    running = ("class ClipUnitsLayer(nn.Module):\n    def __init__(self, d, momentum=0.9):\n        self.m = momentum\n"
               "上下界用 batch 分位数的 EMA（动量 0.9）。")
    assert kinds_in_notes(running) == ["layer"]


def test_a_loss_said_instead_of_cross_entropy_a_loss_from_a_number_and_an_init_named_in_the_title() -> None:
    # invented notes
    assert kinds_in_notes("# Brier score instead of cross-entropy\nuse it on digits") == ["loss"]
    assert kinds_in_notes("Loss = 2 − 2·p_y, bounded.") == ["loss"]
    assert kinds_in_notes("L = 3 layers, width 64") == []
    assert kinds_in_notes("# MetaInit：先学每层的尺度\n尺度 s_l 用 50 步选出来。") == ["init"]
    assert kinds_in_notes("# Tiny ViT on digits\nattention over 16 patches\nself.head = nn.Sequential(nn.LayerNorm(d), "
                          "nn.Linear(d, 10))") == ["architecture"]
    assert kinds_in_notes("# β₁ 调度\nβ₁_t = min(0.9, 1 − t^{−0.5})，其余照旧") == ["update_rule"]  # an Adam coefficient per step


def test_a_value_of_the_outputs_named_g_a_loss_modules_momentum_and_per_sample_weights_are_the_losss_own() -> None:
    # invented note: a loss that weights each sample by how crowded its bin of g is, counts kept as a running average
    note = ("# Crowd-weighted CE：按样本密度加权的交叉熵\n```python\nclass CrowdCE(nn.Module):\n"
            "    def __init__(self, bins=8, momentum=0.9):\n        self.m = momentum\n"
            "    def forward(self, logits, y):\n        g = 1 - logits.softmax(1).gather(1, y[:, None]).squeeze(1)\n"
            "        w = len(y) / (self.count.clamp(min=1e-6) * 8)\n        return (w * F.cross_entropy(logits, y, reduction='none')).mean()\n```\n"
            "计数用 EMA 平滑。\nloss = Σ_i w_i · CE_i / N")
    assert kinds_in_notes(note) == ["loss"]
    assert kinds_in_notes("# Echo init for a small transformer\nthe attention weights start as W_q W_kᵀ ≈ I") == ["init"]


def test_a_penalty_line_of_its_own_is_a_regulariser_whatever_it_penalises() -> None:
    note = ("# 成对斜率\n\nr_ij = ‖f(x_i) − f(x_j)‖ / ‖x_i − x_j‖\nR = λ · mean_{i<j} relu(r_ij − K)²\n\n"
            "Setup：digits，MLP 64-128-10。\n")
    assert kinds_in_notes(note) == ["regulariser"]
    assert "regulariser" not in kinds_in_notes(note.replace("R = λ · mean", "看 mean"))


def test_a_label_with_a_letter_in_it_ends_the_aside_above() -> None:
    from agentnotes.experiments.guards.kinds import idea_lines

    note = "背景：有人发现 delta 压成 1 bit 几乎不掉点。\n每 N 步做一次：\n  D = W − W_anchor\n  W ← W_anchor + α·sign(D)\n"
    assert "  D = W − W_anchor" in idea_lines(note, aside_headings=True)
    assert "背景：有人发现 delta 压成 1 bit 几乎不掉点。" not in idea_lines(note, aside_headings=True)


def test_a_rate_kicked_up_or_decayed_to_a_share_of_itself_is_a_schedule_and_a_limit_or_an_alternative_is_not() -> None:
    assert kinds_in_notes("# Second wind\nNear the end, bump the LR to half its peak, then decay again.") == ["schedule"]
    assert kinds_in_notes("# 两段\n- 前 80%：linear decay η₀ → 0.1·η₀\n- 之后保持") == ["schedule"]
    assert "schedule" not in kinds_in_notes("# Growing the batch instead of decaying the LR\nbatch doubles every epoch")
    assert "schedule" not in kinds_in_notes("# Rival-weighted CE\nd = z_y − softmax_η(z_rivals) (η → 0: the mean)\n"
                                            "Loss: ℓ = log(1 + e^{−d})")


def test_a_loss_said_instead_of_nll_a_scoring_rule_and_a_synthetic_targets_sine_are_no_activation() -> None:
    note = "# 区间得分代替 NLL\n网络输出 μ、σ。\n数据：`y = x·sin(x) + ε`，ε ~ N(0, 0.1²)\n"
    assert kinds_in_notes(note) == ["loss"]
    assert kinds_in_notes("# The energy score as a proper scoring rule for regression\nS = E|X − y| − ½E|X − X'|") == ["loss"]
    assert "activation" not in kinds_in_notes("# 宽度试验\n目标 y = sin(x) + 0.1·noise，MLP 1-64-1\n每 10 步把 W 归一化")


def test_a_sized_dense_matrix_replaced_is_a_layer_and_a_kept_structure_no_architecture() -> None:
    assert kinds_in_notes("# 对角+置换\n用 K 个对角块替换 MLP 中间的 256×256 全连接") == ["layer"]
    note = "# 卷积核对称\n上一篇 group conv 要改结构。这里结构不动，只是每 N = 20 步把每个卷积核拉向旋转平均。\n"
    assert kinds_in_notes(note) == ["weight_op"]
    assert "architecture" in kinds_in_notes(note.replace("结构不动，只是", ""))


def test_a_dropout_of_the_notes_own_is_a_regulariser_where_nothing_else_shows_a_kind() -> None:
    assert kinds_in_notes("# Ranked dropout\n\nkeep probability falls with the unit's rank; digits MLP.") == ["regulariser"]
    assert kinds_in_notes("# 训练时按幅度屏蔽隐藏单元\n幅度最大的 10% 单元以 0.5 概率置零。") == ["regulariser"]
    assert kinds_in_notes("# Ranked dropout for the update\ng ← g ⊙ m, m_i ~ Bernoulli(0.9)") == ["update_rule"]
    # the convnet a dropout of its own runs in is no architecture idea
    assert kinds_in_notes("# Ring dropout on a small convnet\nzero a ring of each conv feature map") == ["regulariser"]


def test_a_layers_derivatives_and_its_parameters_start_are_the_layers_own() -> None:
    note = ("# 正弦幅度参数化的全连接\nW_ij = a_i · sin φ_ij，y = W x + b\n梯度：\n∂L/∂φ_ij = G_ij · a_i · cos φ_ij\n"
            "## 初始化\nφ ~ U(0, 2π)，a_i = √(2/fan_in)\n")
    assert kinds_in_notes(note) == ["layer"]
    assert "update_rule" in kinds_in_notes(note + "\n更新：θ ← θ − η · sign(g)\n")


def test_a_negative_log_likelihood_written_out_is_a_loss() -> None:
    assert kinds_in_notes("# Skewed targets\nModel y | x ~ Laplace(μ(x), s(x)).\n−log p(y|x) = log(2s) + |y − μ|/s\n") == ["loss"]
    assert kinds_in_notes("# A warped target trained by exact NLL\nψ(y) = asinh(y/δ); the net predicts μ, σ of ψ(y).") == ["loss"]


def test_joined_aside_labels_a_cause_and_a_plain_momentum_setting_show_no_kind() -> None:
    from agentnotes.experiments.guards.kinds import is_aside_heading
    assert is_aside_heading("担心 / 没想清楚的") and is_aside_heading("Doubts & open questions")
    assert not is_aside_heading("规则 / 预期")
    note = "# 逐样本裁剪的平均方向\n起因：上次加了 20% 标签噪声，精度掉了。\n方向：d = mean_i clip(g_i, c)，θ ← θ − η·d\n"
    assert kinds_in_notes(note) == ["update_rule"]
    note = "# Batch grown by a variance test\nB_next = ceil(Var(g_i·ḡ) / (κ²‖ḡ‖⁴)), never shrinks.\nMomentum 0 first; add momentum 0.9 later."
    assert "update_rule" not in kinds_in_notes(note)
