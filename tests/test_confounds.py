"""guards/confounds.py: differences between the arms of arms.json, on hand-made descriptions and real --describe runs."""

from __future__ import annotations

import copy
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from agentnotes.errors import ExperimentError
from agentnotes.experiments import ExperimentConfig, assemble_script
from agentnotes.experiments.guards.confounds import cannot_learn, compare, confound_problems, diff_table
from agentnotes.experiments.guards.skeleton import fill, load_skeleton
from agentnotes.experiments.lab.assemble import ARMS_NAME, DESCRIBE_FLAG
from agentnotes.runner.sandbox import Limits, describe_isolation, run_sandboxed


def _mlp(hidden: int = 64, layer: str = "Linear", activation: str = "ReLU", fp: str = "aaa mean=0 std=0.2") -> dict:
    """The description of a 2-hidden-layer MLP on 8 inputs, as --describe writes it."""
    widths = [(8, hidden), (hidden, hidden), (hidden, 1)]
    modules, params, outputs = [["", "Sequential"]], [], []
    for n, (fan_in, fan_out) in enumerate(widths):
        modules.append([str(2 * n), layer])
        params += [[f"{2 * n}.weight", [fan_out, fan_in], fp], [f"{2 * n}.bias", [fan_out], fp]]
        outputs.append([str(2 * n), [fan_out]])
        if n < 2:
            modules.append([str(2 * n + 1), activation])
            outputs.append([str(2 * n + 1), [fan_out]])
    return {
        "modules": modules, "params": params, "outputs": outputs, "hooks": [],
        "optimizer": {"class": "SGD", "defaults": {"lr": 0.05, "momentum": 0}, "closure": False},
        "probes": {"transform_batch": {"changes_x": False, "changes_y": False}, "lr_at": [[1, 0.05], [100, 0.05]],
                   "compute_loss": {"differs": False, "task_loss": 1.0, "values": []},
                   "after_step": {"changed_at": [], "changes_weights": False}},
    }


def _arms(idea: dict[str, Any]) -> dict[str, Any]:
    return {"arms": {"baseline": _mlp(), "idea": idea}, "error": None}


def _categories(idea: dict[str, Any], allowed: set[str] = frozenset()) -> list[str]:
    return [d.category for d in compare(_arms(idea), set(allowed))]


def test_identical_arms_have_no_difference() -> None:
    assert compare(_arms(_mlp()), set()) == []
    assert diff_table([]).startswith("The two arms are identical")


def test_a_dropped_hidden_layer_is_an_architecture_confound_for_a_layer_idea() -> None:
    idea = _mlp(layer="GatedLinear")
    idea["modules"] = [m for m in idea["modules"] if m[0] not in ("2", "3")]
    idea["params"] = [p for p in idea["params"] if not p[0].startswith("2.")]
    differences = compare(_arms(idea), {"layers", "init"})
    # the dropped layer's activation goes with it: one per hidden layer, an architecture difference too
    assert [(d.category, d.allowed) for d in differences] == [("architecture", False), ("architecture", False)]
    assert differences[1].message == ("the idea arm has 2 weight layers where the baseline has 3 "
                                      "(GatedLinear ×2 vs Linear ×3)")
    problems = confound_problems(differences)
    assert [p.kind for p in problems] == ["confound", "confound"]
    assert "keep the baseline's layers and widths" in problems[1].message


def test_a_new_layer_class_with_the_same_widths_is_a_layers_difference() -> None:
    idea = _mlp(layer="MyLinear")
    idea["params"] = [[n.replace("weight", "w1"), s, "bbb mean=0 std=0.2"] for n, s, _ in idea["params"]]
    differences = compare(_arms(idea), {"layers"})
    assert [(d.category, d.allowed) for d in differences] == [("layers", True)] * 3
    assert differences[0].message == "weight layer 1 (`0`) is MyLinear in the idea arm, Linear in the baseline"
    assert confound_problems(differences) == []


def test_narrower_layers_are_architecture() -> None:
    assert set(_categories(_mlp(hidden=32))) == {"architecture"}


def test_other_initial_values_are_init_and_name_the_statistics() -> None:
    idea = _mlp(fp="ccc mean=0 std=0")
    differences = compare(_arms(idea), {"init"})
    assert [d.category for d in differences] == ["init"] * 3 and all(d.allowed for d in differences)
    assert differences[0].message == ("weight layer 1 (`0`, Linear) starts from other values: `weight` mean=0 std=0 "
                                      "in the idea arm, mean=0 std=0.2 in the baseline")


def test_an_idea_arm_whose_every_weight_matrix_starts_at_one_value_cannot_learn() -> None:
    every_layer_zero = _mlp(fp="ccc mean=0 std=0")
    assert [p.kind for p in cannot_learn(_arms(every_layer_zero))] == ["symmetric_start"]
    last_layer_zero = _mlp()
    last_layer_zero["params"][4][2] = "ccc mean=0 std=0"
    assert last_layer_zero["params"][4][0] == "4.weight" and cannot_learn(_arms(last_layer_zero)) == []
    assert cannot_learn({"arms": {"baseline": every_layer_zero, "idea": every_layer_zero}}) == []  # not the idea's doing


@pytest.mark.sandbox
def test_real_describe_a_zero_initialisation_of_every_layer_is_caught(tmp_path: Path) -> None:
    code = textwrap.dedent('''
    def build_model(in_dim, hidden, out_dim):
        model = baseline_model(in_dim, hidden, out_dim)
        with torch.no_grad():
            for layer in [m for m in model.modules() if isinstance(m, nn.Linear)]:
                layer.weight.zero_()
        return model
    ''')
    assert [p.kind for p in cannot_learn(describe_in_sandbox(tmp_path / "d", code))] == ["symmetric_start"]


def test_an_idea_arm_whose_optimizer_changes_no_weight_cannot_learn() -> None:
    frozen, moving = _mlp(), _mlp()
    frozen["probes"] = {**frozen["probes"], "optimizer_moves": False}
    moving["probes"] = {**moving["probes"], "optimizer_moves": True}
    assert [p.kind for p in cannot_learn({"arms": {"baseline": moving, "idea": frozen}})] == ["frozen_weights"]
    assert cannot_learn({"arms": {"baseline": moving, "idea": moving}}) == []


def test_an_idea_arm_whose_output_layer_sees_the_same_input_for_every_sample_cannot_learn() -> None:
    blind, seeing = _mlp(), _mlp()
    blind["probes"] = {**blind["probes"], "head_input_varies": False}
    seeing["probes"] = {**seeing["probes"], "head_input_varies": True}
    assert [p.kind for p in cannot_learn({"arms": {"baseline": seeing, "idea": blind}})] == ["input_blind"]
    assert cannot_learn({"arms": {"baseline": seeing, "idea": seeing}}) == []


@pytest.mark.sandbox
def test_real_describe_an_activation_that_starts_as_a_constant_is_caught_a_zero_output_layer_is_not(tmp_path: Path) -> None:
    dead = fill(load_skeleton("activation"), textwrap.dedent('''
    class IdeaActivation(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Parameter(torch.zeros(3))

        def forward(self, x):
            return self.a[0] + self.a[1] * x + self.a[2] * x ** 2
    '''))
    assert [p.kind for p in cannot_learn(describe_in_sandbox(tmp_path / "dead", dead))] == ["input_blind"]
    started = dead.replace("torch.zeros(3)", "torch.tensor([0.0, 1.0, 0.1])")
    assert cannot_learn(describe_in_sandbox(tmp_path / "started", started)) == []
    zero_head = textwrap.dedent('''
    def build_model(in_dim, hidden, out_dim):
        model = baseline_model(in_dim, hidden, out_dim)
        last = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
        with torch.no_grad():
            last.weight.zero_()
            last.bias.zero_()
        return model
    ''')
    assert cannot_learn(describe_in_sandbox(tmp_path / "zero_head", zero_head)) == []  # the input reaches the head


@pytest.mark.sandbox
def test_real_describe_an_update_that_never_writes_the_weights_is_caught(tmp_path: Path) -> None:
    kept_aside = fill(load_skeleton("update_rule"), textwrap.dedent('''
    def update(p, g, state, lr, t):
        m = state.setdefault("m", torch.zeros_like(p))
        m.mul_(0.9).add_(g)
        state["w"] = p - lr * m  # the new weights, never written into p
    '''))
    assert [p.kind for p in cannot_learn(describe_in_sandbox(tmp_path / "d", kept_aside))] == ["frozen_weights"]
    written = kept_aside.replace('state["w"] = p - lr * m', "p.sub_(lr * m)")
    assert cannot_learn(describe_in_sandbox(tmp_path / "w", written)) == []


def test_an_activation_that_widens_the_next_layer_stays_an_activation_difference() -> None:
    idea = _mlp(activation="DoubleReLU")
    idea["params"][2][1] = [64, 128]  # layer 2 sees twice the width
    assert _categories(idea) == ["activation", "activation"]


@pytest.mark.parametrize(
    ("change", "category", "message"),
    [
        (lambda a: a["optimizer"].update({"class": "Adam"}), "optimizer", "optimizer Adam in the idea arm vs SGD in the baseline"),
        (lambda a: a["optimizer"]["defaults"].update(momentum=0.9), "optimizer", "optimizer SGD settings: momentum 0.9 vs 0"),
        (lambda a: a["optimizer"]["defaults"].update(lr=0.1), "lr",
         "the optimizer's learning rate is 0.1 in the idea arm, 0.05 in the baseline"),
        (lambda a: a["optimizer"].update(closure=True), "optimizer",
         "the idea arm's optimizer re-evaluates the loss (closure); the baseline's does not"),
        (lambda a: a["probes"]["lr_at"][1].__setitem__(1, 0.01), "lr",
         "the learning rate follows lr_at (step 1: 0.05, step 100: 0.01); the baseline's stays 0.05"),
        (lambda a: a["probes"].update(compute_loss={"differs": True, "task_loss": 1.0, "values": [[1, 1.5]]}), "loss",
         "compute_loss gives 1.5 where the task loss is 1 on the probe batch"),
        (lambda a: a["probes"].update(transform_batch={"changes_x": True, "changes_y": False}), "batch",
         "transform_batch changes the training inputs x"),
        (lambda a: a["probes"]["after_step"].update(changed_at=[10, 20, 30, 40, 50]), "weights",
         "after_step changes the weights (at steps 10, 20, 30, 40, … of the first 100 probed)"),
    ],
)
def test_training_differences_are_named(change: Any, category: str, message: str) -> None:
    idea = copy.deepcopy(_mlp())
    change(idea)
    differences = compare(_arms(idea), set())
    assert [(d.category, d.message, d.allowed) for d in differences] == [(category, message, False)]
    assert compare(_arms(idea), {category})[0].allowed


def test_diff_table_marks_confounds() -> None:
    idea = _mlp(hidden=32)
    idea["optimizer"]["class"] = "Adam"
    table = diff_table(compare(_arms(idea), {"optimizer"})).splitlines()
    assert table[:2] == ["| idea arm vs baseline | category | verdict |", "|---|---|---|"]
    assert table[-1] == "| optimizer Adam in the idea arm vs SGD in the baseline | optimizer | expected |"
    assert all(line.endswith("| architecture | **confound** |") for line in table[2:-1]) and len(table) == 6


def test_a_failed_description_is_refused() -> None:
    with pytest.raises(ExperimentError):
        compare({"arms": {"baseline": _mlp()}, "error": {"type": "TypeError"}}, set())


# ---- real `experiment.py --describe` runs in the sandbox ----


def describe_in_sandbox(folder: Path, idea_code: str, **config: Any) -> dict[str, Any]:
    """arms.json of the assembled script run as `python experiment.py --describe` in the real sandbox."""
    if not describe_isolation().available:
        pytest.skip("no sandbox available here")
    folder.mkdir(parents=True)
    (folder / "experiment.py").write_text(assemble_script(idea_code, ExperimentConfig(steps=200, **config)))
    result = run_sandboxed([sys.executable, "experiment.py", DESCRIBE_FLAG], folder, Limits(timeout_s=120), use_gpu=False)
    assert result.status == "ok", result.stderr_path.read_text()
    return json.loads((folder / ARMS_NAME).read_text())


LAYER = '''
class ScaledLinear(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.inner = nn.Linear(in_features, out_features)
        self.scale = nn.Parameter(torch.ones(out_features))

    def forward(self, x):
        return self.inner(x) * self.scale


def build_model(in_dim, hidden, out_dim):
    return mlp(in_dim, hidden, out_dim, linear=ScaledLinear{depth})
'''


@pytest.mark.sandbox
def test_real_describe_a_correct_layer_idea_passes(tmp_path: Path) -> None:
    differences = compare(describe_in_sandbox(tmp_path / "d", LAYER.format(depth="")), {"layers", "init"})
    assert [d.category for d in differences] == ["layers"] * 3 and confound_problems(differences) == []


@pytest.mark.sandbox
def test_real_describe_a_layer_idea_that_drops_a_hidden_layer_is_caught(tmp_path: Path) -> None:
    differences = compare(describe_in_sandbox(tmp_path / "d", LAYER.format(depth=", depth=1")), {"layers", "init"})
    problems = confound_problems(differences)
    assert any("the idea arm has 2 weight layers where the baseline has 3 (ScaledLinear ×2 vs Linear ×3)" in p.message
               for p in problems)
    assert {d.category for d in differences if not d.allowed} == {"architecture"}  # its activation went with it


@pytest.mark.sandbox
def test_real_describe_a_weight_operation_nobody_asked_for_is_caught(tmp_path: Path) -> None:
    code = LAYER.format(depth="") + textwrap.dedent('''

    def after_step(model, step):
        if step % 25 == 0:
            for p in model.parameters():
                p.mul_(0.5)
    ''')
    differences = compare(describe_in_sandbox(tmp_path / "d", code), {"layers", "init"})
    assert [(d.category, d.message) for d in differences if not d.allowed] == [
        ("weights", "after_step changes the weights (at steps 25, 50, 75, 100 of the first 100 probed)")]


@pytest.mark.sandbox
def test_real_describe_an_optimizer_swapped_into_a_conv_idea_is_caught(tmp_path: Path) -> None:
    code = textwrap.dedent('''
    def build_model(in_dim, hidden, out_dim):
        return convnet(in_dim, hidden, out_dim, activation=nn.Tanh)


    def make_optimizer(params, lr):
        return torch.optim.Adam(params, lr=lr)
    ''')
    arms = describe_in_sandbox(tmp_path / "d", code, task="digits_image", baseline_norm="batchnorm")
    differences = compare(arms, {"architecture", "activation", "layers", "init"})
    assert [(d.category, d.allowed) for d in differences] == [("activation", True), ("optimizer", False)]
    assert differences[0].message == "activations: Tanh ×2 in the idea arm, ReLU ×2 in the baseline"


@pytest.mark.sandbox
@pytest.mark.parametrize("baseline_norm", [None, "layernorm"])
def test_real_describe_a_normalisation_idea_is_a_layers_difference(tmp_path: Path, baseline_norm: str | None) -> None:
    skeleton = load_skeleton("norm")
    reply = textwrap.dedent('''
    class IdeaNorm(nn.Module):
        def extra_parameters(self):
            self.gamma = nn.Parameter(torch.ones(self.width))

        def forward(self, z):
            return per_unit(self.gamma, z) * (z - z.mean(dim=1, keepdim=True))
    ''')
    arms = describe_in_sandbox(tmp_path / "d", fill(skeleton, reply), baseline_norm=baseline_norm)
    differences = compare(arms, {"layers", "init"})
    assert {d.category for d in differences} == {"layers"} and confound_problems(differences) == []
    shown = "normalisations: IdeaNorm ×2 in the idea arm, none in the baseline" if baseline_norm is None else \
        "weight layer 2 (`1`) is IdeaNorm in the idea arm, LayerNorm in the baseline"
    assert shown in [d.message for d in differences]
