"""Skeletons: the model writes bodies, the program keeps the wiring (guards/skeleton.py)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from fakes import RecordingChatModel
from test_experiments_harness import run_idea


from agentnotes.agents.experimenter import Plan, extract_code, write_idea_body
from agentnotes.experiments.guards.autofix import apply_fixes
from agentnotes.experiments.guards.confounds import compare, confound_problems
from agentnotes.experiments.guards.constants import define_note_constants
from agentnotes.experiments.guards.kinds import KINDS, allowed_changes
from agentnotes.experiments.guards.skeleton import SKELETONS_DIR, fill, load_skeleton, skeleton_for, stubs, written_part
from agentnotes.notes.types import Chunk, Hit
from agentnotes.prompts import load_prompt
from agentnotes.experiments.guards.static_check import blocking, check_idea_code

# skeleton -> (its kinds, a task it is run on)
SKELETONS = {"update_rule": (["update_rule"], "classification"), "layer": (["layer"], "regression"),
             "block": (["layer"], "regression"), "activation": (["activation"], "digits_image"),
             "weight_op": (["weight_op"], "regression"), "init": (["init"], "digits"),
             "loss": (["loss"], "classification"), "data": (["data"], "regression"),
             "schedule": (["schedule"], "classification"), "regulariser": (["regulariser"], "regression"),
             "layer_op": (["layer", "weight_op"], "regression"), "conv": (["architecture"], "digits_image"),
             "cell": (["architecture"], "sequence"), "two_point": (["update_rule"], "classification"),
             "init_data": (["init"], "digits"), "batch_size": (["data"], "regression"),
             "network": (["architecture"], "regression"), "activity_penalty": (["regulariser"], "digits"),
             "schedule_loss": (["schedule"], "classification"), "loss_inputs": (["loss"], "digits"),
             "unit_op": (["weight_op"], "regression"), "update_global": (["update_rule"], "classification"),
             "norm": (["layer"], "digits_image"), "batch_choice": (["data"], "digits"),
             "unit_mask": (["regulariser"], "digits_image")}
# Forms of a kind's skeleton that its notes choose.
NOTE_CHOSEN = ("block", "two_point", "init_data", "batch_size", "network", "activity_penalty", "schedule_loss",
               "loss_inputs", "unit_op", "update_global", "norm", "batch_choice", "unit_mask")


def test_every_skeleton_file_is_listed_here_and_every_kind_has_one() -> None:
    assert {p.stem for p in SKELETONS_DIR.glob("*.py")} == set(SKELETONS)
    assert {kind.name for kind in KINDS} == {kind for kinds, _ in SKELETONS.values() for kind in kinds}
    for name, (kinds, task) in SKELETONS.items():
        if name not in NOTE_CHOSEN:
            assert skeleton_for(kinds, task=task).name == name
    assert skeleton_for(["architecture"], "每层的输出加权平均之前所有层的输出", "regression").name == "network"  # in words
    assert skeleton_for(["architecture"], "h1 = relu(W1 x)\nh2 = relu(W2 h1 + P x)\ny = W3 h2", "regression").name == "network"
    # A loss idea that is also a regulariser's penalty: the skeleton whose hooks hold the other's, alone.
    assert skeleton_for(["loss", "regulariser"]).name == skeleton_for(["regulariser", "loss"]).name == "regulariser"


@pytest.mark.sandbox
@pytest.mark.parametrize("name", sorted(SKELETONS))
def test_skeleton_filled_with_its_example_passes_the_guards_and_differs_only_where_its_kind_may(
        tmp_path: Path, name: str) -> None:
    kinds, task = SKELETONS[name]
    skeleton = load_skeleton(name)
    code = fill(skeleton, extract_code(skeleton.example))
    fixed, fixes = apply_fixes(code, kinds, ())
    assert (fixed, fixes) == (code, [])
    assert blocking(check_idea_code(code, kinds, ())) == []
    ran = run_idea(tmp_path, code, "--describe", task=task)
    assert ran.returncode == 0, ran.stderr
    differences = compare(ran.metrics, allowed_changes(kinds))
    assert confound_problems(differences) == []
    assert differences, "the idea arm is the baseline: the skeleton does not plug the idea in"


def test_skeleton_choice_one_kind_only_and_the_residual_form_gets_the_block() -> None:
    assert skeleton_for(["update_rule"]).name == "update_rule"
    assert skeleton_for(["layer"], "y = W*x + b").name == "layer"
    assert skeleton_for(["layer"], "每一层: y = x + α·f(x)").name == "block"
    assert skeleton_for(["layer", "architecture"], "y = x + α*relu(W*x)").name == "block"  # the same hook
    assert skeleton_for(["layer", "weight_op"]).name == skeleton_for(["weight_op", "layer"]).name == "layer_op"
    assert skeleton_for(["update_rule", "weight_op"]).name == "update_rule+weight_op"  # side by side
    assert skeleton_for(["update_rule", "layer", "weight_op"]).name == "layer_op+update_rule"
    assert skeleton_for(["weight_op", "activation"]) is None  # both define build_model
    assert skeleton_for(["architecture"]).name == "network"  # flat inputs
    assert skeleton_for(["architecture"], "y = x + 0.5·tanh(W x + b)").name == "block"  # a residual form, alone


def test_an_initialisation_from_the_data_and_a_changing_batch_size_get_their_own_skeletons() -> None:
    assert skeleton_for(["init"], "第一层的行用训练集的主成分方向初始化").name == "init_data"
    assert skeleton_for(["init"], "each row of W1 starts as a random training sample").name == "init_data"
    assert skeleton_for(["init"], "W ~ N(0, 1/fan_in)").name == "init"
    assert skeleton_for(["data"], "Growing the batch size: 16, 32, 64, 128 in four stages").name == "batch_size"
    assert skeleton_for(["data"], "batch size 逐步增大到 256").name == "batch_size"
    assert skeleton_for(["data"], "x = x + 0.1 * noise; batch size 64 as in the baseline").name == "data"


def test_a_penalty_on_the_hidden_layers_outputs_gets_the_activity_penalty_skeleton() -> None:
    assert skeleton_for(["regulariser"], "损失加上隐层激活的 L2 惩罚：L = CE + λ Σ ‖h‖²").name == "activity_penalty"
    assert skeleton_for(["loss", "regulariser"], "an L1 penalty on the hidden activations").name == "activity_penalty"
    assert skeleton_for(["regulariser"], "# 隐层表示的核范数惩罚\nR = λ · ‖H‖_* / B").name == "activity_penalty"
    assert skeleton_for(["regulariser"], "L = task_loss + λ Σ |W|, MLP with ReLU activations").name == "regulariser"
    assert skeleton_for(["regulariser"], "# 隐藏层激活的方差 hinge 罚项\nL = CE + λ · Σ_l R_l").name == "activity_penalty"


@pytest.mark.sandbox
def test_the_activity_penalty_reads_every_hidden_layers_output_of_the_batch(tmp_path: Path) -> None:
    body = ("def penalty(hidden):\n"
            "    assert [tuple(h.shape) for h in hidden] == [(64, 64), (64, 64)], [tuple(h.shape) for h in hidden]\n"
            "    return 1e-3 * sum(h.pow(2).mean() for h in hidden)\n")
    code = fill(load_skeleton("activity_penalty"), body)
    ran = run_idea(tmp_path, code, "--describe", task="digits")
    assert ran.returncode == 0, ran.stderr
    assert ran.metrics["arms"]["idea"]["probes"]["compute_loss"]["differs"]


def test_a_loss_on_the_outputs_for_other_inputs_gets_the_loss_inputs_skeleton() -> None:
    assert skeleton_for(["loss"], "L = CE + λ · KL(sg[p(x)] ‖ p(x + σ·ε))").name == "loss_inputs"
    assert skeleton_for(["regulariser"], "penalise ∇_x ℓ: L = MSE + λ‖∂ℓ/∂x‖²").name == "loss_inputs"
    assert skeleton_for(["regulariser"], "I_AB(x) = f(x) − f(x^{A←x̃}) − f(x^{B←x̃}) + f(x^{A,B←x̃})").name == "loss_inputs"
    assert skeleton_for(["loss"], "L = CE(f(x), y) + 0.1·H(p)").name == "loss"  # the batch's own outputs only
    assert skeleton_for(["loss"], "L_reg = L + (λ/2)·‖∇θ L‖²").name == "loss_inputs"  # the parameters' gradient


@pytest.mark.sandbox
def test_a_penalty_on_the_input_gradient_trains_through_the_loss_inputs_skeleton(tmp_path: Path) -> None:
    body = ("def compute_loss(out, y, model, x, step):\n"
            "    xg = x.detach().requires_grad_(True)\n"
            "    per_sample = (model(xg) - y).pow(2).mean(1)\n"
            "    g = torch.autograd.grad(per_sample.sum(), xg, create_graph=True)[0]\n"
            "    return task_loss(out, y) + 0.01 * g.pow(2).sum(1).mean()\n")
    probes = _described_and_trained(tmp_path, fill(load_skeleton("loss_inputs"), body), "regression")
    assert probes["compute_loss"]["differs"]


def test_a_weight_operation_on_hidden_units_gets_the_unit_op_skeleton() -> None:
    assert skeleton_for(["weight_op"], "每 100 步把死掉的神经元重新初始化，下一层对应的列置 0").name == "unit_op"
    assert skeleton_for(["weight_op"], "every 50 steps rescale each unit's incoming and outgoing weights").name == "unit_op"
    assert skeleton_for(["weight_op"], "每步之后把每个神经元的输入权重裁到范数 ≤ 3").name == "weight_op"  # rows of one matrix
    expected = "每 50 步把每一行缩放到行范数的均值\n\n预期：死单元比例下降\n"  # dead units only as a measured effect
    assert skeleton_for(["weight_op"], expected).name == "weight_op"
    # A unit's bias changed with its row, by the same factor: the layer's weight and bias together.
    assert skeleton_for(["weight_op"], "每 50 步把每行乘以 s_j，偏置 b_j 用同样的因子缩放").name == "unit_op"
    assert skeleton_for(["weight_op"], "Every 50 steps scale each row; biases by the same factor.").name == "unit_op"


@pytest.mark.sandbox
def test_a_unit_operation_sees_both_layers_and_the_units_outputs(tmp_path: Path) -> None:
    body = ("@torch.no_grad()\n"
            "def unit_op(layer, after, h, state, step):\n"
            "    if step % 10 != 0:\n"
            "        return\n"
            "    assert h.shape == (BATCH_SIZE, layer.weight.shape[0]) == (BATCH_SIZE, after.weight.shape[1]), h.shape\n"
            "    incoming = (layer.weight.pow(2).sum(1) + layer.bias.pow(2)).sqrt()\n"
            "    c = (after.weight.norm(dim=0) / (incoming + 1e-8)).sqrt()  # each unit's two sides made equal\n"
            "    layer.weight.mul_(c[:, None]); layer.bias.mul_(c); after.weight.div_(c)\n")
    probes = _described_and_trained(tmp_path, fill(load_skeleton("unit_op"), body), "regression")
    assert probes["after_step"]["changed_at"][:3] == [10, 20, 30]


def _described_and_trained(tmp_path: Path, code: str, task: str) -> dict:
    """The idea arm's describe probes, after checking that the code also trains every seed (one worker process)."""
    ran = run_idea(tmp_path / "describe", code, "--describe", task=task)
    assert ran.returncode == 0, ran.stderr
    trained = run_idea(tmp_path / "run", code, workers=1, task=task)
    assert trained.returncode == 0, trained.stderr
    assert len(trained.metrics["arms"]["idea"]["runs"]) == 3
    return ran.metrics["arms"]["idea"]["probes"]


def test_a_schedule_that_follows_the_training_loss_gets_the_schedule_loss_skeleton() -> None:
    bold = "Every K steps: if L̄_j < L̄_{j-1}: η ← η · ρ_up, else η ← η · ρ_down"
    assert skeleton_for(["schedule"], bold).name == "schedule_loss"
    assert skeleton_for(["schedule"], "训练 loss 平台期就把学习率减半").name == "schedule_loss"
    assert skeleton_for(["schedule"], "If the loss went up, halve the learning rate.").name == "schedule_loss"
    assert skeleton_for(["schedule"], "lr_t = lr · 0.5^(t // 100): step decay, halved every 100 steps").name == "schedule"
    cooldown = "lr(t) = lr0 · (T − t)/C in the last C steps. Expect: the late \"plateau\" of the loss curve is gradient noise."
    assert skeleton_for(["schedule"], cooldown).name == "schedule"  # a schedule by steps, whatever the loss does
    assert skeleton_for(["schedule"], "# 看 loss 的波动定学习率\n\nloss 抖得厉害就降 lr").name == "schedule_loss"
    measured = "η(t) = η·(1 − t/T)\n\nMeasure: final test loss; mean loss increase under 20 random perturbations."
    assert skeleton_for(["schedule"], measured).name == "schedule"  # the loss measured, not followed


@pytest.mark.sandbox
def test_the_loss_schedule_gets_each_steps_loss_and_starts_every_training_run_afresh(tmp_path: Path) -> None:
    body = ("def rate(step, lr, loss, state):\n"
            "    if step == 1:\n"
            "        assert not state, state  # emptied for every run, though one process trains several\n"
            "        state['first'] = loss\n"
            "    assert isinstance(loss, float) and loss > 0, loss\n"
            "    return lr * min(1.0, loss / state['first'])\n")
    code = fill(load_skeleton("schedule_loss"), body)
    ran = run_idea(tmp_path, code, workers=1, task="classification")
    assert ran.returncode == 0, ran.stderr
    assert len(ran.metrics["arms"]["idea"]["runs"]) == 3


def test_fill_keeps_the_wiring_when_the_reply_rewires_it() -> None:
    reply = textwrap.dedent('''
        import torch
        BETA = 0.9

        def make_optimizer(params, lr):
            return torch.optim.SGD(params, lr)

        def update(p, g, state, lr, t):
            m = state.setdefault("m", torch.zeros_like(p))  # momentum
            m.mul_(BETA).add_(g)
            p.sub_(lr * torch.sign(m))
    ''')
    code = fill(load_skeleton("update_rule"), reply)
    assert "return IdeaOptimizer(params, lr)" in code and "torch.optim.SGD(params, lr)" not in code
    assert "BETA = 0.9" in code and "m.mul_(BETA).add_(g)  # momentum" not in code  # comment kept on its own line
    assert "m = state.setdefault(\"m\", torch.zeros_like(p))  # momentum" in code
    assert code.count("def update(") == 1


def test_fill_takes_a_lone_function_under_another_name_and_a_whole_class_with_its_own_init() -> None:
    schedule = fill(load_skeleton("schedule"), "def my_schedule(step, lr):\n    return lr * 0.5 ** (step // 100)\n")
    assert "def lr_at(step, lr):" in schedule and "return lr * 0.5 ** (step // 100)" in schedule
    assert "my_schedule" not in schedule
    layer = fill(load_skeleton("layer"), textwrap.dedent('''
        class WeightNormed(nn.Module):
            def __init__(self, i, o):
                super().__init__()
                self.v = nn.Parameter(nn.Linear(i, o).weight.detach().clone())
                self.g = nn.Parameter(torch.ones(o, 1))

            def forward(self, x):
                return F.linear(x, self.g * self.v / self.v.norm(dim=1, keepdim=True))
    '''))
    assert "class IdeaLinear(nn.Module):" in layer and "WeightNormed" not in layer
    assert "self.g = nn.Parameter(torch.ones(o, 1))" in layer
    assert "linear=IdeaLinear" in layer and layer.count("class ") == 1


def test_a_missing_body_stays_a_stub_the_static_check_blocks_and_bad_syntax_is_returned_as_written() -> None:
    code = fill(load_skeleton("weight_op"), "EVERY = 10\n")
    assert any(p.kind == "stub" for p in blocking(check_idea_code(code, ["weight_op"])))
    assert fill(load_skeleton("loss"), "def compute_loss(out, y:\n") == "def compute_loss(out, y:\n"


def test_an_undefined_constant_the_notes_give_one_value_is_defined_from_them() -> None:
    note = "c = β1*m + (1-β1)*g, p = p - lr*sign(c); β1 = 0.9, β2 = 0.99; λ=1e-3. Later: β2 = 0.999 maybe"
    code = "import torch\n\n\ndef update(p, g, state, lr, t):\n    return beta_1 * g + beta2 * g + lam + rate\n"
    fixed, fixes = define_note_constants(code, note)
    assert "beta_1 = 0.9  # from the notes" in fixed and "lam = 1e-3  # from the notes" in fixed
    assert "beta2 =" not in fixed  # the notes give it two values: left to the static check
    assert [p.message.split("`")[1] for p in check_idea_code(fixed) if p.kind == "undefined"] == ["beta2", "rate"]
    assert len(fixes) == 2 and fixed.index("import torch") < fixed.index("beta_1 = 0.9")


def test_an_undefined_small_constant_the_notes_give_no_value_is_the_usual_one_unless_they_draw_it() -> None:
    code = "def update(p, g, state, lr, t):\n    p.sub_(lr * g / (g.norm() + ε + eps))\n"
    fixed, fixes = define_note_constants(code, "w ← w − lr·g/(‖g‖ + ε)")
    assert "ε = 1e-08  # a small constant (the notes give no value)" in fixed and len(fixes) == 2
    assert "eps = 1e-3  # from the notes" in define_note_constants(code, "g/(‖g‖ + eps), eps = 1e-3")[0]
    assert define_note_constants(code, "x̃ = x + σ·ε, ε ~ N(0, I)")[0] == code  # a draw, not a constant


def test_an_attribute_a_module_never_sets_that_names_a_constant_reads_the_constant() -> None:
    import torch

    code = ("SCALE = 2.0\n\n\nclass IdeaLinear(nn.Module):\n    def __init__(self, i, o):\n        super().__init__()\n"
            "        self.weight = nn.Parameter(torch.ones(o, i))\n\n    def forward(self, x):\n"
            "        z = F.linear(x, self.weight)\n        return torch.topk(z, self.k, dim=1).values * self.SCALE + self.b\n")
    fixed, fixes = define_note_constants(code, "z = W·x，只留前 k 个，k = 2")
    assert "torch.topk(z, k, dim=1).values * SCALE + self.b" in fixed and "k = 2  # from the notes" in fixed
    assert [p.message.split("`")[1] for p in check_idea_code(fixed) if p.kind == "unset_attribute"] == ["self.b"]
    namespace = {"torch": torch, "nn": torch.nn, "F": torch.nn.functional}
    exec(fixed.replace(" + self.b", ""), namespace)
    assert namespace["IdeaLinear"](3, 4)(torch.ones(1, 3)).tolist() == [[6.0, 6.0]]
    assert len(fixes) == 3


def test_the_total_number_of_steps_the_notes_write_beside_the_step_is_the_harness_steps() -> None:
    code = "def lr_at(step, lr):\n    W, C = 0.02 * T, 0.2 * T\n    return lr * min(1, step / W, (T - step) / C)\n"
    note = "W = 0.02*T, C = 0.2*T\nlr(t) = lr0 * t/W if t < W, lr0 * (T - t)/C otherwise"
    fixed, fixes = define_note_constants(code, note)
    assert "T = STEPS  # the total number of steps" in fixed and len(fixes) == 1
    assert not [p for p in check_idea_code(fixed, ["schedule"]) if p.kind == "undefined"]
    assert "STEPS" in define_note_constants(code, "same total steps T as the baseline")[0]
    assert define_note_constants(code, "softmax(z / T), temperature T = T0 at the start")[0] == code  # T alone: no step


def test_a_constant_the_notes_give_in_prose_is_read_but_not_an_example_value_of_a_variable() -> None:
    from agentnotes.experiments.guards.constants import note_constants

    assert note_constants("a = tanh(k*x1)，k 取大一点（比如 5）。λ (e.g. 0.1) 就行，c 取 2") == {"k": "5", "lam": "0.1", "c": "2"}
    assert note_constants("for an input x (e.g. 3), we use x1 (say 2) and step 3 (e.g. 10)") == {}


def test_an_assignment_to_the_weights_the_function_must_change_in_place_moves_them() -> None:
    code = fill(load_skeleton("update_rule"), textwrap.dedent('''
        def update(p, g, state, lr, t):
            c = 0.9 * state.setdefault("m", torch.zeros_like(p)) + 0.1 * g
            p = p - lr * torch.sign(c)  # the step
    '''))
    assert "    p.copy_(p - lr * torch.sign(c))  # the step\n" in code
    assert "c = 0.9 * state" in code  # other assignments stay
    loss = fill(load_skeleton("loss"), "def compute_loss(out, y, step):\n    out = out * 2\n    return task_loss(out, y)\n")
    assert "out = out * 2" in loss  # only the skeleton's in-place argument is rewritten


def test_the_replys_own_argument_names_are_bound_to_the_skeletons() -> None:
    code = fill(load_skeleton("update_rule"), "def update(param, grad, state, lr, t):\n    param.sub_(lr * grad)\n")
    assert "    param = p\n    grad = g\n    param.sub_(lr * grad)\n" in code
    assert blocking(check_idea_code(code, ["update_rule"])) == []


def test_the_reviewer_reads_what_the_model_wrote_without_the_wiring() -> None:
    skeleton = load_skeleton("update_rule")
    shown = written_part(skeleton, fill(skeleton, "BETA = 0.9\ndef update(p, g, state, lr, t):\n    p.sub_(lr * g * BETA)\n"))
    assert shown == "BETA = 0.9\n\n@torch.no_grad()\ndef update(p, g, state, lr, t):\n    p.sub_(lr * g * BETA)\n"


def test_a_whole_layer_class_with_its_own_after_step_keeps_that_after_step() -> None:
    reply = textwrap.dedent('''
    class TwinLinear(nn.Module):
        def __init__(self, i, o):
            super().__init__()
            self.a = nn.Parameter(torch.zeros(o, i))
            self.b = nn.Parameter(torch.zeros(o))

        def forward(self, x):
            return F.linear(x, self.a, self.b)


    def after_step(model, step):
        for m in model.modules():
            if isinstance(m, TwinLinear) and step % 10 == 0:
                m.a.mul_(0.5)
    ''')
    code = fill(load_skeleton("layer_op"), reply)
    assert "between_steps" not in code and "m.a.mul_(0.5)" in code and "isinstance(m, IdeaLinear)" in code
    assert code.count("def after_step") == 1 and "linear=IdeaLinear" in code
    assert blocking(check_idea_code(code, ["layer", "weight_op"], ())) == []


@pytest.mark.sandbox
def test_side_by_side_skeletons_filled_with_their_examples_run_and_differ_only_where_their_kinds_may(
        tmp_path: Path) -> None:
    kinds = ["update_rule", "layer", "weight_op"]
    skeleton = skeleton_for(kinds, "y = W*x + b")
    parts = skeleton.name.split("+")
    assert skeleton.required == tuple(q for name in parts for q in load_skeleton(name).required)
    assert skeleton.example == load_skeleton(parts[0]).example
    code = fill(skeleton, "\n\n".join(extract_code(load_skeleton(name).example) for name in parts))
    assert blocking(check_idea_code(code, kinds, ())) == []
    ran = run_idea(tmp_path, code, "--describe", task="regression")
    assert ran.returncode == 0, ran.stderr
    differences = compare(ran.metrics, allowed_changes(kinds))
    assert confound_problems(differences) == []
    assert {d.category for d in differences} >= {"optimizer", "layers"}


def test_a_layer_whose_notes_multiply_the_input_by_several_weights_gets_one_parameter_each() -> None:
    from agentnotes.experiments.guards.skeleton import note_weights

    assert note_weights("y = W*x + b") == ([], False)
    assert note_weights("y = (w1*(x+h) + w2*(x-h))/2 + b; 先令 w1 = w2 = w") == (["w1", "w2"], True)
    assert note_weights("y = W_1 x ⊙ σ(W_2 x)") == (["W1", "W2"], False)
    copies = skeleton_for(["layer", "weight_op"], "y = (w1*(x+h) + w2*(x-h))/2 + b，令 w1 = w2 = w")
    assert "self.w1 = nn.Parameter(base.weight.detach().clone())" in copies.code
    assert "self.w2 = nn.Parameter(base.weight.detach().clone())" in copies.code and "self.weight" not in copies.code
    gated = skeleton_for(["layer"], "y = W1 x * sigmoid(W2 x)")
    assert gated.code.count("nn.Linear(in_features, out_features).weight.detach().clone()") == 2
    assert skeleton_for(["layer"], "y = W*x + b") == load_skeleton("layer")
    assert skeleton_for(["activation"], "f(x) = w1*x + w2*x") == load_skeleton("activation")  # no weight there


def test_a_layer_whose_notes_name_a_bias_per_weight_gets_one_bias_each() -> None:
    gated = skeleton_for(["layer"], "y = (W1*x + b1) * sigmoid(W2*x + b2)")
    assert "self.b1 = nn.Parameter(" in gated.code and "self.b2 = nn.Parameter(" in gated.code
    assert "self.bias" not in gated.code
    shared = skeleton_for(["layer"], "y = (w1*(x+h) + w2*(x-h))/2 + b")  # one bias named: kept single
    assert "self.bias = nn.Parameter(base.bias" in shared.code and "self.b1" not in shared.code
    started = skeleton_for(["layer"], "y = (W1*x + b1) * sigmoid(W2*x + b2). Init: b2 = 1, W1 default.")
    assert "self.b2 = nn.Parameter(torch.full((out_features,), 1.0))" in started.code  # the gate starts open
    assert "self.b1 = nn.Parameter(nn.Linear(in_features, out_features).bias" in started.code


def test_a_layer_skeleton_follows_the_scope_the_notes_give_the_layer() -> None:
    plain = "y = W1 x * sigmoid(W2 x)"
    assert "mlp(in_dim, hidden, out_dim, linear=IdeaLinear)" in skeleton_for(["layer"], plain).code
    own = skeleton_for(["layer"], plain + "。不再另外加激活函数，门本身就是非线性。输出层还是普通 Linear。")
    assert "mlp(in_dim, hidden, out_dim, linear=IdeaLinear, activation=None, head=nn.Linear)" in own.code
    assert "the output layer stays nn.Linear" in own.code and "no activation follows it" in own.code
    english = skeleton_for(["layer"], plain + ". No extra activation after it; the output layer stays a plain Linear.")
    assert "activation=None, head=nn.Linear)" in english.code
    assert skeleton_for(["activation"], "f(x) = x * sigmoid(x), no extra activation") == load_skeleton("activation")
    # The hidden layers named, a layer written with its activation replaced: the output stays, no activation follows.
    glu = skeleton_for(["layer"], "每个 hidden layer 从\n  h = σ(W x + b)\n换成\n  h = (W1 x + b1) ⊙ σ(W2 x + b2)")
    assert "linear=IdeaLinear, activation=None, head=nn.Linear)" in glu.code
    maxout = skeleton_for(["layer"], "把 baseline 里的每个隐藏层（Linear + ReLU）换成 maxout：z = W x + b")
    assert "linear=IdeaLinear, activation=None, head=nn.Linear)" in maxout.code
    # The notes' model: the idea's layer, its activation, a plain output layer; "without the ReLU" only as a baseline.
    quad = skeleton_for(["layer"], "y = (W_a x) ⊙ (W_b x) + W_c x\n\nModel: QP(64→64) → ReLU → Linear(64→10)\n\n"
                                   "Baselines:\n- QP without the ReLU, just to see\n")
    assert "mlp(in_dim, hidden, out_dim, linear=IdeaLinear, head=nn.Linear)" in quad.code
    # The same with the widths alone around the idea's layer, and a drop-in for Linear + ReLU.
    for model in ("Nets: 64 → DN(128) → 10", "网络：64 → CondLinear(128, E) → 10"):
        widths = skeleton_for(["layer"], f"h_j = relu(z_j) / sqrt(β_j + Σ_k γ_jk z_k²)\n\n## Setup\n- {model}\n")
        assert "mlp(in_dim, hidden, out_dim, linear=IdeaLinear, head=nn.Linear)" in widths.code, model
    plain = skeleton_for(["layer"], "h = relu(z) / sqrt(1 + z²)\n\n## Setup\n- MLP 64 → 128 → 10\n")
    assert "mlp(in_dim, hidden, out_dim, linear=IdeaLinear)" in plain.code  # no layer named: every layer the idea's
    dropin = skeleton_for(["layer"], "h = relu(z) / sqrt(1 + z²)，a drop-in for Linear+ReLU")
    assert "activation=None" in dropin.code
    # The input times the transposed weights is weighted: a layer, not a block passing x through.
    ensemble = skeleton_for(["layer"], "$y = \\big((x \\odot s_k) W^\\top\\big) \\odot r_k + b_k$")
    assert "linear=IdeaLinear" in ensemble.code


def test_the_two_weight_layer_skeleton_filled_with_the_mirror_bodies_runs(tmp_path: Path) -> None:
    skeleton = skeleton_for(["layer", "weight_op"], "y = (w1*(x+h) + w2*(x-h))/2 + b，令 w1 = w2 = w")
    reply = textwrap.dedent('''
    class IdeaLinear(nn.Module):
        def forward(self, x):
            if not self.training:
                return F.linear(x, (self.w1 + self.w2) / 2, self.bias)
            h = LR / 2
            return (F.linear(x + h, self.w1) + F.linear(x - h, self.w2)) / 2 + self.bias

        @torch.no_grad()
        def between_steps(self, step):
            if step % 50 != 0:
                return
            w = (self.w1 + self.w2) / 2
            self.w1.copy_(w)
            self.w2.copy_(w)
    ''')
    code = fill(skeleton, reply)
    assert blocking(check_idea_code(code, ["layer", "weight_op"], ())) == []
    ran = run_idea(tmp_path, code, input_scale=0.01)
    assert ran.returncode == 0, ran.stderr
    assert ran.metrics["arms"]["idea"]["runs"][0]["n_params"] > ran.metrics["arms"]["baseline"]["runs"][0]["n_params"]


MIRROR_PLAN = Plan(idea_name="mirror layer", hypothesis="h", idea_rule="y = (w1*(x+h) + w2*(x-h))/2 + b with h = lr/2",
                   kinds=["layer", "weight_op"], baseline="MLP", task="regression", metric="test_mse")
FORWARD_AND_EXAMPLE = ("class IdeaLinear(nn.Module):\n    def forward(self, x):\n        h = LR / 2\n"
                       "        return (F.linear(x + h, self.w1) + F.linear(x - h, self.w2)) / 2 + self.bias\n\n"
                       "    def between_steps(self, step):\n        if step % 200 != 0:\n            return\n"
                       "        self.w1.mul_(0.5)\n")


def _mirror_body(note: str, *replies: str) -> tuple[str, list[str]]:
    hits = [Hit(Chunk("/n/ideas.txt", 1, 2, note, ("镜像层",)), 1.0)]
    model = RecordingChatModel(responses=[f"```python\n{r}```" for r in replies])
    model.seen.clear()
    code, _ = write_idea_body(model, load_prompt("write_idea_body"), MIRROR_PLAN, hits, skeleton_for(MIRROR_PLAN.kinds, note))
    return code, list(model.seen)


@pytest.mark.sandbox
def test_what_the_notes_do_every_n_steps_is_written_from_their_formulas_and_runs(tmp_path: Path) -> None:
    certain = ("镜像层：w1 = w2 = w，h = lr/2，y = (w1*(x+h) + w2*(x-h))/2 + b\n"
               "每训练 N 步（比如 N=50）合并一次：w = (w1+w2)/2，然后 w1 = w2 = w。")
    whole, seen = _mirror_body(certain)
    assert not seen and "h = LR / 2" in whole and "F.linear(x + h, self.w1)" in whole  # the program wrote both methods
    note = certain.replace("h = lr/2，", "").replace("\n", "，h 取一个小的偏移\n")  # h has no value: the model writes forward
    code, seen = _mirror_body(note, FORWARD_AND_EXAMPLE)
    assert len(seen) == 1 and "`IdeaLinear.forward`" in seen[0]  # the model wrote the forward pass only
    assert "w = (self.w1 + self.w2) / 2\n        self.w1.copy_(w)\n        self.w2.copy_(w)" in code
    assert "step % 50 != 0" in code and "step % 200" not in code and "mul_(0.5)" not in code
    assert not stubs(code) and not blocking(check_idea_code(code, MIRROR_PLAN.kinds, ()))
    own_class = FORWARD_AND_EXAMPLE.replace("    def forward", "    def __init__(self, i, o):\n        super().__init__()\n"
                                            "        self.w1, self.w2 = nn.Parameter(torch.ones(o, i)), nn.Parameter(torch.ones(o, i))\n"
                                            "        self.bias = nn.Parameter(torch.zeros(o))\n\n    def forward")
    replaced, _ = _mirror_body(note, own_class)  # a reply with its own class and the example's periodic rule in it
    assert "self.w1.copy_(w)" in replaced and "step % 200" not in replaced and "torch.ones(o, i)" in replaced
    ran = run_idea(tmp_path, code, "--describe", task="regression", steps=100)
    assert ran.returncode == 0, ran.stderr
    changed = ran.metrics["arms"]["idea"]["probes"]["after_step"]["changed_at"]
    assert changed == [50, 100], changed


def test_periodic_formulas_the_program_cannot_write_are_asked_for_on_their_own_after_the_forward_pass() -> None:
    note = ("镜像层：w1 = w2 = w，y = (w1*(x+h) + w2*(x-h))/2 + b，h 取一个小的偏移\n"
            "每训练 N 步（比如 N=50）合并一次：w1 = w2 = mean(w1, w2)。")
    merge = ("class IdeaLinear(nn.Module):\n    def between_steps(self, step):\n        if step % 50 != 0:\n            return\n"
             "        w = (self.w1 + self.w2) / 2\n        self.w1.copy_(w)\n        self.w2.copy_(w)\n")
    code, (first, second) = _mirror_body(note, FORWARD_AND_EXAMPLE, merge)
    assert "`IdeaLinear.forward`" in first and "between_steps`" not in first.split("# Output Format")[1]
    assert "`IdeaLinear.between_steps`" in second and "mean(w1, w2)" in second.split("# Final instructions")[1]
    assert "F.linear(x + h, self.w1)" in second  # the second ask is shown the forward pass already written
    assert "F.linear(x + h, self.w1)" in code and "w = (self.w1 + self.w2) / 2" in code
    assert "step % 200" not in code and "mul_(0.5)" not in code  # the first reply's periodic rule was not taken
    assert not stubs(code)


def test_a_layer_without_a_periodic_formula_is_asked_for_in_one_call() -> None:
    reply = "class IdeaLinear(nn.Module):\n    def forward(self, x):\n        return F.linear(x, self.w1, self.bias)\n"
    _, seen = _mirror_body("镜像层：y = (w1*(x+h) + w2*(x-h))/2 + b，h = lr/2", reply)
    assert len(seen) == 1 and "`IdeaLinear.between_steps`" in seen[0]


def test_an_update_rule_that_takes_the_gradient_again_at_moved_weights_gets_the_two_point_skeleton(tmp_path: Path) -> None:
    import torch

    note = "每一步：e = ρ*g/||g||（所有参数一起算范数），在 w + e 处的梯度 g2，然后 w = w - lr*g2，ρ = 0.1"
    skeleton = skeleton_for(["update_rule"], note)
    assert skeleton.name == "two_point" and skeleton.required == ("perturb", "update")
    assert skeleton_for(["update_rule"], "w = w - lr*sign(g)").name == "update_rule"
    code = fill(skeleton, textwrap.dedent('''
        def perturb(params, grads):
            norm = torch.sqrt(sum((g ** 2).sum() for g in grads))
            return [0.1 * g / norm for g in grads]

        def update(p, g, state, lr, t):
            p.sub_(lr * g)
    '''))
    assert blocking(check_idea_code(code, ["update_rule"], ())) == []
    namespace = {"torch": torch}
    exec(code, namespace)
    w = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    loss_of = lambda v: (v ** 4).sum()  # noqa: E731  (a gradient that changes along the move)
    optimizer = namespace["make_optimizer"]([w], 0.01)
    loss_of(w).backward()
    g = w.grad.detach().clone()

    def closure():
        optimizer.zero_grad()
        loss = loss_of(w)
        loss.backward()
        return loss

    start = w.detach().clone()
    optimizer.step(closure)
    moved = start + 0.1 * g / g.norm()
    assert torch.allclose(w.detach(), start - 0.01 * 4 * moved ** 3)  # the step from w, with the gradient at w + e
    ran = run_idea(tmp_path, code, task="classification")
    assert ran.returncode == 0, ran.stderr


def test_a_sequence_encoder_that_pools_over_time_feeds_the_head_its_pooled_vector(tmp_path: Path) -> None:
    code = fill(load_skeleton("cell"), textwrap.dedent('''
        class IdeaCell(nn.Module):
            def layers(self):
                self.conv = nn.Conv1d(self.input_size, self.hidden_size, 3, padding=2, dilation=2)

            def forward(self, x):
                return torch.relu(self.conv(x.transpose(1, 2))).mean(dim=-1)  # (batch, hidden): pooled over time
    '''))
    assert blocking(check_idea_code(code, ["architecture"], ())) == []
    ran = run_idea(tmp_path, code, task="sequence")
    assert ran.returncode == 0, ran.stderr


def test_the_code_writer_is_not_shown_the_variants_a_note_mentions() -> None:
    note = ("镜像层：w1 = w2 = w，y = (w1*(x+h) + w2*(x-h))/2 + b，h 是一个可学习的标量\n\n"
            "变体：\n- h 固定为 lr/2\n- 每 50 步合并一次\n\n预期：更稳。")
    hits = [Hit(Chunk("/n/ideas.txt", 1, 7, note, ("镜像层",)), 1.0)]
    model = RecordingChatModel(responses=["```python\n" + FORWARD_AND_EXAMPLE + "```"] * 3)
    write_idea_body(model, load_prompt("write_idea_body"), MIRROR_PLAN, hits, skeleton_for(["layer"], note))
    assert model.seen and all("h 固定为" not in prompt and "每 50 步" not in prompt for prompt in model.seen)
    assert all("可学习的标量" in prompt and "预期：更稳" in prompt for prompt in model.seen)  # the idea and the rest stay


def test_an_update_rule_reading_the_batch_loss_or_the_whole_gradient_gets_the_update_global_skeleton(tmp_path: Path) -> None:
    import torch

    note = "步长：η = min(ℓ(w) / (c·‖g‖²), γ)，‖g‖² 是所有参数梯度拼起来的平方范数，c = 0.5，γ = 1"
    skeleton = skeleton_for(["update_rule"], note)
    assert skeleton.name == "update_global" and skeleton.required == ("update",)
    assert skeleton_for(["update_rule"], "clip by the global norm: g ← g·min(1, c/‖g‖), c = 1").name == "update_global"
    assert skeleton_for(["update_rule"], "g ← g·min(1, c/‖g‖) for each parameter's own gradient").name == "update_rule"
    assert skeleton_for(["update_rule"], "β = 0.9; m = β m + g; record the training loss").name == "update_rule"
    code = fill(skeleton, textwrap.dedent('''
        def update(p, g, state, lr, t, loss, grad_sq):
            eta = min(loss / (0.5 * grad_sq + 1e-8), 1.0)
            p.sub_(eta * g)
    '''))
    assert blocking(check_idea_code(code, ["update_rule"], ())) == []
    namespace = {"torch": torch, "math": __import__("math")}
    exec(code, namespace)
    w, v = torch.nn.Parameter(torch.tensor([1.0, -2.0])), torch.nn.Parameter(torch.tensor([0.5]))
    optimizer = namespace["make_optimizer"]([w, v], 0.01)

    def closure():
        optimizer.zero_grad()
        loss = (w ** 2).sum() + (v ** 2).sum()
        loss.backward()
        return loss

    closure()
    optimizer.step(closure)
    eta = min(5.25 / (0.5 * (4 + 16 + 1)), 1.0)  # the loss and ‖g‖² of both parameters together
    assert torch.allclose(w.detach(), torch.tensor([1.0, -2.0]) * (1 - 2 * eta))
    ran = run_idea(tmp_path, code, task="classification")
    assert ran.returncode == 0, ran.stderr


def test_the_activity_penalty_gets_the_hidden_outputs_after_and_before_their_activation() -> None:
    import torch
    import torch.nn as nn

    torch.manual_seed(0)
    namespace = {"torch": torch, "nn": nn, "task_loss": lambda out, y: torch.zeros(()),
                 "baseline_model": lambda i, h, o: nn.Sequential(nn.Linear(i, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(),
                                                                 nn.Linear(h, o))}
    seen = namespace["seen"] = []
    exec(load_skeleton("activity_penalty").code.replace("    ...", "    seen.append((hidden, pre_activations, y, x))\n    return 0.0"),
         namespace)
    model, x, y = namespace["build_model"](4, 8, 2), torch.randn(5, 4), torch.tensor([0, 1, 1, 0, 1])
    model(x)
    namespace["compute_loss"](None, y, model, x)
    hidden, pre, labels, inputs = seen[0]
    assert labels is y and inputs is x  # the batch's targets, for a penalty computed per class; its inputs
    assert len(hidden) == len(pre) == 2
    assert torch.allclose(pre[0], model[0](x)) and torch.allclose(hidden[0], torch.relu(model[0](x)))
    assert (pre[0] < 0).any() and (hidden[0] >= 0).all()


def test_a_layer_titled_as_a_normalisation_gets_the_norm_skeleton() -> None:
    for title in ("# ScaleNorm 层", "# MAD-Norm：用中位数绝对偏差的归一化层", "# 只做中心化的 norm 层",
                  "# Divisive normalization inside the hidden layer", "# Low-rank deflation norm: project out the top directions"):
        assert skeleton_for(["layer"], f"{title}\n\nz̃ = z / ‖z‖").name == "norm", title
    for title in ("# 输入范数门控的 Linear（norm gate）", "# A Linear layer that also sees its input's norm",
                  "# 隐藏层换成 pre-norm 残差块（RMSNorm）", "# Weight norm reparametrisation"):
        assert skeleton_for(["layer"], f"{title}\n\ny = W x · ‖x‖").name != "norm", title
    assert skeleton_for(["update_rule"], "# Row-wise Normalized SGD\n\ng ← g / ‖g‖").name == "update_rule"


def test_a_data_idea_about_which_examples_form_a_batch_gets_the_batch_choice_skeleton() -> None:
    for note in ("Instead of reweighting hard examples, build each batch from pairs of confusable examples.",
                 "每个 batch 由 32 个锚点和它们最近的异类样本组成。", "Class-balanced batches: every class equally often."):
        assert skeleton_for(["data"], note).name == "batch_choice", note
    assert skeleton_for(["data"], "mixup: x̃ = λ·x_i + (1−λ)·x_j, pairs drawn within the batch").name == "data"


def test_a_closure_said_absent_and_the_plain_step_written_out_choose_no_other_skeleton() -> None:
    optimizer = "# 安静坐标加速\n```python\nclass QuietBoost(torch.optim.Optimizer):\n    def step(self):  # 无 closure 版\n        pass\n```"
    assert skeleton_for(["update_rule"], optimizer).name == "update_rule"
    assert skeleton_for(["update_rule"], optimizer.replace("无 closure 版", "closure re-evaluates the loss")).name == "two_point"
    budget = "# Activation budget\nL1 activation penalty, tuned by a dual variable.\n    L = CE + μ · mean(h)\n    θ ← θ − η ∇_θ L"
    assert skeleton_for(["loss"], budget, "digits").name == "activity_penalty"


def test_a_comparison_a_data_batch_an_affine_normalisation_and_a_hidden_unit_penalty_choose_their_skeletons() -> None:
    layer = "# 差分平均层\ny_j = s_j·(Σ_i softmax(a_j)_i x_i − Σ_i softmax(c_j)_i x_i)\n对比：只有一个（y = s·softmax(a)·x）"
    assert skeleton_for(["layer"], layer, "digits").name == "layer"  # the comparison's form is no residual block
    assert skeleton_for(["init"], "# 偏置初始化\n在一个 batch 上算 z_j = w_j·x，取 b_j = −Quantile(z_j)").name == "init_data"
    assert skeleton_for(["layer"], "# Batch scaling\nĤ = γ ⊙ H / (s(H) + ε) + β", "digits").name == "norm"
    penalty = "# 隐藏单元选择性罚项\nR = λ · mean_j relu(S_j − 1)"
    assert skeleton_for(["regulariser"], penalty, "digits").name == "activity_penalty"


@pytest.mark.sandbox
def test_an_init_pretrained_on_the_inputs_gets_the_data_and_trains_under_the_skeletons_no_grad(tmp_path: Path) -> None:
    assert skeleton_for(["init"], "# 自编码预训练当初始化\n第一层先当 DAE 训 500 步").name == "init_data"  # invented
    assert skeleton_for(["init"], "pretrain the first layer as an autoencoder, then fine-tune").name == "init_data"
    body = """def init_weights(layers, x, y):
    first = layers[0]
    w = first.weight.detach().clone().requires_grad_()
    with torch.enable_grad():
        opt = torch.optim.SGD([w], lr=0.01)
        for _ in range(5):
            loss = ((torch.relu(x @ w.T) @ w - x) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    first.weight.copy_(w.detach())
"""
    code = fill(load_skeleton("init_data"), body)
    ran = run_idea(tmp_path, code, "--describe", task="digits")
    assert ran.returncode == 0, ran.stderr
    assert compare(ran.metrics, allowed_changes(["init"])), "the pretrained weights are the baseline's"


def test_a_weight_operations_skeleton_says_the_notes_period_and_a_period_of_one_step_is_every_step() -> None:
    from agentnotes.experiments.guards.skeleton import skeleton_for

    advice = {note: skeleton_for(["weight_op"], note, "digits").code for note in
              ("每 50 步把权重剪枝一次", "每 K 步重算 mask，K = 1 就是每步重算", "clip the weights after every step", "剪枝")}
    assert "start with if step % 50 != 0: return (what they keep up every step" in advice["每 50 步把权重剪枝一次"]
    assert "The notes do it after every step: no test on the step." in advice["每 K 步重算 mask，K = 1 就是每步重算"]
    assert "step % 1" not in advice["每 K 步重算 mask，K = 1 就是每步重算"]
    assert "The notes do it after every step: no test on the step." in advice["clip the weights after every step"]
    assert "An operation every N steps starts with: if step % N != 0: return" in advice["剪枝"]  # the notes say neither
    assert "p.grad is the\n    gradient of this step's loss" in advice["剪枝"]


def test_an_update_rule_whose_title_names_adam_as_what_it_changes_is_shown_adams_step() -> None:
    from agentnotes.experiments.guards.skeleton import skeleton_for

    def shown(note: str) -> bool:
        return "The notes change Adam" in skeleton_for(["update_rule"], note, "digits").code

    assert shown("# Adam with update clipping\nη_t ← η_t / max(1, RMS_t), then the usual Adam step")
    assert shown("# RAdam：把 Adam 前期的自适应项整流掉\nr_t = …")
    assert "p -= lr * m_hat / (v_hat.sqrt() + eps)" in skeleton_for(["update_rule"], "# AdamW variant\nw = w - lr*wd*w", "digits").code
    assert not shown("# SignSGD vs Adam\nw = w − lr·sign(g)")  # Adam as the comparison
    assert not shown("# Cube-root SGD\ng = cbrt(g); p = p − lr·g\nbaseline: Adam")  # Adam named outside the title
    assert not shown("# Adamax-like sign step\np = p − lr·sign(m)")
    assert "The notes change Adam" not in skeleton_for(["schedule"], "# Ramp Adam's β₂\nβ₂(t) = …", "digits").code


def test_a_dropout_of_the_notes_own_gets_the_unit_mask_skeleton_and_a_penalty_keeps_its_own() -> None:
    assert skeleton_for(["regulariser"], "# Ranked dropout\nkeep probability falls with the unit's rank").name == "unit_mask"
    assert skeleton_for(["regulariser"], "训练时随机屏蔽 30% 的隐藏单元，其余乘 1/0.7").name == "unit_mask"
    assert skeleton_for(["regulariser"], "R = λ·Σ‖W‖²，compare against dropout 0.5 too").name == "regulariser"


def test_a_replys_own_definition_of_a_harness_function_the_skeleton_calls_is_left_out() -> None:
    reply = ("def make_activation(name, width):\n    return nn.ReLU()\n\n\n"
             "class IdeaMask(nn.Module):\n    def mask(self, h):\n        return h * (torch.rand_like(h) > 0.2) / 0.8\n")
    code = fill(load_skeleton("unit_mask"), reply)
    assert "def make_activation" not in code and "torch.rand_like(h) > 0.2" in code
    assert blocking(check_idea_code(code, ["regulariser"], ())) == []
