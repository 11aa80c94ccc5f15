"""`python experiment.py --describe` (arms.json, no training) and the per-hook interface text."""

from __future__ import annotations

import textwrap
from pathlib import Path

from test_experiments_harness import run_idea

from agentnotes.experiments import describe_interface
from agentnotes.experiments.lab.template import hook_names

ALL_HOOKS = textwrap.dedent('''
def build_model(in_dim, hidden, out_dim, x):
    model = seqnet(in_dim, hidden, out_dim)
    with torch.no_grad():
        model.head.bias.fill_(float(x.shape[0]))  # the whole training split, not one batch
    return model


def make_optimizer(params, lr):
    return torch.optim.SGD(params, lr=lr, momentum=0.5)


def after_step(model, step):
    if step % 30 == 0:
        for p in model.parameters():
            p.clamp_(-0.1, 0.1)


def compute_loss(out, y, step):
    return task_loss(out, y) * (2.0 if step >= STEPS // 2 else 1.0)


def transform_batch(x, y):
    return x.flip(1), y


def lr_at(step, lr):
    return lr / step


def batch_size_at(step):
    return 16 if step <= STEPS // 2 else 128


def choose_batch(idx, y):
    return idx.flip(0)
''')


def test_describe_builds_both_arms_and_probes_every_hook_without_training(tmp_path: Path) -> None:
    ran = run_idea(tmp_path, ALL_HOOKS, "--describe", task="sequence", steps=200)
    assert ran.returncode == 0, ran.stderr
    assert not (tmp_path / "metrics.json").exists() and " step " not in ran.stdout
    report = ran.metrics
    assert (report["task"], report["in_dim"], report["out_dim"], report["lr"]) == ("sequence", [12, 8], 4, 0.05)
    base, idea = report["arms"]["baseline"], report["arms"]["idea"]
    assert base["modules"] == idea["modules"]
    assert ["rnn", "GRU"] in base["modules"] and ["rnn", [12, 64]] in base["outputs"] and ["head", [4]] in base["outputs"]
    head_bias = [i for i, (name, _, _) in enumerate(base["params"]) if name == "head.bias"]
    assert head_bias and [p for i, p in enumerate(base["params"]) if i not in head_bias] == \
        [p for i, p in enumerate(idea["params"]) if i not in head_bias]  # same seed: same shapes and initial values
    assert base["params"][head_bias[0]][2] != idea["params"][head_bias[0]][2]  # set from the training data
    assert base["params"][0][:2] == ["rnn.weight_ih_l0", [192, 8]]
    assert base["optimizer"] == {"class": "SGD", "closure": False, "defaults": base["optimizer"]["defaults"]}
    assert (base["optimizer"]["defaults"]["momentum"], idea["optimizer"]["defaults"]["momentum"]) == (0, 0.5)
    assert base["hooks"] == [] and idea["hooks"] == list(hook_names())
    probes = idea["probes"]
    assert probes["transform_batch"] == {"changes_x": True, "changes_y": False}
    assert probes["lr_at"] == [[s, 0.05 / s] for s in (1, 20, 50, 100, 150, 200)]
    assert probes["batch_size_at"] == [[s, 16 if s <= 100 else 128] for s in (1, 20, 50, 100, 150, 200)]
    assert (probes["choose_batch"], base["probes"]["choose_batch"]) == ({"changes": True}, {"changes": False})
    assert base["probes"]["batch_size_at"] == [[s, 64] for s in (1, 20, 50, 100, 150, 200)]
    assert base["probes"]["lr_at"] == [[s, 0.05] for s in (1, 20, 50, 100, 150, 200)]
    loss = probes["compute_loss"]
    assert loss["differs"] and [v / loss["task_loss"] for _, v in loss["values"]] == [1.0] * 3 + [2.0] * 3
    assert probes["after_step"] == {"changed_at": [30, 60, 90], "changes_weights": True}
    assert base["probes"]["after_step"] == {"changed_at": [], "changes_weights": False}
    assert not base["probes"]["compute_loss"]["differs"] and base["probes"]["transform_batch"]["changes_x"] is False


def test_describe_records_an_idea_that_fails_to_build(tmp_path: Path) -> None:
    ran = run_idea(tmp_path, "def build_model(in_dim, hidden, out_dim):\n    return 3\n", "--describe")
    assert ran.returncode != 0
    assert ran.metrics["error"]["during"] == "idea describe" and ran.metrics["error"]["type"] == "TypeError"
    assert "baseline" in ran.metrics["arms"]


def test_describe_says_a_loss_left_per_unit_is_not_yet_summed(tmp_path: Path) -> None:
    per_unit = "def compute_loss(out, y):\n    return task_loss(out, y) + 0.1 * (out ** 2).mean(1)\n"
    ran = run_idea(tmp_path, per_unit, "--describe")
    assert ran.returncode != 0 and ran.metrics["error"]["type"] == "TypeError"
    assert "not yet summed or averaged" in ran.metrics["error"]["message"]


def test_interface_keeps_only_the_sections_of_the_hooks_asked_for() -> None:
    full = describe_interface()
    assert all(f"    {hook}(" in full for hook in hook_names())
    loss_only = describe_interface(["compute_loss"])
    assert "compute_loss(out, y, model, step)" in loss_only and "task_loss(out, y)" in loss_only
    for other in set(hook_names()) - {"compute_loss"}:
        assert f"    {other}(" not in loss_only
    for common in ("Write only the idea.", "Facts you can use:", "Rules: import only torch"):
        assert common in loss_only
    assert describe_interface(hook_names()) == full
    assert len(full) < 4600 and len(loss_only) < 1600  # a prompt carries only its idea's hooks
    assert "\n\n\n" not in describe_interface(["lr_at", "build_model"])
