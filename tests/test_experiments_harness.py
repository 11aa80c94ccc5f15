"""The assembled experiment.py, run for real with plain `python` on a tiny budget."""

from __future__ import annotations

import ast
import json
import math
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from agentnotes.errors import ExperimentError
from agentnotes.experiments import (
    ExperimentConfig,
    assemble_script,
    compare_arms,
    explain_failure,
    idea_span,
    parse_progress,
    validate_metrics,
)
from agentnotes.experiments.results.added_seeds import added_seeds_config, merged
from agentnotes.experiments.results.plots import make_plots
from agentnotes.experiments.results.report import _results as report_results
from agentnotes.experiments.lab.assemble import ARMS_NAME, DESCRIBE_FLAG
from agentnotes.experiments.lab.template import CONFIG_BEGIN, CONFIG_END, harness_source

IDEAS = Path(__file__).parent / "ideas"
TINY = dict(seeds=(0, 1, 2), steps=40, eval_every=10, print_every=20, lr_grid=())  # tests of the search set lr_grid


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str
    script: str
    metrics: dict[str, Any] | None


def run_idea(folder: Path, idea_code: str, *args: str, workers: int | None = None, **config: Any) -> Ran:
    """Assemble and run experiment.py (with `args`, e.g. --describe) in `folder` with the test's own python,
    its runs trained by `workers` processes (default: one per CPU).

    `metrics` is what the run wrote: metrics.json, or arms.json for --describe.
    """
    folder.mkdir(parents=True, exist_ok=True)
    script = assemble_script(idea_code, ExperimentConfig(**{**TINY, **config}))
    if workers is not None:
        script = script.replace('\nCPU_WORKERS = "auto"', f"\nCPU_WORKERS = {workers}", 1)
    (folder / "experiment.py").write_text(script)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.run([sys.executable, "experiment.py", *args], cwd=folder, capture_output=True, text=True,
                          timeout=300, env=env)
    written = folder / (ARMS_NAME if DESCRIBE_FLAG in args else "metrics.json")
    metrics = json.loads(written.read_text()) if written.exists() else None
    return Ran(proc.returncode, proc.stdout, proc.stderr, script, metrics)


@pytest.mark.parametrize(
    ("idea", "config", "hooks"),
    [
        ("mirror", dict(input_scale=0.5), ["build_model", "after_step"]),
        ("gonnor", dict(task="digits"), ["make_optimizer"]),
        ("logic_gates", dict(task="classification"), ["build_model"]),
        ("double_relu", dict(), ["build_model"]),
    ],
)
def test_reference_idea_runs_and_writes_metrics(tmp_path: Path, idea: str, config: dict, hooks: list[str]) -> None:
    ran = run_idea(tmp_path, (IDEAS / f"{idea}.py").read_text(), idea_name=idea, **config)
    assert ran.returncode == 0, ran.stderr
    metrics = ran.metrics
    assert metrics is not None and metrics["status"] == "ok"
    assert metrics["hooks"] == hooks
    assert metrics["task"] == config.get("task", "regression")
    assert (metrics["metric"], metrics["higher_is_better"]) == (
        ("test_mse", False) if metrics["task"] == "regression" else ("test_accuracy", True)
    )
    env = metrics["environment"]
    assert env["torch"] and env["python"] and env["device"] == "cpu" and env["cuda_available"] is False
    assert env["seeds"] == [0, 1, 2]
    for arm in ("baseline", "idea"):
        runs = metrics["arms"][arm]["runs"]
        assert [r["seed"] for r in runs] == [0, 1, 2]
        for run in runs:
            assert run["steps"] == [10, 20, 30, 40]
            assert len(run["train_loss"]) == len(run["val_metric"]) == 4
            assert all(math.isfinite(v) for v in run["train_loss"] + run["val_metric"] + [run["final_metric"]])
            assert run["wall_s"] > 0 and run["n_params"] > 0 and run["diverged"] is False
    assert sorted(metrics["trivial_metric"]) == ["0", "1", "2"]
    assert validate_metrics(metrics) == []  # both arms learned more than a constant prediction
    comparison = compare_arms(metrics)
    assert comparison.conclusion in ("idea_better", "baseline_better", "no_evidence")
    assert comparison.n_pairs == 3 and comparison.p_value is not None
    progress = [p for p in map(parse_progress, ran.stdout.splitlines()) if p]
    assert {(p.arm, p.tag) for p in progress} == {(a, f"seed={s}") for a in ("baseline", "idea") for s in (0, 1, 2)}
    assert all(p.steps == 40 and p.step in (20, 40) for p in progress)
    pngs = make_plots(metrics, tmp_path)
    assert [p.name for p in pngs] == ["curves.png", "final.png"]
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in pngs)


def _data_of_a_run(folder: Path, probe: str, **condition: Any) -> str:
    """Run the gonnor reference on digits under `condition` (a config field), check its metrics record it, then run
    `probe` (Python that imports the run's experiment.py as `e`) beside it: its output."""
    ran = run_idea(folder, (IDEAS / "gonnor.py").read_text(), task="digits", **condition)
    assert ran.returncode == 0, ran.stderr
    assert ran.metrics is not None and all(ran.metrics["config"][k] == v for k, v in condition.items())
    out = subprocess.run([sys.executable, "-c", "import experiment as e, numpy as np\n" + probe], cwd=folder,
                         capture_output=True, text=True, timeout=120, env={**os.environ, "CUDA_VISIBLE_DEVICES": ""})
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_label_noise_makes_that_share_of_the_training_labels_wrong_the_same_for_both_arms(tmp_path: Path) -> None:
    """A run under label noise (a condition a note names) trains on wrong labels and is measured on clean ones."""
    probe = ("for seed in (0, 1):\n"
             "    noisy = e.load_data('digits', seed)[0]\n"
             "    e.LABEL_NOISE = 0.0\n"
             "    clean = e.load_data('digits', seed)[0]\n"
             "    e.LABEL_NOISE = 0.3\n"
             "    again = e.load_data('digits', seed)[0]\n"
             "    wrong = noisy['train'][1] != clean['train'][1]\n"
             "    print(round(wrong.mean(), 3), int((noisy['train'][1] == again['train'][1]).all()),\n"
             "          int(all((noisy[k][1] == clean[k][1]).all() for k in ('val', 'test'))),\n"
             "          int((noisy['train'][0] == clean['train'][0]).all()), int(noisy['train'][1].max() <= 9))\n")
    for line in _data_of_a_run(tmp_path / "noisy", probe, label_noise=0.3).splitlines():  # each seed: 30% wrong, drawn the same each time, val/test and inputs clean
        share, same, clean_eval, same_inputs, in_range = line.split()
        assert abs(float(share) - 0.3) < 0.005 and (same, clean_eval, same_inputs, in_range) == ("1", "1", "1", "1")


def test_a_training_set_cut_to_a_few_examples_keeps_every_class_and_leaves_val_and_test_whole(tmp_path: Path) -> None:
    probe = ("few = e.load_data('digits', 0)[0]\n"
             "e.TRAIN_SIZE = 0\n"
             "full = e.load_data('digits', 0)[0]\n"
             "print(len(few['train'][1]), np.bincount(few['train'][1]).min(), len(full['train'][1]),\n"
             "      int(all(len(few[k][1]) == len(full[k][1]) for k in ('val', 'test'))))\n")
    kept, fewest, whole, eval_whole = map(int, _data_of_a_run(tmp_path / "few", probe, train_size=100).split())
    assert (kept, fewest, eval_whole) == (100, 10, 1) and whole > 1000  # ten of each of the ten digits


def test_a_long_tailed_training_set_keeps_fewer_of_each_later_class_and_leaves_val_and_test_whole(tmp_path: Path) -> None:
    probe = ("tail = e.load_data('digits', 0)[0]\n"
             "e.CLASS_IMBALANCE = 0.0\n"
             "full = e.load_data('digits', 0)[0]\n"
             "print(*np.bincount(tail['train'][1]), np.bincount(full['train'][1]).min(),\n"
             "      int(all((tail[k][1] == full[k][1]).all() for k in ('val', 'test'))))\n")
    *counts, fewest, eval_whole = map(int, _data_of_a_run(tmp_path / "tail", probe, class_imbalance=10.0).split())
    assert counts[0] == fewest and counts[-1] == round(fewest / 10) and eval_whole == 1
    assert all(a >= b for a, b in zip(counts, counts[1:]))  # each class keeps fewer than the one before


def test_a_loss_reads_the_class_counts_of_the_training_set_it_trains_on(tmp_path: Path) -> None:
    """CLASS_COUNTS, the training set's class frequencies, for losses of long-tailed data (logit adjustment here)."""
    code = textwrap.dedent('''
        import torch


        def compute_loss(out, y):
            assert CLASS_COUNTS.shape == (out.shape[1],) and CLASS_COUNTS[0] > 5 * CLASS_COUNTS[-1]
            return task_loss(out + torch.log(CLASS_COUNTS / CLASS_COUNTS.sum()), y)
    ''')
    ran = run_idea(tmp_path, code, task="digits", class_imbalance=10.0, lr_grid=())
    assert ran.returncode == 0, ran.stderr
    assert ran.metrics["status"] == "ok" and ran.metrics["config"]["class_imbalance"] == 10.0


def test_identical_idea_reproduces_the_baseline_exactly(tmp_path: Path) -> None:
    """Same data, seeds, batches and initialisation for both arms: a no-op idea gives identical numbers."""
    code = textwrap.dedent('''
    def build_model(in_dim, hidden, out_dim):
        return mlp(in_dim, hidden, out_dim)

    def make_optimizer(params, lr):
        return torch.optim.SGD(params, lr=lr)
    ''')
    ran = run_idea(tmp_path, code, task="classification")
    assert ran.returncode == 0, ran.stderr
    base, idea = (ran.metrics["arms"][arm]["runs"] for arm in ("baseline", "idea"))
    for b, i in zip(base, idea):
        assert (b["final_metric"], b["train_loss"], b["val_metric"]) == (i["final_metric"], i["train_loss"], i["val_metric"])
    assert len({r["final_metric"] for r in base}) == 3  # seeds do differ
    comparison = compare_arms(ran.metrics)  # the idea's code changed nothing in training: no verdict at all
    assert (comparison.conclusion, comparison.mean_diff, comparison.p_value) == ("inconclusive", None, None)
    assert "trained exactly as the baseline" in comparison.summary


def test_reruns_are_deterministic_whether_runs_train_side_by_side_or_one_after_another(tmp_path: Path) -> None:
    code = (IDEAS / "mirror.py").read_text()
    first = run_idea(tmp_path / "a", code, workers=2)
    second = run_idea(tmp_path / "b", code, workers=1)
    assert 'CPU_WORKERS = 2' in first.script and 'CPU_WORKERS = 1' in second.script
    for arm in ("baseline", "idea"):
        a, b = (m["arms"][arm]["runs"] for m in (first.metrics, second.metrics))
        assert [r["final_metric"] for r in a] == [r["final_metric"] for r in b]
        assert [r["train_loss"] for r in a] == [r["train_loss"] for r in b]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_crashing_idea_points_at_its_own_line(tmp_path: Path, workers: int) -> None:
    code = textwrap.dedent('''
    import torch.nn as nn


    class Broken(nn.Module):
        def forward(self, x):
            return x @ torch.zeros(3, 3, device=x.device)


    def build_model(in_dim, hidden, out_dim):
        return mlp(in_dim, hidden, out_dim, activation=Broken)
    ''').lstrip()
    ran = run_idea(tmp_path, code, workers=workers)
    assert ran.returncode != 0
    assert ran.metrics["status"] == "error"
    assert ran.metrics["error"]["during"] == "idea seed=0"
    assert ran.metrics["error"]["type"] == "RuntimeError"
    assert len(ran.metrics["arms"]["baseline"]["runs"]) == 1  # the finished run was kept
    explained = explain_failure(ran.stderr, ran.script).splitlines()
    assert explained[0] == "Traceback (most recent call last):"
    assert "  idea code line 10, in build_model: return mlp(in_dim, hidden, out_dim, activation=Broken)" in explained
    assert "  (harness) in mlp" in explained and "  (library code)" in explained
    error_at = explained.index("RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x64 and 3x3)")
    assert explained[error_at - 1] == "  idea code line 6, in forward: return x @ torch.zeros(3, 3, device=x.device)"
    assert explained[error_at + 1:] == ["Values when it failed (idea code line 6, in forward):",
                                        "  self = module Broken", "  x = tensor of shape (2, 64), float32"]
    assert not any("site-packages" in line or "^^^" in line for line in explained)
    problems = validate_metrics(ran.metrics)
    assert problems[0].kind == "run_error" and "idea seed=0" in problems[0].message
    assert compare_arms(ran.metrics).conclusion == "inconclusive"


def test_a_failure_in_the_idea_code_shows_the_values_at_the_failing_line(tmp_path: Path) -> None:
    code = textwrap.dedent('''
    def transform_batch(x, y, step):
        mix = torch.full((x.shape[0],), 0.5)
        order = torch.randperm(x.shape[0])
        return mix * x + (1 - mix) * x[order], y
    ''').lstrip()
    ran = run_idea(tmp_path, code, DESCRIBE_FLAG)
    assert ran.returncode != 0
    explained = explain_failure(ran.stderr, ran.script).splitlines()
    values = explained[explained.index("Values when it failed (idea code line 4, in transform_batch):") + 1:]
    assert values == ["  x = tensor of shape (64, 8), float32", "  y = tensor of shape (64, 1), float32", "  step = 1",
                      "  mix = tensor of shape (64,), float32", "  order = tensor of shape (64,), int64"]


def test_a_failure_in_the_harness_shows_no_values(tmp_path: Path) -> None:
    ran = run_idea(tmp_path, "def build_model(in_dim, hidden, out_dim):\n    return mlp(in_dim, hidden, 7)\n")
    assert "[harness] values at the failing line" in ran.stderr  # the harness frame's values are logged ...
    assert "Values when it failed" not in explain_failure(ran.stderr, ran.script)  # ... and not shown as the idea's


def test_wrong_output_width_is_explained(tmp_path: Path) -> None:
    code = "def build_model(in_dim, hidden, out_dim):\n    return mlp(in_dim, hidden, 7)\n"
    ran = run_idea(tmp_path, code)
    assert ran.returncode != 0
    assert "the model returned shape (64, 7) but the task needs (64, 1)" in ran.metrics["error"]["message"]


def test_divergence_is_recorded_not_hidden(tmp_path: Path) -> None:
    code = "def make_optimizer(params, lr):\n    return torch.optim.SGD(params, lr=lr * 1e6)\n"
    ran = run_idea(tmp_path, code)
    assert ran.returncode == 0, ran.stderr
    idea_runs = ran.metrics["arms"]["idea"]["runs"]
    assert all(r["diverged"] and r["final_metric"] is None for r in idea_runs)
    assert "diverged: stopping this run" in ran.stdout
    kinds = [p.kind for p in validate_metrics(ran.metrics)]
    assert kinds.count("diverged") == 3 and "too_few_seeds" in kinds
    comparison = compare_arms(ran.metrics)
    assert comparison.conclusion == "inconclusive" and "3 diverged" in comparison.summary


def test_a_seed_diverging_at_the_tuned_rate_reruns_the_arm_at_the_next_lower_rate(tmp_path: Path) -> None:
    """The search picks a rate on one seed; when a test seed diverges there, every seed of that arm
    runs again at the next lower rate tried, and metrics.json says so."""
    code = textwrap.dedent('''
    def make_optimizer(params, lr):
        # the search's tuning seed trains fine at every rate; from 0.05 up, a test seed blows up
        blows_up = torch.initial_seed() != TUNE_SEED and lr >= 0.05
        return torch.optim.SGD(params, lr=lr * (1e6 if blows_up else 1))
    ''')
    ran = run_idea(tmp_path, code, lr_grid=(0.01, 0.05))
    assert ran.returncode == 0, ran.stderr
    idea, baseline = ran.metrics["arms"]["idea"], ran.metrics["arms"]["baseline"]
    chosen = ran.metrics["lr_tuning"]["idea"]["chosen"]
    assert chosen >= 0.05  # the search itself saw no divergence and picked a large rate
    assert idea["lr"] == 0.01 and [f["to"] for f in idea["lr_fallbacks"]][-1] == 0.01
    assert idea["lr_fallbacks"][0]["from"] == chosen and idea["lr_fallbacks"][0]["diverged_seeds"] == [0, 1, 2]
    assert len(idea["runs"]) == 3 and not any(r["diverged"] for r in idea["runs"])
    assert {r["lr"] for r in idea["runs"]} == {0.01}
    assert "lr_fallbacks" not in baseline and baseline["lr"] == ran.metrics["lr_tuning"]["baseline"]["chosen"]
    assert "every seed of it runs again at the next lower rate tried, 0.01" in ran.stdout
    assert not [p for p in validate_metrics(ran.metrics) if p.kind in ("diverged", "too_few_seeds")]
    results = report_results(ran.metrics, compare_arms(ran.metrics), [])
    assert f"seeds [0, 1, 2] diverged at {chosen}: every seed of this arm ran again at" in results


def test_seeds_added_to_a_run_merge_into_what_a_run_of_every_seed_writes(tmp_path: Path) -> None:
    """More seeds for the same condition: only the new ones train, at the rates the first run's search chose,
    and the merged metrics are those of one run of every seed (the wall times aside)."""
    code = (IDEAS / "mirror.py").read_text()
    search = dict(lr_grid=(0.02, 0.05))
    full = run_idea(tmp_path / "full", code, **search, seeds=(0, 1, 2, 3, 4))
    first = run_idea(tmp_path / "first", code, **search)
    added_config = added_seeds_config(first.metrics, ExperimentConfig(**{**TINY, **search, "seeds": (0, 1, 2, 3, 4)}))
    assert added_config is not None and added_config.seeds == (3, 4)
    assert dict(added_config.arm_lrs) == {arm: first.metrics["arms"][arm]["lr"] for arm in ("baseline", "idea")}
    added = run_idea(tmp_path / "added", code, **search, seeds=added_config.seeds, arm_lrs=added_config.arm_lrs)
    assert added.returncode == 0, added.stderr
    assert added.metrics["lr_tuning"] is None and "lr search" not in added.stdout

    def without_times(metrics: dict) -> dict:
        runs = {arm: [{k: v for k, v in r.items() if k != "wall_s"} for r in entry["runs"]]
                for arm, entry in metrics["arms"].items()}
        return {**metrics, "arms": runs, "environment": None, "added_seeds": None,
                "lr_tuning": {arm: {k: v for k, v in t.items() if k != "wall_s"} for arm, t in metrics["lr_tuning"].items()}}

    together = merged(first.metrics, added.metrics)
    assert together["config"]["seeds"] == [0, 1, 2, 3, 4] and together["added_seeds"] == [[3, 4]]
    assert {arm: e["lr"] for arm, e in together["arms"].items()} == {arm: e["lr"] for arm, e in full.metrics["arms"].items()}
    assert without_times(together) == without_times(full.metrics)
    assert validate_metrics(together) == validate_metrics(full.metrics)


def test_seeds_added_are_not_merged_when_one_diverged_or_the_run_differs() -> None:
    prior = {"status": "ok", "config": {"seeds": [0, 1, 2], "steps": 40, "input_scale": 1.0},
             "arms": {"baseline": {"lr": 0.05, "runs": []}, "idea": {"lr": 0.15, "runs": []}}}
    wanted = ExperimentConfig(**{**TINY, "seeds": (0, 1, 2, 3, 4, 5)})
    assert added_seeds_config(prior, wanted).seeds == (3, 4, 5)
    assert added_seeds_config(prior, replace(wanted, steps=160)) is None  # a longer budget: every seed again
    assert added_seeds_config(prior, replace(wanted, input_scale=0.01)) is None
    assert added_seeds_config({**prior, "status": "error"}, wanted) is None
    assert added_seeds_config(prior, replace(wanted, seeds=(0, 1, 2))) is None  # nothing to add
    diverged = {"status": "ok", "config": {"seeds": [3]},
                "arms": {"baseline": {"runs": [{"seed": 3, "diverged": True}]}, "idea": {"runs": [{"seed": 3, "diverged": False}]}}}
    assert merged(prior, diverged) is None


def test_lr_search_gives_both_arms_the_same_budget_and_widens_at_the_edge(tmp_path: Path) -> None:
    """At 40 steps the larger rate wins, so the grid grows upwards (x3 per widening) for both arms alike."""
    ran = run_idea(tmp_path, (IDEAS / "gonnor.py").read_text(), lr_grid=(0.001, 0.002))
    assert ran.returncode == 0, ran.stderr
    tuning = ran.metrics["lr_tuning"]
    for arm in ("baseline", "idea"):
        record = tuning[arm]
        assert record["tried"] == [0.001, 0.002, 0.006, 0.018]  # two widenings, the most the harness makes
        assert set(record["val_metric"]) == {"0.001", "0.002", "0.006", "0.018"}
        best = min(record["tried"], key=lambda lr: record["val_metric"][str(lr)])  # regression: lower is better
        assert record["chosen"] == best
        assert record["at_edge"] == (best == 0.018) and record["edge"] == ("high" if best == 0.018 else None)
        assert ran.metrics["arms"][arm]["lr"] == record["chosen"]
        assert {r["lr"] for r in ran.metrics["arms"][arm]["runs"]} == {record["chosen"]}
        assert 10_000 not in [r["seed"] for r in ran.metrics["arms"][arm]["runs"]]
    assert ran.metrics["config"]["lr_grid"] == [0.001, 0.002]
    assert "widening the learning-rate grid to 0.006" in ran.stdout
    tags = {p.tag for p in map(parse_progress, ran.stdout.splitlines()) if p}
    assert {"lr=0.001", "lr=0.002", "lr=0.006", "lr=0.018"} <= tags


def test_an_arm_that_does_not_use_the_rate_is_not_widened_for_and_the_report_says_so(tmp_path: Path) -> None:
    fixed_step = "def make_optimizer(params, lr):\n    return torch.optim.SGD(params, lr=0.05)\n"
    ran = run_idea(tmp_path, fixed_step, lr_grid=(0.001, 0.002))
    assert ran.returncode == 0, ran.stderr
    idea = ran.metrics["lr_tuning"]["idea"]
    assert len(set(idea["val_metric"].values())) == 1 and not idea["at_edge"]
    assert ran.metrics["lr_tuning"]["baseline"]["tried"] == idea["tried"]  # widened for the baseline only, both ran it
    from agentnotes.experiments.results.report import _caveats
    from agentnotes.experiments.results.stats import compare_arms

    caveats = "\n".join(_caveats(ran.metrics, compare_arms(ran.metrics)))
    assert "The idea arm scored the same at every rate tried" in caveats and "The baseline arm scored" not in caveats


def test_default_search_is_centred_on_the_baseline_optimizers_rate(tmp_path: Path) -> None:
    ran = run_idea(tmp_path, HOOK_ONLY, lr_grid="auto", baseline_optimizer="adam")
    assert ran.returncode == 0, ran.stderr
    assert ran.metrics["config"]["lr"] == 0.003 and ran.metrics["config"]["lr_grid"] == [0.001, 0.003, 0.009]
    base, idea = ran.metrics["lr_tuning"]["baseline"], ran.metrics["lr_tuning"]["idea"]
    assert base == idea  # a no-op idea: same runs, same scores, same choice
    assert {0.001, 0.003, 0.009} <= set(base["tried"]) and len(base["tried"]) <= 5


def test_template_defaults_are_the_config_defaults() -> None:
    """The template runs as-is; its config block must be exactly what assembly writes for the defaults."""
    def block(text: str) -> dict[str, Any]:
        tree = ast.parse(text.split(CONFIG_BEGIN)[1].split(CONFIG_END)[0])
        return {node.targets[0].id: ast.literal_eval(node.value) for node in tree.body}

    script = assemble_script(HOOK_ONLY, ExperimentConfig())
    assert block(script) == block(harness_source()) == ExperimentConfig().variables()
    first, last = idea_span(script)
    assert script.splitlines()[first - 1:last] == HOOK_ONLY.splitlines()


HOOK_ONLY = "def after_step(model, step):\n    return None"


def test_config_values_are_written_safely() -> None:
    name = 'mirror "quoted"\nimport os'
    script = assemble_script(HOOK_ONLY, ExperimentConfig(idea_name=name, task="digits", seeds=(3, 4, 5), lr_grid=(0.1,)))
    assert f"IDEA_NAME = {name!r}\n" in script
    assert "TASK = 'digits'  # one of TASK_NAMES\n" in script
    assert "SEEDS = [3, 4, 5]\n" in script and "LR_GRID = [0.1]  #" in script
    assert "\nimport os\n" not in script


def test_future_imports_are_dropped_so_the_script_compiles() -> None:
    script = assemble_script("from __future__ import annotations\n" + HOOK_ONLY, ExperimentConfig())
    compile(script, "experiment.py", "exec")


@pytest.mark.parametrize(
    "bad",
    [dict(seeds=(0, 1)), dict(seeds=(1, 1, 2)), dict(task="imagenet"), dict(lr=0.0), dict(steps=0),
     dict(device="tpu"), dict(input_scale=float("nan")), dict(lr_grid=(0.1, -1.0)), dict(lr="fast"),
     dict(baseline_optimizer="lbfgs"), dict(baseline_norm="groupnorm"), dict(baseline_momentum=1.0),
     dict(baseline_activation="swishy"), dict(arm_lrs=(("idea", 0.1),)), dict(arm_lrs=(("baseline", 0.1), ("idea", 0.0))),
     dict(task="digits", label_noise=1.0), dict(task="digits", label_noise=-0.1), dict(label_noise=0.2),  # regression: no classes
     dict(train_size=-1), dict(task="digits", class_imbalance=1.0), dict(class_imbalance=10.0)],
)
def test_invalid_config_is_refused(bad: dict) -> None:
    with pytest.raises(ExperimentError):
        ExperimentConfig(**bad)


def test_config_total_steps_counts_both_arms_and_the_lr_search() -> None:
    """Seeds + grid + the two widenings the search may add, for both arms; no search, no tuning steps."""
    assert ExperimentConfig(seeds=(0, 1, 2), steps=100, lr_grid=(0.1, 0.2)).total_steps == 2 * 100 * (3 + 2 + 2)
    assert ExperimentConfig(seeds=(0, 1, 2), steps=100).total_steps == 2 * 100 * (3 + 3 + 2)
    assert ExperimentConfig(seeds=(0, 1, 2), steps=100, lr_grid=()).total_steps == 2 * 100 * 3
    assert ExperimentConfig(seeds=(5,), steps=100, arm_lrs=(("baseline", 0.1), ("idea", 0.3))).total_steps == 2 * 100 * 1


def test_auto_rates_follow_the_baseline_optimizer() -> None:
    script = assemble_script(HOOK_ONLY, ExperimentConfig(baseline_optimizer="adam", baseline_norm="layernorm"))
    assert "BASELINE_OPTIMIZER = 'adam'  #" in script and "BASELINE_NORM = 'layernorm'  #" in script
    assert "LR = 'auto'  #" in script and "LR_GRID = 'auto'  #" in script


def test_a_baseline_activation_the_request_names_is_the_baseline_builders_activation() -> None:
    from agentnotes.experiments.guards.baseline import baseline_from_request

    assert baseline_from_request("penalized tanh activation vs tanh").activation == "tanh"
    assert baseline_from_request("tanh-gated layer vs plain MLP").activation == "relu"  # the idea's side is not read
    assert baseline_from_request("softmax pooling vs sigmoid gating", ["architecture"]).activation == "relu"  # a part
    script = assemble_script(HOOK_ONLY, ExperimentConfig(task="digits", baseline_activation="tanh"))
    namespace: dict = {"__name__": "lab"}
    exec(script, namespace)
    activations = [type(m).__name__ for m in namespace["baseline_model"](64, 16, 10) if "Linear" not in type(m).__name__]
    assert activations == ["Tanh", "Tanh"]
    swapped = namespace["baseline_model"](64, 16, 10, activation=namespace["nn"].ReLU)
    assert [type(m).__name__ for m in swapped].count("ReLU") == 2


def test_a_note_listing_several_baselines_gets_the_optimizer_of_the_first_that_names_one() -> None:
    from agentnotes.experiments.guards.baseline import baseline_from_request, baselines_listed

    note = "设置：digits，3 seeds。\n对照：q = 1（就是 SGD + momentum 0.8）、Adam、RMSprop。指标：Adam 下的 acc\n"  # invented
    baseline = baseline_from_request("Power-mirror step", ["update_rule"], "设置：digits，3 seeds。", baselines_listed(note))
    assert (baseline.optimizer, baseline.momentum) == ("momentum", 0.8)
    # the setup's own optimizer comes first; a list naming none leaves the lab's default
    assert baseline_from_request("x", ["update_rule"], "Adam 1e-3, 3000 steps", baselines_listed(note)).optimizer == "adam"
    assert baseline_from_request("x", ["update_rule"], "", baselines_listed("Baselines: no penalty, L2.")).optimizer == "sgd"


def test_an_update_rule_named_after_the_adaptive_optimizer_it_changes_is_measured_against_that_optimizer() -> None:
    from agentnotes.experiments.guards.baseline import baseline_from_request, changed_optimizer

    # invented names: the optimizer the idea changes, not one it is compared with or replaces
    assert changed_optimizer("Adam with update clipping: shrink the step") == "adam"
    assert changed_optimizer("Adam的 eps 换成中位数") == "adam" and changed_optimizer("AdamW 的 decay 分层") == "adamw"
    assert changed_optimizer("RMSprop with a centred second moment") == "rmsprop"
    assert changed_optimizer("SignSGD vs Adam") is None and changed_optimizer("比 Adam 快的符号步") is None
    assert changed_optimizer("Lion instead of AdamW") is None and changed_optimizer("Padam-like power step") is None
    assert baseline_from_request("Adam with update clipping", ["update_rule"], "SGD lr 0.1").optimizer == "adam"
    assert baseline_from_request("Adam with update clipping vs SGD", ["update_rule"]).optimizer == "sgd"  # as the request says
    assert baseline_from_request("Adam-style gates in a layer", ["layer"]).optimizer == "sgd"  # no update rule


def test_a_momentum_baseline_trains_with_the_coefficient_the_request_names() -> None:
    from agentnotes.experiments.guards.baseline import baseline_from_request

    baseline = baseline_from_request("momentum warmup vs constant momentum 0.95")
    assert (baseline.optimizer, baseline.momentum) == ("momentum", 0.95)
    assert baseline_from_request("β warmup (β from 0.5) vs SGD with momentum").momentum == 0.9  # the idea's side is not read
    script = assemble_script(HOOK_ONLY, ExperimentConfig(baseline_optimizer="momentum", baseline_momentum=baseline.momentum))
    namespace: dict = {}
    exec(script.split("# ---- end config ----")[0], namespace)  # the config block as the script runs it
    assert namespace["BASELINE_MOMENTUM"] == 0.95
    namespace["OPTIMIZERS"], namespace["torch"] = {"momentum": ("SGD", {"momentum": 0.9})}, __import__("torch")
    exec(script[script.index("def baseline_optimizer"):script.index("def task_loss")], namespace)
    optimizer = namespace["baseline_optimizer"]([__import__("torch").zeros(2, requires_grad=True)], 0.01)
    assert optimizer.defaults["momentum"] == 0.95


def test_a_baseline_schedule_is_read_from_the_request_of_a_schedule_idea_only() -> None:
    from agentnotes.experiments.guards.baseline import baseline_from_request

    assert baseline_from_request("Warmup-stable-decay schedule vs cosine schedule", ["schedule"]).schedule == "cosine"
    assert baseline_from_request("cyclic lr vs 余弦退火", ["schedule"]).schedule == "cosine"
    assert baseline_from_request("one-cycle vs step decay", ["schedule"]).schedule == "step"
    assert baseline_from_request("one-cycle vs linear decay", ["schedule"]).schedule == "linear"
    assert baseline_from_request("one-cycle vs constant lr", ["schedule"]).schedule is None
    assert baseline_from_request("angular loss vs cosine similarity loss", ["loss"]).schedule is None
    assert baseline_from_request("cosine warm restarts vs SGD", ["schedule"]).schedule is None  # the idea's side
    described = baseline_from_request("WSD vs cosine", ["schedule"]).describe()
    assert described == "the task's baseline model, trained with sgd on a cosine learning-rate schedule"
    with pytest.raises(ExperimentError, match="baseline_schedule 'warm' is not one of None, cosine, linear, step"):
        ExperimentConfig(baseline_schedule="warm")


def test_a_param_matched_baseline_is_read_from_the_requests_baseline_side() -> None:
    from agentnotes.experiments.guards.baseline import baseline_from_request

    for request in ("Quadratic layer vs param-matched MLP", "gated MLP vs an MLP with the same number of parameters",
                    "门控层 vs 参数量相同的 MLP", "KAN layer vs MLP matched in parameters"):
        assert baseline_from_request(request, ["layer"]).matched, request
    assert not baseline_from_request("param-matched gated MLP vs plain MLP", ["layer"]).matched  # the idea's side
    assert "as wide as matches the idea's parameter count" in baseline_from_request("X vs iso-param MLP").describe()


def test_a_request_without_an_optimizer_gets_the_one_the_notes_setup_trains_with() -> None:
    from agentnotes.experiments.guards.baseline import baseline_from_request
    from agentnotes.experiments.guards.task import setup_part

    setup = "## Setup\n- digits, MLP 64-128-10\n- SGD momentum 0.95, lr 0.05, batch 64"
    assert (baseline_from_request("X vs MLP", ["layer"], setup).optimizer,
            baseline_from_request("X vs MLP", ["layer"], setup).momentum) == ("momentum", 0.95)
    assert baseline_from_request("X vs Adam", ["layer"], setup).optimizer == "adam"  # the request wins
    assert baseline_from_request("X vs MLP", ["layer"], "设置：digits，Adam lr 1e-3，batch 64").optimizer == "adam"
    assert baseline_from_request("X vs MLP", ["layer"], "设置：MLP，普通 SGD（无动量）").optimizer == "sgd"
    assert baseline_from_request("X vs MLP", ["layer"], "设置：MLP，无动量的 SGD").optimizer == "sgd"
    assert baseline_from_request("X vs MLP", ["layer"], "设置：MLP，SGD lr = 0.1（无 momentum）").optimizer == "sgd"
    training = "Rule: h = tanh(W h + U x)\n\nTraining: Adam lr 1e-3, grad clip 1.0, 5000 steps."
    assert baseline_from_request("X vs GRU", ["architecture"], setup_part(training)).optimizer == "adam"  # no setup part: the training line
    assert baseline_from_request("X vs MLP", ["layer"], "Setup: Adam, and AdamW as a second baseline").optimizer == "sgd"


def test_an_activation_that_drops_a_dimension_is_explained(tmp_path: Path) -> None:
    code = textwrap.dedent('''
    class Gate(nn.Module):
        def forward(self, x):
            return torch.tanh(x[..., 0]) * torch.tanh(x[..., 1])

    def build_model(in_dim, hidden, out_dim):
        return baseline_model(in_dim, hidden, out_dim, activation=Gate)
    ''')
    ran = run_idea(tmp_path, code)
    assert ran.returncode != 0
    assert "Gate returned shape (2,) for an input of shape (2, 64)" in ran.metrics["error"]["message"]


PERMUTED_GATE = '''
class IdeaActivation(nn.Module):
    def __init__(self, width=1):
        super().__init__()
        self.width = width
        self.extra_parameters()

    def extra_parameters(self):
        self.register_buffer("perm", torch.randperm(self.width))

    def forward(self, x):
        return x * torch.sigmoid(x[:, self.perm])


def build_model(in_dim, hidden, out_dim):
    return baseline_model(in_dim, hidden, out_dim, activation=IdeaActivation)
'''


NOISY_ACTIVATION = """class IdeaActivation(nn.Module):
    def forward(self, x):
        return torch.clamp(x, -1, 1) + 0.1 * torch.randn_like(x)  # noise drawn at every call (invented)


def build_model(in_dim, hidden, out_dim):
    return baseline_model(in_dim, hidden, out_dim, activation=IdeaActivation)
"""


def test_an_activation_that_draws_noise_leaves_the_layers_after_it_as_the_baselines() -> None:
    namespace: dict = {"__name__": "lab"}
    exec(assemble_script(NOISY_ACTIVATION, ExperimentConfig(task="digits")), namespace)
    torch = namespace["torch"]
    built = {}
    for arm in ("baseline", "idea"):
        torch.manual_seed(3)
        built[arm], _ = namespace["build_arm"](arm, 64, 10, torch.device("cpu"), 0.1, (None, None))
    weights = lambda model: [m.weight for m in model.modules() if isinstance(m, torch.nn.Linear)]  # noqa: E731
    assert len(weights(built["idea"])) == len(weights(built["baseline"])) > 2
    for baseline, idea in zip(weights(built["baseline"]), weights(built["idea"])):
        assert torch.equal(baseline, idea)  # the width probe's draw of noise moves no layer's start


def test_the_ideas_own_random_draws_leave_the_other_weights_as_the_baselines() -> None:
    namespace: dict = {"__name__": "lab"}
    exec(assemble_script(PERMUTED_GATE, ExperimentConfig(task="digits")), namespace)
    torch = namespace["torch"]
    built = {}
    for arm in ("baseline", "idea", "idea"):
        torch.manual_seed(3)
        model, _ = namespace["build_arm"](arm, 64, 10, torch.device("cpu"), 0.1, (None, None))
        built.setdefault(arm, []).append(model)
    weights = lambda model: [m.weight for m in model.modules() if isinstance(m, torch.nn.Linear)]  # noqa: E731
    for baseline, idea in zip(weights(built["baseline"][0]), weights(built["idea"][0])):
        assert torch.equal(baseline, idea)  # every layer starts where the baseline's does
    perms = [[m.perm for m in model.modules() if hasattr(m, "perm")] for model in built["idea"]]
    assert torch.equal(perms[0][0], perms[1][0])  # the idea's draws repeat with the seed
    assert not torch.equal(perms[0][0], perms[0][1])  # and differ between its layers
