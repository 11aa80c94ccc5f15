"""The note formula's functions and Greek letters that idea code never uses, and values computed and lost."""

from __future__ import annotations

from agentnotes.experiments.guards.note_symbols import missing_note_symbols
from agentnotes.experiments.guards.static_check import blocking, check_idea_code

BLOCK_NOTE = "y = x + α*relu(W*x + b)\nα = 0"
FAITHFUL_BLOCK = '''
class Block(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.linear = nn.Linear(width, width)
        self.alpha = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return x + self.alpha * F.relu(self.linear(x))
'''


def test_a_layers_weights_and_biases_by_number_are_no_kept_values() -> None:
    from agentnotes.experiments.guards.note_symbols import kept_by_notes

    formulas = "每 N 步：W1 ← W1 − α · 1 w̄ᵀ\nb_1 ← b_1 + α · (w̄ · x̄)\nm1 ← 0.9·m1 + g"
    assert kept_by_notes(formulas) == {"m1": "m1 = 0.9·m1 + g"}  # the first layer's weights are the parameter


def test_a_block_without_the_notes_scale_and_relu_is_named_twice() -> None:
    plain = "class Block(nn.Module):\n    def forward(self, x):\n        return x + F.linear(x, self.W) + self.b\n"
    messages = [p.message for p in missing_note_symbols(plain, BLOCK_NOTE)]
    assert len(messages) == 2
    assert "applies relu(...)" in messages[0] and "uses α but the code has no alpha" in messages[1]


def test_the_faithful_block_and_other_spellings_pass() -> None:
    assert missing_note_symbols(FAITHFUL_BLOCK, BLOCK_NOTE) == []
    clamped = FAITHFUL_BLOCK.replace("F.relu(self.linear(x))", "self.linear(x).clamp(min=0)")
    assert missing_note_symbols(clamped, BLOCK_NOTE) == []


def test_a_letter_is_found_by_its_value_or_usual_alias() -> None:
    note = "w = λ*w + σ*ε,   ε ~ N(0, 1)\nλ = 0.8, σ = 0.01"
    code = "def weight_op(p, state, step):\n    p.mul_(0.8).add_(0.01 * torch.randn_like(p))\n"
    assert missing_note_symbols(code, note) == []
    assert [p.message[:40] for p in missing_note_symbols(code.replace("0.8", "0.9"), note)] == \
        ["the notes' formula uses λ but the code h"]
    assert missing_note_symbols("def update(p, g, state, lr, t):\n    p.sub_(lr * g)\n", "θ = θ - η*g") == []
    quoted = "m.mul_(0.9).add_(g)\np.add_(m, alpha=-lr)"  # torch's keyword in the notes' code, no letter of theirs
    assert missing_note_symbols("def update(p, g, state, lr, t):\n    p.sub_(lr * g)\n", quoted) == []
    assert missing_note_symbols("def update(p, g, state, lr, t):\n    p.sub_(lr * g)\n", "p = p - alpha * g") != []


def test_a_derivative_the_notes_state_is_autograds_not_the_codes() -> None:
    code = "class IdeaActivation(nn.Module):\n    def forward(self, x):\n        return x * torch.cos(x)\n"
    assert missing_note_symbols(code, "f(x) = x·cos(x)，f'(x) = cos(x) - x·sin(x)。") == []
    assert missing_note_symbols(code, "f(x) = x·cos(x)，∂f/∂x = cos(x) - x·sin(x)") == []
    assert [p.message[:40] for p in missing_note_symbols(code, "f(x) = x·sin(x)")] == \
        ["the notes' formula applies sin(...) but "]


def test_no_formula_or_unparsable_code_gives_nothing() -> None:
    assert missing_note_symbols(FAITHFUL_BLOCK, "") == []
    assert missing_note_symbols("def f(:\n", BLOCK_NOTE) == []


def test_a_state_value_computed_into_a_local_and_lost_blocks() -> None:
    code = '''
def update(p, g, state, lr, t):
    c = 0.9 * state.setdefault("m", torch.zeros_like(p)) + 0.1 * g
    p.sub_(lr * torch.sign(c))
    m = 0.99 * state["m"] + 0.01 * g
'''
    problems = [p for p in blocking(check_idea_code(code)) if p.kind == "unused_result"]
    assert len(problems) == 1 and problems[0].line == 5 and 'state["m"] = m' in problems[0].message
    assert "p.copy_(m)" in problems[0].message and "self." not in problems[0].message  # an update hook has no self
    stored = code.replace('    m = 0.99', '    state["m"] = 0.99')
    assert not [p for p in check_idea_code(stored) if p.kind == "unused_result"]


def test_names_read_later_updated_in_place_or_plain_copies_are_not_lost() -> None:
    code = '''
def update(p, g, state, lr, t):
    m = state.setdefault("m", torch.zeros_like(p))
    m += g
    size = p.shape
    step = lr * g
    p.sub_(step)
'''
    assert not [p for p in check_idea_code(code) if p.kind == "unused_result"]


def test_a_value_read_only_by_its_own_reassignment_is_lost_and_one_a_loop_reads_again_is_not() -> None:
    code = '''
def update(p, g, state, lr, t):
    v = state.setdefault("v", torch.zeros_like(p))
    tau = 5.0 * (p.norm() / (v.norm() + 1e-8)) ** 2
    tau = torch.clamp(tau, 2, 100)
    v.mul_(0.9).add_(g)
    p.sub_(lr * v)
'''
    problems = [p for p in blocking(check_idea_code(code)) if p.kind == "unused_result"]
    assert [(p.line, p.message.split("`")[1]) for p in problems] == [(5, "tau")]
    assert not [p for p in check_idea_code(code.replace("v.mul_(0.9)", "v.mul_(1 - 1 / tau)")) if p.kind == "unused_result"]
    looped = "def f(x):\n    for i in range(3):\n        if i:\n            x = x + k\n        k = x * 2\n    return x\n"
    assert not [p for p in check_idea_code(looped) if p.kind == "unused_result"]


def test_a_state_tensor_given_a_new_local_value_and_never_stored_back_blocks() -> None:
    code = '''
def update(p, g, state, lr, t):
    m = state.setdefault("m", torch.zeros_like(p))
    c = (m * g).sum() / (m.norm() * g.norm() + 1e-8)
    m = 0.9 * max(c, 0) * m + g
    p.sub_(lr * m)
'''
    problems = [p for p in blocking(check_idea_code(code)) if p.kind == "state_rebound"]
    assert len(problems) == 1 and problems[0].line == 5 and 'state["m"] = m' in problems[0].message
    # Stored back, changed in place, or a bias-corrected copy of a tensor updated in place: the state moves on.
    assert not [p for p in check_idea_code(code.replace("    p.sub_", '    state["m"] = m\n    p.sub_')) if p.kind == "state_rebound"]
    in_place = code.replace("    m = 0.9 * max(c, 0) * m + g", "    m.mul_(0.9 * max(c, 0)).add_(g)")
    assert not [p for p in check_idea_code(in_place) if p.kind == "state_rebound"]
    corrected = in_place.replace("    p.sub_(lr * m)", "    m = m / (1 - 0.9 ** t)\n    p.sub_(lr * m)")
    assert not [p for p in check_idea_code(corrected) if p.kind == "state_rebound"]
    augmented = code.replace("    m = 0.9 * max(c, 0) * m + g", "    m *= 0.9\n    m += g\n    m = m / (1 - 0.9 ** t)")
    assert not [p for p in check_idea_code(augmented) if p.kind == "state_rebound"]  # += changes a tensor in place


def test_a_state_entry_read_inside_a_formula_and_never_stored_back_blocks() -> None:
    code = '''
def update(p, g, state, lr, t):
    m_t = 0.9 * state.setdefault("m", torch.zeros_like(p)) + 0.1 * g
    v_t = 0.999 * state.get("v", torch.zeros_like(p)) + 0.001 * g ** 2
    p.sub_(lr * m_t / (v_t.sqrt() + 1e-8))
'''
    problems = [p for p in blocking(check_idea_code(code)) if p.kind == "state_never_written"]
    assert [(p.line, '"m"' in p.message or '"v"' in p.message) for p in problems] == [(3, True), (4, True)]
    stored = code.replace("    p.sub_", '    state["m"], state["v"] = m_t, v_t\n    p.sub_')
    assert not [p for p in check_idea_code(stored) if p.kind == "state_never_written"]
    in_place = code.replace("    p.sub_", '    state["m"].mul_(0.9)\n    state["v"].copy_(v_t)\n    p.sub_')
    assert not [p for p in check_idea_code(in_place) if p.kind == "state_never_written"]


def test_an_operation_the_notes_do_every_n_steps_must_divide_the_step() -> None:
    from agentnotes.experiments.guards.note_symbols import missing_period

    note = "每 50 步把权重乘以 0.9：w = 0.9*w"
    every_step = "def weight_op(p, state, step):\n    p.mul_(0.9)\n"
    periodic = "def weight_op(p, state, step):\n    if step % 50 != 0:\n        return\n    p.mul_(0.9)\n"
    assert [p.kind for p in missing_period(every_step, note, ["weight_op"])] == ["note_period"]
    assert missing_period(periodic, note, ["weight_op"]) == []
    assert missing_period(every_step, "每一步之后把权重乘以 0.9", ["weight_op"]) == []  # every step is what it says
    assert missing_period(every_step, note, ["activation"]) == []
    # The other way round: the notes say every step, the code invents a period (a worked example's).
    clip = "每一步更新之后，把每行的范数裁到 c = 2.0 以内"
    assert [p.kind for p in missing_period(periodic, clip, ["weight_op"])] == ["note_period"]
    assert "step % 50" in missing_period(periodic, clip, ["weight_op"])[0].message
    assert missing_period(every_step, clip, ["weight_op"]) == []
    assert missing_period(periodic, "把每行的范数裁到 2.0 以内", ["weight_op"]) == []  # the notes say nothing of when
    decay = "def lr_at(step, lr):\n    return lr * 0.5 ** (step // 100)\n"
    assert missing_period(decay, "every 100 steps the rate halves", ["schedule"]) == []
    every_step_rate = "def lr_at(step, lr):\n    return lr * 0.999\n"
    problems = missing_period(every_step_rate, "every 100 steps the rate halves", ["schedule"])
    assert [p.kind for p in problems] == ["note_period"] and "return`" not in problems[0].message  # a rate is returned


def test_the_notes_period_is_read_from_the_cue_or_the_value_given_for_its_letter() -> None:
    from agentnotes.experiments.guards.note_symbols import note_period

    assert note_period("every 5 steps, copy the slow weights") == 5
    assert note_period("每 10 步做一次平均") == 10
    assert note_period("每训练 N 步（比如 N=50）做一次合并") == 50
    assert note_period("every k steps (k = 20)") == 20
    assert note_period("every N steps") is None and note_period("w = w - lr*g") is None


def test_a_larger_or_smaller_of_two_in_the_notes_is_looked_for_in_the_code() -> None:
    note = "RMS = sqrt(mean(g**2 / max(v, eps**2)))\nlr_t = lr / max(1, RMS)"  # invented
    skipped = "def update(p, g, state, lr, t):\n    rms = (g * g / (state['v'] + 1e-16)).mean().sqrt()\n    p.sub_(lr / rms * g)\n"
    assert any("max(...)" in p.message for p in missing_note_symbols(skipped, note, ["update_rule"]))
    for way in ("torch.clamp(rms, min=1.0)", "torch.maximum(rms, torch.ones(()))", "max(1.0, float(rms))"):
        code = skipped.replace("lr / rms", f"lr / {way}").replace("(state['v'] + 1e-16)", "state['v'].clamp(min=1e-16)")
        assert not any("max(...)" in p.message for p in missing_note_symbols(code, note, ["update_rule"])), way


def test_a_period_of_one_step_is_every_step_not_a_periodic_cue() -> None:
    from agentnotes.experiments.guards.note_symbols import every_step_cue, periodic_cue

    assert periodic_cue("every 1 steps, clip the weights") is None
    assert every_step_cue("every 1 steps, clip the weights")[0] == "every 1 steps"
    assert periodic_cue("每 10 步做一次平均")[0] == "每 10 步" and every_step_cue("每 10 步做一次平均") is None
    assert every_step_cue("after every step, clip the weights") and periodic_cue("after every step, clip") is None
    assert every_step_cue("every N steps, average") is None  # a period without its number is still periodic


def test_a_periodic_operation_that_changed_the_weights_at_consecutive_steps_blocks() -> None:
    from agentnotes.experiments.guards.note_symbols import period_mismatch

    note = "每训练 N 步（比如 N=50）做一次合并：w = (w1+w2)/2"
    (problem,) = period_mismatch([1, 2, 3, 4, 5, 6], note, ["layer", "weight_op"])
    assert problem.kind == "note_period" and "every 50 steps" in problem.message and "1, 2, 3, 4, 5, …" in problem.message
    assert period_mismatch([10, 20, 30], note, ["layer", "weight_op"]) == []  # another period than the example's N passes
    assert period_mismatch([], note, ["weight_op"]) == []
    assert period_mismatch([1, 2, 3], note, ["layer"]) == []  # no weight operation in the idea
    assert period_mismatch([1, 2, 3], "after every step, clip the weights", ["weight_op"]) == []  # not periodic
    assert period_mismatch([1, 2, 3], "每 N 步做一次，N ∈ {1, 50}，N=1 也跑得起", ["weight_op"]) == []  # N = 1: every step


def test_an_absolute_value_written_with_bars_must_be_computed_and_a_norm_is_not_one() -> None:
    note = "L = task_loss + λ*Σ|W|，λ = 1e-3"
    summed = "def penalty(weights, initial):\n    return 1e-3 * sum(w.sum() for w in weights)\n"
    assert [p.message[:45] for p in missing_note_symbols(summed, note)] == ["the notes' formula applies abs(...) but the c"]
    assert missing_note_symbols(summed.replace("w.sum()", "w.abs().sum()"), note) == []
    assert missing_note_symbols("def update(p, g, state, lr, t):\n    p.sub_(lr * g / g.norm())\n", "g = g / ||g||") == []
    # a squared absolute value (|g|², a vector's squared length) needs no abs: g * g computes it
    projected = "def update(p, g, state, lr, t):\n    c = (p * g).sum() / ((g * g).sum() + 1e-12)\n    p.sub_(lr * c * g)\n"
    assert missing_note_symbols(projected, "c = ⟨p, g⟩ / (|g|² + 1e-12)") == []


def test_notes_that_treat_the_biases_apart_need_code_that_tells_them_apart() -> None:
    from agentnotes.experiments.guards.note_symbols import missing_bias_case

    uniform = "def update(p, g, state, lr, t):\n    p.sub_(lr * 0.1 * p.norm() / g.norm() * g)\n"
    apart = ("def update(p, g, state, lr, t):\n    if p.dim() < 2:\n        p.sub_(lr * g)\n        return\n"
             "    p.sub_(lr * 0.1 * p.norm() / g.norm() * g)\n")
    for note in ("Weight matrices move by trust*g; biases: plain SGD.", "bias 不参与，只对权重矩阵做。",
                 "```python\nif p.dim() >= 2:\n    p.data -= lr * trust * g\n```"):
        assert [p.kind for p in missing_bias_case(uniform, note, ["update_rule"])] == ["note_biases"]
        assert missing_bias_case(apart, note, ["update_rule"]) == []
    assert missing_bias_case(uniform, "Every parameter moves by trust*g.", ["update_rule"]) == []
    assert missing_bias_case(uniform, "biases: plain SGD", ["loss"]) == []  # not an update rule or weight operation


def test_a_weight_operation_the_notes_do_every_n_steps_gets_the_period_the_code_left_out() -> None:
    from agentnotes.experiments.guards.note_symbols import add_note_period, missing_period

    note = "每 N = 200 步，检查每个隐层单元：若它在整个 batch 上恒为 0，入权重重新初始化。"
    every_step = 'def weight_op(p, state, step):\n    """Revive."""\n    p.mul_(0.9)\n'
    fixed, fixes = add_note_period(every_step, note, ["weight_op"])
    assert "    if step % 200 != 0:\n        return\n    p.mul_(0.9)" in fixed and fixed.index('"""Revive."""') < fixed.index("if step")
    assert len(fixes) == 1 and missing_period(fixed, note, ["weight_op"]) == []
    hook = "def after_step(model, step):\n    for p in model.parameters():\n        p.mul_(0.9)\n"
    assert "    if step % 200 != 0:\n        return\n    for p" in add_note_period(hook, note, ["weight_op"])[0]
    periodic = add_note_period(every_step, note, ["weight_op"])[0]
    assert add_note_period(periodic, note, ["weight_op"]) == (periodic, [])  # already divides the step
    assert add_note_period(every_step, "每一步之后把权重乘以 0.9", ["weight_op"]) == (every_step, [])  # every step
    assert add_note_period(every_step, note, ["schedule"]) == (every_step, [])  # a schedule's period is its own
    once = "每 K 步重算 mask，K = 1 就是每步重算"  # a period of one step is every step: no test added, none asked for
    assert add_note_period(every_step, once, ["weight_op"]) == (every_step, []) and missing_period(every_step, once, ["weight_op"]) == []


def test_a_weight_operation_whose_notes_leave_the_biases_alone_starts_by_leaving_them() -> None:
    from agentnotes.experiments.guards.note_symbols import add_note_bias_guard, missing_bias_case

    note = "Operation, every step, for each weight matrix W_l (biases untouched): W_l ← clamp(W_l, −c, c)"
    every = 'def weight_op(w, state, step):\n    """Clip."""\n    w.clamp_(-1.0, 1.0)\n'
    fixed, fixes = add_note_bias_guard(every, note, ["weight_op"])
    assert '"""Clip."""\n    if w.dim() < 2:  # the notes leave the biases alone\n        return\n    w.clamp_' in fixed
    assert len(fixes) == 1 and missing_bias_case(fixed, note, ["weight_op"]) == []
    assert add_note_bias_guard(fixed, note, ["weight_op"]) == (fixed, [])  # already looks at the shape
    assert add_note_bias_guard(every, "W ← clamp(W, −c, c) for every parameter", ["weight_op"]) == (every, [])
    assert add_note_bias_guard(every, note, ["update_rule"]) == (every, [])  # an update rule's biases may move otherwise


def test_a_capital_greek_letter_is_met_by_its_name_in_any_case_or_its_value() -> None:
    note = "q(w) = Δ · floor(w/Δ + u), Δ = 0.015625"
    for name in ("Delta", "delta", "Δ"):
        code = f"def weight_op(p, state, step):\n    {name} = 0.015625\n    p.copy_({name} * torch.floor(p / {name}))\n"
        assert not [p for p in missing_note_symbols(code, note) if "Δ" in p.message]
    by_value = "def weight_op(p, state, step):\n    p.copy_(0.015625 * torch.floor(p / 0.015625))\n"
    assert not [p for p in missing_note_symbols(by_value, note) if "Δ" in p.message]
    assert [p for p in missing_note_symbols("def weight_op(p, state, step):\n    p.mul_(0.5)\n", note) if "Δ" in p.message]


def test_a_nonlinearity_the_notes_of_a_weight_operation_explain_with_is_not_asked_of_its_code() -> None:
    note = "relu(c·z) = c·relu(z)，所以 w_in ← w_in·c, w_out ← w_out/c, c = sqrt(a/b)"
    code = "def weight_op(p, state, step):\n    p.mul_(torch.sqrt(torch.tensor(2.0)))\n"
    assert not [p for p in missing_note_symbols(code, note, ["weight_op"]) if "relu" in p.message]
    assert [p for p in missing_note_symbols(code, note, ["activation"]) if "relu" in p.message]  # an activation's own
    assert [p for p in missing_note_symbols("def weight_op(p, state, step):\n    p.mul_(2.0)\n", note, ["weight_op"])
            if "sqrt" in p.message]  # what the operation computes is still asked for


def test_a_cell_whose_recurrence_the_notes_write_out_is_no_stock_recurrent_module() -> None:
    from agentnotes.experiments.guards.note_symbols import stock_recurrent_cell

    formulas = "z_t = σ(W_z x_t + b_z)\nh̃_t = W_h x_t + b_h\nh_t = (1 - z_t) ⊙ h_{t-1} + z_t ⊙ h̃_t"
    stock = "class IdeaCell(nn.Module):\n    def layers(self):\n        self.rnn = nn.LSTM(self.input_size, self.hidden_size)\n"
    own = ("class IdeaCell(nn.Module):\n    def layers(self):\n        self.z = nn.Linear(self.input_size, self.hidden_size)\n"
           "        self.c = nn.Linear(self.input_size, self.hidden_size)\n")
    (problem,) = stock_recurrent_cell(stock, formulas, ["architecture"])
    assert problem.kind == "stock_cell" and "nn.LSTM" in problem.message and problem.line == 3
    assert stock_recurrent_cell(own, formulas, ["architecture"]) == []
    assert stock_recurrent_cell(stock, "y = conv(x)", ["architecture"]) == []  # no recurrence written out: "LSTM vs GRU"


def test_the_cosine_of_two_tensors_is_asked_for_as_their_angle_not_torch_cos() -> None:
    formulas = "c = cos(g, m)\nβ = 0.5 + 0.4·c\nm = β·m + g\np = p − η·m"
    wrong = "def update(p, g, state, lr, t):\n    m = state.get('m', g)\n    c = torch.cos(g)\n    p.sub_(lr * c * m)\n"
    right = wrong.replace("torch.cos(g)", "torch.sum(g * m) / (g.norm() * m.norm() + 1e-12)")
    problems = [p.message for p in missing_note_symbols(wrong, formulas, ["update_rule"])]
    assert any("angle" in message and "not torch.cos" in message for message in problems), problems
    assert not any("cos" in p.message for p in missing_note_symbols(right, formulas, ["update_rule"]))
    unit_vectors = wrong.replace("torch.cos(g)", "(F.normalize(g, dim=-1) * F.normalize(m, dim=-1)).mean()")
    assert not any("cos" in p.message for p in missing_note_symbols(unit_vectors, formulas, ["update_rule"]))
    assert any("torch.cos" in p.message for p in missing_note_symbols("x = 1\n", "f(x) = x·cos(x)", ["activation"]))


def test_a_greek_letter_written_in_its_name_is_looked_for_too() -> None:
    formulas = "loss = CE + lam * sum_l skew(W_l)^2\nlam = 0.3"
    code = "def penalty(weights, initial):\n    return 1e-3 * sum(w.mean() ** 2 for w in weights)\n"
    assert [p.message.split(" but ")[0] for p in missing_note_symbols(code, formulas)] == ["the notes' formula uses lam"]
    assert missing_note_symbols(code.replace("1e-3", "0.3"), formulas) == []  # its value from the notes
    assert missing_note_symbols(code.replace("1e-3", "lam"), formulas) == []
    assert missing_note_symbols(code, "w = w - lr * g\nbeta_decay = 2") == []  # a name of its own
    assert missing_note_symbols("def f(g):\n    n = g.norm()\n    return g / n if n > 0 else g\n", "g = g / (||g|| + eps)") == []


MOMENTUM_NOTE = "c = ⟨m, g⟩ / (‖m‖·‖g‖ + ε)\nβ_eff = β · max(c, 0)\nm ← β_eff·m + g\nθ ← θ − η·m"


def test_an_update_that_never_keeps_the_value_the_notes_carry_between_steps_is_named() -> None:
    from agentnotes.experiments.guards.note_symbols import kept_by_notes, unkept_state

    assert kept_by_notes(MOMENTUM_NOTE) == {"m": "m = β_eff·m + g"}  # θ is the weights, c and β_eff are computed afresh
    afresh = ("def update(p, g, state, lr, t):\n    c = (p * g).sum() / (p.norm() * g.norm() + 1e-8)\n"
              "    m = 0.9 * torch.clamp(c, min=0) * p + g\n    p.sub_(lr * m)\n")
    problems = unkept_state(afresh, MOMENTUM_NOTE, ["update_rule"])
    assert [p.kind for p in problems] == ["note_state"] and "state.get(\"m\"" in problems[0].message
    kept = afresh.replace("    m = 0.9", "    m = state.get('m', torch.zeros_like(p))\n    m = 0.9").replace(
        "    p.sub_", "    state['m'] = m\n    p.sub_")
    assert unkept_state(kept, MOMENTUM_NOTE, ["update_rule"]) == []
    assert unkept_state(afresh, MOMENTUM_NOTE, ["layer"]) == []  # a layer's code keeps no optimizer state
    assert unkept_state(afresh, "c = β·g\nθ ← θ − η·c", ["update_rule"]) == []  # nothing carried between steps
    assert kept_by_notes("常数：α = 0.98，wd = 1e-2（wd 先固定不扫）") == {}  # a remark names it, no formula reads it


def test_a_letter_the_notes_name_as_a_function_in_words_is_that_function() -> None:
    import ast

    from agentnotes.experiments.guards.formula_lines import _statements
    from agentnotes.experiments.guards.idea_sections import formulas_in
    from agentnotes.notes.types import Chunk, Hit

    note = "$$ b = \\sigma\\!\\left( a + c \\right) $$\n- $\\sigma$ 取 softplus（平滑）\n"
    formulas = formulas_in([Hit(Chunk("n.md", 1, 3, note, ("n",)), 1.0)])
    assert "σ = softplus" in formulas.splitlines()  # said in prose, read as a formula
    assert [(t, ast.unparse(v)) for t, v in _statements(formulas)] == [("b", "softplus(a + c)")]
    code = "def forward(x, w, c):\n    return F.softplus(F.linear(x, w) + c)\n"
    assert missing_note_symbols(code, formulas, ["layer"]) == []  # softplus is the notes' σ
    assert missing_note_symbols(code, formulas.replace("σ = softplus", ""), ["layer"])  # without it, σ is missing


def test_latex_norms_are_no_absolute_values() -> None:
    formulas = "$$ R = \\frac{1}{\\|\\hat w_i - \\hat w_j\\|_2 + \\epsilon} $$"
    code = "def penalty(w, eps=1e-4):\n    n = F.normalize(w, dim=1)\n    return (1 / (torch.cdist(n, n) + eps)).sum()\n"
    assert not [p for p in missing_note_symbols(code, formulas, ["regulariser"]) if "abs" in p.message]
    assert [p for p in missing_note_symbols(code, formulas.replace("\\|", "|"), ["regulariser"]) if "abs" in p.message]


def test_a_rule_on_the_gradient_of_an_earlier_step_must_keep_the_gradient_itself_not_an_average_of_it() -> None:
    from agentnotes.experiments.guards.note_symbols import unkept_gradient

    note = "$v_t = \\beta_2 v_{t-1} + (1-\\beta_2)\\, g_{t-n}^2$\n$\\theta_t = \\theta_{t-1} - \\eta\\, g_t / (\\sqrt{v_t} + \\epsilon)$"
    averaged = ("@torch.no_grad()\ndef update(p, g, state, lr, t):\n    v = state.get(\"v\", torch.zeros_like(p)) * 0.999 + 0.001 * g ** 2\n"
                "    state[\"v\"] = v\n    p.sub_(lr * g / (v.sqrt() + 1e-8))\n")
    problems = unkept_gradient(averaged, note, ["update_rule"])
    assert [p.kind for p in problems] == ["note_state"] and "g_{t-n}" in problems[0].message
    queued = ("@torch.no_grad()\ndef update(p, g, state, lr, t):\n    past = state.setdefault(\"past\", [])\n"
              "    past.append(g.clone())\n    old = past.pop(0) if len(past) > 10 else torch.zeros_like(p)\n"
              "    v = state.get(\"v\", torch.zeros_like(p)) * 0.999 + 0.001 * old ** 2\n    state[\"v\"] = v\n"
              "    p.sub_(lr * g / (v.sqrt() + 1e-8))\n")
    stacked = ("@torch.no_grad()\ndef update(p, g, state, lr, t):\n    now = g.detach()\n"
               "    state[\"hist\"] = torch.cat([state.get(\"hist\", torch.zeros((5, *p.shape)))[1:], now[None]])\n"
               "    p.sub_(lr * state[\"hist\"][0])\n")
    previous = ("@torch.no_grad()\ndef update(p, g, state, lr, t):\n    g_prev = state.get(\"g_prev\", torch.zeros_like(p))\n"
                "    p.sub_(lr * (2 * g - g_prev))\n    state[\"g_prev\"] = g.clone()\n")
    assert unkept_gradient(queued, note, ["update_rule"]) == [] and unkept_gradient(stacked, note, ["update_rule"]) == []
    local = queued.replace("past = state.setdefault(\"past\", [])", "past = []")  # a list made afresh at every call
    assert [p.kind for p in unkept_gradient(local, note, ["update_rule"])] == ["note_state"]
    stored_after = local.replace("    p.sub_(", "    state[\"past\"] = past\n    p.sub_(")  # the list kept in state
    assert unkept_gradient(stored_after, note, ["update_rule"]) == []
    assert unkept_gradient(previous, "p = p - lr·(2 g_t − g_prev)", ["update_rule"]) == []
    assert unkept_gradient(averaged, "v = β v + (1−β) g²", ["update_rule"]) == []  # no earlier gradient read
    assert unkept_gradient(averaged, note, ["weight_op"]) == []  # another kind's hook


def test_a_letter_the_notes_name_a_function_is_asked_for_once_as_that_function() -> None:
    from agentnotes.experiments.guards.note_symbols import missing_note_symbols

    formulas = "$$ b_{j} = \\sigma\\!\\left( w_{j}^\\top x + c_{j} \\right) $$\nσ = softplus"
    code = "class IdeaLinear(nn.Module):\n    def forward(self, x):\n        return torch.relu(F.linear(x, self.weight) + self.c)\n"
    problems = missing_note_symbols(code, formulas, ["layer"])
    assert [p.message for p in problems] == ["the notes' formula applies σ, which they name softplus, but the code never "
                                             "computes softplus: apply F.softplus(...) where the formula applies σ"]
    assert missing_note_symbols(code.replace("torch.relu", "F.softplus"), formulas, ["layer"]) == []


def test_a_squared_norm_in_the_notes_needs_a_square_in_the_code() -> None:
    formula = "L = CE(ŷ, y) + (λ/2)·‖ŷ‖²₂"
    unsquared = "def compute_loss(out, y, step):\n    lam = 0.01\n    return task_loss(out, y) + lam / 2 * out.norm(dim=1).mean()\n"
    assert [p.kind for p in missing_note_symbols(unsquared, formula, ["loss"])] == ["note_symbol"]
    for squared in ("out.norm(dim=1) ** 2", "(out * out).sum(1)", "out.pow(2).sum(1)", "torch.square(out).sum(1)"):
        assert missing_note_symbols(unsquared.replace("out.norm(dim=1)", squared), formula, ["loss"]) == []
    assert missing_note_symbols(unsquared, "L = CE + λ·‖ŷ‖", ["loss"]) == []  # a norm, not squared


def test_a_letter_applied_as_an_unnamed_function_is_the_networks_nonlinearity() -> None:
    code = ("import torch\nimport torch.nn.functional as F\n\n\ndef forward(h, z, W, P):\n"
            "    return F.relu(W(h) + P(z))\n")
    layer = "h_l = σ(W_l h_{l−1} + P_l z + b_l)"
    assert missing_note_symbols(code, layer, ["architecture"]) == []
    assert missing_note_symbols(code, "noise = σ · ε", ["architecture"])  # σ as a value: its own name or value
    assert missing_note_symbols(code, layer + "\nσ 取 softplus", ["architecture"])  # named: that function


def test_a_rows_formula_written_over_the_whole_tensor_is_caught() -> None:
    formulas = "t_i = g_i − (⟨g_i, w_i⟩ / ||w_i||²) · w_i\nv ← β·v + t_i\nw ← w − η·v"
    whole = ("def update(p, g, state, lr, t):\n    v = state.get('v', torch.zeros_like(p))\n"
             "    t_i = g - torch.sum(g * p) / p.norm() ** 2 * p\n    v = 0.9 * v + t_i\n    state['v'] = v\n    p.sub_(lr * v)\n")
    assert any("one row's" in problem.message for problem in missing_note_symbols(whole, formulas, ["update_rule"]))
    for per_row in ("(g * p).sum(dim=1, keepdim=True)", "torch.sum(g * p, 1, keepdim=True)"):
        code = whole.replace("torch.sum(g * p)", per_row).replace("p.norm()", "p.norm(2, 1, keepdim=True)")
        assert not any("one row's" in problem.message for problem in missing_note_symbols(code, formulas, ["update_rule"]))
    assert not any("one row's" in p.message for p in missing_note_symbols(whole, formulas.replace("_i", ""), ["update_rule"]))


def test_a_coefficient_set_to_the_step_number_is_caught_unless_the_notes_make_it_so() -> None:
    from agentnotes.experiments.guards.note_symbols import missing_note_symbols

    code = "def compute_loss(out, y, step):\n    lam = step\n    return (out * lam).mean()\n"
    assert [p.kind for p in missing_note_symbols(code, "loss = (nce + λ · mae).mean()", ["loss"])] == ["note_symbol"]
    assert missing_note_symbols(code.replace("lam = step", "lam = 1.0"), "loss = (nce + λ · mae).mean()", ["loss"]) == []
    assert missing_note_symbols(code, "loss = nce + λ_t · mae，λ_t = t/T", ["loss"]) == []  # the notes' own schedule


def test_a_letter_only_in_a_bracketed_remark_is_not_looked_for() -> None:
    formulas = "ẑ = γ·(z − m)/(κ·s + ε)\nκ = 1.4826（高斯下 κ·MAD = σ，和 LayerNorm 一致）"
    code = "def forward(z, gamma, m, s, eps=1e-5):\n    kappa = 1.4826\n    return gamma * (z - m) / (kappa * s + eps)\n"
    assert [p.message for p in missing_note_symbols(code, formulas)] == []
    assert any("σ" in p.message for p in missing_note_symbols(code, formulas.replace("（", "; ").replace("）", "")))


def test_a_letter_in_an_english_remark_or_naming_the_data_a_function_reads_is_not_looked_for() -> None:
    formulas = "u_t = ∇f(w_t; ζ_t) − c·u_{t−1}\nc = 0.3 (≈ 1 − ρ with ρ = 0.7)"  # invented
    code = "def update(p, g, state, lr, t):\n    c = 0.3\n    u = g - c * state.get('u', torch.zeros_like(p))\n" \
           "    state['u'] = u\n    p.sub_(lr * u)\n"
    assert missing_note_symbols(code, formulas, ["update_rule"]) == []
    assert [p.kind for p in missing_note_symbols(code, formulas.replace("(≈ 1 − ρ with ρ = 0.7)", "· ρ"), ["update_rule"])] \
        == ["note_symbol"]
    assert [p.kind for p in missing_note_symbols(code, formulas.replace("; ζ_t", ", ζ_t"), ["update_rule"])] == ["note_symbol"]


def test_a_letter_only_in_a_comment_of_the_notes_code_is_not_looked_for() -> None:
    code = "def weight_op(p, state, step):\n    d = p - state['initial']\n    p.copy_(d * (d.abs() >= d.abs().median()))\n"
    formulas = "d = p - snap[name]\nthr = d.abs().flatten().kthvalue(k).values   # 第 k 大的 |Δ|"  # invented
    assert missing_note_symbols(code, formulas) == []
    assert [p.kind for p in missing_note_symbols(code, formulas.replace("   # 第 k 大的 |Δ|", " * Δ"))] == ["note_symbol"]


def test_a_change_written_with_delta_needs_no_name_delta_but_a_lone_delta_does() -> None:
    code = "def update(p, g, state, lr, t):\n    p.sub_(lr * g * 2.0)\n"
    assert missing_note_symbols(code, "Δw_i = −η·g_i·2") == []
    assert [p.kind for p in missing_note_symbols(code, "w = w − η·g·Δ，Δ = step gap")] == ["note_symbol"]


def test_a_keyword_argument_in_the_notes_code_is_no_value_kept_between_steps() -> None:
    from agentnotes.experiments.guards.note_symbols import kept_by_notes

    assert kept_by_notes("        super().__init__(params, dict(lr=lr, rho=rho, cap=cap))") == {}
    assert kept_by_notes("rho = rho") == {}
    assert list(kept_by_notes("s ← ρ·s + (1−ρ)·|g|")) == ["s"]


def test_code_that_keeps_the_largest_values_where_the_notes_choose_the_smallest_is_sent_back() -> None:
    from agentnotes.experiments.guards.note_symbols import reversed_selection

    note = "# Kick the still weights\n- 每 N 步挑 d 最小的 10% 权重，加噪声"  # invented
    kept_largest = "def weight_op(p, state, step):\n    idx = d.flatten().topk(k)[1]\n"
    assert [p.kind for p in reversed_selection(kept_largest, note)] == ["note_selection"]
    assert reversed_selection(kept_largest.replace("topk(k)", "topk(k, largest=False)"), note) == []
    assert reversed_selection("def f(d, k):\n    return torch.topk(-d, k)\n", note) == []  # the negated values' largest
    both = "def f(d, k):\n    return torch.topk(-d, k, largest=False)\n"  # negated twice: the largest d again
    assert [p.kind for p in reversed_selection(both, note)] == ["note_selection"]
    assert reversed_selection(kept_largest, note.replace("最小的", "最大的")) == []
    assert reversed_selection(kept_largest, "# 逐层最小二乘\n- W = argmin ‖XW − Y‖²") == []  # least squares: no choice


def test_a_reduction_along_a_dim_where_the_notes_compare_each_entry_with_zero_is_sent_back() -> None:
    from agentnotes.experiments.guards.note_symbols import reduced_against_zero

    formulas = "W ← s ⊙ max(s ⊙ W, 0)"  # invented: each entry kept on its side of zero
    reduced = "def weight_op(p, state, step):\n    p.copy_(s * torch.max(s * p, 0).values)\n"
    problems = reduced_against_zero(reduced, formulas)
    assert [(p.kind, p.line) for p in problems] == [("note_against_zero", 2)] and "torch.clamp(x, min=0)" in problems[0].message
    assert reduced_against_zero(reduced.replace("torch.max(s * p, 0).values", "(s * p).max(dim=0).values"), formulas)
    assert reduced_against_zero(reduced.replace("torch.max(s * p, 0).values", "torch.clamp(s * p, min=0)"), formulas) == []
    assert reduced_against_zero(reduced.replace(", 0).values", ", torch.zeros_like(p))"), formulas) == []  # elementwise
    assert reduced_against_zero(reduced, "m = max(m, |g|)") == []  # the notes take no entry against 0
    assert reduced_against_zero("def f(x):\n    return torch.min(x, 0).values\n", "y = min(x, 0)")  # the smallest too


def test_a_value_computed_anew_then_refined_is_no_value_kept_between_steps() -> None:
    from agentnotes.experiments.guards.note_symbols import kept_by_notes

    assert kept_by_notes("U, S, Vh = torch.linalg.svd(W)\nS = torch.maximum(S, tau * S[0])") == {}
    assert kept_by_notes("m = 0\nm = beta * m + g") == {"m": "m = beta * m + g"}  # a start, then the kept value


def test_a_layer_whose_notes_declare_its_own_parameters_and_whose_code_has_none_is_sent_back() -> None:
    from agentnotes.experiments.guards.note_symbols import missing_own_parameters

    formulas = "输出是 8 种门的加权：`out = sum_k softmax(q)[k] * g_k(a, b)`，q ∈ R^8 是每个单元唯一的参数。"
    layer = ("class IdeaLinear(nn.Module):\n    def __init__(self, i, o):\n        super().__init__()\n"
             "        self.weight = nn.Parameter(torch.randn(o, i))\n        self.bias = nn.Parameter(torch.zeros(o))\n\n"
             "    def forward(self, x):\n        return F.softmax(F.linear(x.flip(-1), self.weight, self.bias), dim=-1)\n")
    problems = missing_own_parameters(layer, formulas, ["layer"])
    assert [p.kind for p in problems] == ["note_symbol"] and "`q`" in problems[0].message
    own = layer.replace("        self.bias", "        self.logits = nn.Parameter(torch.zeros(o, 8))\n        self.bias")
    named = layer.replace("x.flip(-1)", "x * q")
    assert not missing_own_parameters(own, formulas, ["layer"]) and not missing_own_parameters(named, formulas, ["layer"])
    assert not missing_own_parameters(layer, formulas, ["activation"])  # only a layer's parameters are looked for
    assert not missing_own_parameters(layer, "b ∈ R^o 是可学参数", ["layer"])  # the baseline's own bias


def test_a_missing_function_or_letter_is_shown_with_the_notes_line_that_has_it() -> None:
    code = "def compute_loss(out, y, step):\n    return task_loss(out, y) + 0.1 * out.mean()\n"
    formulas = "S = softmax(z)\nL = CE + λ · log(S.max() + ε)"
    messages = [p.message for p in missing_note_symbols(code, formulas, ["loss"])]
    assert messages[0].startswith("the notes' formula applies softmax(...)")
    assert messages[0].endswith("; the notes write: `S = softmax(z)`")
    assert [m.split("; the notes write: ")[1] for m in messages[1:]] == ["`L = CE + λ · log(S.max() + ε)`"] * 3


def test_code_that_reads_none_of_the_values_of_the_notes_rule_is_sent_back() -> None:
    from agentnotes.experiments.guards.note_symbols import unused_note_values
    formulas = "- 抽 K = 16 个候选，每个训练 t₀ = 4 步，留 loss 最低的一半\n- 总步数 = K·t₀·log₂K"
    stock = "def init_weights(layers):\n    for layer in layers:\n        nn.init.kaiming_uniform_(layer.weight)\n"
    problems = unused_note_values(stock, formulas)
    assert [p.kind for p in problems] == ["note_values"] and "(k = 16, t0 = 4)" in problems[0].message
    assert unused_note_values(stock.replace("layers:\n", "layers:\n    candidates = 16\n"), formulas) == []  # its value
    assert unused_note_values(stock.replace("layers):", "layers, k=None):"), formulas) == []  # its name
    assert unused_note_values(stock, "K = 16 个候选") == []  # one value: too little to tell
    assert unused_note_values(stock, "r = 0, 1, …；p = 1") == []  # 0 and 1 say nothing
    assert unused_note_values(stock, "- Fourier features (σ_ff = 10)\n- sine, ω₀ = 30") == []  # values of compared arms


def test_a_power_of_the_update_hooks_weights_tensor_is_sent_back() -> None:
    code = ("def update(p, g, state, lr, t):\n    r = p.norm() / (p.norm(dim=1).median() + 1e-8)\n"
            "    tau = torch.clamp(5.0 * r ** p, 2, 100)\n    p.sub_(lr * g / tau)\n")
    problems = [p for p in blocking(check_idea_code(code)) if p.kind == "power_of_weights"]
    assert [(p.line, p.message.split("`")[1]) for p in problems] == [(3, "r ** p")]
    assert not [p for p in check_idea_code(code.replace("r ** p", "r ** p_exp").replace("    r =", "    p_exp = 2.0\n    r ="))
                if p.kind == "power_of_weights"]
    assert not [p for p in check_idea_code("def f(x, p):\n    return x ** p\n") if p.kind == "power_of_weights"]
