"""The claim ledger: numbers, p-values and verdicts a report or a critic states, checked against the measurements."""

from __future__ import annotations

from agentnotes.agents.experimenter import ResultsReview
from agentnotes.experiments.results.ledger import audit_statement, bad_p_values, contradicts, measured_values, untraced_numbers
from agentnotes.experiments.results.stats import idea_bug_symptoms
from agentnotes.pipeline.experiment import vet_review

STATS = {"mean_diff": -0.0123456, "ci_low": -0.02, "ci_high": -0.004, "p_value": 0.0215, "alpha": 0.05,
         "conclusion": "idea_better"}
METRICS = {"config": {"steps": 300, "seeds": [0, 1, 2], "lr_grid": [0.0167, 0.05, 0.15]},
           "lr_tuning": {"idea": {"val_metric": {"0.05": 0.31}}}}
VALUES = measured_values(METRICS, STATS)


def test_numbers_at_their_printed_precision_are_traced_and_others_are_not() -> None:
    text = "mean difference -0.01235 (95% CI -0.02 to -0.004), p = 0.0215 over 300 steps; lr 0.05 scored 0.31"
    assert untraced_numbers(text, VALUES) == []
    assert [u.number for u in untraced_numbers("the idea saves 7.5 points, p = 0.0216", VALUES)] == ["7.5", "0.0216"]
    assert untraced_numbers("```\nloss 123.4\n```\n![plot 77.7](x.png) 3 seeds", VALUES) == []  # code, images, counts


def test_p_values_outside_zero_one_and_winners_the_statistics_do_not_name_are_objections() -> None:
    assert bad_p_values("p-value of -0.0215, p = 1.5, p = 0.3") == ["-0.0215", "1.5"]
    assert contradicts("The baseline is better.", {"idea_better"}) is not None
    assert contradicts("The idea is better at small inputs.", {"idea_better", "no_evidence"}) is None
    assert contradicts("Both arms learned.", {"no_evidence"}) is None
    objections = audit_statement("The baseline is better (p = -0.0215)", VALUES, {"idea_better"})
    assert len(objections) == 2 and "outside [0, 1]" in objections[0]


def test_the_critics_refuted_statements_are_rejected_and_the_rest_kept() -> None:
    review = ResultsReview(valid=True, concerns=["only 3 seeds", "the spread is 12.75 points"], request="none",
                           summary="The baseline is better, p-value of -0.0215.")
    kept, rejected = vet_review(review, VALUES, {"idea_better"})
    assert kept.concerns == ["only 3 seeds"] and kept.summary == ""
    assert len(rejected) == 2 and "12.75" in rejected[0] and "outside [0, 1]" in rejected[1]


def test_a_request_to_fix_a_bug_stands_only_with_a_symptom_in_the_metrics() -> None:
    review = ResultsReview(valid=False, concerns=["the interval includes zero"], request="fix_bug", summary="")
    kept, rejected = vet_review(review, VALUES, {"no_evidence"})
    assert kept.request == "none" and kept.concerns == ["the interval includes zero"] and "fix_bug" in rejected[0]
    kept, rejected = vet_review(review, VALUES, {"no_evidence"}, ["idea arm: the training loss never moved"])
    assert kept.request == "fix_bug" and rejected == []


def test_an_idea_arm_that_learned_under_another_condition_shows_no_bug() -> None:
    from test_experiments_stats import BASE, metrics

    trivial = {str(seed): 0.98 for seed in range(5)}
    flat = metrics(BASE, [0.975, 0.978, 0.976, 0.977, 0.974], trivial_metric=trivial)  # the idea arm learned nothing
    learned = metrics(BASE, [0.40, 0.41, 0.39, 0.42, 0.40], trivial_metric=trivial)
    assert idea_bug_symptoms([flat]) and idea_bug_symptoms([flat, flat])
    assert idea_bug_symptoms([flat, learned]) == []  # a hard condition's result, not a bug in the code
