"""The conditions an experiment runs under, and when each one is finished.

The claim names a condition (inputs close to zero, say): the arms run there and under the normal
setting as a control, never one swapped for the other. Under each condition the same code runs
until the statistics decide or the budget ends: when neither arm learns, once more with a longer
budget, then "neither learned" is the finding; when the paired 95% CI includes zero, with twice the
seeds, up to the seed budget (the seeds already run are kept: experiments/results/added_seeds.py). `conditions.json` in the run directory records each
condition's state, so a resumed run re-runs nothing finished.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from agentnotes.experiments.lab.config import ExperimentConfig, condition_label, settings_of
from agentnotes.experiments.results.stats import Comparison

LONGER_BUDGET = 4  # steps multiplier when neither arm learned
State = Literal["pending", "done", "neither_learned"]


@dataclass(frozen=True)
class Condition:
    """One condition of the sweep and where it stands."""

    input_scale: float
    label_noise: float = 0.0  # the share of training labels made wrong (guards/claim.py label_noise_condition)
    train_size: int = 0  # the training examples kept, 0 for all (guards/claim.py train_size_condition)
    class_imbalance: float = 0.0  # the training set's imbalance ratio, 0 for as it is (claim.py class_imbalance_condition)
    state: State = "pending"
    steps: int = 0  # steps of the last run under this condition
    seeds: int = 0
    iteration: int | None = None  # the iteration whose metrics count for it
    ended_by: str = ""

    @property
    def label(self) -> str:
        return condition_label(*self.settings)

    @property
    def settings(self) -> tuple[float, float, int, float]:
        """Its values of CONDITION_FIELDS."""
        return settings_of(self)


NORMAL = settings_of(ExperimentConfig())  # the settings of an experiment that changes none: its input as it is


def condition_settings(planned: tuple[float, float, int, float]) -> list[tuple[float, float, int, float]]:
    """The planned settings (CONDITION_FIELDS) and, when they are not the normal setting, the normal one as the
    control."""
    return [planned] if planned == NORMAL else [planned, NORMAL]


@dataclass(frozen=True)
class Next:
    """What to run next under the current condition: its steps and seeds, or None when it is finished."""

    steps: int
    seeds: int
    why: str


def next_run(condition: Condition, comparison: Comparison, learned: bool, base_steps: int, max_seeds: int) -> Next | None:
    """After a usable run: the condition's next run, or None when the condition is finished."""
    if not learned:
        if condition.steps < LONGER_BUDGET * base_steps:
            return Next(LONGER_BUDGET * base_steps, condition.seeds,
                        f"neither arm learned at {condition.label} in {condition.steps} steps: "
                        f"both arms again with {LONGER_BUDGET * base_steps} steps")
        return None
    if comparison.conclusion == "no_evidence" and condition.seeds < max_seeds:
        seeds = min(max_seeds, 2 * condition.seeds)
        return Next(condition.steps, seeds, f"the CI at {condition.label} includes zero: both arms get {seeds} seeds")
    return None


def finished(condition: Condition, comparison: Comparison, learned: bool, iteration: int, over_time: bool = False) -> Condition:
    """The condition once its last run is in; `over_time` when the time budget stopped a further run."""
    if over_time:
        state: State = "done" if learned else "neither_learned"
        return replace(condition, state=state, iteration=iteration, ended_by="time_budget")
    if not learned:
        return replace(condition, state="neither_learned", iteration=iteration, ended_by="neither_learned")
    ended = "decided" if comparison.conclusion in ("idea_better", "baseline_better") else "seed_budget"
    return replace(condition, state="done", iteration=iteration, ended_by=ended)


def to_json(conditions: list[Condition]) -> list[dict[str, Any]]:
    return [asdict(c) for c in conditions]


def from_json(data: Any) -> list[Condition]:
    return [Condition(**item) for item in data] if isinstance(data, list) else []
