"""Math notation made plain for the formula reader (guards/notation.py), and read as programs."""

from __future__ import annotations

import pytest

from agentnotes.experiments.guards.notation import plain_formula, without_time_indices
from agentnotes.experiments.guards.note_program import note_program


@pytest.mark.parametrize(("written", "plain"), [
    ("v = βv + (1-β)g²", "v = β*v + (1-β)*g^2"),
    ("$m = \\beta m + (1-\\beta) g$", "m = β*m + (1-β)*g"),
    ("$f(x) = \\frac{x}{1 + |x|}$", "f(x) = ((x)/(1 + |x|))"),
    ("p = p - lr*g/(√v + ε)", "p = p - lr*g/(sqrt(v) + ε)"),
    ("f(x) = x ⊙ σ(x)", "f(x) = x * sigmoid(x)"),
    ("‖H‖_* = Σᵢ σᵢ(H)", "‖H‖* = sum_over(singular_value(H))"),  # an indexed σ: a singular value, not the logistic
    ("g = ∇ℓ_B(w)", "g = g"), ("g_i = dL/dW[i, :]", "g_i = g"), ("g = p.grad", "g = g"),  # the gradient, named
    ("v = dx/dt", "v = dx/dt"),
    ("r = σ_max(W) / σ₂(W)", "r = singular_value(W) / singular_value(W)"),
    ("η_t = η₀ · 0.5^{⌊t/50⌋}", "η_t = η0 · 0.5^(floor(t/50))"),
    ("w_{t+1} = w_t - η g_t", "w = w - η*g"),
    ("f(x) = x * tanh(ln(1 + e^x))", "f(x) = x * tanh(log(1 + exp(x)))"),
    ("$\\|g\\|_2$ 和 ‖W‖_F", "‖g‖ 和 ‖W‖"),
    ("lr_t = lr0 * 0.5^floor(t/50)", "lr_t = lr0 * 0.5^floor(t/50)"),  # a schedule's own name keeps its index
    ("x is the input and y the output", "x is the input and y the output"),  # prose is left alone
    ("θᵢ ← θᵢ − sign(gᵢ)·Δᵢ", "θ ← θ − sign(g)·Δ"),  # an entry's index: the same rule for every entry
    ("x̃ = λxᵢ + (1−λ)xⱼ", "x_tilde = λ*xi + (1−λ)*xj"),  # beside xⱼ, xᵢ is one sample of a pair
    ("m_t = β·m_{t−1} + g_t", "m = β·m + g"),  # a previous step written with a minus sign
    ("f(x) = softplus(x) − log 2 + ln 2", "f(x) = softplus(x) − log(2) + log(2)"),  # a function of a number, no brackets
    ("y = Σ_i |x_i − w_i| + 1", "y = sum_over(|x − w|)+ 1"),  # a sum's summand runs on inside bars
    ("θ_t = θ_{t-1} − η̂_t · m_t", "θ = θ − η_hat · m"),  # a Greek letter with a mark: a name of its own
    ("$\\theta_{t+1} = \\theta_t - \\hat\\eta_t \\odot \\hat m_t$", "θ = θ - η_hat * m_hat"),  # and in LaTeX
    ("η_l(t) = α*·(1 − 1/(γ·t + 1))", "η_l(t) = α_star·(1 − 1/(γ·t + 1))"),  # α*: a name, not a product
    ("$\\eta_0 \\cdot \\sqrt{\\dfrac{T_w}{t}}$", "η_0 * sqrt(((T_w)/(t)))"),  # \dfrac: a fraction
    ("f(x) = x·Φ(x)", "f(x) = x·ndtr(x)"),  # Φ: the standard normal CDF
    ("z_i = Φ^{-1}(u_i)", "z_i = ndtri(u_i)"),  # and its inverse
    ("z = Φ⁻¹(u)", "z = ndtri(u)"),
    ("c = <g, m> / (|g| |m| + ε)", "c = dot(g, m) / (‖g‖*‖m‖ + ε)"),  # beside an inner product, lengths are norms
    ("y = |x| + ⟨a, b⟩", "y = |x| + dot(a, b)"),  # of other tensors, |x| stays the absolute value
    ("u = u + γ·(g·u)·g", "u = u + γ·dot(g, u)·g"),  # a bracketed product scaling one of its two: their inner product
    ("h = g − (1 − κ)·u·(u·g)", "h = g − (1 − κ)·u·dot(u, g)"),
    ("d = (∇f·m̂)·m̂", "d = dot(g, m_hat)·m_hat"),  # the gradient's directional derivative along a marked vector
    ("R = λ · mean_{b, j} relu(|z| − c)²", "R = λ · mean(relu(|z| − c)^2)"),  # a mean over several indices: of everything
    ("v = (g·g)·v", "v = (g·g)·v"), ("z = (g·u)·w", "z = (g·u)·w"),  # a square, a product of three: entry-wise
    ("r̄ = mean_i r_i", "r_bar = mean(r)"),  # a mean over an index
    ("L = −Σₖ [ yₖ·log σ(zₖ) ]", "L = −sum_over(( y·log(sigmoid(z)) ))"),  # grouping brackets; log of a call
    ("h = W · [x; h1]", "h = W · [x; h1]"),  # a concatenation keeps its brackets
    ("$L = \\max\\big(0,\\ \\gamma - x\\big)$", "L = max(0, γ - x)"),  # a backslash space is LaTeX's spacing
    ("$h = \\sum_{k} a_{k}\\, b_{k} + c$", "h = sum_over(a_k*b_k)+ c"),  # a thin space inside a sum: one summand
    ("$b = w^\\top x$", "b = w^T x"),  # \\top: the transpose
    ("h = h·[1 − a·g²]₊", "h = h·relu(1 − a·g^2)"), ("z = (a − b)^+", "z = relu(a − b)"),  # a positive part
    ("x = [a, b]_+", "x = [a, b]_+"),  # a list is no positive part
    ("g = grad(loss(w, x, y), w)", "g = g"),  # autograd's gradient of the loss at the weights
])
def test_notation_is_made_plain(written: str, plain: str) -> None:
    assert plain_formula(written) == plain


def test_each_math_span_of_a_line_is_a_formula_of_its_own_for_the_steps_it_reads() -> None:
    line = "$m_t = \\beta m_{t-1} + g_t$, $v_t = v_{t-1} + g_t^2$, bias-corrected $\\hat m_t$"
    assert without_time_indices(line) == "$m = \\beta m + g$, $v = v + g^2$, bias-corrected $m_hat$"


def test_the_same_update_rule_in_four_notations_is_one_program() -> None:
    notations = [
        "m = β*m + (1-β)*g\np = p - η*m\nβ = 0.9",
        "$m = \\beta m + (1-\\beta) g$\n$p \\leftarrow p - \\eta \\cdot m$\nβ = 0.9",
        "m_t = β m_{t-1} + (1-β) g_t\np_{t+1} = p_t − η m_t\nβ = 0.9",
        "m ← β·m + (1−β)·g；p ← p − η·m （其中 β = 0.9）",
        "m_t = β·m + (1−β)·g_t\np ← p − η·m_t   (+ plain weight decay)\nβ = 0.9",  # in place: each name at this step
    ]
    programs = [note_program(text, ["update_rule"]) for text in notations]
    assert all(p is not None for p in programs)
    assert {p.as_text() for p in programs} == {"m = beta * m + (1 - beta) * g; p = p - eta * m"}
    assert {p.state for p in programs} == {("m",)} and {p.constants["beta"] for p in programs} == {0.9}


def test_where_before_another_assignment_separates_two_formulas() -> None:
    program = note_program("θ = θ − lr*g*κ where κ = 0.5", ["update_rule"])
    assert program is not None and program.constants == {"kappa": 0.5}
    assert note_program("θ = θ − lr*g where g is the gradient of the loss on x", ["update_rule"]) is not None


def test_constants_written_with_subscripts_or_latex_are_the_notes_values() -> None:
    from agentnotes.experiments.guards.constants import note_constants

    assert note_constants("$\\beta_1 = 0.9$, β₂ = 0.999, λ (e.g. 0.1)") == {"beta1": "0.9", "beta2": "0.999", "lam": "0.1"}
    program = note_program("m_t = β₁ m_{t-1} + (1-β₁) g_t\n$p_{t+1} = p_t - \\eta \\cdot m_t$\nβ₁ = 0.9", ["update_rule"])
    assert program is not None and program.constants == {"beta1": 0.9} and program.state == ("m",)


def test_kinds_are_seen_in_latex_notes() -> None:
    from agentnotes.experiments.guards.kinds import kinds_in_notes

    assert kinds_in_notes("$\\theta_{t+1} = \\theta_t - \\eta g_t$") == ["update_rule"]
    assert kinds_in_notes("$\\eta_t = \\eta_0 \\cdot 0.5^{\\lfloor t/50 \\rfloor}$") == ["schedule"]
    assert kinds_in_notes("每个元素：θᵢ ← θᵢ − sign(gᵢ)·Δᵢ") == ["update_rule"]  # written per entry


def test_a_latex_formula_whose_target_has_a_braced_index_is_a_formula_line() -> None:
    from agentnotes.experiments.guards.idea_sections import formulas_in
    from agentnotes.notes.types import Chunk, Hit

    note = "状态 s 从 0 开始：\n$s_t = s_{t-1} + g_t^2$\n$p_{t+1} = p_t - \\eta \\cdot g_t / (\\sqrt{s_t} + \\epsilon)$\nε = 1e-8。"
    formulas = formulas_in([Hit(Chunk("n.md", 1, 4, note), 1.0)])
    assert formulas.count("$") == 4
    program = note_program(formulas, ["update_rule"])
    assert program is not None and program.as_text() == "s = s + g ** 2; p = p - eta * g / (sqrt(s) + eps)"


def test_the_gradient_at_another_point_than_the_weights_is_not_the_hooks_gradient() -> None:
    from agentnotes.experiments.guards.notation import plain_formula, without_time_indices

    assert plain_formula("v = μ v − η ∇L(w_t)") == "v = μ*v − η*g"
    assert "∇" in plain_formula("g_sam = ∇L(w + e)")  # left unread: no program


def test_a_latex_cases_formula_is_one_line_per_case_and_becomes_a_piecewise_program() -> None:
    from agentnotes.experiments.guards.notation import cases_as_lines

    cases = r"g(z) = \begin{cases} z^2, & z < 1 \\ 2z - 1, & \text{otherwise} \end{cases}"
    assert cases_as_lines(cases) == "g(z) = z^2（z < 1）\ng(z) = 2z - 1，otherwise"
    assert cases_as_lines(r"g(z) = \begin{cases} z \\ 0 \end{cases}") == r"g(z) = \begin{cases} z \\ 0 \end{cases}"  # no conditions
    program = note_program(r"g(z) = \begin{cases} z^2/2, & |z| \le 1 \\ |z| - 1/2, & |z| > 1 \end{cases}", ["activation"])
    assert program is not None and program.statements == (("f", "where(abs(z) <= 1, z ** 2 / 2, abs(z) - 1 / 2)"),)


def test_the_cases_of_one_value_said_on_one_line_are_one_line_per_case() -> None:
    from agentnotes.experiments.guards.notation import cases_as_lines

    split = "f(x) = x（x ≥ 0）\nf(x) = exp(x) − 1（x < 0）"
    for said in ("f(x) = x for x ≥ 0, f(x) = exp(x) − 1 for x < 0", "f(x) = x, x ≥ 0; f(x) = exp(x) − 1, x < 0",
                 "f(x) = x when x ≥ 0, and exp(x) − 1 when x < 0", "x ≥ 0 时 f(x) = x，x < 0 时 f(x) = exp(x) − 1"):
        assert cases_as_lines(said) == split, said
    assert cases_as_lines("- y = max(a, b) if a > 0, min(a, b) otherwise") == "- y = max(a, b)（a > 0）\n- y = min(a, b)，otherwise"
    for kept in ("w = w − lr·g, for all layers", "y = a, b", "f(x) = x for x ≥ 0"):  # one case, or no condition
        assert cases_as_lines(kept) == kept
    program = note_program("f(z) = z for z ≥ 0, 0.1·z for z < 0", ["activation"])
    assert program is not None and program.statements == (("f", "where(z >= 0, z, 0.1 * z)"),)


def test_a_number_then_a_one_letter_name_is_a_product_and_a_number_then_a_word_is_prose() -> None:
    assert note_program("f(x) = x（x > 0）\nf(x) = 0.1 x（x < 0）", ["activation"]).statements == (
        ("f", "where(x > 0, x, 0.1 * x)"),)  # never the 0.1 alone
    assert plain_formula("y = 2 x + 1") == "y = 2*x + 1"
    assert plain_formula("N = 100 steps") == "N = 100 steps"


def test_a_variant_the_notes_mention_is_not_the_idea() -> None:
    from agentnotes.experiments.guards.formula_lines import learnable_names

    assert learnable_names("取 β = 0.5。\n变体：β 可学习，每层一个标量") == set()
    assert learnable_names("β 可学习，每层一个标量，初始 0.5") == {"beta"}
    program = note_program("f(x) = x * sigmoid(β*x)\nVariant: f(x) = x * tanh(β*x)\nβ = 1.5", ["activation"])
    assert program is not None and program.statements == (("f", "x * sigmoid(beta * x)"),)
    later = note_program("f(x) = x * sigmoid(β*x)\nVariant for later: f(x) = x * tanh(β*x)\nβ = 1.5", ["activation"])
    assert later is not None and later.statements == (("f", "x * sigmoid(beta * x)"),)


def test_a_margin_over_the_largest_wrong_logit_is_a_loss_the_program_writes() -> None:
    """`max_{k≠y} z_k` is the largest wrong logit, `CE(z, y)` the task's cross-entropy, and the prose after the
    constants (`β = 2. smooth; when … the term vanishes.`) is no condition on them."""
    import torch
    import torch.nn.functional as F

    from agentnotes.experiments.guards.formula_code import program_reply
    from agentnotes.experiments.guards.skeleton import fill, load_skeleton

    note = ("r = max_{j ≠ y} z_j\nL = CE(z, y) + λ · relu(1 − z_y + r)\n"
            "Constants: λ = 0.5. Hinge only; when z_y − r ≫ 1 the term is zero.")
    assert plain_formula("r = max_{j ≠ y} z_j") == "r = z_rival"
    assert plain_formula(r"$L = \mathrm{CE}(z, y) + \lambda \max\big(0,\; m - z_y + \max_{k \ne y} z_k\big)$") == \
        "L = CE + λ*max(0,  m - z_y + z_rival)"  # in LaTeX, with sized brackets
    code = fill(load_skeleton("loss"), program_reply(load_skeleton("loss"), note, note, "classification"))
    namespace = {"torch": torch, "F": F, "task_loss": F.cross_entropy}
    exec(code, namespace)
    out, y = torch.tensor([[2.0, 1.5, -1.0], [0.0, 3.0, 0.5]]), torch.tensor([0, 1])
    hinge = torch.tensor([1 - 2.0 + 1.5, 1 - 3.0 + 0.5]).clamp(min=0)
    assert torch.allclose(namespace["compute_loss"](out, y, 1), F.cross_entropy(out, y) + 0.5 * hinge.mean())


def test_a_change_of_a_value_is_one_name_and_a_name_read_at_two_steps_keeps_the_step_before() -> None:
    from agentnotes.experiments.guards.notation import without_time_indices

    assert plain_formula("Δw = -lr * g") == "Delta_w = -lr * g"
    assert plain_formula("$\\Delta W_l = -\\eta\\, \\delta_l$") == "Delta_W_l = -η*δ_l"  # LaTeX's increment, spaced
    assert plain_formula("θ ← θ − sign(g)·Δ") == "θ ← θ − sign(g)·Δ"  # Δ alone is a value of its own
    secant = "Δθ_t = θ_t − θ_{t-1}\nθ_{t+1} = θ_t − η·g_t / (1 + Δθ_t)"
    assert without_time_indices(secant) == "Δθ = θ − θ_prev\nθ = θ − η·g / (1 + Δθ)"  # θ_t − θ_{t-1} is no θ − θ
    program = note_program(secant, ["update_rule"])
    assert program is not None and program.previous == ("theta_prev",)  # the weights at the step before
    assert without_time_indices("m_t = β·m_{t-1} + g_t") == "m = β·m + g"
    # An arrow assigns as `=` does: the step reads the gradient at two steps, so the earlier one is kept.
    assert without_time_indices("w ← w − η·(2·g_t − g_{t−1})") == "w ← w − η·(2·g − g_prev)"


def test_constants_said_in_latex_or_on_the_next_line_keep_their_own_value() -> None:
    from agentnotes.experiments.guards.constants import note_constants

    assert note_constants("$\\eta_0 = 3\\times10^{-3}$，α*=0.1\n- γ = 0.02") == {"eta0": "3e-3", "alphastar": "0.1",
                                                                              "gamma": "0.02"}
    # Of two values, the one the note says it uses; two values and no choice: none.
    assert note_constants("原文 γ=1e-3 几乎不收紧；这里用 γ=0.02") == {"gamma": "0.02"}
    assert note_constants("the paper has λ = 0.1; here we use λ = 0.3.") == {"lam": "0.3"}
    assert note_constants("λ = 0.1 or λ = 0.3") == {}
    # What a name equals in a case of another (`t=1 时 g_prev = 0`) is its value there, no constant.
    assert note_constants("xi = σ(|g_prev − g|)   # t=1 时 g_prev = 0\nβ₁ = 0.9") == {"beta1": "0.9"}


def test_a_swept_constant_takes_the_value_used_of_its_sweep_never_the_baselines() -> None:
    from agentnotes.experiments.guards.constants import note_constants

    assert note_constants("Baseline：不加正则（λ = 0）\n- λ ∈ {1e-4, 1e-3, 1e-2}") == {"lam": "1e-3"}  # the middle
    assert note_constants("γ = 0.02\n扫 γ ∈ {0.005, 0.02, 0.1, 0.5}") == {"gamma": "0.02"}  # the one it uses
    assert note_constants("sweep lr in {0.001, 0.003, 0.01}; 这里用 lr=0.003") == {"lr": "0.003"}
    later = "lr = 0.1, kappa = 0.5\nBaseline: the same with kappa = 0\nIf it is worse, sweep kappa in {0.1, 0.25, 1.0}"
    assert note_constants(later) == {"lr": "0.1", "kappa": "0.5"}  # the setup's value, before a later sweep
    # The values a computed name takes are no sweep of a constant.
    assert note_constants("a = |Σ sign(g)| / M，所以 a ∈ {0, 0.5, 1}") == {}
    # The middle of the sweep the notes call the baseline is not the idea's value: its neighbour is.
    assert note_constants("扫 ρ ∈ {0.5, 0.8, 1, 1.25, 2}，ρ = 1 就是普通 SGD。\nbaseline：ρ = 1") == {"rho": "1.25"}
    # the value a listed baseline runs at, and a point the prose names, are no values of the idea
    assert note_constants("扫 q ∈ {1, 2, 4}\nbaseline：q = 2（即普通的 SGD）、Adam") == {"q": "4"}
    assert note_constants("Baselines: k = 1, plain Adam\nk ∈ {1, 2, 4}") == {"k": "2"}  # not the baseline's 1
    assert note_constants("v = 0 附近斜率最大；c = 0.3") == {"c": "0.3"}
    assert note_constants("sweep k ∈ {1, 4, 16}; k=1 时就退化成 heavy-ball") == {"k": "4"}
    assert note_constants("τ ∈ {0.01, 0.05, 0.1}\n预期：τ=0.05 时 rank 更高") == {"tau": "0.05"}  # a case, no baseline


def test_a_cases_formula_over_several_lines_is_one_schedule_that_divides_by_the_step_safely() -> None:
    from agentnotes.experiments.guards.idea_sections import formulas_in
    from agentnotes.experiments.guards.note_program import program_body
    from agentnotes.notes.types import Chunk, Hit

    note = ("调度：\n$$\n\\eta_t =\n\\begin{cases}\n\\eta_0 \\cdot \\dfrac{t}{T_w}, & t < T_w \\\\[6pt]\n"
            "\\eta_0 \\cdot \\sqrt{\\dfrac{T_w}{t}}, & t \\ge T_w\n\\end{cases}\n$$\n\n在 $t = T_w$ 处连续。\n\n"
            "设置：$T_w = 30$\n消融：$T_w = 1$（没有预热）")
    formulas = formulas_in([Hit(Chunk("n.md", 1, 20, note, ("s",)), 1.0)])
    program = note_program(formulas, ["schedule"], note)
    assert program is not None and program.constants == {"T_w": 30.0}  # the setup's value, not the ablation's
    _, body = program_body(program)
    namespace: dict = {}
    exec("import torch\ndef lr_at(step, lr):\n" + "".join(f"    {line}\n" for line in body.splitlines()), namespace)
    assert [round(namespace["lr_at"](step, 0.1), 4) for step in (0, 15, 30, 120)] == [0.0, 0.05, 0.1, 0.05]


def test_a_constant_in_brackets_after_a_case_leaves_the_case_its_condition() -> None:
    program = note_program("f(x) = tanh(x)         , x > 0\nf(x) = a · tanh(x)     , x ≤ 0          (a = 0.25)",
                           ["activation"])
    assert program is not None and program.constants == {"a": 0.25}
    assert program.as_text() == "f = where(x > 0, tanh(x), a * tanh(x))"


def test_functions_of_the_step_the_notes_define_are_written_out_where_they_are_applied() -> None:
    formulas = ("η_l(t) = 0.1·(1 − 1/(γ·t + 1))\nη_u(t) = 0.1·(1 + 1/(γ·t))\nη̂_t = clip(α / (√v_t + ε), η_l(t), η_u(t))\n"
                "v_t = β·v_{t−1} + (1−β)·g_t²\nθ_t = θ_{t−1} − η̂_t · g_t\nγ = 0.02, α = 0.001, β = 0.999")
    program = note_program(formulas, ["update_rule"])
    assert program is not None and program.state == ("v",)
    assert "clip(alpha / (sqrt(v) + eps), 0.1 * (1 - 1 / (gamma * t + 1)), 0.1 * (1 + 1 / (gamma * t)))" in program.as_text()


def test_an_indicator_of_a_comparison_is_a_mask_the_program_computes() -> None:
    program = note_program("$w \\leftarrow w - \\eta\\, g - \\eta \\lambda\\, \\mathbb{1}[\\,g \\odot w < 0\\,] \\odot w$\nλ = 5e-4",
                           ["update_rule"])
    assert program is not None and program.as_text() == "w = w - eta * g - eta * lam * lt(g * w, 0) * w"
    assert plain_formula("h = z · 𝟙[z ≥ c]") == "h = z · ge(z, c)"


def test_a_swept_constant_takes_the_first_value_the_note_assigns_whatever_the_hash_seed() -> None:
    """`β1=0.9` in the constants, `β1 ∈ {0.9, 0.99}` swept and `β1=0.99` named later: 0.9, in every process."""
    import os
    import subprocess
    import sys

    note = "常数：β1=0.9，β2=0.999。\\n扫 β1 ∈ {0.9, 0.99}。\\n差别应该出现在 β1=0.99 的格子里。"
    code = f"from agentnotes.experiments.guards.constants import note_constants; print(note_constants({note!r})['beta1'])"
    for seed in range(10):
        ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONHASHSEED": str(seed)})
        assert ran.stdout.strip() == "0.9", seed


def test_infinity_subscripts_name_a_value_and_letters_beside_greek_ones_multiply() -> None:
    from agentnotes.experiments.guards.notation import latex_spacing, plain_formula

    assert plain_formula("$\\rho_\\infty = 2/(1-\\beta) - 1$") == plain_formula("ρ∞ = 2/(1-β) - 1") == "ρ_inf = 2/(1-β) - 1"
    assert "t*β" in plain_formula("ρ = ρ∞ − 2tβᵗ")
    assert latex_spacing("\\eta\\, r_t\\, m_t") == "\\eta*r_t*m_t"
    assert "*" not in latex_spacing("x\\, \\text{if } x > 0")


def test_styled_mathematical_letters_read_as_plain_ones() -> None:
    from agentnotes.experiments.guards.notation import plain_letters

    assert plain_letters("𝓛 = CE(f(x), y) + λ·Σₗ ‖𝐡ₗ‖², 𝔼[𝟙[z > 0]]") == "L = CE(f(x), y) + λ·Σₗ ‖hₗ‖², E[1[z > 0]]"
    assert plain_letters("ℓ_B(w), ℝ^d") == "ℓ_B(w), ℝ^d"  # letterlike symbols keep their own meaning
    assert plain_letters("𝓛 = CE + λ·(1/L)·Σ‖𝐡‖²") == "𝓛 = CE + λ·(1/L)·Σ‖h‖²"  # L is another name here: 𝓛 stays


def test_a_primed_letter_is_a_name_of_its_own_but_a_derivative_or_a_quoted_word_is_not():
    assert plain_formula("x' = x^γ").startswith("x_prime = x")
    assert "G_prime = G" in plain_formula("G' = G + μ·M")
    assert "f'(x)" in plain_formula("f'(x) = 1 - f(x)^2")
    assert "'zeros'" in plain_formula("padding_mode='zeros', mode='a'")


def test_units_that_learn_a_list_of_names_make_each_learnable_but_a_learning_rate_is_none() -> None:
    from agentnotes.experiments.guards.formula_lines import learnable_names

    assert learnable_names("每个神经元自己学 p₁, p₂, β，于是网络自己决定") == {"p1", "p2", "beta"}
    assert learnable_names("each unit learns its own a, b and c") == {"a", "b", "c"}
    assert learnable_names("学习率 lr = 0.1，自己学习率不变；the optimizer learns fast") == set()


def test_a_norm_squared_with_its_subscript_after_the_power_or_after_bars_is_the_square_of_the_norm() -> None:
    assert plain_formula("(λ/2)·‖ŷ‖²₂") == plain_formula("(λ/2)·‖ŷ‖₂²") == "(λ/2)·‖y_hat‖^2"
    assert plain_formula("||g||₂²") == "‖g‖^2"
    assert plain_formula("||W||₂") == "specnorm(W)"  # a matrix's spectral norm, as with ‖W‖₂


def test_a_condition_in_brackets_said_with_its_word_holds_and_elsewhere_the_changed_value_stays() -> None:
    """`Δ ← Δ·η⁻ （若 g·g_prev < 0）`: the bracket is the formula's condition, not an aside to drop; `η⁻` is a name."""
    note = "Δ ← Δ·η⁻ （若 g·g_prev < 0）\nw ← w − lr·sign(g)·Δ\nη⁻ = 0.5"  # invented
    program = note_program(note, ["update_rule"])
    assert program is not None and program.constants == {"eta_minus": 0.5}
    assert program.as_text().startswith("Delta = where(g * g_prev < 0, Delta * eta_minus, Delta)")
    assert note_program("f(x) = x （当 x > 0 时）", ["activation"]) is None  # no value said for the other case
    assert "_minus" not in plain_formula("u = Φ⁻¹(p) + x⁻²")
