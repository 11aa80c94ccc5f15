"""Statistics on metrics.json: validation problems, orientation of the metric, the paired t-test."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from scipy import stats as scipy_stats

from agentnotes.errors import ExperimentError
from agentnotes.experiments import compare_arms, load_metrics, parse_progress, validate_metrics
from agentnotes.experiments.results.stats import idea_alone_unlearned, neither_learned, paired_test


def metrics(baseline: list[float | None], idea: list[float | None], higher: bool = False, **extra: Any) -> dict[str, Any]:
    def runs(values: list[float | None]) -> list[dict[str, Any]]:
        return [
            {"seed": seed, "final_metric": v, "diverged": v is None, "steps": [10, 20],
             "train_loss": [1.0, 0.5], "val_metric": [1.0, 0.6], "n_params": 10}
            for seed, v in enumerate(values)
        ]

    data = {
        "status": "ok", "task": "digits" if higher else "regression",
        "metric": "test_accuracy" if higher else "test_mse", "higher_is_better": higher,
        "config": {"steps": 20, "seeds": list(range(len(baseline))), "lr": 0.05, "lr_grid": []},
        "arms": {"baseline": {"lr": 0.05, "runs": runs(baseline)}, "idea": {"lr": 0.05, "runs": runs(idea)}},
    }
    return {**data, **extra}


BASE = [0.50, 0.52, 0.48, 0.51, 0.49]
LOWER = [0.40, 0.43, 0.37, 0.42, 0.38]


def test_lower_mse_is_idea_better_and_numbers_match_scipy() -> None:
    c = compare_arms(metrics(BASE, LOWER))
    assert c.conclusion == "idea_better"
    assert c.mean_diff == pytest.approx(sum(LOWER) / 5 - sum(BASE) / 5)
    assert c.p_value == pytest.approx(scipy_stats.ttest_rel(LOWER, BASE).pvalue)
    diffs = [i - b for i, b in zip(LOWER, BASE)]
    sd = math.sqrt(sum((d - c.mean_diff) ** 2 for d in diffs) / 4)
    half = scipy_stats.t.ppf(0.975, 4) * sd / math.sqrt(5)
    assert (c.ci_low, c.ci_high) == (pytest.approx(c.mean_diff - half), pytest.approx(c.mean_diff + half))
    assert c.baseline.mean == pytest.approx(0.5) and c.baseline.std == pytest.approx(0.0158113883)
    assert c.summary.startswith("The idea is better than the baseline")
    assert "lower is better" in c.summary and "over 5 seeds" in c.summary


def test_orientation_flips_for_accuracy() -> None:
    assert compare_arms(metrics(BASE, LOWER, higher=True)).conclusion == "baseline_better"
    assert compare_arms(metrics(LOWER, BASE, higher=True)).conclusion == "idea_better"
    assert compare_arms(metrics(LOWER, BASE)).conclusion == "baseline_better"


def test_noise_gives_no_evidence() -> None:
    c = compare_arms(metrics(BASE, [0.52, 0.49, 0.50, 0.48, 0.51]))
    assert c.conclusion == "no_evidence"
    assert c.ci_low < 0 < c.ci_high and c.p_value > 0.05
    assert c.summary.startswith("No evidence of a difference") and "includes zero" in c.summary


def test_degenerate_differences() -> None:
    assert paired_test([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) == (0.0, 0.0, 0.0, 1.0)
    mean, low, high, p = paired_test([0.9, 1.9, 2.9], [1.0, 2.0, 3.0])
    assert (round(mean, 9), p) == (-0.1, 0.0) and low == high == mean
    assert compare_arms(metrics([1.0, 2.0, 3.0], [0.9, 1.9, 2.9])).conclusion == "idea_better"


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (metrics(BASE[:2], LOWER[:2]), "too_few_seeds"),
        (metrics(BASE, [0.4, None, 0.4, None, None]), "too_few_seeds"),
        (metrics(BASE, LOWER, status="error", error={"during": "idea seed=0", "type": "ValueError", "message": "boom"}), "run_error"),
        (metrics(BASE, LOWER, status="running"), "incomplete"),
        ({"status": "ok", "metric": "test_mse", "higher_is_better": False, "arms": {"baseline": {"runs": []}}}, "missing_arm"),
        (metrics(BASE, LOWER, metric=None), "format"),
        (metrics(BASE, BASE), "same_as_baseline"),  # the idea's code changed nothing in training
    ],
)
def test_blocking_problems_make_it_inconclusive(data: dict[str, Any], kind: str) -> None:
    assert kind in [p.kind for p in validate_metrics(data)]
    c = compare_arms(data)
    assert c.conclusion == "inconclusive" and c.p_value is None and c.summary.startswith("Inconclusive")


def test_seed_mismatch_and_diverged_runs_are_reported() -> None:
    data = metrics(BASE, [0.4, None, 0.4, 0.41, 0.39])
    problems = validate_metrics(data)
    assert [p.kind for p in problems] == ["diverged"] and "idea seed 1" in problems[0].message
    c = compare_arms(data)
    assert c.n_pairs == 4 and c.idea.n_diverged == 1 and c.conclusion != "inconclusive"
    data["arms"]["idea"]["runs"][0]["seed"] = 99
    assert "seed_mismatch" in [p.kind for p in validate_metrics(data)]


def test_non_numbers_and_flat_losses_are_caught() -> None:
    data = metrics(BASE, [0.4, True, "0.4", float("nan"), 0.39])
    assert [p.kind for p in validate_metrics(data)].count("diverged") == 3
    flat = metrics(BASE, LOWER)
    for run in flat["arms"]["idea"]["runs"]:
        run["train_loss"] = [0.7, 0.7, 0.7]
    assert [p.kind for p in validate_metrics(flat)] == ["no_learning"]


def test_arms_no_better_than_a_constant_prediction_make_the_comparison_inconclusive() -> None:
    near_constant = [0.975, 0.978, 0.976, 0.977, 0.974]
    trivial = {str(seed): 0.98 for seed in range(5)}
    one_learned = compare_arms(metrics(BASE, near_constant, trivial_metric=trivial))
    assert [p.kind for p in one_learned.problems] == ["not_learned"] and "idea arm" in one_learned.problems[0].message
    assert one_learned.conclusion == "baseline_better"
    neither = compare_arms(metrics([0.979, 0.976, 0.977, 0.98, 0.975], near_constant, trivial_metric=trivial))
    assert neither.conclusion == "inconclusive" and "constant prediction" in neither.summary
    accuracy = {str(seed): 0.26 for seed in range(5)}  # most common of 4 classes: 5% of the gap is 0.037
    assert neither_learned(validate_metrics(metrics([0.26] * 5, [0.29] * 5, higher=True, trivial_metric=accuracy)))
    assert not validate_metrics(metrics([0.30] * 5, [0.31] * 5, higher=True, trivial_metric=accuracy))
    assert not validate_metrics(metrics([0.26] * 5, [0.29] * 5, higher=True))  # older files without the score


def test_only_an_idea_arm_that_alone_learned_nothing_is_flagged_as_unusable() -> None:
    near_constant = [0.975, 0.978, 0.976, 0.977, 0.974]
    trivial = {str(seed): 0.98 for seed in range(5)}
    idea_alone = idea_alone_unlearned(validate_metrics(metrics(BASE, near_constant, trivial_metric=trivial)))
    assert [p.kind for p in idea_alone] == ["idea_not_learned"] and "baseline learned" in idea_alone[0].message
    assert not idea_alone_unlearned(validate_metrics(metrics(near_constant, BASE, trivial_metric=trivial)))
    assert not idea_alone_unlearned(validate_metrics(metrics(near_constant, near_constant, trivial_metric=trivial)))
    assert not idea_alone_unlearned(validate_metrics(metrics(BASE, LOWER, trivial_metric=trivial)))


def test_as_text_gives_the_critic_each_arms_summary_not_its_seeds() -> None:
    text = compare_arms(metrics(BASE, LOWER)).as_text()
    assert "per seed" not in text
    for needle in ("test_mse (lower is better)", "steps per run: 20", "baseline: test_mse 0.5 ± 0.016 over 5 seeds",
                   "train loss first 1 -> last 0.5", "paired t-test p =", "Conclusion:"):
        assert needle in text


def test_load_metrics_errors(tmp_path: Path) -> None:
    with pytest.raises(ExperimentError, match="did not finish"):
        load_metrics(tmp_path / "metrics.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ExperimentError, match="Cannot read"):
        load_metrics(tmp_path / "bad.json")
    (tmp_path / "ok.json").write_text(json.dumps(metrics(BASE, LOWER)))
    assert load_metrics(tmp_path / "ok.json")["metric"] == "test_mse"


def test_parse_progress() -> None:
    p = parse_progress("[idea seed=3] step 200/1000 loss 0.1234 val_mse 0.2")
    assert (p.arm, p.tag, p.step, p.steps, p.loss, p.key) == ("idea", "seed=3", 200, 1000, 0.1234, ("idea", "seed=3"))
    assert parse_progress("[baseline lr=0.01] step 5/10 loss nan diverged: stopping this run").tag == "lr=0.01"
    assert parse_progress("[harness] wrote metrics.json") is None
    assert parse_progress("random text") is None


def test_the_report_says_whether_the_baseline_was_matched_to_the_ideas_size() -> None:
    from agentnotes.experiments.results.report import _caveats

    data = metrics(BASE, LOWER)
    data["arms"]["idea"]["runs"] = [{**run, "n_params": 30} for run in data["arms"]["idea"]["runs"]]
    assert "- The arms differ in size: 30 parameters (idea) vs 10 (baseline)." in _caveats(data, compare_arms(data))
    data["arms"]["baseline"]["runs"] = [{**run, "n_params": 29} for run in data["arms"]["baseline"]["runs"]]
    data["config"]["match_params"] = True
    said = _caveats(data, compare_arms(data))
    assert "- The baseline's width was matched to the idea's size: 30 parameters (idea) vs 29 (baseline)." in said
    assert not any("differ in size" in line for line in said)
