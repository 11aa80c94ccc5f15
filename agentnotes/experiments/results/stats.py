"""Statistics on metrics.json (trusted code, outside the sandbox): validation, per-arm summaries, paired test."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from agentnotes.errors import ExperimentError
from agentnotes.experiments.lab.config import MIN_SEEDS
from agentnotes.experiments.guards.problems import Problem
from agentnotes.experiments.lab.template import arm_names

Conclusion = Literal["idea_better", "baseline_better", "no_evidence", "inconclusive"]
# Problems after which no comparison is possible.
BLOCKING = frozenset({"format", "run_error", "incomplete", "missing_arm", "seed_mismatch", "too_few_seeds",
                      "same_as_baseline", "idea_not_learned"})
# An arm has learned something when it closes this share of the gap between a constant prediction
# and a perfect score (MSE 0, accuracy 1).
LEARNED_SHARE = 0.05


@dataclass(frozen=True)
class ArmSummary:
    """One arm over its seeds. `values` follow `seeds`; None marks a diverged run."""

    arm: str
    seeds: tuple[int, ...]
    values: tuple[float | None, ...]
    mean: float | None
    std: float | None  # sample standard deviation (ddof=1)
    lr: float | None
    n_params: int | None
    first_train_loss: float | None  # mean over seeds of the first and last points of the loss curve
    last_train_loss: float | None

    @property
    def n(self) -> int:
        return sum(v is not None for v in self.values)

    @property
    def n_diverged(self) -> int:
        return len(self.values) - self.n

    def mean_std_text(self) -> str:
        if self.mean is None:
            return "n/a"
        return f"{self.mean:.4g} ± {self.std:.2g}" if self.std is not None else f"{self.mean:.4g}"


@dataclass(frozen=True)
class Comparison:
    """Idea against baseline, paired by seed. `mean_diff` is idea minus baseline."""

    task: str
    metric: str
    higher_is_better: bool
    steps: int | None
    baseline: ArmSummary | None
    idea: ArmSummary | None
    n_pairs: int
    mean_diff: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    alpha: float
    conclusion: Conclusion
    summary: str
    problems: tuple[Problem, ...]

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["problems"] = [p.as_dict() for p in self.problems]
        return data

    def as_text(self) -> str:
        """Plain-text results for the results critic: each arm's summary, not its seeds one by one (every
        token of it is prompt the critic's model reads on the CPU)."""
        better = "higher" if self.higher_is_better else "lower"
        lines = [f"Task: {self.task}; metric: {self.metric} ({better} is better); steps per run: {self.steps}."]
        for arm in (self.baseline, self.idea):
            if arm is None:
                continue
            lines.append(
                f"{arm.arm}: {self.metric} {arm.mean_std_text()} over {arm.n} seeds ({arm.n_diverged} diverged); "
                f"lr {arm.lr}; parameters {arm.n_params}; "
                f"train loss first {_fmt(arm.first_train_loss)} -> last {_fmt(arm.last_train_loss)}."
            )
        if self.mean_diff is not None:
            lines.append(
                f"Paired difference idea - baseline over {self.n_pairs} seeds: {self.mean_diff:.4g} "
                f"({_level(self.alpha)} CI {_fmt(self.ci_low)} to {_fmt(self.ci_high)}), paired t-test p = {_fmt(self.p_value)}."
            )
        lines.append(f"Conclusion: {self.summary}")
        lines += [f"Problem: {p}" for p in self.problems]
        return "\n".join(lines)


def _level(alpha: float) -> str:
    return f"{100 * (1 - alpha):g}%"


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"


def load_metrics(path: Path) -> dict[str, Any]:
    """Read metrics.json; a missing or unreadable file is an ExperimentError."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ExperimentError(f"No metrics file at {path}: the experiment did not finish; read its stderr.") from None
    except (OSError, ValueError) as exc:
        raise ExperimentError(f"Cannot read {path}: {exc}.") from None
    if not isinstance(data, dict):
        raise ExperimentError(f"{path} does not hold a JSON object.")
    return data


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _runs(data: dict[str, Any], arm: str) -> list[dict[str, Any]] | None:
    arms = data.get("arms")
    runs = arms.get(arm, {}).get("runs") if isinstance(arms, dict) and isinstance(arms.get(arm), dict) else None
    return [r for r in runs if isinstance(r, dict)] if isinstance(runs, list) else None


def validate_metrics(data: dict[str, Any]) -> list[Problem]:
    """Typed problems with metrics.json: the critic and the report read these."""
    problems: list[Problem] = []
    status = data.get("status")
    if status == "error":
        error = data.get("error") or {}
        problems.append(Problem("run_error", f"the script failed during {error.get('during', '?')}: "
                                             f"{error.get('type', 'Error')}: {error.get('message', '')}"))
    elif status != "ok":
        problems.append(Problem("incomplete", f"the script did not finish (status {status!r}): it was stopped or timed out"))
    if not isinstance(data.get("metric"), str) or not isinstance(data.get("higher_is_better"), bool):
        problems.append(Problem("format", "metrics.json lacks `metric` or `higher_is_better`"))
    seeds_by_arm = {}
    for arm in arm_names():
        runs = _runs(data, arm)
        if runs is None:
            problems.append(Problem("missing_arm", f"no runs recorded for the {arm} arm"))
            continue
        seeds_by_arm[arm] = [r.get("seed") for r in runs]
        finite = [r for r in runs if _finite(r.get("final_metric")) is not None]
        for run in runs:
            if _finite(run.get("final_metric")) is None:
                problems.append(Problem("diverged", f"{arm} seed {run.get('seed')}: no finite final metric (diverged or NaN)"))
        if len(finite) < MIN_SEEDS:
            problems.append(Problem("too_few_seeds", f"{arm} arm has {len(finite)} finite runs ({len(runs) - len(finite)} "
                                                      f"diverged); at least {MIN_SEEDS} are needed"))
        curves = [[_finite(v) for v in r.get("train_loss") or []] for r in finite]
        if curves and all(len(c) >= 2 and None not in c and abs(c[0] - c[-1]) <= 1e-6 * max(1.0, abs(c[0])) for c in curves):
            problems.append(Problem("no_learning", f"{arm} arm: the training loss never moved in any seed (a bug, or gradients that do not flow)"))
        problems += _not_learned(data, arm, finite)
    if len(seeds_by_arm) == 2 and seeds_by_arm["baseline"] != seeds_by_arm["idea"]:
        problems.append(Problem("seed_mismatch", f"arms ran different seeds: {seeds_by_arm['baseline']} vs {seeds_by_arm['idea']}"))
    elif _trained_alike(_runs(data, "baseline"), _runs(data, "idea")):
        problems.append(Problem("same_as_baseline", "idea arm: trained exactly as the baseline in every seed (the same "
                                                    "training losses and final metric), so the idea's code changed "
                                                    "nothing in training and this run does not test it"))
    return problems


def _trained_alike(base: list[dict[str, Any]] | None, idea: list[dict[str, Any]] | None) -> bool:
    """Whether both arms have runs and each seed's training losses and final metric are the same in both."""
    def record(run: dict[str, Any]) -> str:
        return repr((run.get("seed"), run.get("final_metric"), run.get("train_loss")))

    return bool(base) and bool(idea) and sorted(map(record, base)) == sorted(map(record, idea or []))


def trivial_score(data: dict[str, Any]) -> float | None:
    """Mean test score over seeds of always predicting the training mean (MSE) or most common class (accuracy)."""
    by_seed = data.get("trivial_metric")
    values = [v for v in map(_finite, by_seed.values()) if v is not None] if isinstance(by_seed, dict) else []
    return sum(values) / len(values) if values else None


def _not_learned(data: dict[str, Any], arm: str, finite_runs: list[dict[str, Any]]) -> list[Problem]:
    trivial = trivial_score(data)
    if trivial is None or not finite_runs:
        return []
    mean = sum(float(r["final_metric"]) for r in finite_runs) / len(finite_runs)
    higher = data.get("higher_is_better") is True
    learned = mean >= trivial + LEARNED_SHARE * (1 - trivial) if higher else mean <= (1 - LEARNED_SHARE) * trivial
    if learned:
        return []
    constant = "the most common class" if higher else "the training mean"
    return [Problem("not_learned", f"{arm} arm: {data.get('metric')} {mean:.4g} is no better than always predicting "
                                   f"{constant} ({trivial:.4g}): it learned nothing within this budget")]


BUG_SYMPTOMS = frozenset({"no_learning", "diverged", "not_learned"})  # in the metrics: what may show a bug

def idea_bug_symptoms(metrics: Sequence[dict]) -> list[str]:
    """What in the metrics of each condition may show a bug in the idea's code: the idea arm never moved, diverged
    or learned nothing (the baseline's code is not the idea's). A bug shows wherever the code runs: an idea arm that
    learned under another condition shows none, and learning nothing where the claim's condition is hard is a result."""
    found = [[p.message for p in validate_metrics(m) if p.kind in BUG_SYMPTOMS and p.message.startswith("idea ")]
             for m in metrics]
    return [message for messages in found for message in messages] if all(found) else []


def neither_learned(problems: Sequence[Problem]) -> bool:
    """Both arms are no better than a constant prediction: there is nothing to compare."""
    return sum(p.kind == "not_learned" for p in problems) == len(arm_names())


def idea_alone_unlearned(problems: Sequence[Problem]) -> list[Problem]:
    """An idea arm no better than a constant prediction where the baseline learned: under the normal setting, where a
    note's idea is meant to train, almost always a bug in the idea's code (pipeline/experiment.py sends it back)."""
    unlearned = {p.message.split(" ", 1)[0] for p in problems if p.kind == "not_learned"}
    if unlearned != {"idea"}:
        return []
    return [Problem("idea_not_learned", "the idea arm learned nothing while the baseline learned. An idea meant to "
                    "train that stops learning altogether is almost always a bug in its code: the input or the output "
                    "zeroed or made constant, a reduction (max, sum, mean over a dimension) where an elementwise "
                    "operation was meant, the weights reset or frozen at every step, a step that never reaches the "
                    "weights. Find the line that keeps the idea arm from learning and fix it, keeping the notes' formulas")]


def _summarize(data: dict[str, Any], arm: str) -> ArmSummary | None:
    runs = _runs(data, arm)
    if runs is None:
        return None
    values = tuple(_finite(r.get("final_metric")) for r in runs)
    finite = [v for v in values if v is not None]
    curves = [[_finite(v) for v in r.get("train_loss") or []] for r in runs]
    firsts = [c[0] for c in curves if c and c[0] is not None]
    lasts = [c[-1] for c in curves if c and c[-1] is not None]
    params = runs[0].get("n_params") if runs else None
    return ArmSummary(
        arm=arm,
        seeds=tuple(r.get("seed") for r in runs),  # type: ignore[misc]
        values=values,
        mean=sum(finite) / len(finite) if finite else None,
        std=_std(finite),
        lr=_finite((data.get("arms") or {}).get(arm, {}).get("lr")),
        n_params=params if isinstance(params, int) else None,
        first_train_loss=sum(firsts) / len(firsts) if firsts else None,
        last_train_loss=sum(lasts) / len(lasts) if lasts else None,
    )


def _std(values: list[float]) -> float | None:
    if len(values) < 2:
        return None
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def paired_test(idea: list[float], baseline: list[float], alpha: float = 0.05) -> tuple[float, float, float, float]:
    """(mean difference idea - baseline, CI low, CI high, two-sided paired t-test p-value)."""
    from scipy import stats

    n = len(idea)
    diffs = [a - b for a, b in zip(idea, baseline, strict=True)]
    mean = sum(diffs) / n
    sd = _std(diffs) or 0.0
    if sd <= 1e-12 * max(1.0, abs(mean)):  # (nearly) identical differences: t is undefined, the answer is not
        return mean, mean, mean, 1.0 if abs(mean) <= 1e-12 else 0.0
    half = float(stats.t.ppf(1 - alpha / 2, n - 1)) * sd / math.sqrt(n)
    p = float(stats.ttest_rel(idea, baseline).pvalue)
    return mean, mean - half, mean + half, p


def compare_arms(data: dict[str, Any], alpha: float = 0.05) -> Comparison:
    """Per-arm summaries and the paired comparison by seed, with a plain-words conclusion."""
    problems = tuple(validate_metrics(data))
    metric = str(data.get("metric", "metric"))
    higher = bool(data.get("higher_is_better", False))
    config = data.get("config") if isinstance(data.get("config"), dict) else {}
    base, idea = _summarize(data, "baseline"), _summarize(data, "idea")
    pairs: list[tuple[float, float]] = []
    if base and idea and base.seeds == idea.seeds:
        pairs = [(i, b) for i, b in zip(idea.values, base.values, strict=True) if i is not None and b is not None]
    common = dict(task=str(data.get("task", "?")), metric=metric, higher_is_better=higher, steps=config.get("steps"),
                  baseline=base, idea=idea, n_pairs=len(pairs), alpha=alpha, problems=problems)
    blocking = [p for p in problems if p.kind in BLOCKING]
    if blocking or len(pairs) < MIN_SEEDS or neither_learned(problems):
        if blocking:
            reason = blocking[0].message
        elif len(pairs) < MIN_SEEDS:
            reason = f"only {len(pairs)} seeds have finite results in both arms"
        else:
            reason = (f"neither arm did better than a constant prediction ({metric} {trivial_score(data):.4g}), so a "
                      "difference between them means nothing; a larger input scale, more steps or another learning rate is needed")
        return Comparison(**common, mean_diff=None, ci_low=None, ci_high=None, p_value=None,
                          conclusion="inconclusive", summary=f"Inconclusive: {reason}.")
    mean, low, high, p = paired_test([i for i, _ in pairs], [b for _, b in pairs], alpha)
    conclusion: Conclusion = "no_evidence"
    if p < alpha:
        conclusion = "idea_better" if (mean > 0) == higher else "baseline_better"
    return Comparison(**common, mean_diff=mean, ci_low=low, ci_high=high, p_value=p, conclusion=conclusion,
                      summary=_summary(conclusion, metric, higher, base, idea, len(pairs), mean, low, high, p, alpha))  # type: ignore[arg-type]


def _summary(conclusion: Conclusion, metric: str, higher: bool, base: ArmSummary, idea: ArmSummary, n: int,
             mean: float, low: float, high: float, p: float, alpha: float) -> str:
    head = {
        "idea_better": "The idea is better than the baseline",
        "baseline_better": "The baseline is better than the idea",
        "no_evidence": "No evidence of a difference between the idea and the baseline",
    }[conclusion]
    better = "higher" if higher else "lower"
    text = (f"{head}: {metric} {idea.mean_std_text()} (idea) vs {base.mean_std_text()} (baseline), {better} is better; "
            f"mean difference {mean:.4g} ({_level(alpha)} CI {low:.4g} to {high:.4g}), paired t-test p = {p:.3g} over {n} seeds")
    if conclusion == "no_evidence":
        text += "; the interval includes zero"
    return text + "."
