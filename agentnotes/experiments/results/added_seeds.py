"""Seeds added to a finished run instead of running every seed again.

When the statistics ask for more seeds under the same condition, the seeds already run stay: only
the new ones train, each arm at the learning rate the earlier run's search chose, and the two
metrics.json merge into the one a run of every seed would have written. A new seed that diverges
would have sent a full run back to a lower rate for every seed, so then nothing is merged and the
caller runs every seed again.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from agentnotes.experiments.lab.config import ExperimentConfig, settings_of


def added_seeds_config(prior: dict[str, Any], wanted: ExperimentConfig) -> ExperimentConfig | None:
    """The config that runs only the seeds of `wanted` the `prior` metrics lack, each arm at its prior rate;
    None when the prior run is not `wanted` with fewer seeds (another budget or condition, unfinished,
    no seed to add, or a prior seed outside `wanted`)."""
    config, arms = prior.get("config"), prior.get("arms")
    if prior.get("status") != "ok" or not isinstance(config, dict) or not isinstance(arms, dict):
        return None
    done = config.get("seeds")
    if (config.get("steps") != wanted.steps or settings_of(config) != settings_of(wanted)
            or not isinstance(done, list) or not set(done) < set(wanted.seeds)):
        return None
    try:
        rates = {arm: float(arms[arm]["lr"]) for arm in ("baseline", "idea")}
    except (KeyError, TypeError, ValueError):
        return None
    return replace(wanted, seeds=tuple(s for s in wanted.seeds if s not in done), arm_lrs=tuple(rates.items()))


def merged(prior: dict[str, Any], added: dict[str, Any]) -> dict[str, Any] | None:
    """The metrics of `prior` with the runs of `added` (a run of added_seeds_config), as one run of every
    seed would have written them; None when the added run did not finish or one of its seeds diverged."""
    if added.get("status") != "ok" or any(run.get("diverged") for entry in added["arms"].values() for run in entry["runs"]):
        return None
    out = copy.deepcopy(prior)
    seeds = [*prior["config"]["seeds"], *added["config"]["seeds"]]
    out["config"]["seeds"] = seeds
    if isinstance(out.get("environment"), dict):
        out["environment"]["seeds"] = seeds
    for arm, entry in added["arms"].items():
        out["arms"][arm]["runs"] += entry["runs"]
    out["trivial_metric"] = {**prior.get("trivial_metric", {}), **added.get("trivial_metric", {})}
    out["added_seeds"] = [*prior.get("added_seeds", []), added["config"]["seeds"]]
    return out
