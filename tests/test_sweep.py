"""The sweep over conditions: when a condition gets a longer budget, more seeds, or is finished."""

from __future__ import annotations

from agentnotes.experiments import compare_arms
from agentnotes.pipeline import sweep
from test_experiments_stats import BASE, LOWER, metrics

NOISE = [0.52, 0.49, 0.50, 0.48, 0.51]


def test_settings_keep_the_claims_condition_and_add_the_normal_one_as_control() -> None:
    assert sweep.condition_settings((0.01, 0.0, 0, 0.0)) == [(0.01, 0.0, 0, 0.0), sweep.NORMAL]
    assert sweep.condition_settings(sweep.NORMAL) == [sweep.NORMAL]
    assert sweep.condition_settings((1.0, 0.2, 0, 0.0)) == [(1.0, 0.2, 0, 0.0), (1.0, 0.0, 0, 0.0)]
    assert sweep.condition_settings((1.0, 0.0, 300, 0.0)) == [(1.0, 0.0, 300, 0.0), (1.0, 0.0, 0, 0.0)]
    assert sweep.condition_settings((1.0, 0.0, 0, 10.0)) == [(1.0, 0.0, 0, 10.0), (1.0, 0.0, 0, 0.0)]
    assert sweep.Condition(1.0, class_imbalance=10.0).label == "input scale 1, imbalance ratio 10"
    assert sweep.Condition(1.0, 0.2).label == "input scale 1, label noise 20%"
    assert sweep.Condition(1.0, 0.0, 300).label == "input scale 1, 300 training examples"
    assert sweep.from_json([{"input_scale": 0.01, "state": "done"}])[0].label_noise == 0.0  # a run from before


def test_neither_learned_gets_a_longer_budget_once_then_stays_a_finding() -> None:
    condition = sweep.Condition(0.01, steps=300, seeds=3)
    comparison = compare_arms(metrics(BASE, NOISE))
    longer = sweep.next_run(condition, comparison, learned=False, base_steps=300, max_seeds=10)
    assert longer is not None and (longer.steps, longer.seeds) == (1200, 3) and "neither arm learned" in longer.why
    tried = sweep.Condition(0.01, steps=1200, seeds=3)
    assert sweep.next_run(tried, comparison, learned=False, base_steps=300, max_seeds=10) is None
    done = sweep.finished(tried, comparison, learned=False, iteration=4)
    assert (done.state, done.ended_by, done.iteration, done.input_scale) == ("neither_learned", "neither_learned", 4, 0.01)


def test_seeds_double_while_the_ci_includes_zero_up_to_the_budget() -> None:
    undecided = compare_arms(metrics(BASE, NOISE))
    assert undecided.conclusion == "no_evidence"
    more = sweep.next_run(sweep.Condition(1.0, steps=300, seeds=3), undecided, True, 300, max_seeds=10)
    assert more is not None and more.seeds == 6
    capped = sweep.next_run(sweep.Condition(1.0, steps=300, seeds=6), undecided, True, 300, max_seeds=10)
    assert capped is not None and capped.seeds == 10
    spent = sweep.Condition(1.0, steps=300, seeds=10)
    assert sweep.next_run(spent, undecided, True, 300, max_seeds=10) is None
    assert sweep.finished(spent, undecided, True, 7).ended_by == "seed_budget"


def test_a_decided_condition_is_finished() -> None:
    decided = compare_arms(metrics(BASE, LOWER))
    condition = sweep.Condition(1.0, steps=300, seeds=5)
    assert sweep.next_run(condition, decided, True, 300, max_seeds=10) is None
    assert sweep.finished(condition, decided, True, 2).ended_by == "decided"


def test_conditions_round_trip_through_json() -> None:
    conditions = [sweep.Condition(0.01, "done", 300, 6, 3, "decided"), sweep.Condition(1.0)]
    assert sweep.from_json(sweep.to_json(conditions)) == conditions
    assert sweep.from_json(None) == []


def test_a_spent_time_budget_ends_a_condition_and_says_so() -> None:
    undecided = compare_arms(metrics(BASE, NOISE))
    condition = sweep.Condition(1.0, steps=300, seeds=3)
    assert sweep.finished(condition, undecided, True, 2, over_time=True).ended_by == "time_budget"
    assert sweep.finished(condition, undecided, False, 2, over_time=True).state == "neither_learned"
