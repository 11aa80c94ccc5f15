"""The lab's newer hooks and tasks, each run for real (assembled experiment.py, plain python, tiny budget)."""

from __future__ import annotations

import math
import statistics
import textwrap
from pathlib import Path

import pytest

from test_experiments_harness import run_idea

from agentnotes.experiments import validate_metrics


def _runs(metrics: dict, arm: str) -> list[dict]:
    return metrics["arms"][arm]["runs"]


def test_compute_loss_gets_its_arguments_by_name_and_drives_training_only(tmp_path: Path) -> None:
    """A zero training loss: the idea arm never moves, yet it is still evaluated with the task metric."""
    code = textwrap.dedent('''
    def compute_loss(y, out, step, model, x):
        assert isinstance(model, nn.Module) and x.shape[0] == out.shape[0] == y.shape[0] and 1 <= step <= STEPS
        return 0.0 * out.sum()
    ''')
    ran = run_idea(tmp_path, code)
    assert ran.returncode == 0, ran.stderr
    assert ran.metrics["hooks"] == ["compute_loss"]
    for idea, base in zip(_runs(ran.metrics, "idea"), _runs(ran.metrics, "baseline")):
        assert idea["train_loss"] == [0.0] * 4  # the loss it minimised
        assert len(set(idea["val_metric"])) == 1  # no step changed the model
        assert idea["final_metric"] > 0.5 and base["final_metric"] < idea["final_metric"]


def test_transform_batch_changes_training_data_not_evaluation(tmp_path: Path) -> None:
    """Training labels shifted by one class: the idea arm learns the wrong classes and is scored on the true ones."""
    code = textwrap.dedent('''
    def transform_batch(x, y):
        return x, (y + 1) % 4
    ''')
    ran = run_idea(tmp_path, code, task="classification", steps=150, eval_every=50, print_every=50)
    assert ran.returncode == 0, ran.stderr
    trivial = statistics.mean(ran.metrics["trivial_metric"].values())
    assert statistics.mean(r["final_metric"] for r in _runs(ran.metrics, "baseline")) > trivial + 0.1
    assert statistics.mean(r["final_metric"] for r in _runs(ran.metrics, "idea")) < trivial


def test_lr_at_sets_the_rate_of_every_step(tmp_path: Path) -> None:
    """A schedule that stops at step 20: the idea arm's validation metric freezes there."""
    code = textwrap.dedent('''
    def lr_at(step, lr):
        return lr if step <= STEPS // 2 else 0.0
    ''')
    ran = run_idea(tmp_path, code)
    assert ran.returncode == 0, ran.stderr
    for idea, base in zip(_runs(ran.metrics, "idea"), _runs(ran.metrics, "baseline")):
        assert idea["val_metric"][:2] == base["val_metric"][:2]  # same rate until step 20
        assert idea["val_metric"][1] == idea["val_metric"][2] == idea["val_metric"][3]
        assert base["val_metric"][3] != base["val_metric"][1]


def test_a_baseline_schedule_the_request_names_drives_both_arms_unless_the_idea_has_its_own(tmp_path: Path) -> None:
    """A step schedule for the baseline (a tenth of the rate from step 21 of 40): an idea without lr_at follows it
    step for step; an idea with a constant lr_at parts from it at step 21, and the probes show both schedules."""
    same = run_idea(tmp_path / "same", "def compute_loss(out, y):\n    return task_loss(out, y)\n", baseline_schedule="step")
    assert same.returncode == 0, same.stderr
    for idea, base in zip(_runs(same.metrics, "idea"), _runs(same.metrics, "baseline")):
        assert idea["val_metric"] == base["val_metric"]
    constant = "def lr_at(step, lr):\n    return lr\n"
    ran = run_idea(tmp_path / "own", constant, baseline_schedule="step")
    assert ran.returncode == 0, ran.stderr
    for idea, base in zip(_runs(ran.metrics, "idea"), _runs(ran.metrics, "baseline")):
        assert idea["val_metric"][:2] == base["val_metric"][:2] and idea["val_metric"][2:] != base["val_metric"][2:]
    described = run_idea(tmp_path / "described", constant, "--describe", baseline_schedule="cosine")
    assert described.returncode == 0, described.stderr
    rates = {arm: dict(described.metrics["arms"][arm]["probes"]["lr_at"]) for arm in ("idea", "baseline")}
    assert len(set(rates["idea"].values())) == 1 and rates["baseline"][1] == rates["idea"][1]
    assert rates["baseline"][20] == pytest.approx(rates["idea"][20] * 0.5 * (1 + math.cos(math.pi * 19 / 40)))


def test_a_param_matched_baseline_is_widened_to_the_idea_models_size(tmp_path: Path) -> None:
    """An idea model three hidden layers of 96 units wide: the baseline (two hidden layers) gets the width whose
    parameter count is closest to it; counting the idea's parameters draws nothing from the baseline's random state."""
    code = "def build_model(in_dim, hidden, out_dim):\n    return mlp(in_dim, 96, out_dim, depth=3)\n"
    ran = run_idea(tmp_path / "matched", code, "--describe", match_params=True)
    assert ran.returncode == 0, ran.stderr
    counts = {arm: ran.metrics["arms"][arm]["n_params"] for arm in ("idea", "baseline")}
    in_dim = ran.metrics["in_dim"]
    width = next(m[1] for m in ran.metrics["arms"]["baseline"]["params"] if m[0].endswith("weight"))[0]
    count = lambda h: (in_dim + 1) * h + (h + 1) * h + (h + 1)  # noqa: E731  # two hidden layers, one output
    assert abs(count(width) - counts["idea"]) <= min(abs(count(width + d) - counts["idea"]) for d in (-1, 1))
    assert counts["baseline"] == count(width) and abs(counts["baseline"] - counts["idea"]) < 0.02 * counts["idea"]
    same_size = "def build_model(in_dim, hidden, out_dim):\n    return baseline_model(in_dim, hidden, out_dim)\n"
    matched, plain = (run_idea(tmp_path / str(match), same_size, "--describe", match_params=match) for match in (True, False))
    assert matched.metrics["arms"]["baseline"]["params"] == plain.metrics["arms"]["baseline"]["params"]  # values too


def test_batch_size_at_sets_how_many_examples_each_step_trains_on(tmp_path: Path) -> None:
    """A batch of one example every step: a noisier, different run from the baseline's 64, and a clear error
    for a size that is not a whole number of examples."""
    code = textwrap.dedent('''
    def compute_loss(out, y, step):
        assert out.shape[0] == (1 if step % 2 else 2)
        return task_loss(out, y)


    def batch_size_at(step):
        return 1 if step % 2 else 2.0
    ''')
    ran = run_idea(tmp_path, code)
    assert ran.returncode == 0, ran.stderr
    assert ran.metrics["hooks"] == ["compute_loss", "batch_size_at"]
    for idea, base in zip(_runs(ran.metrics, "idea"), _runs(ran.metrics, "baseline")):
        assert idea["val_metric"] != base["val_metric"]
    broken = run_idea(tmp_path / "broken", "def batch_size_at(step):\n    return 0.5\n")
    assert broken.returncode != 0 and "batch_size_at(step=1) must return a whole number from 1 to" in broken.stderr


def test_choose_batch_picks_which_training_examples_each_step_trains_on(tmp_path: Path) -> None:
    """Batches of class 0 only, half the usual size, scored with the model: the idea arm trains on those, and an index
    outside the training set is a clear error."""
    code = textwrap.dedent('''
    def compute_loss(out, y, step):
        assert out.shape[0] == BATCH_SIZE // 2 and bool((y == 0).all())
        return task_loss(out, y)


    def choose_batch(idx, x, y, model):
        zeros = torch.nonzero(y == 0).flatten()
        scores = model(x[zeros]).max(dim=1).values  # called without gradients
        assert not scores.requires_grad
        return zeros[scores.argsort()[: len(idx) // 2]]
    ''')
    ran = run_idea(tmp_path, code, task="digits")
    assert ran.returncode == 0, ran.stderr
    assert ran.metrics["hooks"] == ["compute_loss", "choose_batch"]
    broken = run_idea(tmp_path / "broken", "def choose_batch(idx, x):\n    return idx + len(x)\n", task="digits")
    assert broken.returncode != 0 and "choose_batch returned an index outside the training set" in broken.stderr


def test_build_model_naming_x_gets_the_whole_training_split(tmp_path: Path) -> None:
    """A first layer whose bias is set from the training inputs' mean: both arms otherwise the same model."""
    code = textwrap.dedent('''
    def build_model(in_dim, hidden, out_dim, x, y):
        assert x.shape[0] == y.shape[0] > BATCH_SIZE and x.shape[1] == in_dim
        model = baseline_model(in_dim, hidden, out_dim)
        first = [m for m in model.modules() if isinstance(m, nn.Linear)][0]
        with torch.no_grad():
            first.bias.copy_(-first.weight @ x.mean(0))
        return model
    ''')
    ran = run_idea(tmp_path, code)
    assert ran.returncode == 0, ran.stderr
    assert ran.metrics["hooks"] == ["build_model"]


def test_lr_at_naming_the_loss_gets_the_steps_own_training_loss(tmp_path: Path) -> None:
    """A rate that is zero while the loss is above 1e9: never, so it trains; one zero while the loss is
    positive: always, so the idea arm never moves."""
    follows = "def lr_at(step, lr, loss):\n    assert isinstance(loss, float) and loss > 0\n    return lr if loss < 1e9 else 0.0\n"
    ran = run_idea(tmp_path / "follows", follows)
    assert ran.returncode == 0, ran.stderr
    for idea, base in zip(_runs(ran.metrics, "idea"), _runs(ran.metrics, "baseline")):
        assert idea["val_metric"] == base["val_metric"]
    frozen = run_idea(tmp_path / "frozen", "def lr_at(step, lr, loss):\n    return 0.0 if loss > 0 else lr\n")
    assert frozen.returncode == 0, frozen.stderr
    assert all(len(set(run["val_metric"])) == 1 for run in _runs(frozen.metrics, "idea"))


def test_an_optimizer_that_needs_a_closure_gets_one(tmp_path: Path) -> None:
    """step(closure) that discards the gradients and asks the closure for them again: plain SGD, same numbers."""
    code = textwrap.dedent('''
    class Recomputing(torch.optim.Optimizer):
        def __init__(self, params, lr):
            super().__init__(params, dict(lr=lr))

        def step(self, closure):
            for group in self.param_groups:
                for p in group["params"]:
                    p.grad = None
            loss = closure()
            assert torch.is_tensor(loss)
            with torch.no_grad():
                for group in self.param_groups:
                    for p in group["params"]:
                        p.add_(p.grad, alpha=-group["lr"])
            return loss


    def make_optimizer(params, lr):
        return Recomputing(params, lr)
    ''')
    ran = run_idea(tmp_path, code, task="classification")
    assert ran.returncode == 0, ran.stderr
    for idea, base in zip(_runs(ran.metrics, "idea"), _runs(ran.metrics, "baseline")):
        assert idea["final_metric"] == base["final_metric"] and idea["train_loss"] == base["train_loss"]


def test_after_step_runs_after_every_step_without_gradients(tmp_path: Path) -> None:
    code = textwrap.dedent('''
    CALLS = []


    def after_step(model, step):
        assert not torch.is_grad_enabled()
        if step == 1:
            CALLS.clear()
        CALLS.append(step)
        if step == STEPS:
            assert CALLS == list(range(1, STEPS + 1)), CALLS
    ''')
    ran = run_idea(tmp_path, code)
    assert ran.returncode == 0, ran.stderr
    assert ran.metrics["status"] == "ok"


def test_a_by_name_hook_asking_for_an_unknown_argument_is_explained(tmp_path: Path) -> None:
    ran = run_idea(tmp_path, "def lr_at(t, lr):\n    return lr\n")
    assert ran.returncode != 0
    assert ran.metrics["error"]["type"] == "TypeError"
    assert ran.metrics["error"]["message"] == "lr_at asks for an argument 't'; the harness passes only step, lr, loss (by name)"


def test_digits_image_task_with_the_convnet_baseline_and_a_flattening_mlp(tmp_path: Path) -> None:
    code = textwrap.dedent('''
    def build_model(in_dim, hidden, out_dim):
        assert in_dim == (1, 8, 8)
        return mlp(in_dim, hidden, out_dim)
    ''')
    ran = run_idea(tmp_path, code, task="digits_image", steps=100, lr=0.15, eval_every=50, print_every=50)
    assert ran.returncode == 0, ran.stderr
    assert ran.metrics["metric"] == "test_accuracy" and validate_metrics(ran.metrics) == []
    base, idea = _runs(ran.metrics, "baseline")[0], _runs(ran.metrics, "idea")[0]
    assert base["n_params"] != idea["n_params"]  # a convnet against an MLP
    assert min(r["final_metric"] for r in _runs(ran.metrics, "baseline")) > 0.5


def test_sequence_task_is_learned_by_the_recurrent_baseline_and_not_by_a_constant(tmp_path: Path) -> None:
    code = textwrap.dedent('''
    def build_model(in_dim, hidden, out_dim):
        assert in_dim == (12, 8)
        return seqnet(in_dim, hidden, out_dim, cell=nn.RNN)
    ''')
    ran = run_idea(tmp_path, code, task="sequence", steps=300, lr=0.45, eval_every=100, print_every=100)
    assert ran.returncode == 0, ran.stderr
    assert max(ran.metrics["trivial_metric"].values()) < 0.3  # four balanced classes
    assert min(r["final_metric"] for r in _runs(ran.metrics, "baseline")) > 0.8  # the GRU at batch 64, 300 steps
    assert all(r["n_params"] < _runs(ran.metrics, "baseline")[0]["n_params"] for r in _runs(ran.metrics, "idea"))


def test_baseline_optimizer_and_norm_are_used_by_both_arms(tmp_path: Path) -> None:
    """The idea rebuilds the baseline with its helpers: identical to the configured baseline, Adam at its usual rate."""
    code = textwrap.dedent('''
    def build_model(in_dim, hidden, out_dim):
        return baseline_model(in_dim, hidden, out_dim)


    def make_optimizer(params, lr):
        return baseline_optimizer(params, lr)
    ''')
    config = dict(task="classification", baseline_optimizer="adam", baseline_norm="batchnorm")
    ran = run_idea(tmp_path / "run", code, **config)
    assert ran.returncode == 0, ran.stderr
    assert ran.metrics["config"]["lr"] == 0.003 and ran.metrics["config"]["baseline_optimizer"] == "adam"
    for idea, base in zip(_runs(ran.metrics, "idea"), _runs(ran.metrics, "baseline")):
        assert idea["final_metric"] == base["final_metric"] and idea["train_loss"] == base["train_loss"]
    arms = run_idea(tmp_path / "describe", code, "--describe", **config).metrics["arms"]
    for arm in arms.values():
        assert arm["optimizer"]["class"] == "Adam" and arm["optimizer"]["defaults"]["lr"] == 0.003
        assert [cls for _, cls in arm["modules"]].count("BatchNorm1d") == 2


def test_a_block_of_equal_width_replaces_the_hidden_layer_and_keeps_the_layer_count(tmp_path: Path) -> None:
    """A residual block starting as the identity (a gate at zero): the idea arm has the baseline's three weight layers."""
    code = textwrap.dedent('''
    class Gated(nn.Module):
        def __init__(self, width):
            super().__init__()
            self.inner = nn.Linear(width, width)
            self.gate = nn.Parameter(torch.zeros(1))

        def forward(self, x):
            return x + self.gate * F.relu(self.inner(x))


    def build_model(in_dim, hidden, out_dim):
        return mlp(in_dim, hidden, out_dim, block=Gated)
    ''')
    ran = run_idea(tmp_path, code)
    assert ran.returncode == 0, ran.stderr
    assert not [p for p in validate_metrics(ran.metrics) if p.kind in ("run_error", "format")]
    base, idea = _runs(ran.metrics, "baseline")[0], _runs(ran.metrics, "idea")[0]
    assert idea["n_params"] == base["n_params"] + 1  # the gate; the block's inner layer is the baseline's hidden layer
