"""The note's formulas as a program (guards/note_program.py), run beside the idea's hook in the real sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentnotes.experiments.guards.note_program import note_program
from agentnotes.experiments.guards.skeleton import fill, load_skeleton
from agentnotes.experiments.lab.assemble import assemble_script
from agentnotes.experiments.lab.config import ExperimentConfig
from agentnotes.experiments.results import rundir as rd
from agentnotes.pipeline.execute import ExperimentOptions, probe_formulas

# An invented update rule in the notes' style: a sign step on a mix of the gradient and a kept average.
SIGN_MIX = "每步先算 d = κ*a + (1-κ)*g\nw ← w − η·sign(d)\n然后 a = ρ*a + (1-ρ)*g\nκ = 0.8, ρ = 0.95，不加 weight decay。"
FAITHFUL = '''
def update(p, g, state, lr, t):
    a = state.setdefault("a", torch.zeros_like(p))
    d = 0.8 * a + 0.2 * g
    p.sub_(lr * torch.sign(d))
    a.mul_(0.95).add_(0.05 * g)
'''


def test_formulas_written_as_assignments_become_a_program_with_roles_state_and_constants() -> None:
    program = note_program(SIGN_MIX, ["update_rule"])
    assert program is not None
    assert program.statements == (("d", "kappa * a + (1 - kappa) * g"), ("w", "w - eta * sign(d)"),
                                  ("a", "rho * a + (1 - rho) * g"))
    assert program.roles == {"param": "w", "grad": "g", "lr": "eta"} and program.state == ("a",)
    assert program.constants == {"kappa": 0.8, "rho": 0.95} and program.output == "w"


def test_a_bounded_step_of_two_arguments_reads_as_torch_atan2() -> None:
    program = note_program("m ← β₁·m + (1−β₁)·g\nv ← β₂·v + (1−β₂)·g²\nw ← w − η · a · atan2(m, √v)\na = 1.27",
                           ["update_rule"])
    assert program is not None and program.statements[-1] == ("w", "w - eta * a * atan2(m, sqrt(v))")


def test_a_formula_restated_in_the_text_and_its_approximation_are_one_formula() -> None:
    note = "# 新激活 f(x) = x·sin(x) + x\n- 公式：f(x) = x·sin(x) + x，f'(x) = sin(x) + x·cos(x) + 1。在 0 附近 f(x) ≈ x + x²"
    program = note_program(note, ["activation"], note, "digits")
    assert program is not None and program.statements == (("f", "x * sin(x) + x"),)
    twice = note_program("a = g*g\nm = 0.9*m + a\na = g*g\nw = w - lr*m/(a + 1)", ["update_rule"])
    assert twice is not None and [t for t, _ in twice.statements] == ["a", "m", "w"]  # nothing between changed it
    changed = note_program("a = g*g\na = 2*a\na = g*g\nw = w - lr*a", ["update_rule"])
    assert changed is None  # `a` assigned again after a change: which is meant is not certain


def test_a_step_size_written_alpha_is_the_tuned_rate_only_where_the_notes_name_no_other() -> None:
    adam_notation = note_program("m = β1·m + (1−β1)·g\nθ = θ − α·m，β1 = 0.9，α = 1e-3", ["update_rule"])
    assert adam_notation is not None and adam_notation.roles["lr"] == "alpha" and "alpha" not in adam_notation.constants
    heavy_ball = note_program("v = α·v − η·g\nw = w + v，α = 0.9", ["update_rule"])
    assert heavy_ball is not None and heavy_ball.roles["lr"] == "eta" and heavy_ball.constants == {"alpha": 0.9}
    # η computed from α (a per-entry step size capped by its running average): α is still the tuned rate, and the
    # value in brackets to try as well is not β3's
    capped = note_program("v = β2·v + (1−β2)·g²\nη̂ = α / (√v + ε)\ns = β3·s + (1−β3)·η̂\nη = min(η̂, s)\nθ = θ − η·g\n"
                          "β2 = 0.999, α = 1e-3, β3 = 0.999（步数少时也试 β3 = 0.99）", ["update_rule"])
    assert capped is not None and capped.roles["lr"] == "alpha" and capped.constants["beta3"] == 0.999


@pytest.mark.parametrize("said", ["bias-corrected m̂, v̂ as in Adam", "其余照常 Adam"])
def test_adams_moments_taken_from_adam_in_words_are_adams_formulas_before_their_first_use(said: str) -> None:
    program = note_program(f"{said}\nθ = θ − α·m̂/(√v̂ + ε)", ["update_rule"], f"Like Adam. {said}.")
    assert program is not None and program.state == ("m", "v")
    assert program.statements == (("m", "beta1 * m + (1 - beta1) * g"), ("m_hat", "m / (1 - beta1 ** t)"),
                                  ("v", "beta2 * v + (1 - beta2) * g ** 2"), ("v_hat", "v / (1 - beta2 ** t)"),
                                  ("theta", "theta - alpha * m_hat / (sqrt(v_hat) + eps)"))
    assert program.constants == {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
    # the notes' own moments and β₁ stay theirs; only the correction they leave to Adam is added, after them
    own = note_program("m = β₁·m + (1−β₁)·g, β₁ = 0.95\nθ = θ − α·m̂，m̂ as in Adam", ["update_rule"])
    assert own is not None and own.statements[:2] == (("m", "beta1 * m + (1 - beta1) * g"), ("m_hat", "m / (1 - beta1 ** t)"))
    assert own.constants["beta1"] == 0.95
    assert note_program("θ = θ − α·m̂/(√v̂ + ε)", ["update_rule"]) is None  # moments nobody defines: no program


def test_an_average_of_the_notes_own_is_bias_corrected_by_its_own_decay_where_the_notes_say_so() -> None:
    rule = "m = β1·m + (1−β1)·g\nu = β2·u + (1−β2)·m²\nθ = θ − η·m̂/(√û + ε)"
    program = note_program(rule, ["update_rule"], f"{rule}\n(bias-correct both as usual)")
    assert program is not None and program.statements[2:4] == (("m_hat", "m / (1 - beta1 ** t)"),
                                                               ("u_hat", "u / (1 - beta2 ** t)"))
    by_other_decay = note_program("s = ρ·s + (1−ρ)·g²\nθ = θ − η·g/(√ŝ + ε)", ["update_rule"], "ŝ 做偏差修正")
    assert by_other_decay is not None and ("s_hat", "s / (1 - rho ** t)") in by_other_decay.statements
    assert note_program(rule, ["update_rule"], rule) is None  # û said nowhere: not certain what it is


def test_an_activation_and_a_schedule_read_their_input_and_step() -> None:
    activation = note_program("新激活：f(x) = x * tanh(softplus(x)) 就这样", ["activation"])
    assert activation is not None and activation.output == "f" and activation.roles == {"input": "x"}
    schedule = note_program("lr_t = lr0 * 0.5^floor(t / 50)", ["schedule"])
    assert schedule is not None and schedule.roles == {"base": "lr0", "step": "t"}


@pytest.mark.parametrize("formulas", [
    "y = x + α*relu(W*x + b)",  # a layer: no program for this kind
    "baseline: p = p - lr*g\nidea: p = p - lr*sign(g)",  # p assigned twice: which is the idea?
    "p = p - lr*g*mask[i]",  # a subscript: not a plain formula
    "p = p - lr*g*s",  # s is never given
    "m = β*m + g",  # the parameter never moves
    "lr_t = lr * cos(pi * t / T), T = 1000",  # the notes' step count or the run's
])
def test_formulas_that_are_not_certain_give_no_program(formulas: str) -> None:
    kinds = ["schedule"] if "lr_t" in formulas else ["update_rule"]
    assert note_program(formulas, kinds) is None


def _probe(tmp_path: Path, body: str, formulas: str = SIGN_MIX) -> dict | None:
    run = rd.create_run(tmp_path, "sign mix vs SGD")
    code = fill(load_skeleton("update_rule"), body)
    run.write_text(f"{rd.ITERATIONS}/1/{rd.EXPERIMENT}", assemble_script(code, ExperimentConfig(seeds=(0, 1, 2), steps=20)))
    program = note_program(formulas, ["update_rule"])
    assert program is not None
    return probe_formulas(run, 1, program.as_dict(), ExperimentOptions("sign mix vs SGD"))


@pytest.mark.sandbox
def test_the_sandboxed_probe_passes_a_faithful_update(tmp_path: Path) -> None:
    verdict = _probe(tmp_path, FAITHFUL)
    assert verdict is not None and verdict["checked"] and verdict["ok"], verdict


@pytest.mark.sandbox
def test_the_sandboxed_probe_names_where_an_almost_right_update_differs(tmp_path: Path) -> None:
    verdict = _probe(tmp_path, FAITHFUL.replace("a.mul_(0.95).add_(0.05 * g)", "a.mul_(0.95).add_(g)"))
    assert verdict is not None and verdict["checked"] and not verdict["ok"]
    assert verdict["where"] == "the weights after step 2 (lr = 0.01)"  # step 1 agrees: the average starts at zero
    assert len(verdict["expected"]) == len(verdict["got"]) == 4 and verdict["max_diff"] > 0.001


# An invented rule reading the gradient at the step before: a push along the gradient's change.
PUSH = "v_t = g_t + γ·(g_t − g_{t-1})   (v_1 = g_1)\nw_{t+1} = w_t − η·v_t，γ = 0.3"
PUSH_FAITHFUL = '''
def update(p, g, state, lr, t):
    before = state.get("before", g)
    state["before"] = g.clone()
    p.sub_(lr * (g + 0.3 * (g - before)))
'''


def test_a_value_at_the_step_before_is_kept_in_state_and_starts_as_the_steps_own() -> None:
    program = note_program(PUSH, ["update_rule"])
    assert program is not None and program.previous == ("g_prev",) and program.state == ()
    assert program.statements == (("v", "g + gamma * (g - g_prev)"), ("w", "w - eta * v"))


def test_values_two_steps_back_are_kept_in_turn_and_a_median_of_tensors_is_taken_entry_by_entry() -> None:
    """`med(g_t, g_{t-1}, g_{t-2})`: the gradients of the two steps before are kept (each the step's own until there
    is one), and the median of several tensors is each entry's middle value."""
    import torch
    import torch.nn.functional as F

    from agentnotes.experiments.guards.formula_code import program_reply
    from agentnotes.experiments.guards.skeleton import skeleton_for

    note = "- g̃_t = med(g_t, g_{t-1}, g_{t-2})\n- w ← w − η·g̃_t"  # invented
    program = note_program(note, ["update_rule"])
    assert program is not None and program.previous == ("g_prev", "g_prev2")
    part = skeleton_for(["update_rule"], note)
    namespace = {"torch": torch, "F": F}
    exec(fill(part, program_reply(part, note, note)), namespace)
    update, state, p = namespace["update"], {}, torch.zeros(3)
    gradients = [torch.tensor([1.0, -4.0, 0.0]), torch.tensor([3.0, 2.0, 0.0]), torch.tensor([2.0, 0.0, 9.0]),
                 torch.tensor([0.0, 0.0, 1.0])]
    steps = []
    for t, g in enumerate(gradients, start=1):
        before = p.clone()
        update(p, g, state, 1.0, t)
        steps.append((before - p).tolist())
    assert steps == [[1.0, -4.0, 0.0], [3.0, 2.0, 0.0], [2.0, 0.0, 0.0], [2.0, 0.0, 1.0]]


def test_a_top_k_mask_is_one_at_the_largest_entries_of_the_whole_tensor() -> None:
    """`topk(|r|, k = ⌈q·numel⌉)` is 1 at the k largest entries of |r| (numel: the tensor's entries); the notes' `q`
    beside it leaves the hook's parameter `p` alone."""
    import torch
    import torch.nn.functional as F

    from agentnotes.experiments.guards.formula_code import program_reply
    from agentnotes.experiments.guards.skeleton import skeleton_for

    note = ("```\nr ← r + η·g\nsel = topk(|r|, k = ⌈p · numel⌉)\nw ← w − r ⊙ sel\nr ← r ⊙ (1 − sel)\n```\n"
            "p = 0.5")  # invented: a residual sent half at a time
    program = note_program(note, ["update_rule"])
    assert program is not None and ("numel", "float(p.numel())") in program.bound
    part = skeleton_for(["update_rule"], note)
    namespace = {"torch": torch, "F": F}
    exec(fill(part, program_reply(part, note, note)), namespace)
    update, state, w = namespace["update"], {}, torch.zeros(4)
    update(w, torch.tensor([4.0, 1.0, -3.0, 2.0]), state, 1.0, 1)
    assert w.tolist() == [-4.0, 0.0, 3.0, 0.0]  # the two largest |r| sent
    assert state["r"].tolist() == [0.0, 1.0, 0.0, 2.0]  # the rest kept for later


def test_matrix_algebra_on_the_weights_is_written_as_matrix_products_and_leaves_the_biases_alone() -> None:
    """`Wᵀ`, `W^T` and `I` say the formula multiplies matrices: `W·Wᵀ·W` is a matrix product, `WᵀW − I` an identity
    as large as WᵀW; a numbers-only product (`β·W`) stays entry by entry, and a bias is left alone."""
    import torch
    import torch.nn.functional as F

    from agentnotes.experiments.guards.formula_code import program_reply
    from agentnotes.experiments.guards.skeleton import skeleton_for

    cases = {"每步之后：W ← (1+β)·W − β·W·Wᵀ·W，β = 0.5": lambda W: 1.5 * W - 0.5 * W @ W.T @ W,  # invented
             "after every step: W ← W − α·W(W^T W − I), α = 0.1": lambda W: W - 0.1 * W @ (W.T @ W - torch.eye(3)),
             "after every step: W ← W − α·(W W^T − s²·I) W, α = 0.1, s = 2":
                 lambda W: W - 0.1 * (W @ W.T - 4 * torch.eye(4)) @ W,
             "每步之后：\nG = WᵀW\nW ← W − α·W·(G − I)，α = 0.1": lambda W: W - 0.1 * W @ (W.T @ W - torch.eye(3))}
    for note, expected in cases.items():
        part = skeleton_for(["weight_op"], note)
        namespace = {"torch": torch, "F": F}
        exec(fill(part, program_reply(part, note, note)), namespace)
        W, bias = torch.randn(4, 3), torch.randn(4)
        before, bias_before = W.clone(), bias.clone()
        for p in (W, bias):
            namespace["weight_op"](p, {"initial": p.clone()}, 1)
        assert torch.allclose(W, expected(before), atol=1e-5), note
        assert torch.equal(bias, bias_before)
    assert note_program("w ← w − λ·w·|w|, λ = 0.1", ["weight_op"]).statements == (("w", "w - lam * w * abs(w)"),)
    assert note_program("lr_t = lr·γ^T, γ = 0.9", ["schedule"]) is None or "_T" not in note_program(
        "lr_t = lr·γ^T, γ = 0.9", ["schedule"]).as_text()  # a power of a Greek letter: no transpose


@pytest.mark.sandbox
def test_the_sandboxed_probe_follows_the_gradient_of_the_step_before(tmp_path: Path) -> None:
    verdict = _probe(tmp_path, PUSH_FAITHFUL, PUSH)
    assert verdict is not None and verdict["checked"] and verdict["ok"], verdict
    forgetting = PUSH_FAITHFUL.replace('state["before"] = g.clone()', 'state["before"] = torch.zeros_like(g)')
    forgetting = _probe(tmp_path / "forgetting", forgetting, PUSH)
    assert forgetting is not None and forgetting["checked"] and not forgetting["ok"]
    assert forgetting["where"] == "the weights after step 2 (lr = 0.01)"  # at step 1 both read the step's own gradient


# An invented rule in the iterate's notation (x), pulled toward a point computed from where it started (x0).
ANCHORED = "s = s + lr * g\nz = x0 - s / (1 + s * s)\nx = 0.5 * x + 0.5 * z"
ANCHORED_FAITHFUL = '''
def update(p, g, state, lr, t):
    start = state.setdefault("start", p.detach().clone())
    s = state.get("s", torch.zeros_like(p)) + lr * g
    state["s"] = s
    p.copy_(0.5 * p + 0.5 * (start - s / (1 + s * s)))
'''


def test_the_weights_at_the_first_step_are_kept_and_x_is_the_iterate_of_an_update_rule() -> None:
    program = note_program(ANCHORED, ["update_rule"])
    assert program is not None and program.roles["param"] == "x" and program.initial == ("x0",) and program.state == ("s",)


@pytest.mark.sandbox
def test_the_sandboxed_probe_reads_the_first_steps_weights(tmp_path: Path) -> None:
    verdict = _probe(tmp_path, ANCHORED_FAITHFUL, ANCHORED)
    assert verdict is not None and verdict["checked"] and verdict["ok"], verdict
    drifting = ANCHORED_FAITHFUL.replace('state.setdefault("start", p.detach().clone())', "p.detach().clone()")
    drifting = _probe(tmp_path / "drifting", drifting, ANCHORED)
    assert drifting is not None and drifting["checked"] and not drifting["ok"]


# An invented rule whose average starts at the first step's gradient, with a coefficient defined as an identity.
FIRST_STEP = ("- c_t = cos(g_t, m_{t-1}) = ⟨g_t, m_{t-1}⟩ / (‖g_t‖·‖m_{t-1}‖ + ε)\n- β_t = 0.5 + 0.4·c_t\n"
              "- m_t = β_t·m_{t-1} + (1 − β_t)·g_t\n- θ_t = θ_{t-1} − η·m_t\n第一步直接令 m_1 = g_1。ε = 1e-12")
FIRST_STEP_FAITHFUL = '''
def update(p, g, state, lr, t):
    m = state.get("m")
    if m is None:
        m = g.clone()
    else:
        c = torch.sum(g * m) / (g.norm() * m.norm() + 1e-12)
        beta = 0.5 + 0.4 * c
        m = beta * m + (1 - beta) * g
    state["m"] = m
    p.sub_(lr * m)
'''


def test_a_value_the_notes_start_at_the_first_steps_values_is_computed_so_at_step_one() -> None:
    program = note_program(FIRST_STEP, ["update_rule"])
    assert program is not None and program.state == ("m",) and program.roles["step"] == "t"
    assert program.statements == (("c", "dot(g, m) / (norm(g) * norm(m) + eps)"), ("beta", "0.5 + 0.4 * c"),
                                  ("m", "where(le(t, 1), g, beta * m + (1 - beta) * g)"), ("theta", "theta - eta * m"))


@pytest.mark.sandbox
def test_the_sandboxed_probe_follows_a_value_started_at_the_first_steps_gradient(tmp_path: Path) -> None:
    verdict = _probe(tmp_path, FIRST_STEP_FAITHFUL, FIRST_STEP)
    assert verdict is not None and verdict["checked"] and verdict["ok"], verdict
    from_zero = _probe(tmp_path / "zero", FIRST_STEP_FAITHFUL.replace("m = g.clone()", "m = 0.1 * g"), FIRST_STEP)
    assert from_zero is not None and from_zero["checked"] and not from_zero["ok"]
    assert from_zero["where"] == "the weights after step 1 (lr = 0.01)"


def test_a_formula_that_holds_under_a_condition_gives_no_program() -> None:
    assert note_program("前 N = 20 步：lr_t = lr0*t/N（t ≤ N）", ["schedule"]) is None
    assert note_program("lr_t = lr0*t/N（预热）, N = 20", ["schedule"]) is not None  # prose without a condition
    assert note_program("前 N = 20 步：lr_t = lr0*t/N（t ≤ N）\nlr_t = lr0（t > N）", ["schedule"]) is not None
    unsaid = "如果 ||g|| > c，就缩放 g = g * c/||g||。c = 1.0。\n然后 w = w - lr*g"
    assert note_program(unsaid, ["update_rule"]) is None  # what happens otherwise is not said


def test_periodic_formulas_over_a_layers_parameters_become_its_method_body_only_when_certain() -> None:
    from agentnotes.experiments.guards.note_program import periodic_body

    merge = "每训练 N 步（比如 N=50）合并一次：w = (w1+w2)/2，然后 w1 = w2 = w。"
    assert periodic_body(merge, ["w1", "w2", "bias"], 50) == (
        "if step % 50 != 0:\n    return\nw = (self.w1 + self.w2) / 2\nself.w1.copy_(w)\nself.w2.copy_(w)")
    pull = "every 100 steps: W_slow = W_slow + α*(W_fast - W_slow), W_fast = W_slow, α = 0.5"
    assert periodic_body(pull, ["W_fast", "W_slow"], 100).splitlines()[2:] == [
        "self.W_slow.copy_(self.W_slow + 0.5 * (self.W_fast - self.W_slow))", "self.W_fast.copy_(self.W_slow)"]
    assert periodic_body(pull.replace(", α = 0.5", ""), ["W_fast", "W_slow"], 100) is None  # α has no value
    assert periodic_body(merge.replace("(w1+w2)/2", "mean(w1, w2)"), ["w1", "w2"], 50) is None  # not a known function
    assert periodic_body(merge, ["weight", "bias"], 50) is None  # no parameter of the layer is assigned
    assert periodic_body(merge, ["w1", "w2"], None) is None  # the notes give no period


@pytest.mark.sandbox
@pytest.mark.parametrize(("kind", "formulas", "request_"), [
    ("update_rule", SIGN_MIX, "sign mix vs SGD"),
    ("update_rule", "梯度除以它的范数：g = g / (||g|| + ε)\n再做 SGD：w = w - lr*g", "unit step vs SGD"),  # ε: the usual tiny value
    ("activation", "新激活：f(x) = x * tanh(softplus(x)) 就这样", "new activation vs relu"),
    ("activation", "相邻两个单元一组：f(x) = max(x1, x2) * sigmoid(x2)", "pair gate vs relu"),  # a pair of units
    ("update_rule", "如果 ||g|| > c，就缩放 g = g * c/||g||；否则 g 不变。c = 2.0\n然后 w = w - lr*g", "clip vs SGD"),
    ("schedule", "lr_t = lr0 * 0.5^floor(t / 50)", "halving vs constant lr"),
    # written step by step, with indices left on lines that index no other step, and a constant named as the
    # update's own parameter p, given as a fraction beside a fraction said as a case
    ("update_rule", "m_t = 0.9·m_{t-1} + 0.1·g_t\nv_t = 0.99·v_{t-1} + 0.01·g_t²\nm̂ = m_t/(1-0.9^t)\n"
                    "w ← w - lr · m̂ / (v_t^p + ε)\n常数：p = 1/4，ε = 1e-8（p=1/2 时就是 Adam 的分母）", "quarter power vs SGD"),
    ("schedule", "前 W = 0.2*STEPS 步：lr_t = lr0*t/W（t ≤ W）；\n之后线性降到 0：lr_t = lr0*(STEPS - t)/(STEPS - W)",
     "ramp up and down vs constant lr"),  # a formula under a bracketed condition, its alternative on the next line
])
def test_formulas_that_are_a_whole_program_are_written_by_the_program_and_agree_with_it_in_the_sandbox(
        tmp_path: Path, kind: str, formulas: str, request_: str) -> None:
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    from agentnotes.agents.experimenter import Plan, write_idea_body
    from agentnotes.experiments.guards.skeleton import skeleton_for, stubs
    from agentnotes.experiments.guards.static_check import blocking, check_idea_code
    from agentnotes.notes.types import Chunk, Hit
    from agentnotes.prompts import load_prompt

    hits = [Hit(Chunk("/n/ideas.md", 1, 4, formulas, ("idea",)), 1.0)]
    plan = Plan(idea_name="idea", hypothesis="h", idea_rule=formulas[:200].ljust(30), kinds=[kind], baseline="sgd",
                task="classification", metric="test_accuracy")
    unused = FakeListChatModel(responses=["```python\nraise SystemExit('the model was asked')\n```"])
    code, reply = write_idea_body(unused, load_prompt("write_idea_body"), plan, hits, skeleton_for([kind], formulas))
    assert "the model was asked" not in code  # no model call
    assert "written from the notes' formulas" in code and not stubs(code)
    assert not blocking(check_idea_code(code, [kind], ()))
    run = rd.create_run(tmp_path, request_)
    run.write_text(f"{rd.ITERATIONS}/1/{rd.EXPERIMENT}", assemble_script(code, ExperimentConfig(seeds=(0, 1, 2), steps=20)))
    verdict = probe_formulas(run, 1, note_program(formulas, [kind]).as_dict(), ExperimentOptions(request_))
    assert verdict is not None and verdict["checked"] and verdict["ok"], verdict


# An invented operation on the weights in the notes' style: every K steps pull every entry halfway to zero, plus noise.
HALF_NOISE = ("## Halve every K steps\n每 K 步做一次（K = 20）：\nw = λ*w + σ*ξ，ξ ~ N(0, 1)\nλ = 0.5, σ = 0.01. Nothing else "
              "changes.")


def _function_of(code: str, name: str, **names):
    """The function `name` of filled skeleton code, defined on its own with torch (and `names`, the harness's)."""
    import ast
    import textwrap

    import torch

    function = next(n for n in ast.parse(code).body if isinstance(n, ast.FunctionDef) and n.name == name)
    namespace = {"torch": torch, **names}
    exec(textwrap.dedent(ast.unparse(function)).replace("@torch.no_grad()\n", ""), namespace)
    return namespace[name]


def _loss_of(note: str, task: str):
    """The compute_loss the program writes from `note` for `task`, defined on its own."""
    import torch.nn.functional as F

    from agentnotes.experiments.guards.formula_code import program_reply

    task_loss = F.mse_loss if task == "regression" else F.cross_entropy  # the harness's
    return _function_of(fill(load_skeleton("loss"), program_reply(load_skeleton("loss"), note, note, task)), "compute_loss", F=F,
                        task_loss=task_loss)


def _right_class_probability(out, y):
    import torch.nn.functional as F

    return F.softmax(out, dim=-1)[range(len(y)), y]


def test_an_operation_on_the_weights_with_a_drawn_value_is_written_with_the_notes_period() -> None:
    import torch

    from agentnotes.experiments.guards.formula_code import program_reply
    from agentnotes.experiments.guards.idea_sections import formulas_in
    from agentnotes.notes.types import Chunk, Hit

    program = note_program("w = λ*w + σ*ξ，ξ ~ N(0, 1)\nλ = 0.5, σ = 0.01", ["weight_op"])
    assert program is not None and program.drawn == (("xi", "torch.randn_like(p)"),) and program.output == "w"
    assert note_program("w = λ*w + σ*ξ\nλ = 0.5, σ = 0.01", ["weight_op"]) is None  # ξ never given nor drawn
    part = load_skeleton("weight_op")
    formulas = formulas_in([Hit(Chunk("/n/h.md", 1, 5, HALF_NOISE, ("Halve",)), 1.0)])
    reply = program_reply(part, formulas, HALF_NOISE)
    weight_op = _function_of(fill(part, reply), "weight_op")
    start = torch.randn(64, 32)
    p = start.clone()
    weight_op(p, {"initial": start}, 7)
    assert torch.equal(p, start)  # not a multiple of K
    weight_op(p, {"initial": start}, 40)
    noise = (p - 0.5 * start) / 0.01
    assert not torch.equal(p, 0.5 * start) and abs(float(noise.std()) - 1) < 0.1 and abs(float(noise.mean())) < 0.1
    assert program_reply(part, formulas, HALF_NOISE.replace("（K = 20）", "")) == ""  # a period without its number


def test_a_period_named_by_its_letter_in_a_heading_takes_the_letters_value_given_later() -> None:
    from agentnotes.experiments.guards.note_symbols import note_period

    note = "# Reset every N steps\n\nA long first paragraph of prose that says why, and what was seen before.\nN = 30 here."
    assert note_period(note) == 30
    assert note_period("# Reset every N steps\n\nNo number anywhere.") is None
    assert note_period("每 H 步把各副本的权重合并一次，H ∈ {10, 50, 200}。") == 50  # local SGD's letter, one of its sweep
    assert note_period("Project the rows back onto the sphere every T steps (T = 20).") == 20


def test_a_period_is_the_ideas_not_that_of_what_the_setup_records_and_a_swept_letter_takes_one_value() -> None:
    from agentnotes.experiments.guards.note_symbols import note_period, periodic_cue

    note = "- 规则：每步之后 W ← W − 0.1·sign(W)\n- 记录：test acc、每层奇异值（每 100 步）"  # invented
    assert periodic_cue(note) is None and note_period(note) is None  # every step: no period
    assert note_period(note.replace("每步之后", "每 50 步")) == 50
    assert note_period("- 每 k 步做一次 W ← max(W, 0)\n- 投影间隔 k ∈ {1, 10, 100}") == 10  # the sweep's middle


def test_a_weight_operation_of_matrix_entries_keeps_its_anchor_from_the_weights_before_training() -> None:
    import torch

    from agentnotes.experiments.guards.formula_code import program_reply

    formulas = "每 20 步：\nE = W − W_ref\nc_k = mean_m |E_km|\nW ← W_ref + c_k · sign(E_km)\nW_ref ← W"  # invented
    program = note_program(formulas, ["weight_op"])
    assert program is not None and program.anchors == ("W_ref",) and program.state == ()
    assert dict(program.statements)["c"] == "mean_rows(abs(E))"
    part = load_skeleton("weight_op")
    weight_op = _function_of(fill(part, program_reply(part, formulas, formulas)), "weight_op")
    start = torch.zeros(2, 3)
    p, state = torch.tensor([[1.0, -2.0, 3.0], [0.5, 0.5, -0.5]]), {"initial": start}
    weight_op(p, state, 20)
    assert torch.allclose(p, torch.tensor([[2.0, -2.0, 2.0], [0.5, 0.5, -0.5]]))  # each row's mean size, its signs
    anchor = p.clone()
    p.add_(torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 3.0]]))
    weight_op(p, state, 40)  # from the weights the last call left, not from the start
    assert torch.allclose(p - anchor, torch.tensor([[1 / 3, 0.0, 0.0], [0.0, 0.0, 1.0]]))
    # entries indexed in both orders: not read as rows
    assert note_program("E = W − W_ref\nc_k = mean_m |E_km|\nW ← W_ref + c_k · sign(E_mk)\nW_ref ← W", ["weight_op"]) is None


def test_a_weight_operation_the_notes_keep_off_the_biases_returns_for_them() -> None:
    import torch

    from agentnotes.experiments.guards.formula_code import program_reply

    note = "每一步之后：W = W / (||W|| + ε)，bias 不约束。"
    reply = program_reply(load_skeleton("weight_op"), "W = W / (||W|| + ε)", note)
    weight_op = _function_of(fill(load_skeleton("weight_op"), reply), "weight_op")
    weight, bias = torch.randn(8, 4) * 3, torch.randn(8) * 3
    weight_op(weight, {}, 1)
    weight_op(bias, {}, 1)
    assert abs(float(weight.norm()) - 1) < 1e-4 and float(bias.norm()) > 1.5


@pytest.mark.parametrize("bias_said", ["（包括输出层，**不**包括 bias）", "bias 不管", "weights only, not the biases",
                                       "excluding the bias"])
def test_a_weight_operation_of_a_masked_assignment_is_written_beside_its_code_restated(bias_said: str) -> None:
    import torch

    from agentnotes.experiments.guards.formula_code import program_reply

    formulas = ("τ = quantile(|W|, 0.25)        # 所有元素绝对值的分位数\nW[|W| < τ] = 0\n"
                "tau = m.weight.abs().flatten().quantile(0.25)\nm.weight[m.weight.abs() < tau] = 0.0")
    note = f"每 N = 10 步对每个 weight 矩阵 W {bias_said}：\n{formulas}"
    part = load_skeleton("weight_op")
    weight_op = _function_of(fill(part, program_reply(part, formulas, note)), "weight_op")
    weight, bias = torch.arange(1.0, 9.0).reshape(2, 4), torch.arange(1.0, 5.0)
    weight_op(weight, {}, 10)
    weight_op(bias, {}, 10)
    assert weight.flatten().tolist() == [0, 0, 3, 4, 5, 6, 7, 8] and bias.tolist() == [1, 2, 3, 4]
    # the code alone says what it does to the model, not to a weight matrix: left to the model
    code = "\n".join(formulas.splitlines()[2:])
    assert program_reply(part, code, f"每 N = 10 步：\n{code}") == ""


@pytest.mark.parametrize(("formula", "expected"), [
    ("训练 loss 加一项：L = task_loss + λ*Σ|W|，λ = 0.01", lambda w, w0: 0.01 * w.abs().sum()),
    ("loss = L_task + λ/2 * Σ_W (W - W_0)^2, λ = 0.1", lambda w, w0: 0.05 * ((w - w0) ** 2).sum()),
    # helpers the other lines define, a function of the matrix written out, a mean over the layers: per matrix
    ("m = mean(w)\nspread(W_l) = mean( ((w - m)^2)^2 )\nL = CE + c * (1/L) * sum_l (spread(W_l) - 2)^2\nc = 0.5",
     lambda w, w0: 0.5 / 2 * (((w - w.mean()) ** 4).mean() - 2) ** 2),
    ("r = abs(w)\nloss = ce + k * Σ_{l=1}^{L} mean(r) / L，k = 3", lambda w, w0: 3 * w.abs().mean() / 2),
    # sums in brackets beside a sum over the layers: each matrix's own, its entries named by index; λ given in a sweep
    ("H(W) = (Σ|w_ij|)² / Σ w_ij²\nloss = CE + λ · Σ_l H(W_l)\nλ ∈ {1e-5, 1e-4, 1e-3}",
     lambda w, w0: 1e-4 * w.abs().sum() ** 2 / (w ** 2).sum()),
    # the same in LaTeX, the layer's label a superscript
    ("loss = CE + λ · Σ_l H(W_l)\n$H(W_l) = \\dfrac{\\left(\\sum_i |w^{(l)}_i|\\right)^2}{\\sum_i (w^{(l)}_i)^2}$\nλ = 2",
     lambda w, w0: 2 * w.abs().sum() ** 2 / (w ** 2).sum()),
    # the norm of each unit's row under a sum over the rows: each row's norm, not the whole matrix's
    ("L = CE + λ · Σ_l Σ_j ‖w_j‖，λ = 0.1", lambda w, w0: 0.1 * w.norm(dim=1).sum()),
    ("$R = \\frac{1}{m}\\sum_{j=1}^{m} \\frac{\\|W_{j,:}\\|_1}{\\|W_{j,:}\\|_2 + \\epsilon}$，ε = 1e-8\nloss = CE + λ·R，λ = 0.5",
     lambda w, w0: 0.5 * (w.abs().sum(1) / (w.norm(dim=1) + 1e-8)).mean()),
])
def test_a_penalty_added_to_the_task_loss_is_written_by_the_program(formula: str, expected) -> None:
    import torch

    from agentnotes.experiments.guards.formula_code import program_reply

    part = load_skeleton("regulariser")
    reply = program_reply(part, formula, formula)
    assert "written from the notes' formulas" in reply
    penalty = _function_of(fill(part, reply), "penalty")
    weights, initial = [torch.randn(5, 3), torch.randn(2, 5)], [torch.randn(5, 3), torch.randn(2, 5)]
    got = float(penalty(weights, initial))
    assert abs(got - sum(float(expected(w, w0)) for w, w0 in zip(weights, initial))) < 1e-4


@pytest.mark.parametrize("formula", [
    "L = task_loss + λ*(Σ|W|)^2, λ = 1",  # the square of a sum is not a sum
    "L = task_loss + λ*Σ|W|*s, λ = 1",  # s is never given
    "L = task_loss + λ*Σ|W|",  # λ is never given
    "L = λ*Σ|W|, λ = 1",  # no task loss: not a penalty added to it
    "L = task_loss + λ*Σ_i |W|/L, λ = 1",  # a sum over entries: L is not the number of layers, and never given
    "L = task_loss + λ*Σ_l (Σ|W|)^2 / W^2, λ = 1",  # W² read outside the matrix's sum: a value per entry, not per matrix
    "L = task_loss + λ·(Σ_j ‖w_j‖)², λ = 1",  # the square of a sum over every matrix's rows at once
])
def test_a_penalty_the_program_cannot_be_sure_of_is_left_to_the_model(formula: str) -> None:
    from agentnotes.experiments.guards.formula_code import program_reply

    assert program_reply(load_skeleton("regulariser"), formula, formula) == ""


@pytest.mark.parametrize(("note", "expected"), [
    # a mean over the batch written as 1/B beside the sums over the examples, layers and units
    ("L = CE + λ · (1/B) Σ_b Σ_l Σ_j |h_{l,j}^{(b)}|，λ = 3e-4", lambda h: 3e-4 * h.abs().sum() / h.shape[0]),
    # per layer over its width, averaged over the layers, the batch mean said in words; the loss in a styled letter
    ("𝓛 = CE(f(x), y) + λ · (1/L) · Σₗ (1/nₗ) · ‖hₗ‖²，对 batch 取平均，λ = 0.01",
     lambda h: 0.01 / 2 * (h ** 2).sum() / h.shape[1] / h.shape[0]),
    # no sum over the layers, but the notes say every hidden layer
    ("每个隐藏层都加：loss = ce + β * mean(h^2)，β = 2", lambda h: 2 * (h ** 2).mean()),
])
def test_a_penalty_on_the_hidden_layers_outputs_is_written_by_the_program(note: str, expected) -> None:
    import torch

    from agentnotes.experiments.guards.formula_code import program_reply
    from agentnotes.experiments.guards.notation import plain_letters

    part = load_skeleton("activity_penalty")
    formula = plain_letters(note.split("，")[0].split("：")[-1])
    reply = program_reply(part, formula, plain_letters(note))
    assert "written from the notes' formulas" in reply
    penalty = _function_of(fill(part, reply), "penalty")
    hidden = [torch.rand(6, 5), torch.rand(6, 3)]
    pre = [torch.randn(6, 5), torch.randn(6, 3)]  # the pre-activations: the notes' h are the outputs after it
    labels = torch.tensor([0, 1, 2, 0, 1, 2])
    assert abs(float(penalty(hidden, pre, labels, torch.randn(6, 4))) - sum(float(expected(h)) for h in hidden)) < 1e-5


@pytest.mark.parametrize("note", [
    "L = CE + λ · Σ_l ‖h_l‖²，λ = 0.1，h 取激活前（pre-activation）的值",  # the skeleton gives outputs after the activation
    "L = CE + λ · ‖h‖²，λ = 0.1，只加在最后一个隐藏层",  # one layer, not every one
    "L = CE + λ · ‖h‖²，λ = 0.1",  # which hidden layers, the notes do not say
    "L = CE + λ · Σ_l ‖h_l‖² + μ · Σ|W|，λ = 0.1，μ = 1",  # a term of the weights: not the hidden outputs'
    "L = CE + λ · (1/n) · Σ_l ‖h_l‖²，λ = 0.1",  # a bare n: the examples or the units, the notes do not say
])
def test_a_penalty_on_hidden_outputs_the_program_cannot_be_sure_of_is_left_to_the_model(note: str) -> None:
    from agentnotes.experiments.guards.formula_code import program_reply

    assert program_reply(load_skeleton("activity_penalty"), note.split("，")[0], note) == ""


def test_a_layers_forward_pass_is_written_from_the_notes_output_formula() -> None:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    from agentnotes.experiments.guards.formula_code import program_reply
    from agentnotes.experiments.guards.skeleton import skeleton_for

    note = "## Tanh gate\n两个权重：y = (W1*x + b1) * tanh(W2*x + b2)，不再另外加激活函数。"
    part = skeleton_for(["layer"], note)
    reply = program_reply(part, "y = (W1*x + b1) * tanh(W2*x + b2)，不再另外加激活函数。", note)
    assert "written from the notes' formulas: y = (W1 * x + b1) * tanh(W2 * x + b2)" in reply
    namespace = {"torch": torch, "nn": nn, "F": F, "mlp": None}
    exec(fill(part, reply), namespace)
    layer, x = namespace["IdeaLinear"](3, 2), torch.randn(5, 3)
    expected = (x @ layer.W1.T + layer.b1) * torch.tanh(x @ layer.W2.T + layer.b2)
    assert torch.allclose(layer(x), expected, atol=1e-6)


def test_a_second_matrix_the_notes_start_is_a_parameter_of_the_layers_shape_and_no_residual() -> None:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    from agentnotes.experiments.guards.formula_code import program_reply
    from agentnotes.experiments.guards.skeleton import skeleton_for

    note = "# Odd-even units\ny = W x + V |x| + b\n- 对照 2：concat(relu(x), relu(−x)) 再接 Linear\n- V 初始化为 0"  # invented
    part = skeleton_for(["layer"], note)
    assert part.name == "layer"  # `V |x|` is weighted: no input passed through, no block
    namespace = {"torch": torch, "nn": nn, "F": F, "mlp": None}
    exec(fill(part, program_reply(part, note, note)), namespace)
    layer, x = namespace["IdeaLinear"](3, 2), torch.randn(5, 3)
    assert isinstance(layer.V, nn.Parameter) and layer.V.shape == (2, 3) and not layer.V.any()
    with torch.no_grad():
        layer.V.fill_(0.5)
    expected = F.linear(x, layer.weight, layer.bias) + 0.5 * x.abs().sum(dim=1, keepdim=True)
    assert torch.allclose(layer(x), expected, atol=1e-6)


def test_a_layer_written_unit_by_unit_with_a_started_value_of_its_own_gets_that_parameter() -> None:
    """`h_j = g_j·relu(z_j) + …` sums over nothing: all units at once; `a_j` started at 0, one per output unit, is a
    parameter of the layer (extra_parameters), trained with the weights."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    from agentnotes.experiments.guards.formula_code import program_reply
    from agentnotes.experiments.guards.skeleton import skeleton_for

    formulas = "z = W x + b\ng_j = sigmoid(a_j)    # a ∈ R^{out}\nh_j = g_j · relu(z_j) + (1 − g_j) · tanh(z_j)"
    note = f"替换 nn.Linear：\n{formulas}\na_j 初始化为 0，跟 W 一起学。"
    part = skeleton_for(["layer"], note)
    reply = program_reply(part, formulas, note)
    namespace = {"torch": torch, "nn": nn, "F": F, "mlp": None}
    exec(fill(part, reply), namespace)
    layer, x = namespace["IdeaLinear"](3, 4), torch.randn(5, 3)
    assert layer.a.shape == (4,) and "a" in dict(layer.named_parameters())
    with torch.no_grad():
        layer.a.copy_(torch.tensor([-2.0, 0.0, 1.0, 3.0]))
    z, g = x @ layer.weight.T + layer.bias, torch.sigmoid(layer.a)
    assert torch.allclose(layer(x), g * torch.relu(z) + (1 - g) * torch.tanh(z), atol=1e-6)
    unstarted = note.replace("a_j 初始化为 0，", "")
    assert program_reply(skeleton_for(["layer"], unstarted), formulas, unstarted) == ""  # its start not given


@pytest.mark.parametrize(("formulas", "parameters"), [
    ("y = W*x + b + 0.1*tanh(x)", ["weight", "bias"]),  # the notes' single W and b are the layer's own
    ("y = (W1*x + b1) * sigmoid(W2*x + b2)", ["W1", "W2", "b1", "b2"]),
])
def test_a_layers_output_formula_that_is_certain_becomes_its_forward_body(formulas: str, parameters: list[str]) -> None:
    from agentnotes.experiments.guards.note_program import layer_forward_body

    found = layer_forward_body(formulas, parameters)
    assert found is not None and found[0].endswith("return y") and "F.linear(x, self." in found[0]


def test_a_layers_width_its_listed_learnable_scalars_and_their_negative_starts_are_read() -> None:
    """`d = 输入维` is the layer's input width; `a, c 是可学习标量` makes both learnable, one value each (a variant
    that makes them one per unit is not the idea); `a = −2` starts a at −2."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    note = ("r = ‖x‖ / √d      （d = 输入维）\ng = σ(a · (r − c))      a, c 是可学习标量\ny = g · (W x) + b\n\n"
            "初始化：a = −2，c = 1.0。\n变体（可选）：a, c 做成 per-output-unit 的。")  # invented
    from agentnotes.experiments.guards.formula_code import program_reply
    from agentnotes.experiments.guards.skeleton import skeleton_for

    skeleton = skeleton_for(["layer"], note)
    namespace = {"torch": torch, "nn": nn, "F": F}
    exec(fill(skeleton, program_reply(skeleton, note, note)).split("def build_model")[0], namespace)
    layer = namespace["IdeaLinear"](4, 3)
    assert layer.a.shape == layer.c.shape == () and layer.a.item() == -2.0 and layer.c.item() == 1.0
    x = torch.full((2, 4), 3.0)  # ‖x‖ / √4 = 3
    gate = torch.sigmoid(torch.tensor(-2.0 * (3.0 - 1.0)))
    assert torch.allclose(layer(x), gate * F.linear(x, layer.weight) + layer.bias)


@pytest.mark.parametrize("formulas", [
    "y = (w1*(x+h) + w2*(x-h))/2 + b\nh = LR/2",  # LR is not the notes' constant
    "y = 2*W1*x + b",  # a number times the matrix: read as (2*W1)*x, the matrix not alone
    "y = W1*x * W1 + b",  # the matrix used another way
    "y = W1*x + b\ny = W1*x",  # two outputs: train and eval, or baseline and idea
    "z = W1*x + b",  # no output named
])
def test_a_layers_output_formula_that_is_not_certain_is_left_to_the_model(formulas: str) -> None:
    from agentnotes.experiments.guards.note_program import layer_forward_body

    assert layer_forward_body(formulas, ["W1", "w1", "w2", "bias"]) is None


def test_a_layer_note_that_also_writes_the_plain_layer_gets_the_ideas_own_forward_pass() -> None:
    """The plain layer said as the problem or for evaluation, and the parameters' copies of the plain weight (their
    start, which the layer has already), are not the forward pass; the learning rate is the arm's, LR."""
    import textwrap

    import torch
    import torch.nn.functional as F

    from agentnotes.experiments.guards.note_program import layer_forward_body

    note = ("问题：当输入很大时，普通层 y = w*x + b 的输出跟着变大。\n"
            "把 w 复制成两份 w1 = w2 = w，令 s = 10*lr，前向改成\n"
            "y = w1*x + s*tanh(w2*x) + b\n"
            "评估的时候：y = w*x + b")
    body, source, extra = layer_forward_body(note, ["w1", "w2", "bias"], note)
    assert source == "s = 10 * lr; y = w1 * x + s * tanh(w2 * x) + b" and extra == ""
    layer = type("Layer", (), {"w1": torch.randn(3, 4), "w2": torch.randn(3, 4), "bias": torch.randn(3)})()
    namespace = {"torch": torch, "F": F, "LR": 0.05}
    exec("def forward(self, x):\n" + textwrap.indent(body, "    "), namespace)
    x = torch.randn(5, 4)
    expected = F.linear(x, layer.w1) + 0.5 * torch.tanh(F.linear(x, layer.w2)) + layer.bias
    assert torch.allclose(namespace["forward"](layer, x), expected)
    assert layer_forward_body("y = w*x + b", ["weight", "bias"]) is not None  # the plain form alone is the layer's own
    assert layer_forward_body("w1 = w\ny = w1*x + b", ["w2", "bias"]) is None  # w1 is no parameter of this layer


def test_a_data_idea_that_pairs_the_samples_of_a_batch_is_written_from_its_formulas() -> None:
    import torch

    from agentnotes.experiments.guards.formula_code import program_reply

    note = ("每个 batch 打乱一次得到配对 j，抽一个 t ~ U(0.2, 0.4)：\nx = t*x_i + (1-t)*x_j\ny = t*y_i + (1-t)*y_j")
    part = load_skeleton("data")
    reply = program_reply(part, note, note, "regression")
    assert "written from the notes' formulas" in reply
    assert program_reply(part, note, note, "classification") == ""  # new targets from class indices: not numbers
    transform_batch = _function_of(fill(part, reply), "transform_batch")
    x, y = torch.eye(64), torch.randn(64, 1)  # row r is the unit vector e_r: its mix shows its partner and t
    mixed_x, mixed_y = transform_batch(x, y, 1)
    moved = [r for r in range(64) if mixed_x[r, r] < 1]  # rows paired with another row
    assert len(moved) > 32
    weights = {round(float(mixed_x[r, r]), 5) for r in moved}
    assert len(weights) == 1 and 0.2 <= weights.pop() <= 0.4  # one t for the batch, from U(0.2, 0.4)
    for r in moved:
        partner, t = int(mixed_x[r].clone().index_fill_(0, torch.tensor([r]), 0).argmax()), float(mixed_x[r, r])
        assert torch.allclose(mixed_y[r], t * y[r] + (1 - t) * y[partner], atol=1e-5)  # the same partner for y


def test_a_data_idea_that_adds_drawn_noise_shapes_it_like_what_it_changes() -> None:
    import torch

    from agentnotes.experiments.guards.formula_code import program_reply

    note = "训练时输入加噪声：x = x + σ*ε，ε ~ N(0, 1)，σ = 0.5"
    reply = program_reply(load_skeleton("data"), note, note)
    transform_batch = _function_of(fill(load_skeleton("data"), reply), "transform_batch")
    x, y = torch.zeros(256, 4), torch.arange(256)
    noisy, same = transform_batch(x, y, 1)
    assert torch.equal(same, y) and abs(float(noisy.std()) - 0.5) < 0.05
    drawn = dict(note_program("x = x + σ*ε，ε ~ N(0, σ^2)，σ = 0.5", ["data"]).drawn)
    assert drawn == {"eps": "(0.0 + 0.5 * torch.randn_like(x))"}  # N(mean, variance): the notes' σ^2 read as 0.25


def test_a_formula_for_each_row_under_a_condition_is_written_for_every_row_at_once() -> None:
    import torch

    from agentnotes.experiments.guards.formula_code import program_reply

    note = "每一步之后：如果 ||w_i|| > c，w_i = w_i * c/||w_i||；否则不动。c = 1.5。bias 不约束。"
    reply = program_reply(load_skeleton("weight_op"), note, note)
    weight_op = _function_of(fill(load_skeleton("weight_op"), reply), "weight_op")
    weight, bias = torch.randn(6, 4), torch.randn(6) * 5
    weight[0] *= 10  # a row far outside the ball
    weight[1] = weight[1] / weight[1].norm()  # a row inside it
    before = weight.clone()
    weight_op(weight, {}, 1)
    weight_op(bias, {}, 1)
    norms = weight.norm(dim=1)
    assert torch.all(norms <= 1.5 + 1e-5) and abs(float(norms[0]) - 1.5) < 1e-5
    assert torch.equal(weight[1], before[1]) and float(bias.norm()) > 1.5  # inside the ball, and the biases: unchanged


def test_a_value_the_notes_call_learnable_is_an_activations_parameter_started_at_the_notes_value() -> None:
    import torch
    import torch.nn as nn

    from agentnotes.experiments.guards.formula_code import program_reply
    from agentnotes.experiments.guards.note_program import layer_forward_body, learnable_names

    assert learnable_names("每层一个可学习的标量 κ，初始 κ = 2；a learnable scalar alpha; g is learnable") == {"kappa", "alpha", "g"}
    note = "新激活：f(x) = x * tanh(κ*x)\n每层一个可学习的标量 κ，初始 κ = 2。"
    part = load_skeleton("activation")
    namespace = {"torch": torch, "nn": nn, "baseline_model": None}
    exec(fill(part, program_reply(part, note, note)), namespace)
    activation, x = namespace["IdeaActivation"](), torch.linspace(-2, 2, 9)
    assert [tuple(p.shape) for p in activation.parameters()] == [()]  # one learnable scalar ...
    assert torch.allclose(activation(x), x * torch.tanh(2 * x))  # ... started at the notes' value
    assert note_program("w = w - lr*g*κ, κ = 0.5", ["update_rule"], "κ 是可学习的") is None  # nowhere to keep it
    assert layer_forward_body("y = W*x + b + κ*tanh(x), κ = 0.1", ["weight", "bias"], "κ 可学习") is None


def test_a_learnable_computed_from_a_raw_value_learns_the_raw_value_started_where_the_formula_gives_the_notes_start() -> None:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    from agentnotes.experiments.guards.formula_code import program_reply
    from agentnotes.experiments.guards.notation import plain_letters

    note = ("# 钟形激活\nf(x) = relu(x) · exp(−x² / (2c²))，一个可学的 c = softplus(ρ) + 0.5\n"
            "- 峰值在 x = c 处\n- c 初始化成 3")  # invented
    part = load_skeleton("activation")
    namespace = {"torch": torch, "nn": nn, "F": F, "baseline_model": None}
    exec(fill(part, program_reply(part, plain_letters(note), plain_letters(note))), namespace)
    activation, x = namespace["IdeaActivation"](), torch.linspace(-4, 4, 9)
    assert [name for name, _ in activation.named_parameters()] == ["rho"]  # the raw value is learned ...
    assert torch.allclose(F.softplus(activation.rho) + 0.5, torch.tensor(3.0))  # ... started where c is the notes' 3
    assert torch.allclose(activation(x), torch.relu(x) * torch.exp(-x ** 2 / 18), atol=1e-5)
    unstarted = note.replace("\n- c 初始化成 3", "")
    assert program_reply(part, plain_letters(unstarted), plain_letters(unstarted)) == ""  # no start: left to the model
    from agentnotes.experiments.guards.formula_lines import _statements

    assert [target for target, _ in _statements("现在 w = w - lr*g")] == ["w"]  # 现在 (now) names no point
    from agentnotes.experiments.guards.note_program import _solved

    assert _solved("sign(r)", "r", 0.5, {}) is None  # it jumps past 0.5 and never gives it: no start


def test_a_regression_loss_is_written_from_its_formula_averaged_over_the_batch_and_never_for_a_classifier() -> None:
    import torch

    from agentnotes.experiments.guards.formula_code import program_reply

    note = "回归里换一个损失：L = mean(log(cosh(ŷ - y)))，对离群点不那么敏感。"
    part = load_skeleton("loss")
    compute_loss = _function_of(fill(part, program_reply(part, note, note, "regression")), "compute_loss")
    out, y = torch.tensor([[0.5], [3.0]]), torch.tensor([[0.0], [0.0]])
    assert torch.allclose(compute_loss(out, y, 1), torch.log(torch.cosh(out - y)).mean())
    assert "torch.abs(torch.as_tensor(y_hat - y)) ** 1.5" in program_reply(part, "L = |ŷ - y|^1.5", "", "regression")  # per sample, averaged
    assert program_reply(part, note, note, "classification") == ""  # logits and class indices: not the formula's numbers
    assert program_reply(part, "L = mean(|ŷ - y|) + q", "", "regression") == ""  # an unknown name


def test_a_mask_drawn_from_a_bernoulli_and_a_step_count_said_in_words_are_read() -> None:
    import torch

    from agentnotes.experiments.guards.formula_code import program_reply
    from agentnotes.experiments.guards.kinds import kinds_in_notes

    note = "训练时随机遮住输入：x = x*m，m ~ Bernoulli(0.75)，每个元素独立。"
    assert kinds_in_notes(note) == ["data"]
    transform_batch = _function_of(fill(load_skeleton("data"), program_reply(load_skeleton("data"), note, note)),
                                   "transform_batch")
    kept, y = transform_batch(torch.ones(400, 50), torch.arange(400), 1)
    assert set(kept.unique().tolist()) == {0.0, 1.0} and abs(float(kept.mean()) - 0.75) < 0.02 and torch.equal(y, torch.arange(400))
    assert note_program("x = x*m, m ~ Bernoulli(1.5)", ["data"]) is None  # not a probability
    schedule = "Decay linearly: lr_t = lr0*(1 - t/T)\nT = total number of steps."
    lr_at = _function_of(fill(load_skeleton("schedule"), program_reply(load_skeleton("schedule"), schedule, schedule)),
                         "lr_at", STEPS=100)
    assert [round(lr_at(step, 0.1), 4) for step in (0, 50, 100)] == [0.1, 0.05, 0.0]
    assert note_program("lr_t = lr0*(1 - t/T)\nT = the width of the layer", ["schedule"]) is None  # not a step count


def test_a_weight_formula_in_a_note_that_names_no_gradient_is_a_weight_operation_not_an_update_rule() -> None:
    from agentnotes.experiments.guards.kinds import kinds_in_notes

    assert kinds_in_notes("Every 10 steps shrink the weights: w = w - η*λ*w, η = 0.05") == ["weight_op"]
    assert "update_rule" in kinds_in_notes("Every 10 steps: w = w - η*g, the gradient g of the last batch")


def test_a_weight_matrix_written_beside_what_it_multiplies_is_a_product() -> None:
    from agentnotes.experiments.guards.note_program import layer_forward_body

    body, _, _ = layer_forward_body("y = relu(W x + b) + 0.1*x", ["weight", "bias"])
    assert "F.linear(x, self.weight)" in body
    assert layer_forward_body("y = W if x", ["weight", "bias"]) is None  # prose, not a product


def test_a_residual_blocks_formula_writes_its_parameters_and_forward_and_a_passed_through_input_makes_a_block() -> None:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    from agentnotes.experiments.guards.formula_code import program_reply
    from agentnotes.experiments.guards.skeleton import skeleton_for

    note = "残差分支缩小：y = x + α*relu(W x + b)，α = 0.1，宽度不变。"
    part = skeleton_for(["layer"], note)
    assert part is not None and part.name == "block"
    namespace = {"torch": torch, "nn": nn, "F": F, "mlp": None}
    exec(fill(part, program_reply(part, note, note)), namespace)
    block, x = namespace["IdeaBlock"](6), torch.randn(5, 6)
    assert {name: tuple(p.shape) for name, p in block.named_parameters()} == {"W": (6, 6), "b": (6,)}
    assert torch.allclose(block(x), x + 0.1 * torch.relu(x @ block.W.t() + block.b))
    gated = "t = sigmoid(W_t x + b_t)\ny = t*relu(W x + b) + (1 - t)*x\nb_t starts at -1."
    assert skeleton_for(["layer"], gated).name == "block"  # the input passes through: the output has its width
    namespace = {"torch": torch, "nn": nn, "F": F, "mlp": None}
    exec(fill(skeleton_for(["layer"], gated), program_reply(skeleton_for(["layer"], gated), gated, gated)), namespace)
    highway = namespace["IdeaBlock"](6)
    assert torch.equal(highway.b_t.detach(), torch.full((6,), -1.0))  # started where the notes start it
    gate = torch.sigmoid(x @ highway.W_t.t() + highway.b_t)
    assert torch.allclose(highway(x), gate * torch.relu(x @ highway.W.t() + highway.b) + (1 - gate) * x)
    orthogonal = gated.replace("b_t starts at -1", "W starts orthogonal")
    assert program_reply(skeleton_for(["layer"], orthogonal), orthogonal, orthogonal) == ""  # a start it cannot write
    assert skeleton_for(["layer"], "y = relu(W x + b) * 2").name == "layer"


def test_an_initialisation_drawn_from_a_formula_over_each_layers_fan_in_is_written_for_every_layer() -> None:
    import math

    import torch
    import torch.nn as nn

    from agentnotes.experiments.guards.formula_code import program_reply

    note = "每一层的权重按 fan_in 缩放：\nW ~ N(0, σ^2)，σ = sqrt(2/fan_in)\n偏置 b = 0。只改初始化。"
    part = load_skeleton("init")
    namespace = {"torch": torch, "nn": nn, "math": math,
                 "baseline_model": lambda i, h, o: nn.Sequential(nn.Linear(i, h), nn.ReLU(), nn.Linear(h, o))}
    exec(fill(part, program_reply(part, note, note)), namespace)
    torch.manual_seed(0)
    model = namespace["build_model"](400, 300, 2)
    first, last = model[0], model[2]
    assert abs(float(first.weight.detach().std()) - math.sqrt(2 / 400)) < 0.003
    assert abs(float(last.weight.detach().std()) - math.sqrt(2 / 300)) < 0.01
    assert float(first.bias.detach().abs().max()) == 0.0
    uniform = program_reply(part, "W ~ U(-a, a)，a = sqrt(6/(n_in + n_out))", "")
    assert "uniform_" in uniform and "n_out = fan_out" in uniform
    assert program_reply(part, "W ~ N(0, 1/fan_in)，最后一层 W = 0", "") == ""  # said for some layers only
    assert program_reply(part, "W ~ N(0, q)", "") == ""  # an unknown name


def test_weights_computed_from_values_drawn_entry_by_entry_are_written_with_the_biases_said_in_words() -> None:
    import math

    import torch
    import torch.nn as nn

    from agentnotes.experiments.guards.formula_code import program_reply

    note = ("# ±c init\n\n    W_ij = s_ij * c,   s_ij ~ Uniform{-1, +1},   c = sqrt(2 / fan_in)\n\nbias 初始化为 0。\n\n"
            "注意：fan_in 很小的层（比如第一层）会有对称性问题。")  # a caveat's 第一层 names no layer the init is for
    part = load_skeleton("init")
    namespace = {"torch": torch, "nn": nn, "math": math,
                 "baseline_model": lambda i, h, o: nn.Sequential(nn.Linear(i, h), nn.ReLU(), nn.Linear(h, o))}
    exec(fill(part, program_reply(part, note.split("\n\n")[1], note)), namespace)
    model = namespace["build_model"](50, 8, 2)
    assert torch.allclose(model[0].weight.detach().abs(), torch.full((8, 50), math.sqrt(2 / 50)))
    assert torch.allclose(model[2].weight.detach().abs(), torch.full((2, 8), math.sqrt(2 / 8)))
    assert 0 < int((model[0].weight > 0).sum()) < 400 and float(model[0].bias.detach().abs().max()) == 0.0
    assert program_reply(part, "W_ij = s_ij * c, c = 0.1", "") == ""  # s is never drawn


def test_mod_a_number_before_a_greek_letter_std_and_noise_on_the_targets_are_read() -> None:
    import math

    from agentnotes.experiments.guards.formula_code import program_reply
    from agentnotes.experiments.guards.kinds import kinds_in_notes

    cyclic = "lr_t = lr0*(1 + cos(2π*(t mod P)/P))/2, P = 100"
    lr_at = _function_of(fill(load_skeleton("schedule"), program_reply(load_skeleton("schedule"), cyclic, cyclic)), "lr_at",
                         math=math)
    assert [round(lr_at(step, 1.0), 4) for step in (0, 50, 100, 150)] == [1.0, 0.0, 1.0, 0.0]
    standardised = note_program("g = (g - mean(g)) / (std(g) + ε)\np = p - lr*g", ["update_rule"])
    assert standardised is not None and standardised.statements[0][1] == "(g - mean(g)) / (std(g) + eps)"
    noise = "Noisy targets: y = y + σ*ε, ε ~ N(0, 1), σ = 0.1"
    assert kinds_in_notes(noise) == ["data"]
    assert "y = y + sigma * eps" in program_reply(load_skeleton("data"), noise, noise, "regression")
    assert program_reply(load_skeleton("data"), noise, noise, "classification") == ""


def test_a_classifiers_loss_is_read_from_its_probabilities_one_hot_targets_and_a_sum_over_classes() -> None:
    import torch
    import torch.nn.functional as F

    from agentnotes.experiments.guards.formula_code import program_reply

    part = load_skeleton("loss")
    smoothing = "q = (1 − ε)·onehot(y) + ε/K\nK 是类别数，ε = 0.1；损失 L = −Σ_k q_k log p_k（p 是 softmax）"
    focal = "L = −(1 − p_t)^γ · log(p_t)，γ = 2"
    out, y = torch.randn(6, 4), torch.tensor([0, 1, 2, 3, 0, 1])
    written = _function_of(fill(part, program_reply(part, smoothing, smoothing, "classification")), "compute_loss", F=F)
    assert torch.allclose(written(out, y, 1), F.cross_entropy(out, y, label_smoothing=0.1), atol=1e-6)
    written = _function_of(fill(part, program_reply(part, focal, focal, "digits")), "compute_loss", F=F)
    p_right = F.softmax(out, dim=-1)[torch.arange(6), y]
    assert torch.allclose(written(out, y, 1), (-(1 - p_right) ** 2 * torch.log(p_right)).mean())
    assert program_reply(part, "L = mean(|ŷ - y|)", "", "classification") == ""  # class indices are not numbers
    assert program_reply(part, focal, focal, "") == ""  # the task's outputs unknown


@pytest.mark.parametrize("note", [
    "f(x) = x，当 x > 0\nf(x) = α(e^x − 1)，当 x ≤ 0\nα = 1.0",
    "f(x) = x if x > 0 else α*(exp(x) - 1), α = 1.0",
    "f(x) = x for x > 0\nf(x) = α(e^x − 1), otherwise\nα = 1.0",
])
def test_a_piecewise_activation_is_read_from_conditions_said_after_its_formulas(note: str) -> None:
    import torch
    import torch.nn.functional as F

    from agentnotes.experiments.guards.formula_code import program_reply

    part = load_skeleton("activation")
    namespace = {"torch": torch, "nn": torch.nn, "F": F, "math": __import__("math")}
    exec(fill(part, program_reply(part, note, note)), namespace)
    x = torch.linspace(-3, 3, 13)
    assert torch.allclose(namespace["IdeaActivation"]()(x), F.elu(x))


def test_mixed_pairs_named_with_a_tilde_are_the_new_batch_and_a_subscripted_weight_multiplies_what_follows() -> None:
    from agentnotes.experiments.guards.formula_code import program_reply
    from agentnotes.experiments.guards.kinds import kinds_in_notes
    from agentnotes.experiments.guards.skeleton import skeleton_for

    mixup = "λ ~ Beta(α, α)\nx̃ = λ·x_i + (1 − λ)·x_j\nỹ = λ·y_i + (1 − λ)·y_j\nα = 0.4"
    body = program_reply(load_skeleton("data"), mixup, mixup, "regression")
    assert "x = lam * x + (1 - lam) * x_j" in body and "y = lam * y + (1 - lam) * y_j" in body and "return x, y" in body
    glu = "隐藏层换成 h = (W₁x + b₁) ⊙ σ(W₂x + b₂)，宽度不变。"
    assert kinds_in_notes(glu) == ["layer"]
    part = skeleton_for(["layer"], glu, "regression")
    assert "self.W2 = nn.Parameter" in part.code and "self.b2 = nn.Parameter" in part.code
    assert "torch.sigmoid(F.linear(x, self.W2) + self.b2)" in program_reply(part, glu, glu, "regression")


def test_a_function_the_notes_define_and_apply_the_task_loss_and_a_sum_over_the_wrong_classes_are_read() -> None:
    import torch
    import torch.nn.functional as F

    from agentnotes.experiments.guards.formula_code import program_reply

    part = load_skeleton("loss")
    out, y = torch.randn(5, 3), torch.tensor([0, 1, 2, 1, 0])
    penalty = "L = CE − β·H(p)，H(p) = −Σ p log p\nβ = 0.1。"
    written = _function_of(fill(part, program_reply(part, penalty, penalty, "classification")), "compute_loss", F=F,
                           task_loss=F.cross_entropy)
    p = F.softmax(out, dim=-1)
    assert torch.allclose(written(out, y, 1), F.cross_entropy(out, y) + 0.1 * (p * p.log()).sum(-1).mean())
    hinge = "L = Σ_{k≠y} max(0, 1 + z_k − z_y)（z 是 logits）"
    written = _function_of(fill(part, program_reply(part, hinge, hinge, "classification")), "compute_loss", F=F)
    assert torch.allclose(written(out, y, 1), F.multi_margin_loss(out, y) * 3)  # torch divides by the classes


def test_a_gradient_change_alone_is_followed_by_the_plain_step_and_a_draw_may_take_the_notes_arithmetic() -> None:
    from agentnotes.experiments.guards.formula_code import program_reply

    body = program_reply(load_skeleton("update_rule"), "g ← κ·g，κ = 0.5", "", "regression")
    assert "g = kappa * g" in body and body.rstrip().endswith("p = p - lr * g")
    noisy = program_reply(load_skeleton("update_rule"), "g = g + ε，ε ~ N(0, σ²)，σ = 0.1", "", "regression")
    assert "torch.randn_like(p)" in noisy and "0.1 * torch.randn_like" in noisy  # N's second argument: the variance
    dropout = "m ~ Bernoulli(1 − p)\nx = m ⊙ x\np = 0.1"
    assert "torch.full_like(x, 0.9)" in program_reply(load_skeleton("data"), dropout, dropout, "regression")
    restart = "η_t = η_min + ½(η_max − η_min)(1 + cos(π · (t mod P)/P))，P = 100, η_min = 0"
    lr_at = _function_of(fill(load_skeleton("schedule"), program_reply(load_skeleton("schedule"), restart, restart)),
                         "lr_at", math=__import__("math"))
    assert lr_at(100, 1.0) == 1.0 and abs(lr_at(50, 1.0) - 0.5) < 1e-6


def test_a_gate_named_g_beside_a_layer_is_not_a_gradient_and_its_learnable_value_per_unit_starts_as_said() -> None:
    from agentnotes.experiments.guards.formula_code import program_reply
    from agentnotes.experiments.guards.kinds import kinds_in_notes
    from agentnotes.experiments.guards.skeleton import skeleton_for

    note = "y = x + g ⊙ relu(W x + b)，g = sigmoid(a)\na 是每个输出单元一个可学习参数，从 0 开始。宽度不变。"
    assert "update_rule" not in kinds_in_notes(note) and "layer" in kinds_in_notes(note)
    assert "update_rule" in kinds_in_notes("g = g + σ·ε，ε ~ N(0, 1)\ny = W x + b")  # g changed by itself: a gradient
    reply = program_reply(skeleton_for(["layer"], note, "regression"), note, note, "regression")
    assert "self.a = nn.Parameter(torch.full((self.width,), 0.0))" in reply
    assert reply.index("g = torch.sigmoid(self.a)") < reply.index("y = x + g * torch.relu")  # defined after, computed first
    normalised = "z = W x + b，y = 2·z / ‖z‖"
    layer = program_reply(skeleton_for(["layer"], normalised, "regression"), normalised, normalised, "regression")
    assert "torch.linalg.vector_norm(z, dim=-1, keepdim=True)" in layer  # each sample's norm, not the batch's


def test_powers_of_ten_the_gradient_of_the_loss_a_learnable_start_in_prose_and_a_layers_one_named_bias_are_read() -> None:
    from agentnotes.experiments.guards.constants import note_constants
    from agentnotes.experiments.guards.formula_code import program_reply
    from agentnotes.experiments.guards.skeleton import skeleton_for

    assert note_constants("$\\lambda = 10^{-3}$, μ = 2×10⁻⁴") == {"lam": "1e-3", "mu": "2e-4"}  # never 10
    assert note_constants("常数：p = 1/8，β = 0.9；p=1/2 就是 Adam") == {"p": "0.125", "beta": "0.9"}  # the case is not p's
    assert note_constants("u = 1/2·v, s = t/T") == {}  # a fraction times a value, a ratio of names: no constants
    half = "$L = L_{task} + \\frac{\\lambda}{2} \\sum_W \\|W\\|_F^2$, with $\\lambda = 10^{-3}$."
    assert "lam / 2 * torch.norm(torch.as_tensor(W)) ** 2" in program_reply(load_skeleton("regulariser"), half, half)
    momentum = "v_{t+1} = μ v_t − η ∇L(w_t)\nw_{t+1} = w_t + v_{t+1}\nμ = 0.9"
    assert "v = mu * v - eta * g" in program_reply(load_skeleton("update_rule"), momentum, momentum, "classification")
    slope = "f(x) = max(0, x) + a·min(0, x)\na 是可学习的标量，初始化为 0.25。"
    assert "self.a = nn.Parameter(torch.tensor(0.25))" in program_reply(load_skeleton("activation"), slope, slope)
    skip = "y = relu(W₁x + b₁) + W₂x"
    layer = program_reply(skeleton_for(["layer"], skip, "regression"), skip, skip, "regression")
    assert "torch.relu(F.linear(x, self.W1) + self.bias) + F.linear(x, self.W2)" in layer


def test_latex_marks_numbers_beside_names_prose_after_a_formula_and_a_greek_learnable_per_unit_are_read() -> None:
    from agentnotes.experiments.guards.formula_code import program_reply
    from agentnotes.experiments.guards.kinds import kinds_in_notes
    from agentnotes.experiments.guards.skeleton import skeleton_for

    cauchy = "$L = \\frac{c^2}{2}\\log\\left(1 + \\left(\\frac{\\hat y - y}{c}\\right)^2\\right)$, $c = 1$"
    assert "y_hat = out" in program_reply(load_skeleton("loss"), cauchy, cauchy, "regression")
    gelu = "The GELU approximation with a sigmoid: y = x·σ(1.702x). Expectation: as good as ReLU."
    assert "x * torch.sigmoid(torch.as_tensor(1.702 * x))" in program_reply(load_skeleton("activation"), gelu, gelu)
    # a number before a root is a product, so a fact the note derives (`f_min = −(3 − 2√2)`) reads and is left out
    fact = "f(x) = x·σ(x),   x ≥ 0\nf(x) = (eˣ − 1)·σ(x),   x < 0\n- its minimum: f_min = −(3 − 2√2) ≈ −0.172"
    assert "torch.where(torch.as_tensor(x >= 0)" in program_reply(load_skeleton("activation"), fact, fact)
    shrink = "Use f(x) = x − tanh(x) as the nonlinearity between layers."
    assert "f = x - torch.tanh" in program_reply(load_skeleton("activation"), shrink, shrink)
    scale = "y = x + γ ⊙ relu(W x + b)\nγ 是每个通道一个可学习参数，初始化为 0.1。宽度不变。"
    assert kinds_in_notes(scale) == ["layer"]  # a learnable's start is not an initialisation idea
    block = program_reply(skeleton_for(["layer"], scale, "regression"), scale, scale, "regression")
    assert "self.gamma = nn.Parameter(torch.full((self.width,), 0.1))" in block
    rmsprop = "$$s \\leftarrow \\rho s + (1-\\rho) g^2$$\n$$\\theta \\leftarrow \\theta - \\frac{\\eta}{\\sqrt{s} + \\epsilon} g$$\nρ = 0.9"
    assert "s = rho * s + (1 - rho) * g ** 2" in program_reply(load_skeleton("update_rule"), rmsprop, rmsprop)


def test_a_number_that_starts_a_formula_is_not_the_value_of_its_target() -> None:
    from agentnotes.experiments.guards.constants import note_constants
    from agentnotes.experiments.guards.formula_code import program_reply

    assert note_constants("n = 0.9·n + 0.1·‖g‖，m = 0.5 m + g") == {}  # a running value, not the constant 0.9
    assert note_constants("N = 100 steps, σ = 0.01. Nothing else") == {"n": "100", "sigma": "0.01"}
    running = "n = 0.9·n + 0.1·‖g‖\nw = w − lr·g/(n + ε)"
    assert 'n = state.get("n", torch.zeros_like(p))' in program_reply(load_skeleton("update_rule"), running, running)


def test_a_pair_of_samples_a_subscripted_penalty_weight_and_latex_spacing_are_read() -> None:
    from agentnotes.experiments.guards.formula_code import program_reply
    from agentnotes.experiments.guards.kinds import kinds_in_notes

    assert kinds_in_notes("训练时每个输入混合一点同一 batch 的另一个样本：x = 0.9·x_i + 0.1·x_j") == ["data"]
    elastic = "L = L_task + λ₁·Σ|w| + λ₂·Σw², λ₁ = 1e-5, λ₂ = 1e-4"
    assert "regulariser" in kinds_in_notes(elastic)
    floor = "$\\eta_t = \\eta_{min} + (\\eta_0 - \\eta_{min})\\cdot\\frac{1 + \\cos(\\pi t / T)}{2}$, with $\\eta_{min} = 0.1\\,\\eta_0$."
    lr_at = _function_of(fill(load_skeleton("schedule"), program_reply(load_skeleton("schedule"), floor, floor)), "lr_at",
                         math=__import__("math"), STEPS=100)
    assert abs(lr_at(100, 1.0) - 0.1) < 1e-6 and abs(lr_at(0, 1.0) - 1.0) < 1e-6


def test_a_latex_function_name_a_states_start_and_a_function_name_read_as_a_value() -> None:
    import torch

    from agentnotes.experiments.guards.formula_code import program_reply

    note = ("$a_t = a_{t-1} + \\operatorname{sign}(g_t^2 - a_{t-1})\\, g_t^2$\n$w_t = w_{t-1} - \\eta\\, g_t / \\sqrt{a_t}$\n"
            "a 每个元素初始化为 0.5。")
    program = note_program(note, ["update_rule"], note)
    assert program is not None and program.statements[0] == ("a", "a + sign(g ** 2 - a) * g ** 2")
    assert program.starts == (("a", "0.5"),)
    update = _function_of(fill(load_skeleton("update_rule"), program_reply(load_skeleton("update_rule"), note, note)), "update")
    p, g, state = torch.ones(3), torch.tensor([1.0, 0.1, 0.0]), {}
    update(p, g, state, 0.1, 1)
    a = 0.5 + torch.sign(g ** 2 - 0.5) * g ** 2
    assert torch.allclose(state["a"], a) and torch.allclose(p, 1 - 0.1 * g / torch.sqrt(a))
    assert note_program("w = w - lr*g*sign", ["update_rule"]) is None  # a function's name read as a value
    assert note_program(note.replace("初始化为 0.5", "初始化为 g 的平方"), ["update_rule"], note.replace("初始化为 0.5", "初始化为 g 的平方")) is None


def test_a_function_named_after_the_idea_is_its_output_and_an_identity_of_a_known_function_is_no_step() -> None:
    import torch

    from agentnotes.experiments.guards.formula_code import program_reply

    activation = "softroot(x) = (x + √(x² + c)) / 2，c 取 1"
    program = note_program(activation, ["activation"], activation)
    assert program is not None and program.output == "f" and program.constants == {"c": 1.0}
    loss = "ℓ(r) = log(cosh(r))，r = ŷ − y\n稳定写法：log cosh(r) = |r| + softplus(−2|r|) − log 2"
    written = _function_of(fill(load_skeleton("loss"), program_reply(load_skeleton("loss"), loss, loss, "regression")),
                           "compute_loss")
    out, y = torch.randn(5, 1), torch.randn(5, 1)
    assert torch.allclose(written(out, y, 1), torch.log(torch.cosh(out - y)).mean())


def test_a_value_at_the_right_class_an_equality_chain_and_a_step_named_in_words_are_read() -> None:
    import torch

    from agentnotes.experiments.guards.formula_code import program_reply

    loss = "CE = −log p_t = Σ_j (1 − p_t)^j / j\nL = −log p_t + 2·(1 − p_t)²\np_t = softmax(z)[y]，即正确类别的概率"
    written = _loss_of(loss, "classification")
    out, y = torch.randn(6, 4), torch.tensor([0, 1, 2, 3, 0, 1])
    p_right = _right_class_probability(out, y)
    assert torch.allclose(written(out, y, 1), (-torch.log(p_right) + 2 * (1 - p_right) ** 2).mean())
    assert program_reply(load_skeleton("loss"), loss, loss, "regression") == ""  # no classes to pick from
    schedule = ("phase = |t/s − 1|\nlr_t = lr·max(0.1, phase)\n"
                "t = optimizer step counted from 0, s = 50 steps (a half period)\nso lr goes 0.1 at t=50 → 1.0 at t=100 ... on")
    lr_at = _function_of(fill(load_skeleton("schedule"), program_reply(load_skeleton("schedule"), schedule, schedule)),
                         "lr_at", STEPS=200)
    assert [round(lr_at(step, 1.0), 4) for step in (0, 25, 50, 100)] == [1.0, 0.5, 0.1, 1.0]


def test_a_formula_under_a_condition_alone_keeps_the_value_otherwise_and_a_matrix_norm_two_is_spectral() -> None:
    import torch

    from agentnotes.experiments.guards.formula_code import program_reply

    note = "Every 5 training steps, for each weight matrix (biases untouched):\ns = ‖W‖₂  (largest singular value, exact)\nif s > c:  W ← W · c/s\nc = 1.5"
    formulas = "s = ‖W‖₂  (largest singular value, exact)\nif s > c:  W ← W · c/s\nc = 1.5"
    weight_op = _function_of(fill(load_skeleton("weight_op"), program_reply(load_skeleton("weight_op"), formulas, note)),
                             "weight_op")
    big, small, bias = torch.diag(torch.tensor([3.0, 1.0])), torch.diag(torch.tensor([1.0, 0.5])), torch.ones(4) * 3
    weight_op(big, {}, 5)
    weight_op(small, {}, 5)
    weight_op(bias, {}, 5)
    assert torch.allclose(big, torch.diag(torch.tensor([1.5, 0.5]))) and torch.equal(small, torch.diag(torch.tensor([1.0, 0.5])))
    assert torch.equal(bias, torch.ones(4) * 3)
    assert note_program("if s > c: y = 2*c", ["weight_op"]) is None  # nothing said where the condition fails


def test_comments_cases_powers_of_functions_and_a_definition_beside_an_identity_are_read() -> None:
    import torch

    from agentnotes.experiments.guards.constants import note_constants
    from agentnotes.experiments.guards.formula_code import program_reply

    update = "acc = ρ*acc + (1-ρ)*g    # acc 初始为 0\nw = w - lr*((1-κ)*g + κ*acc)\nρ 取 0.9，κ 取 0.5。κ=0 就是 SGD，当 κ = 1 时是动量。"
    assert note_constants(update) == {"rho": "0.9", "kappa": "0.5"}  # the cases are not the values
    written = _function_of(fill(load_skeleton("update_rule"), program_reply(load_skeleton("update_rule"), update, update)),
                           "update")
    p, g, state = torch.zeros(2), torch.tensor([1.0, -2.0]), {}
    written(p, g, state, 0.1, 1)
    assert torch.allclose(p, -0.1 * (0.5 * g + 0.5 * 0.1 * g))
    wave = "wave(x) = x + (1/b)·cos²(b·x),  b = 2.0 (fixed, not learned)"
    program = note_program(wave, ["activation"], wave)
    assert program is not None and program.statements == (("f", "x + 1 / b * cos(b * x) ** 2"),)
    assert program.constants == {"b": 2.0}
    smooth = "gate(x) = x · sigmoid(softplus(x)),  softplus(x) = ln(1 + eˣ)"
    program = note_program(smooth, ["activation"], smooth)
    assert program is not None and program.statements == (("f", "x * sigmoid(softplus(x))"),)


def test_a_loss_of_the_networks_output_and_a_piecewise_rate_with_its_values_named_in_words_are_read() -> None:
    import torch

    from agentnotes.experiments.guards.formula_code import program_reply

    loss = "$$L_r(x, y) = \\frac{1 - p_y^{\\,r}}{r}, \\quad p_y = \\mathrm{softmax}(f(x))_y$$\nr 取 0.5。r=1 时是 MAE。"
    written = _loss_of(loss, "digits")
    out, y = torch.randn(6, 10), torch.arange(6)
    p_right = _right_class_probability(out, y)
    assert torch.allclose(written(out, y, 1), ((1 - p_right ** 0.5) / 0.5).mean())
    schedule = ("With t = 0-based step, T = total steps, η₀ = baseline lr, hold fraction 0.5 (t₀ = 0.5·T):\n"
                "η(t) = η₀            for t < t₀\nη(t) = η₀ · (1 − (t − t₀)/(T − t₀))²     for t ≥ t₀")
    lr_at = _function_of(fill(load_skeleton("schedule"), program_reply(load_skeleton("schedule"), schedule, schedule)),
                         "lr_at", STEPS=100)
    assert [round(lr_at(step, 1.0), 4) for step in (0, 49, 50, 75, 100)] == [1.0, 1.0, 1.0, 0.25, 0.0]
    assert note_program("η(t) = η₀ · t/T, T = the width of the layer", ["schedule"]) is None


def test_a_classifiers_probability_defined_as_the_softmax_of_its_outputs_keeps_its_meaning() -> None:
    import torch

    note = "p_y = softmax(out) 中正确类别的那一项，\nL = -mean((1 - p_y)^3 * log p_y)"
    written = _loss_of(note, "classification")
    out, y = torch.randn(6, 4), torch.tensor([0, 1, 2, 3, 0, 1])
    p_right = _right_class_probability(out, y)
    assert torch.allclose(written(out, y, 1), -((1 - p_right) ** 3 * torch.log(p_right)).mean())


def test_running_averages_in_brackets_superscript_steps_and_an_increment_named_delta_are_read() -> None:
    import torch

    from agentnotes.experiments.guards.formula_code import program_reply

    note = ("    E[g²] ← ρ E[g²] + (1-ρ) g²\n    Δ = - g / sqrt(E[g²] + ε)      # the step\n    θ ← θ + lr * Δ\n"
            "ρ = 0.5, ε = 1e-6 (so no tuning needed)\n")
    written = _function_of(fill(load_skeleton("update_rule"), program_reply(load_skeleton("update_rule"), note, note)), "update")
    p, g, state = torch.zeros(2), torch.tensor([2.0, -1.0]), {}
    written(p, g, state, 0.1, 1)
    assert torch.allclose(p, -0.1 * g / torch.sqrt(0.5 * g ** 2 + 1e-6))
    corrected = "m ← β·m + (1−β)·g\nθ ← θ − η · m / (1−βᵗ)\nβ = 0.5"
    program = note_program(corrected, ["update_rule"], corrected)
    assert program is not None and ("theta", "theta - eta * m / (1 - beta ** t)") in program.statements


def test_the_task_loss_inside_a_named_loss_a_bare_trailing_condition_and_points_that_are_no_constants() -> None:
    import torch
    import torch.nn.functional as F

    from agentnotes.experiments.guards.formula_code import program_reply

    loss = "take the usual cross-entropy L and train on\n  L_capped = min(L, c),    c = 2.5\nAt t=0 nothing differs."
    written = _function_of(fill(load_skeleton("loss"), program_reply(load_skeleton("loss"), loss, loss, "classification")),
                           "compute_loss", task_loss=F.cross_entropy)
    out, y = torch.randn(6, 4) * 5, torch.tensor([0, 1, 2, 3, 0, 1])
    assert torch.allclose(written(out, y, 1), torch.clamp(F.cross_entropy(out, y), max=2.5))
    act = "f(x) = x,            x ≥ 0\nf(x) = x / (1 + β·|x|),  x < 0\nβ = 2.0 → 负半轴饱和到 −1/β = −0.5。x=0 处连续。"
    program = note_program(act, ["activation"], act)
    assert program is not None and program.constants == {"beta": 2.0}
    assert program.statements == (("f", "where(x >= 0, x, x / (1 + beta * abs(x)))"),)
    schedule = "η_t = η₀·(1 − tanh(a·t/T))\nwith a = −2, T = total number of training steps, t = 0 … T−1. At t=0, η = η₀."
    program = note_program(schedule, ["schedule"], schedule)
    assert program is not None and program.constants == {"a": -2.0} and program.roles["step"] == "t"


def test_a_piecewise_function_of_three_pieces_with_a_chained_condition_nests_each_piece_in_turn() -> None:
    import torch

    from agentnotes.experiments.guards.formula_code import program_reply
    from agentnotes.experiments.guards.idea_sections import formulas_in
    from agentnotes.notes.types import Chunk, Hit

    note = ("定义（分段，a = 2）：\n\n    f(x) = x            , x > 0\n    f(x) = x + x^2 / (2a) , -a <= x <= 0\n"
            "    f(x) = -a/2          , x < -a\n\n- 在 x = -a 处：值 -a + a/2 = -a/2 = -1，导数 1 + (-a)/a = 0。\n\n"
            "实验设置：\n- MLP，Adam lr = 1e-3\n")
    formulas = formulas_in([Hit(Chunk("n.md", 1, 12, note, ("n",)), 1.0)])
    assert "处" not in formulas and "Adam" not in formulas  # a check at a point and the setup are no steps of it
    part = load_skeleton("activation")
    namespace = {"torch": torch, "nn": torch.nn, "baseline_model": None}
    exec(fill(part, program_reply(part, formulas, note)), namespace)
    x = torch.tensor([-3.0, -2.0, -1.0, 0.0, 1.5])
    assert torch.allclose(namespace["IdeaActivation"]()(x), torch.tensor([-1.0, -1.0, -0.75, 0.0, 1.5]))


def test_ascii_arrows_quoted_code_inner_products_and_a_coefficient_warmed_up_over_the_steps_are_read() -> None:
    import torch
    import torch.nn.functional as F

    from agentnotes.experiments.guards.formula_code import program_reply
    from agentnotes.experiments.guards.kinds import kinds_in_notes

    agreement = ("    m  <- beta * m + g                (beta = 0.9)\n    c  = cos(g, m) = <g, m> / (|g| |m| + 1e-12)\n"
                 "    s  = (1 + c) / 2                  # in [0, 1]\n    w  <- w - lr * (s * m + (1 - s) * g)")
    update = _function_of(fill(load_skeleton("update_rule"), program_reply(load_skeleton("update_rule"), agreement, agreement)),
                          "update", F=F)
    p, g, state = torch.ones(4), torch.tensor([1.0, -1.0, 2.0, 0.5]), {"m": torch.tensor([1.0, 1.0, -1.0, 0.0])}
    m = 0.9 * state["m"] + g
    s = (1 + F.cosine_similarity(g, m, dim=0)) / 2
    update(p, g, state, 0.1, 1)
    assert torch.allclose(p, 1 - 0.1 * (s * m + (1 - s) * g)) and torch.equal(state["m"], m)
    warmup = ("# Momentum warmup\n\nSchedule, t = step:\n    beta(t) = beta_min + (beta_max - beta_min) * min(1, t / T)\n"
              "    beta_min = 0.5, beta_max = 0.95, T = 500 steps\n"
              "Applied as SGD with momentum, `m <- beta(t) * m + g ; w <- w - lr * m`, lr constant 0.05.")
    assert kinds_in_notes(warmup) == ["update_rule"]  # a warmed-up coefficient of the rule, the rate constant
    update = _function_of(fill(load_skeleton("update_rule"), program_reply(load_skeleton("update_rule"), warmup, warmup)),
                          "update")
    p, state = torch.zeros(2), {"m": torch.ones(2)}
    update(p, torch.ones(2), state, 0.1, 250)
    assert torch.allclose(state["m"], torch.full((2,), 0.725 + 1)) and torch.allclose(p, torch.full((2,), -0.1725))
    assert kinds_in_notes("lr warmup\nbeta(t) = 0.9\nm <- beta(t) * m + g\nw <- w - lr(t) * m\nlr(t) = lr0 * t / 100") \
        == ["update_rule", "schedule"]  # the rate has its own formula


def test_pytorch_code_quoted_in_a_note_is_read_as_written() -> None:
    import torch
    import torch.nn.functional as F

    note = ("    logZ = torch.logsumexp(logits, dim=-1)      # shape [B]\n"
            "    loss = F.cross_entropy(logits, y) + 1e-4 * (logZ ** 2).mean()")
    written = _loss_of(note, "digits")
    out, y = torch.randn(5, 3) * 4, torch.tensor([0, 2, 1, 1, 0])
    assert torch.allclose(written(out, y, 1), F.cross_entropy(out, y) + 1e-4 * (torch.logsumexp(out, -1) ** 2).mean())
    from agentnotes.experiments.guards.formula_lines import _statements

    assert _statements("w = w - lr * g.item()") is None  # a method outside the tensor methods that compute a value
    assert _statements("w = os.system(g)") is None  # a module outside torch, F and math


@pytest.mark.parametrize(("line", "read"), [
    ("w ← w − η·g      η 是学习率", "w - eta * g"),  # a remark after a wide gap names η: no factor of the formula
    ("g = σ(a · (r − c))      a, c 是可学习标量", "sigmoid(a * (r - c))"),
    ("m = β m + g   （β = 0.9）", "beta * m + g"),
    ("(2) L = rank + β·CE — CE as a weak tie-breaker", "rank + beta * CE"),  # a dash before words: a remark
    ("v ← v − κ·g      κ = 0.2", "v - kappa * g"),  # a constant after a wide gap: no factor of the formula
])
def test_a_remark_after_a_wide_gap_or_a_dash_is_no_part_of_its_formula(line: str, read: str) -> None:
    import ast

    from agentnotes.experiments.guards.formula_lines import _statements

    assert [ast.unparse(value) for _, value in _statements(line)] == [read]


def test_a_case_after_a_wide_gap_is_a_condition_and_a_value_at_a_point_of_another_name_no_formula() -> None:
    import ast

    from agentnotes.experiments.guards.formula_lines import _statements

    pieces = "g(u) = u          u ≥ 0\ng(u) = 0.1·u          u < 0"  # invented
    assert [ast.unparse(value) for _, value in _statements(pieces)] == ["where(u >= 0, u, 0.1 * u)"]
    assert not _statements("g(c, u) = u          c = 0")  # the value where c = 0, a case: not g = u·c


def test_a_formula_for_a_square_gives_the_root() -> None:
    import ast

    from agentnotes.experiments.guards.formula_lines import _statements

    assert [(t, ast.unparse(v)) for t, v in _statements("σ_t² = η / (1 + t)^γ")] == [("sigma_t", "sqrt(eta / (1 + t) ** gamma)")]


def test_a_network_written_as_its_equations_is_built_whole_with_joins_biases_and_zero_starts() -> None:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    from agentnotes.experiments.guards.formula_code import program_reply
    from agentnotes.experiments.guards.skeleton import skeleton_for

    reinjection = ("    h1 = ReLU(W1 x + b1)\n    h2 = ReLU(W2 h1 + P x + b2)          # P ∈ R^{64×d}\n"
                   "    y  = W3 h2 + Q x + b3\nInit: P, Q initialised to zero.")
    dense = ("- h1 = relu(W1 · x)，W1: 64×d\n- h2 = relu(W2 · [x; h1])，W2: 64×(d+64)\n"
             "- y  = W3 · [x; h1; h2]，W3: C×(d+128)\n（都带偏置。）")
    for note, matrices in ((reinjection, 5), (dense, 3)):
        part = skeleton_for(["architecture"], note, "regression")
        namespace = {"torch": torch, "nn": nn, "F": F}
        exec(fill(part, program_reply(part, note, note, "regression")), namespace)
        net = namespace["build_model"](5, 7, 2)
        assert net(torch.randn(4, 5)).shape == (4, 2) and len([m for m in net.modules() if isinstance(m, nn.Linear)]) == matrices
    assert tuple(net.W3.weight.shape) == (2, 5 + 7 + 7)  # reads the input and both hidden layers side by side
    part = skeleton_for(["architecture"], reinjection, "regression")
    namespace = {"torch": torch, "nn": nn, "F": F}
    exec(fill(part, program_reply(part, reinjection, reinjection, "regression")), namespace)
    net = namespace["build_model"](3, 4, 1)
    assert float(net.Q.weight.detach().abs().sum()) == 0.0 and net.Q.bias is None and net.W3.bias is not None  # b3 is W3's
    assert program_reply(part, "h1 = relu(W1 x)\ny = W2 h1 + mystery(x)", "", "regression") == ""  # an unknown function


def test_a_recurrent_cell_written_as_its_step_equations_is_built_with_its_states_and_steps() -> None:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    from agentnotes.experiments.guards.formula_code import program_reply
    from agentnotes.experiments.guards.skeleton import skeleton_for

    # An invented cell: a leak gate from the input and the kept state, a tanh candidate; a readout after it.
    leaky = ("a_t = σ(W_a x_t + U_a h_{t-1} + b_a)\nh_t = a_t ⊙ h_{t-1} + (1 − a_t) ⊙ tanh(W x_t)\n"
             "readout ŷ = w_o·h_T + b_o")
    part = skeleton_for(["architecture"], leaky, "sequence")
    assert part.name == "cell"
    namespace = {"torch": torch, "nn": nn, "F": F}
    exec(fill(part, program_reply(part, leaky, leaky, "sequence")), namespace)
    cell = namespace["IdeaCell"](3, 5)
    assert (tuple(cell.U_a.weight.shape), cell.U_a.bias, cell.W_a.bias is not None) == ((5, 5), None, True)
    x = torch.randn(2, 4, 3)
    out = cell(x)
    h = torch.zeros(2, 5)
    for t in range(4):  # the notes' equations, step by step
        a = torch.sigmoid(cell.W_a(x[:, t]) + cell.U_a(h))
        h = a * h + (1 - a) * torch.tanh(cell.W(x[:, t]))
        assert torch.allclose(out[:, t], h, atol=1e-6)
    assert program_reply(part, "h_t = tanh(W x_t + U h_{t-1})\nh_0 初始化为 1", "h_0 初始化为 1", "sequence") == ""


@pytest.mark.sandbox
def test_a_cell_written_from_its_equations_passes_the_guards_and_trains_on_the_sequence_task(tmp_path: Path) -> None:
    from test_experiments_harness import run_idea

    from agentnotes.experiments.guards.autofix import apply_fixes
    from agentnotes.experiments.guards.formula_code import program_reply
    from agentnotes.experiments.guards.skeleton import skeleton_for
    from agentnotes.experiments.guards.static_check import blocking, check_idea_code

    note = "r_t = σ(W_r x_t + U_r h_{t-1})\nh_t = r_t ⊙ h_{t-1} + tanh(W x_t + b)"  # invented
    part = skeleton_for(["architecture"], note, "sequence")
    code = fill(part, program_reply(part, note, note, "sequence"))
    assert apply_fixes(code, ["architecture"], ()) == (code, [])
    assert blocking(check_idea_code(code, ["architecture"], ())) == []
    ran = run_idea(tmp_path, code, task="sequence")
    assert ran.returncode == 0, ran.stderr
    assert len(ran.metrics["arms"]["idea"]["runs"]) == 3


def test_latex_fonts_a_sum_over_the_wrong_classes_written_ne_and_capitalised_functions_are_read() -> None:
    import torch
    import torch.nn.functional as F

    from agentnotes.experiments.guards.notation import plain_formula

    margin = r"$$\mathcal{L} = -\log \frac{e^{z_y - m}}{e^{z_y - m} + \sum_{k\ne y} e^{z_k}},\quad m = 1.0$$"
    written = _loss_of(margin, "digits")
    out, y = torch.randn(6, 4), torch.tensor([0, 1, 2, 3, 0, 1])
    expected = F.cross_entropy(out - 1.0 * F.one_hot(y, 4), y)  # the right class's logit lowered by the margin
    assert torch.allclose(written(out, y, 1), expected, atol=1e-6)
    assert plain_formula("H = ReLU(W_H x + b_H)，T = Sigmoid(W_T x)") == "H = relu(W_H x + b_H)，T = sigmoid(W_T x)"


def test_the_layer_a_note_replaces_and_a_letter_naming_a_function_are_no_steps() -> None:
    from agentnotes.experiments.guards.idea_sections import formulas_in
    from agentnotes.experiments.guards.layer_bodies import layer_forward_body
    from agentnotes.notes.types import Chunk, Hit

    note = ("每个 hidden layer 从\n  h = σ(W x + b)\n换成\n  h = (W₁ x + b₁) ⊙ act(W₂ x + b₂)\n"
            "其中 act = sigmoid，⊙ 为逐元素乘。")
    formulas = formulas_in([Hit(Chunk("glu.md", 1, 5, note, ("glu",)), 1.0)])
    assert "σ(W x + b)" not in formulas  # the baseline's layer
    body, _, _ = layer_forward_body(formulas, ["W1", "W2", "b1", "b2"], note)
    assert body.splitlines()[0] == "h = (F.linear(x, self.W1) + self.b1) * torch.sigmoid(F.linear(x, self.W2) + self.b2)"


def test_an_update_rule_around_a_second_gradient_is_written_as_its_move_and_its_step() -> None:
    import torch

    from agentnotes.experiments.guards.formula_code import program_reply
    from agentnotes.experiments.guards.skeleton import skeleton_for

    note = ("e = rho * g / ||g||        (||g|| is the norm over all parameters together)\n"
            "g_sam = gradient of the loss at w + e\nw = w - lr*g_sam\nrho = 0.05. The optimizer needs a closure.")
    part = skeleton_for(["update_rule"], note, "digits")
    namespace = {"torch": torch, "nn": torch.nn}
    exec(fill(part, program_reply(part, note, note, "digits")), namespace)
    w = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    loss_of = lambda: ((w - torch.tensor([3.0, 1.0])) ** 4).sum()  # noqa: E731
    optimizer = namespace["make_optimizer"]([w], 0.01)
    loss_of().backward()
    g = w.grad.detach().clone()
    moved = (w.detach() + 0.05 * g / g.norm()).requires_grad_()
    ((moved - torch.tensor([3.0, 1.0])) ** 4).sum().backward()
    expected = w.detach() - 0.01 * moved.grad

    def closure():
        optimizer.zero_grad()
        loss = loss_of()
        loss.backward()
        return loss

    optimizer.step(closure)
    assert torch.allclose(w.detach(), expected)
    assert program_reply(part, "e = rho * g\ng2 = gradient of the loss at w + e\nw = w - lr*(g2 + e)", "", "digits") == ""


def test_a_line_that_equates_words_is_no_formula() -> None:
    from agentnotes.experiments.guards.formula_lines import _statements

    statements = _statements("LayerNorm = 减均值 + 除标准差 + affine。\nh_c = h - mean(h)")
    assert statements is not None and [target for target, _ in statements] == ["h_c"]


def test_a_value_named_as_the_starts_is_computed_from_the_weights_before_training() -> None:
    import torch

    from agentnotes.experiments.guards.formula_code import program_reply

    note = "初始化后记录 r₀ = ‖W‖（bias 不管）。\n每 10 步：W ← W · r₀ / ‖W‖"
    formulas = "初始化后记录 r₀ = ‖W‖（bias 不管）。\n每 10 步：W ← W · r₀ / ‖W‖"
    weight_op = _function_of(fill(load_skeleton("weight_op"), program_reply(load_skeleton("weight_op"), formulas, note)),
                             "weight_op")
    start = torch.ones(3, 3)
    p = start * 4
    weight_op(p, {"initial": start}, 10)
    assert torch.allclose(p, start)  # scaled back to the norm it started with
    assert note_program("r0 = norm(w)\nw = w - lr*g*r0/norm(w)", ["update_rule"]) is None  # no start kept for an update


def test_a_sum_over_classes_and_a_value_at_the_right_class_meet_sample_by_sample_and_a_consequence_restates() -> None:
    import torch
    import torch.nn.functional as F

    note = ("p = softmax(z)，q = one-hot(y)。\n- CE = −Σₖ qₖ log pₖ = −log p_y\n"
            "- R = −Σₖ pₖ log qₖ，其中 log 0 截断成 A = −2，所以 R = −A·(1 − p_y)\nL = α·CE + β·R，α = 0.5，β = 1.0")
    written = _loss_of(note, "digits")
    out, y = torch.randn(6, 10), torch.arange(6)
    p_right = _right_class_probability(out, y)
    expected = (0.5 * F.cross_entropy(out, y, reduction="none") + 2 * (1 - p_right)).mean()
    assert torch.allclose(written(out, y, 1), expected, atol=1e-6)


def test_a_name_given_words_only_is_a_label_unless_a_formula_reads_it() -> None:
    note = "Fade = FAst DEcay of the step。梯度先缩一下：g = g / (1 + ||g||)。\n然后普通 SGD：w = w - lr * g。"
    program = note_program(note, ["update_rule"], note)
    assert program is not None and [t for t, _ in program.statements] == ["g", "w"]
    assert note_program("lr_t = lr0*(1 - t/T)\nT = the width of the layer", ["schedule"]) is None  # T is read


def test_a_statement_nothing_reads_is_left_out() -> None:
    note = "Fade = FAst DEcay。g = g / (1 + ||g||)\n然后普通 SGD：w = w - lr * g。\n和另一个想法一起用时注意 h = lr/2。"
    program = note_program(note, ["update_rule"], note)
    assert program is not None and [t for t, _ in program.statements] == ["g", "w"]


def test_a_three_phase_rate_with_fractions_of_the_total_steps_named_in_words_is_read() -> None:
    note = ("Total steps T, warmup fraction w, decay fraction d:\n"
            "- warmup: η(t) = η_max · t / (wT) for t < wT\n"
            "- stable: η(t) = η_max for wT ≤ t < (1−d)T\n"
            "- decay: η(t) = η_max · (1 − (t − (1−d)T) / (dT))\n"
            "Also try a sqrt cooldown instead: η = η_max · (1 − sqrt(s))\n"
            "Constants: T = 3000, w = 0.05, d = 0.1.")
    from agentnotes.experiments.guards.idea_sections import formulas_in
    from agentnotes.notes.types import Chunk, Hit

    program = note_program(formulas_in([Hit(Chunk("wsd.md", 1, 9, note, ("wsd",)), 1.0)]), ["schedule"], note)
    assert program is not None and program.roles == {"step": "t", "base": "eta_max", "total": "T"}  # T: the run's
    assert program.constants == {"w": 0.05, "d": 0.1}
    assert program.statements == (("eta", "where(t < w * T, eta_max * t / (w * T), where((w * T <= t) & "
                                          "(t < (1 - d) * T), eta_max, eta_max * (1 - (t - (1 - d) * T) / (d * T))))"),)
    assert note_program(note.replace("Total steps T, ", ""), ["schedule"], note.replace("Total steps T, ", "")) is None


def test_a_one_vs_all_loss_reads_one_hot_targets_said_in_words_and_leaves_the_output_layers_start_alone() -> None:
    note = ("损失：L = −Σₖ [ yₖ·log σ(zₖ) + (1−yₖ)·log(1−σ(zₖ)) ]，K = 10，y 是 one-hot。"
            "输出层 bias 初始化为 b = −log(K−1) ≈ −2.2。")
    program = note_program(note, ["loss"], note, "digits")
    assert program is not None and program.output == "L"
    assert program.statements == (("L", "-sum_over(onehot_y * log(sigmoid(z)) + (1 - onehot_y) * log(1 - sigmoid(z)))"),)
    assert dict(program.bound) == {"onehot_y": "F.one_hot(y, out.shape[-1]).float()", "z": "out"}
    unsaid = note_program(note.replace("y 是 one-hot。", ""), ["loss"], note.replace("y 是 one-hot。", ""), "digits")
    assert unsaid is None or "onehot_y" not in unsaid.statements[0][1]  # class indices are never read as one-hot unsaid


def test_a_name_given_to_the_gradient_is_no_step_and_a_slice_of_entries_no_program() -> None:
    program = note_program("g = ∇L(w)\ng = g + 0.1*sign(g)", ["update_rule"], "", "digits")
    assert program is not None and program.statements == (("g", "g + 0.1 * sign(g)"), ("p", "p - lr * g"))
    assert note_program("g = ∇L(w)", ["update_rule"], "", "digits") is None  # nothing but the name: no plain SGD
    rows = "g_i = dL/dW[i, :]\nW[i, :] = W[i, :] - k * ||W[i, :]|| * g_i / (||g_i|| + eps)"
    program = note_program(rows, ["update_rule"], "k = 0.01, eps = 1e-8", "digits")  # a whole row: each row's formula
    assert program is not None and program.statements == (("W", "W - k * norm_rows(W) * g / (norm_rows(g) + eps)"),)
    assert note_program("m[idx] ← 0\nw ← w − η·m", ["update_rule"], "", "digits") is None  # part of a tensor: none


def test_a_calls_keyword_argument_is_no_function_alias_and_a_tensors_largest_entry_reads() -> None:
    import ast

    from agentnotes.experiments.guards.formula_lines import _statements

    statements = _statements("floor = tau * S.max()\nS_new = torch.clamp(S, min=floor)")
    assert [(target, ast.unparse(value)) for target, value in statements] == [
        ("floor", "tau * S.max()"), ("S_new", "torch.clamp(S, min=floor)")]  # the keyword kept, not `floor` renamed
    assert [ast.unparse(v) for _, v in _statements("h = φ(W x + b), φ = tanh")] == ["tanh(W * x + b)"]  # an alias still
    assert _statements("r = W.max(dim=1)") is None  # values and indices: no one tensor


def test_a_draw_from_a_normal_with_identity_covariance_has_unit_variance() -> None:
    program = note_program("θ ← λ·θ + σ·ε,   ε ~ N(0, I)\nλ = 0.8，σ = 0.01", ["weight_op"])
    assert program is not None and program.drawn == (("eps", "torch.randn_like(p)"),)
    assert note_program("θ ← λ·θ + σ·ε,   ε ~ N(0, J)\nλ = 0.8，σ = 0.01", ["weight_op"]) is None  # J: no variance known


def test_a_value_drawn_log_uniformly_for_each_sample_changes_each_sample_by_its_own_draw() -> None:
    import torch

    from agentnotes.experiments.guards.formula_code import program_reply

    note = "规则：每个样本独立抽 log γ ~ U(−log 2, log 2)，x' = x^γ。只在训练时用。"
    reply = program_reply(load_skeleton("data"), note, note, "digits_image")
    transform_batch = _function_of(fill(load_skeleton("data"), reply), "transform_batch")
    x, y = torch.full((512, 1, 8, 8), 0.5), torch.arange(512)
    changed, same = transform_batch(x, y, 1)
    exponents = torch.log(changed) / torch.log(x)  # γ of each entry
    assert torch.equal(same, y) and changed.shape == x.shape
    assert torch.allclose(exponents, exponents[:, :1, :1, :1].expand_as(x))  # one γ per sample
    assert float(exponents.min()) >= 0.5 - 1e-6 and float(exponents.max()) <= 2 + 1e-6
    assert float(exponents.std()) > 0.2  # a γ of its own for each sample, not one for the batch
    batch_wide = dict(note_program("log γ ~ U(−log 2, log 2)，x' = x^γ", ["data"]).drawn)["gamma"]
    assert "torch.rand(())" in batch_wide  # no word of samples: one value for the call


def test_a_prose_line_that_only_sets_numbers_does_not_stop_the_formulas_being_read() -> None:
    note = "m ← β·m + g\nθ ← θ − η·m\n在噪声坐标上 β=0.9 时它还是会走，K=2 是最便宜的版本。"  # invented
    program = note_program(note, ["update_rule"], note)
    assert program is not None and [target for target, _ in program.statements] == ["m", "theta"]


def test_a_step_dividing_by_an_average_the_rule_has_not_yet_taken_is_left_to_the_model() -> None:
    before = "w ← w − η·g / √v，v ← β·v + (1−β)·g²\nβ = 0.99"  # invented: v is still zero at the first step
    after = "v ← β·v + (1−β)·g²，w ← w − η·g / (√v + ε)\nβ = 0.99"
    assert note_program(before, ["update_rule"], before) is None
    assert note_program(after, ["update_rule"], after) is not None


def test_a_titles_short_form_of_a_formula_the_body_writes_out_is_no_second_step() -> None:
    note = "# 每 N 步：W ← sign(W)·|W|^q，再把范数还原\nW' = sign(W) ⊙ |W|^q,   W ← W' · ‖W‖_F / ‖W'‖_F\nq = 1.5"  # invented
    program = note_program(note, ["weight_op"], note)
    assert program is not None and [target for target, _ in program.statements] == ["W_prime", "W"]


def test_a_mask_drawn_for_each_entry_is_the_mask_its_formula_multiplies() -> None:
    import torch

    from agentnotes.experiments.guards.formula_code import program_reply

    note = "g̃ = m ⊙ g / (1 − q),  m_i ~ Bernoulli(1 − q)\nW ← W − η·g̃\nq = 0.75"  # invented
    reply = program_reply(load_skeleton("update_rule"), note, note, "regression")
    update = _function_of(fill(load_skeleton("update_rule"), reply), "update")
    w = torch.zeros(4000)
    update(w, torch.ones(4000), {}, 0.1, 1)
    assert {round(v, 4) for v in w.tolist()} == {0.0, -0.4}  # each entry kept (scaled by 1/(1 − q)) or masked on its own
    assert 0.15 < float((w != 0).float().mean()) < 0.35


def test_the_weights_k_steps_back_in_an_operation_done_every_k_steps_are_those_its_last_call_kept() -> None:
    import torch

    from agentnotes.experiments.guards.formula_code import program_reply

    note = "每 k 步外推一次：W ← W + α·(W_t − W_{t−k})，k = 10，α = 0.5"  # invented
    reply = program_reply(load_skeleton("weight_op"), note, note, "regression")
    weight_op = _function_of(fill(load_skeleton("weight_op"), reply), "weight_op")
    w, state = torch.tensor([1.0]), {"initial": torch.tensor([0.0])}
    weight_op(w, state, 10)  # moved by 1 since training began: pushed half of that further
    assert w.tolist() == [1.5]
    w.add_(2.0)  # training moves it on by 2
    weight_op(w, state, 15)  # not a step of the operation
    assert w.tolist() == [3.5]
    weight_op(w, state, 20)  # moved by 2.5 since the last call kept 1.0 (before its push)
    assert w.tolist() == [3.5 + 0.5 * 2.5]


def test_a_value_a_named_number_of_steps_back_is_kept_that_many_steps() -> None:
    import torch

    from agentnotes.experiments.guards.formula_code import program_reply

    note = "w_{t+1} = w_t − η·g_t + β·(w_t − w_{t−k})，k = 2，β = 0.5"  # invented
    reply = program_reply(load_skeleton("update_rule"), note, note, "regression")
    update = _function_of(fill(load_skeleton("update_rule"), reply), "update")
    w, state = torch.tensor([0.0]), {}
    for step, expected in enumerate([-1.0, -2.0, -4.0, -6.5], start=1):  # from step 3 on: plus half the move since 2 steps back
        update(w, torch.tensor([1.0]), state, 1.0, step)
        assert w.tolist() == [expected]


def test_a_count_of_steps_the_notes_give_a_letter_is_the_runs_steps() -> None:
    note = "η_t = η₀ · (1 − log(1 + t) / log(1 + T))\n- T = 3000 steps, batch 64"  # invented
    program = note_program(note, ["schedule"], note)
    assert program is not None and program.roles.get("total") == "T" and "T" not in program.constants


def test_a_value_drawn_from_a_set_for_each_sample_where_the_notes_say_so() -> None:
    import torch

    from agentnotes.experiments.guards.formula_code import program_reply

    note = "每个样本随机选 q：x̃ = round(x·q)/q，q ~ Uniform{1, 2}"  # invented
    reply = program_reply(load_skeleton("data"), note, note, "regression")
    transform_batch = _function_of(fill(load_skeleton("data"), reply), "transform_batch")
    x = torch.full((400, 3), 0.3)
    changed, _ = transform_batch(x, torch.zeros(400), 1)
    assert {round(v, 4) for v in changed[:, 0].tolist()} == {0.0, 0.5}  # q = 1 rounds 0.3 to 0, q = 2 to 0.5
    assert torch.equal(changed, changed[:, :1].expand_as(changed))  # one q per sample, for all its entries


def test_a_schedules_floor_named_without_a_value_is_zero() -> None:
    note = "lr(t) = η_min + (η₀ − η_min)·(1 − t/T)"  # invented
    program = note_program(note, ["schedule"], note)
    assert program is not None and program.constants["eta_min"] == 0.0


def test_a_rate_drawn_at_every_step_is_a_schedule_with_the_swept_value_of_its_range() -> None:
    import math

    from agentnotes.experiments.guards.formula_code import program_reply

    note = "每步随机抽学习率：η_t = η₀·e^{u_t}，u_t ~ U(−a, a)\n实验：a ∈ {0, 0.5, 1, log 10}"  # invented
    reply = program_reply(load_skeleton("schedule"), note, note, "regression")
    lr_at = _function_of(fill(load_skeleton("schedule"), reply), "lr_at")
    rates = [lr_at(step, 0.1) for step in range(400)]
    assert 0.1 / math.e - 1e-9 <= min(rates) < 0.05 and 0.2 < max(rates) <= 0.1 * math.e + 1e-9  # a = 1, the sweep's middle
    assert len(set(rates)) > 300  # drawn afresh at every step


def test_a_changed_gradient_named_apart_is_what_the_plain_step_takes_and_a_prose_p_is_no_value_of_the_weights() -> None:
    import torch

    from agentnotes.experiments.guards.formula_code import program_reply

    rule = "ḡ_t = α·ḡ_{t−1} + (1−α)·g_t\ng̃_t = g_t + λ·ḡ_t\n常数：α = 0.5，λ = 2"
    prose = rule + "\n风险：若看不出效果，就改用 modular addition (p=23)。"
    body = program_reply(load_skeleton("update_rule"), rule, prose, "digits")
    assert "p = p - lr * g_tilde" in body
    update = _function_of(fill(load_skeleton("update_rule"), body), "update")
    p, state = torch.zeros(3), {}
    update(p, torch.ones(3), state, 0.1, 1)
    assert torch.allclose(p, torch.full((3,), -0.1 * (1 + 2 * 0.5)))  # ḡ = 0.5·1, step with g + 2·ḡ
    update(p, torch.ones(3), state, 0.1, 2)
    assert torch.allclose(p, torch.full((3,), -0.2 - 0.1 * (1 + 2 * 0.75)))  # ḡ = 0.5·0.5 + 0.5·1
    averaged_only = "ḡ_t = α·ḡ_{t−1} + (1−α)·g_t\n常数：α = 0.5"
    assert program_reply(load_skeleton("update_rule"), averaged_only, averaged_only, "digits") == ""  # ḡ: no step named


def test_a_rule_written_for_one_layer_is_the_hooks_for_its_tensor_and_a_first_step_said_in_a_comment_is_kept() -> None:
    import torch

    from agentnotes.experiments.guards.formula_code import program_reply

    rule = ("v_l ← β₂·v_l + (1−β₂)·‖g_l‖²          # 标量！第一步直接 v_l = ‖g_l‖²\n"
            "d_l = g_l / (√v_l + ε) + λ·w_l\nm_l ← β₁·m_l + d_l\nw_l ← w_l − η·m_l\n"
            "常数：β₁ = 0.5, β₂ = 0.5, ε = 1e-8, λ = 0。")
    update = _function_of(fill(load_skeleton("update_rule"), program_reply(load_skeleton("update_rule"), rule, rule,
                                                                           "digits")), "update")
    p, state, g = torch.zeros(2, 2), {}, torch.full((2, 2), 3.0)  # ‖g‖ = 6: one norm for the whole tensor
    update(p, g, state, 0.1, 1)
    assert torch.allclose(p, torch.full((2, 2), -0.1 * 3.0 / 6.0))  # v at the first step is ‖g‖², not (1−β₂)·‖g‖²
    update(p, g, state, 0.1, 2)
    assert torch.allclose(p, torch.full((2, 2), -0.05 - 0.1 * (0.5 * 0.5 + 0.5)))  # v = ‖g‖² still; m = β₁·m + d
    unknown = "w_l ← w_l − η·m̂ / (√v̂ + ε_l)\nm̂ = g"  # ε_l no formula computes: not the constant ε
    assert program_reply(load_skeleton("update_rule"), unknown, unknown, "digits") == ""


def test_a_weight_operation_toward_the_weights_before_training_reads_them_from_the_labs_state() -> None:
    import torch

    from agentnotes.experiments.guards.formula_code import program_reply

    note = "每 10 步（optimizer.step() 之后）对所有 weight：w ← w₀ + γ·(w − w₀)，γ = 0.5"
    weight_op = _function_of(fill(load_skeleton("weight_op"), program_reply(load_skeleton("weight_op"), note, note)),
                             "weight_op")
    start, p = torch.zeros(3, 3), torch.full((3, 3), 4.0)
    weight_op(p, {"initial": start}, 7)
    assert torch.equal(p, torch.full((3, 3), 4.0))  # not a multiple of 10
    weight_op(p, {"initial": start}, 10)
    assert torch.equal(p, torch.full((3, 3), 2.0))  # halfway back to the weights before training


def test_a_norm_in_a_loss_is_each_samples_averaged_over_the_batch_and_a_name_given_in_brackets_before_prose_is_read() -> None:
    import torch
    import torch.nn.functional as F

    from agentnotes.experiments.guards.formula_code import program_reply

    part = load_skeleton("loss")
    note = "L = CE(ŷ, y) + (λ/2)·‖ŷ‖²₂          （ŷ = logits，对 batch 求平均）\nλ = 0.1"
    out, y = torch.randn(6, 4), torch.tensor([0, 1, 2, 3, 0, 1])
    written = _function_of(fill(part, program_reply(part, note, note, "digits")), "compute_loss", F=F,
                           task_loss=F.cross_entropy)
    expected = F.cross_entropy(out, y) + 0.05 * (out ** 2).sum(-1).mean()
    assert torch.allclose(written(out, y, 1), expected, atol=1e-6)


def test_a_gradient_kept_for_the_next_step_after_the_rule_is_state_and_its_value_at_the_first_step_its_start() -> None:
    import torch

    from agentnotes.experiments.guards.formula_code import program_reply

    part = load_skeleton("update_rule")
    rule = ("m = beta1*m + (1-beta1)*g\nxi = 1 / (1 + exp(-abs(g_prev - g)))        # t=1 时 g_prev = 0\n"
            "theta = theta - lr * xi * m\ng_prev = g\n常数：β₁ = 0.9")
    update = _function_of(fill(part, program_reply(part, rule, rule)), "update")
    p, state, grads = torch.zeros(3), {}, [torch.tensor([1.0, -2.0, 0.5]), torch.tensor([1.0, 1.0, 0.5])]
    expected, m, before = torch.zeros(3), torch.zeros(3), torch.zeros(3)
    for t, g in enumerate(grads, start=1):
        update(p, g, state, 0.1, t)
        m = 0.9 * m + 0.1 * g
        expected = expected - 0.1 * torch.sigmoid((before - g).abs()) * m
        before = g
        assert torch.allclose(p, expected)


@pytest.mark.parametrize("task, shape, units", [("digits", (64,), 32), ("digits_image", (1, 8, 8), 16)])
def test_learned_values_the_notes_give_each_unit_are_one_parameter_per_unit_of_the_layer_before(
        tmp_path: Path, task: str, shape: tuple, units: int) -> None:
    import importlib.util

    import torch

    from agentnotes.experiments.guards.formula_code import program_reply

    part = load_skeleton("activation")
    note = "f(x) = (p₁ − p₂)·x·σ(β·(p₁ − p₂)·x) + p₂·x\n每个神经元自己学 p₁, p₂, β（每个隐单元一组），初始化 p₁=1, p₂=0, β=1"
    script = tmp_path / "experiment.py"
    script.write_text(assemble_script(fill(part, program_reply(part, note, note, task)),
                                      ExperimentConfig(seeds=(0, 1, 2), steps=20, task=task)))
    spec = importlib.util.spec_from_file_location("experiment", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.build_model(shape if len(shape) > 1 else shape[0], 32, 10)
    assert sorted(tuple(p.shape) for n, p in model.named_parameters() if n.endswith(("p1", "p2", "beta"))) == [(units,)] * 6
    x = torch.linspace(-3, 3, 13)
    assert torch.allclose(module.IdeaActivation()(x), x * torch.sigmoid(x))  # at its start: Swish, as the notes say
    assert model(torch.randn(4, *shape)).shape == (4, 10)


def test_a_value_the_notes_only_expect_or_fear_is_no_constant_of_the_idea() -> None:
    note = "L = CE + (λ/2)·‖ŷ‖²\nλ ∈ {0.003, 0.01, 0.03, 0.1}\n\n预期：\n- 预期：λ=0.1 可能略掉点\n"
    program = note_program("L = CE + (λ/2)·‖ŷ‖²", ["loss"], note, "regression")
    assert program is not None and program.constants["lam"] == 0.03  # the sweep's middle, not the feared value


def test_a_value_refined_from_itself_is_named_apart_and_a_count_of_entries_said_in_words_is_the_tensors() -> None:
    import torch

    from agentnotes.experiments.guards.formula_code import program_reply

    rule = ("基础还是 Adam：\nu_t = m̂_t / (√v̂_t + ε)\nmask = 1[u_t ⊙ g_t > 0]\n"
            "mask ← mask · d / (Σ mask + 1)       # d 是该参数张量的元素个数\nθ_{t+1} = θ_t − η · (u_t ⊙ mask)")
    body = program_reply(load_skeleton("update_rule"), rule, rule, "digits")
    assert "d = float(p.numel())" in body and "mask_v1 = torch.gt(" in body  # gt is a function, no product g·t
    update = _function_of(fill(load_skeleton("update_rule"), body), "update")
    p, g = torch.zeros(2, 2), torch.tensor([[1.0, -1.0], [2.0, 0.5]])
    update(p, g, {}, 0.1, 1)
    # Adam's first step is sign(g) (up to ε); every entry agrees with g, so mask = 4/(4 + 1): a sum over all entries
    assert torch.allclose(p, -0.1 * torch.sign(g) * 4 / 5, atol=1e-6)
    restated = "a = g*g\nm = 0.9*m + g\na = m*m\nw = w - lr*m/(a + 1)"  # a again, not from itself: not certain
    assert note_program(restated, ["update_rule"]) is None


def test_a_condition_said_first_with_commas_in_its_brackets_and_an_arrow_before_its_formula_reads() -> None:
    rule = ("Rule, per unit (row i of W; one output channel = one row after flattening):\n"
            "$$\\text{if } \\frac{\\|g\\|}{\\max(\\|w\\|, \\epsilon)} > \\lambda \\quad\\Rightarrow\\quad "
            "g \\leftarrow \\lambda \\frac{\\max(\\|w\\|,\\epsilon)}{\\|g\\|} g$$\nw ← w − η·g\nλ = 0.1, ε = 1e-3")
    program = note_program(rule, ["update_rule"], rule)
    assert program is not None and program.statements == (
        ("g", "where(norm(g) / max(norm(w), eps) > lam, lam * (max(norm(w), eps) / norm(g)) * g, g)"),
        ("w", "w - eta * g"))


def test_a_penalty_on_each_units_batch_statistic_defined_on_other_lines_sums_it_over_the_units() -> None:
    import textwrap

    import torch

    from agentnotes.experiments.guards.note_program import penalty_body

    formulas = "s_j = √(Var_batch(h_{:,j}) + ε)\nR_l = (1/d) · Σ_j max(0, γ − s_j)\nL = CE + λ · Σ_l R_l\nγ = 1，ε = 0，λ = 2"
    found = penalty_body(formulas, formulas, on_hidden=True)
    assert found is not None and found[1] == "L = CE + λ · Σ_l R_l"
    penalty = _function_of(f"def penalty(hidden):\n{textwrap.indent(found[0], '    ')}\n", "penalty")
    h = torch.tensor([[0.0, 1.0, 5.0], [0.0, -1.0, 5.0]])  # unit stds over the batch 0, 1, 0 (population)
    assert torch.isclose(penalty([h]), torch.tensor(2 * (1 / 3) * (1 + 0 + 1)))  # each unit's hinge, averaged
    assert penalty_body("L = CE + λ · Σ_l (1/d) Σ_j max(0, γ − √Var_batch(h_j))\nγ = 1, λ = 2",
                        "对 pre-activation 算", on_hidden=True) is None  # the skeleton gives outputs after the activation


def test_a_formula_said_case_by_case_on_one_line_is_one_where_per_case_in_their_order() -> None:
    note = "SmeLU(x) = 0 if x ≤ −β;  (x + β)² / (4β) if |x| ≤ β;  x if x ≥ β.   Default β = 1."
    program = note_program(note, ["activation"], note, "digits")
    assert program is not None and program.statements == (
        ("f", "where(x <= -beta, 0, where(abs(x) <= beta, (x + beta) ** 2 / (4 * beta), x))"),)
    assert program.constants == {"beta": 1.0}
    assert note_program("f(x) = x if x > 0; 0.1 x otherwise", ["activation"]).statements == (
        ("f", "where(x > 0, x, 0.1 * x)"),)


def test_cases_said_with_their_conditions_in_brackets_on_one_line_and_constants_given_rounded_are_read() -> None:
    from agentnotes.experiments.guards.constants import note_constants

    note = "Smith 2019。g(x) = λ·x（x > 0），λ·α·(eˣ − 1)（x ≤ 0），λ ≈ 1.05，α ≈ 1.67。"  # invented constants
    program = note_program(note, ["activation"], note, "digits")
    assert program is not None and program.statements == (("f", "where(x > 0, lam * x, lam * alpha * (exp(x) - 1))"),)
    assert program.constants == {"lam": 1.05, "alpha": 1.67}
    assert note_constants("b = −log(K−1) ≈ −2.2，谷底 −a/e ≈ −0.37a，g ≈ 0") == {}  # a value said again, no constant
    assert note_constants("初始化：α ≈ 3.9 → a ≈ 4") == {}  # where a parameter starts, no constant


def test_a_case_the_rule_reduces_to_is_a_remark_and_the_first_steps_value_is_the_last_one_said() -> None:
    rule = ("c = ⟨m, g⟩ / (‖m‖·‖g‖ + ε)\nβ_eff = β · max(c, 0)\nm ← β_eff·m + g\nθ ← θ − η·m\n"
            "c ≤ 0 时这一步就退化成纯 SGD；c ≈ 1 时就是普通动量。第一步 m = 0，直接令 m ← g。\n常数：β = 0.9，ε = 1e-8。")
    program = note_program(rule, ["update_rule"], rule)
    assert program is not None and [target for target, _ in program.statements] == ["c", "beta_eff", "m", "theta"]
    from agentnotes.experiments.guards.note_program import _first_step_values

    assert _first_step_values("第一步 m = 0，直接令 m ← g。") == ["m_1 = g"]
    indexed = _first_step_values("第一步 m_0 = 0，直接令 m_1 = g_1。")  # names indexed by their step, as written
    assert indexed == ["m_0 = 0", "m_1 = g_1"]


def test_a_rounded_value_reads_as_torch_rounds_it() -> None:
    program = note_program("lr_t = lr · 0.5^round(t / 100)", ["schedule"])
    assert program is not None and program.statements == (("lr_t", "lr * 0.5 ** round(t / 100)"),)


def test_a_row_written_as_a_slice_holds_for_each_row_and_biases_said_to_get_plain_sgd_get_it() -> None:
    import torch

    from agentnotes.experiments.guards.formula_code import program_reply

    rule = ("W[i, :] = W[i, :] - k * ||W[i, :]|| * g_i / (||g_i|| + eps)\n"
            "biases: plain SGD with lr = 0.05 as in the baseline.\nk = 0.5, eps = 0")
    update = _function_of(fill(load_skeleton("update_rule"), program_reply(load_skeleton("update_rule"), rule, rule,
                                                                           "digits")), "update")
    w, b = torch.tensor([[3.0, 4.0], [0.0, 2.0]]), torch.ones(2)
    update(w, torch.tensor([[1.0, 0.0], [0.0, -3.0]]), {}, 0.1, 1)
    assert torch.allclose(w, torch.tensor([[0.5, 4.0], [0.0, 3.0]]))  # each row moves by k·‖row‖ along its unit gradient
    update(b, torch.ones(2), {}, 0.1, 1)
    assert torch.allclose(b, torch.full((2,), 0.9))  # plain SGD for the bias


def test_each_rows_norm_pulled_to_the_layers_mean_row_norm_holds_for_a_conv_kernels_out_channels() -> None:
    import torch

    from agentnotes.experiments.guards.formula_code import program_reply

    rule = "rᵢ = ‖wᵢ‖，  r̄ = (1/n) Σᵢ rᵢ\nwᵢ ← wᵢ · (r̄ / rᵢ)^γ\nγ = 1，每步之后做"  # n: no value, the rows' count
    op = _function_of(fill(load_skeleton("weight_op"), program_reply(load_skeleton("weight_op"), rule, rule, "digits")),
                      "weight_op")
    w = torch.tensor([[3.0, 4.0], [0.0, 1.0]])
    op(w, {}, 1)
    assert torch.allclose(w.norm(dim=1), torch.full((2,), 3.0))  # the mean of the row norms 5 and 1
    kernel = torch.randn(4, 3, 2, 2)
    op(kernel, {}, 1)
    norms = kernel.flatten(1).norm(dim=1)
    assert torch.allclose(norms, norms.mean().expand(4))  # a row of a conv kernel: an out-channel's whole kernel


def test_a_median_a_script_l_layer_index_and_the_weights_at_initialisation_as_a_superscript_read() -> None:
    import torch

    from agentnotes.experiments.guards.formula_code import program_reply

    rule = "ĝ = g / (median(|g|) + ε)\nW ← W − η · ĝ\nε = 0"
    update = _function_of(fill(load_skeleton("update_rule"), program_reply(load_skeleton("update_rule"), rule, rule,
                                                                           "digits")), "update")
    w = torch.zeros(3)
    update(w, torch.tensor([1.0, 2.0, -4.0]), {}, 0.5, 1)
    assert torch.allclose(w, torch.tensor([-0.25, -0.5, 1.0]))  # divided by the median 2
    program = note_program("n₀(ℓ) = ‖W_ℓ⁽⁰⁾‖_F\nW_ℓ ← W_ℓ · ( n₀(ℓ) / ‖W_ℓ‖_F )^γ\nγ = 0.5", ["weight_op"])
    assert program is not None and program.initial == ("W_0",)  # the weights before training, each layer's own
    assert program.statements == (("n0", "norm(W_0)"), ("W", "W * (n0 / norm(W)) ** gamma"))


def test_a_state_started_at_the_first_batchs_value_and_a_rows_mean_over_its_entries_are_written() -> None:
    import torch

    from agentnotes.experiments.guards.formula_code import program_reply
    from agentnotes.experiments.guards.skeleton import skeleton_for

    rule = ("- a ← ρ·a + (1−ρ)·|g|\n- g̃ = clip(g, −κ·a, +κ·a)\n- w ← w − η·g̃\n"
            "常数：ρ = 0.5, κ = 1.0。a 初始化为第一个 batch 的 |g|（不然前几步全被截成 0）。\n与其做 global norm clipping，不如每个坐标自己截。")
    part = skeleton_for(["update_rule"], rule, "digits")
    assert part.name == "update_rule"  # the global norm is what the idea is set against, not what its step reads
    update, state, w = _function_of(fill(part, program_reply(part, rule, rule, "digits")), "update"), {}, torch.zeros(2)
    update(w, torch.tensor([2.0, -1.0]), state, 1.0, 1)
    assert torch.allclose(state["a"], torch.tensor([2.0, 1.0]))  # the first batch's |g|, not the average from zero
    update(w, torch.tensor([4.0, 0.0]), state, 1.0, 2)
    assert torch.allclose(w, torch.tensor([-5.0, 1.0]))  # 4 clipped to κ·a = 3
    note = "每次 optimizer.step() 之后：\nW[i, :] ← W[i, :] − (1/d_in)·Σ_j W[i, j]\n```python\nw.sub_(w.mean(1, keepdim=True))\n```"
    op = _function_of(fill(load_skeleton("weight_op"), program_reply(load_skeleton("weight_op"), note, note, "digits")),
                      "weight_op")
    w = torch.tensor([[1.0, 3.0], [2.0, 2.0]])
    op(w, {}, 1)
    assert torch.allclose(w, torch.tensor([[-1.0, 1.0], [0.0, 0.0]]))  # each row less its own mean


def test_an_unequal_comparison_in_brackets_is_an_indicator_and_an_entrys_own_rate_is_not_the_tuned_lr() -> None:
    program = note_program("flip_i = (sign(g_i) != sign(g_prev_i))\nn_i = n_i + flip_i\nlr_i = lr / sqrt(1 + n_i / K)\n"
                           "w_i = w_i - lr_i * g_i\ng_prev_i = g_i\nK = 10", ["update_rule"])
    assert program is not None and program.roles["lr"] == "lr" and "lr" not in program.constants
    assert ("flip", "ne(sign(g), sign(g_prev))") in program.statements
    assert ("lr_i", "lr / sqrt(1 + n / K)") in program.statements  # each entry's rate, from the rate the harness tunes


def test_a_formula_result_named_like_a_hook_argument_does_not_take_its_place() -> None:
    """The notes' projection `p` beside the weights they call w: the update's own `p` stays the parameter."""
    import torch

    from agentnotes.experiments.guards.formula_code import program_reply

    note = "- p = (⟨m, g⟩ / (|g|² + ε)) · g\n- m ← 0.9·p + 0.5·(m − p) + g\n- w ← w − lr·m\nε = 1e-12"
    update = _function_of(fill(load_skeleton("update_rule"), program_reply(load_skeleton("update_rule"), note, note)), "update")
    param, grad, state = torch.ones(3), torch.tensor([1.0, 0.0, -1.0]), {"m": torch.tensor([2.0, 1.0, 0.0])}
    update(param, grad, state, 0.1, 1)
    projection = (state_m := torch.tensor([2.0, 1.0, 0.0])) @ grad / (grad @ grad + 1e-12) * grad
    expected_m = 0.9 * projection + 0.5 * (state_m - projection) + grad
    assert torch.allclose(state["m"], expected_m) and torch.allclose(param, torch.ones(3) - 0.1 * expected_m)


def test_a_case_the_notes_compute_and_the_rule_never_reads_leaves_the_rule_to_the_model() -> None:
    from agentnotes.experiments.guards.formula_code import program_reply

    rule = "- m ← 0.9·m + g\n- w ← w − lr·m\n"
    assert program_reply(load_skeleton("update_rule"), rule, rule)
    with_case = rule + "```python\nc = (m * g).sum()\nb = 0.9 if c > 0 else 0.5\n```"
    assert program_reply(load_skeleton("update_rule"), with_case, with_case) == ""


def test_a_value_said_as_a_case_in_english_prose_is_not_the_constants_value() -> None:
    from agentnotes.experiments.guards.constants import note_constants

    note = ("m_f ← β_f · m_f + (1 − β_f) · g\nm_s ← β_s · m_s + (1 − β_s) · g\nu = (1 + α) · m_f − α · m_s\nw ← w − lr · u\n"
            "Defaults: β_f = 0.5, β_s = 0.95, α = 0.5, lr = 0.05.\n"
            "With α = 0 this is plain EMA-momentum; with α = −1 it is plain slow momentum.\n")
    assert note_constants(note)["alpha"] == "0.5"
    program = note_program(note, ["update_rule"], note, "regression")
    assert program is not None and program.constants == {"beta_f": 0.5, "beta_s": 0.95, "alpha": 0.5}


def test_a_mask_given_as_a_bracketed_comparison_and_its_negation_are_read() -> None:
    note = "m ← β·m + g\nmask = (g ⊙ m ≥ 0)\nw ← w − lr·(m ⊙ mask + ρ·m ⊙ ¬mask)\n常数：β = 0.9，ρ = 0.1"
    program = note_program(note, ["update_rule"], note, "regression")
    assert program is not None
    statements = dict(program.statements)
    assert statements["mask"] == "where(g * m >= 0, 1.0, 0.0)"
    assert statements["w"] == "w - lr * (m * mask + rho * m * (1 - mask))"


def test_a_rule_said_per_coordinate_then_again_in_vector_form_is_read_once_with_its_case() -> None:
    from agentnotes.experiments.guards.constants import note_constants
    from agentnotes.experiments.guards.idea_sections import formulas_in
    from agentnotes.notes.types import Chunk, Hit

    text = ("对每个坐标 i：\n- 先判断 c_i = g_i · m_i\n- 若 c_i < 0：m_i ← ρ · m_i （ρ = 0 即完全重启）\n"
            "- 然后正常累积：m_i ← β·m_i + g_i\n- w_i ← w_i − lr·m_i\n默认值：β = 0.9，ρ = 0.0（另测 ρ = 0.3），lr = 0.05。\n"
            "写成向量形式就是\n\n    mask = (g ⊙ m ≥ 0)\n    m ← β·(m ⊙ mask + ρ·m ⊙ ¬mask) + g\n    w ← w − lr·m\n\n## 实验\n")
    assert note_constants(text)["rho"] == "0.0"  # 另测 ρ = 0.3: a value also tried
    formulas = formulas_in([Hit(Chunk("/n/a.md", 1, 14, text, ("a",)), 1.0)])
    assert "mask" not in formulas and "若 c_i < 0" in formulas
    program = note_program(formulas, ["update_rule"], text, "regression")
    assert program is not None
    assert [value for _, value in program.statements] == ["g * m", "where(c < 0, rho * m, m)", "beta * m_i_v1 + g",
                                                           "w - lr * m"]


def test_adams_decay_rates_named_without_values_take_their_usual_values() -> None:
    program = note_program("m = b1*m + (1-b1)*g\nv = b2*v + (1-b2)*g*g\nw = w - lr * m / (sqrt(v) + eps)", ["update_rule"])
    assert program is not None and program.constants == {"b1": 0.9, "b2": 0.999, "eps": 1e-8}
    assert note_program("m = m + c*g\nw = w - lr * m", ["update_rule"]) is None  # another name, no decay: no value to take


def test_a_momentum_without_a_value_is_the_usual_one_and_a_rows_inner_product_is_per_row() -> None:
    program = note_program("t_i = g_i − (⟨g_i, w_i⟩ / ||w_i||²) · w_i\nv ← β·v + t_i\nw ← w − η·v", ["update_rule"])
    assert program is not None and program.constants == {"beta": 0.9}
    assert program.statements[0] == ("t_i", "g - sum_rows(g * w) / abs(norm_rows(w)) ** 2 * w")
    assert note_program("v ← v + β·g\nw ← w − η·v", ["update_rule"]) is None  # β decays no average: no value to take


def test_an_update_rule_reading_the_batchs_loss_gets_it_and_keeps_the_last_one() -> None:
    import torch

    from agentnotes.experiments.guards.formula_code import program_reply
    from agentnotes.experiments.guards.skeleton import skeleton_for

    note = "# Loss-ratio momentum\nr_t = L_t / L_{t−1}\nβ_t = clip(0.9 · (2 − r_t), 0, 0.99)\nv ← β_t · v + g\nw ← w − η · v\n"
    part = skeleton_for(["update_rule"], note, "digits")  # invented
    assert part.name == "update_global"  # the skeleton whose update is given the batch's loss
    update = _function_of(fill(part, program_reply(part, note, note, "digits")), "update")
    p, state, g = torch.zeros(3), {}, torch.ones(3)
    expected, v, previous = torch.zeros(3), torch.zeros(3), None
    for t, loss in enumerate([1.0, 1.2, 0.6], start=1):
        update(p, g, state, 0.1, t, loss, 3.0)
        beta = min(max(0.9 * (2 - loss / (previous or loss)), 0.0), 0.99)
        v = beta * v + g
        expected -= 0.1 * v
        previous = loss
    assert torch.allclose(p, expected)
    assert note_program("w ← w − η·g·L", ["update_rule"]) is None  # no loss given to a plain update rule


def test_a_norm_of_the_gradient_beside_a_whole_gradient_norm_is_left_to_the_model() -> None:
    from agentnotes.experiments.guards.formula_code import program_reply
    from agentnotes.experiments.guards.skeleton import skeleton_for

    rule = "g ← g · min(1, c/‖g‖)，c = 1\nw ← w − η·g\n"
    whole = "# Clip\nThe norm is over all parameters' gradients together.\n" + rule  # invented
    part = skeleton_for(["update_rule"], whole, "digits")
    assert part.name == "update_global" and program_reply(part, whole, whole, "digits") == ""  # whose norm: not certain


def test_a_layer_the_notes_make_plain_at_evaluation_with_a_weight_of_its_parameters_is_so_outside_training() -> None:
    import torch
    import torch.nn.functional as F

    from agentnotes.experiments.guards.layer_bodies import layer_forward_body

    formulas = ("训练时：y = (w1*(x+c) + w2*(x-c))/2 + b，c = 0.1\n每 20 步：w = (w1+w2)/2，再令 w1 = w2 = w\n"
                "推理时只用一个 w：y = w*x + b")  # invented
    body, _, _ = layer_forward_body(formulas, ["w1", "w2", "bias"])
    assert body.startswith("if not self.training:")

    class Layer(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w1, self.w2, self.bias = (torch.nn.Parameter(torch.randn(3, 4)), torch.nn.Parameter(torch.randn(3, 4)),
                                           torch.nn.Parameter(torch.randn(3)))

    namespace = {"torch": torch, "F": F, "LR": 0.1}
    exec("def forward(self, x):\n" + "\n".join("    " + line for line in body.splitlines()), namespace)
    layer, x = Layer(), torch.randn(5, 4)
    plain = F.linear(x, (layer.w1 + layer.w2) / 2, layer.bias)
    assert torch.allclose(namespace["forward"](layer.eval(), x), plain)
    assert not torch.allclose(namespace["forward"](layer.train(), x), plain)  # in training, the notes' own form
    assert not layer_forward_body(formulas.rsplit("\n", 1)[0], ["w1", "w2", "bias"])[0].startswith("if")  # none said


def test_a_penalty_line_alone_on_the_pre_activations_averaged_over_samples_and_units_is_written() -> None:
    import torch

    from agentnotes.experiments.guards.formula_code import program_reply
    from agentnotes.experiments.guards.notation import plain_letters

    # invented note: no loss line, the penalty's own letter; a mean over two indices; a value also tried after a comma
    note = "# 预激活溢出罚项\nR = λ · mean_{样本, 单元} softplus(|z| − m)²\n- m = 1.5，也试 m = 1, 2\n- λ = 0.02\n罚所有隐层的 z"
    part = load_skeleton("activity_penalty")
    reply = program_reply(part, plain_letters("R = λ · mean_{样本, 单元} softplus(|z| − m)²\n- m = 1.5，也试 m = 1, 2"),
                          plain_letters(note))
    assert "for h in pre_activations:" in reply
    penalty = _function_of(fill(part, reply), "penalty", F=torch.nn.functional)
    hidden, pre = [torch.rand(6, 5), torch.rand(6, 3)], [torch.randn(6, 5), torch.randn(6, 3)]
    expected = sum(float(0.02 * (torch.nn.functional.softplus(z.abs() - 1.5) ** 2).mean()) for z in pre)
    assert abs(float(penalty(hidden, pre, torch.zeros(6, dtype=torch.long), torch.randn(6, 4))) - expected) < 1e-5


def test_a_value_split_into_parts_the_next_formulas_define_from_it_is_no_step() -> None:
    import torch

    from agentnotes.experiments.guards.autofix import fix_matrix_only_weight_op
    from agentnotes.experiments.guards.formula_code import program_reply

    # invented note: `W = P + Q` names the parts; the step only shrinks Q
    note = "每 5 步：W = P + Q，P = (W+Wᵀ)/2，Q = (W−Wᵀ)/2，然后 W ← W − β·Q，β = 0.25"
    formulas = "W = P + Q，P = (W+Wᵀ)/2，Q = (W−Wᵀ)/2\nW ← W − β·Q，β = 0.25"
    assert note_program(formulas, ["weight_op"], note).statements == (("Q", "(W - W_T) / 2"), ("W", "W - beta * Q"))
    part = load_skeleton("weight_op")
    code, fixes = fix_matrix_only_weight_op(fill(part, program_reply(part, formulas, note)))
    assert fixes  # the rule adds a matrix and its transpose: square matrices only
    weight_op = _function_of(code, "weight_op")
    square, wide, bias = torch.randn(4, 4), torch.randn(3, 4), torch.randn(4)
    for p in (square, wide, bias):
        before = p.clone()
        weight_op(p, {"initial": before}, 5)
        expected = before - 0.25 * (before - before.T) / 2 if p is square else before
        assert torch.allclose(p, expected)


def test_a_sweep_over_pairs_and_a_value_tried_too_after_a_comma_keep_the_ideas_value() -> None:
    from agentnotes.experiments.guards.constants import note_constants

    assert note_constants("(ρ, K) ∈ {(0.9, 2), (0.5, 20), (0.1, 200)}") == {"rho": "0.5", "k": "20"}  # the middle pair
    assert note_constants("- c = 2（tanh'(2) ≈ 0.07），也试 c = 1.5, 3") == {"c": "2"}
    assert note_constants("k = 4; also try k = 8") == {"k": "4"}
    assert note_constants("所以 ρ 一起扫：{0.9, 0.95, 0.99}") == {"rho": "0.95"}  # a sweep said in words
    assert note_program("η_t = η·min(1, t/200)", ["schedule"]).as_text() == "eta_t = eta * min(1, t / 200)"  # η: the rate


def test_a_rule_written_per_entry_and_again_as_code_is_no_program_and_a_method_keyword_is_no_assignment() -> None:
    per_entry = "- α_i = exp(β_i)\n- β_i ← β_i − κ·g_i·h_i\n- w_i ← w_i − α_i·g_i\n- h_i ← h_i·[1 − α_i·g_i²]₊ − α_i·g_i\n"
    as_code = "beta = beta - kappa * g * h\nalpha = beta.exp()\nw = w - alpha * g\n" \
              "h = h * (1 - alpha * g**2).clamp(min=0) - alpha * g\n"
    text = "κ = 0.01；β 初始为 -3，h 初始为 0。"
    one = note_program(per_entry, ["update_rule"], text, "digits")
    assert one is not None and "relu(1 - alpha * g ** 2)" in one.as_text()
    assert note_program(as_code, ["update_rule"], text, "digits") is not None  # `.clamp(min=0)`: a call's keyword
    assert note_program(per_entry + as_code, ["update_rule"], text, "digits") is None  # two forms: not one step twice


def test_a_formula_quoted_whole_on_its_line_reads_as_written_unquoted() -> None:
    quoted = "`g(x) = [ x + x·tanh(κx) ] / 2`\n默认：κ = 2"
    program = note_program(quoted, ["activation"])
    assert program is not None and program.output == "f" and program.constants == {"kappa": 2.0}
    assert program == note_program(quoted.replace("`", ""), ["activation"])


def test_a_numbered_average_is_bias_corrected_under_its_hatted_name_and_a_gapped_remark_is_no_formula() -> None:
    rule = ("m1 = β1·m1 + (1−β1)·g      (quick)\ns = β4·s + (1−β4)·g²      (slow, **never** corrected)\n"
            "θ = θ − η·m̂1/(√s + ε)\nβ1 = 0.8, β4 = 0.99")
    program = note_program(rule, ["update_rule"], f"{rule}\nm̂1 is bias-corrected.")
    assert program is not None and ("m_hat1", "m1 / (1 - beta1 ** t)") in program.statements
    assert program.statements[-1] == ("theta", "theta - eta * m_hat1 / (sqrt(s) + eps)")
