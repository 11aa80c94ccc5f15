"""run-experiment on the generality suite (benchmarks/generality/): idea notes nobody tuned the tool to.

Run: python benchmarks/generality_suite.py [--split tuned|heldout|all] [--ideas id,id] [--steps N] [--runs N]

Every suite note (benchmarks/generality/notes/) and the example notes (data/) go into one knowledge
base; each idea's request (ideas.toml) then runs through the whole pipeline with the real embedded
LLM on the CPU (3 seeds, 4 attempts). A testable idea succeeds when its experiment ran, both arms
have >= 3 seeds and its behaviour checks (benchmarks/generality/checks.py, in the sandbox) pass on
the accepted experiment.py. An untestable idea succeeds only when the pipeline refused it
("Not testable ...") before any code ran. Success rates print for the tuned and the held-out split
separately and per kind; the five ideas of the shared notes are benchmarks/experiment_suite.py's.
Results: benchmarks/results/generality_suite.json. About two to four minutes per idea and LLM seed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
import tomllib
from collections import defaultdict
from pathlib import Path

from _common import REPO, row, temp_home
from experiment_suite import QuietReporter, arm_seeds

SUITE = REPO / "benchmarks" / "generality"
CHECKERS = (SUITE / "checks.py", REPO / "benchmarks" / "idea_checks.py")
REFUSED = "Not testable"
SPLITS = ("tuned", "heldout")


def load_ideas() -> list[dict]:
    return tomllib.loads((SUITE / "ideas.toml").read_text(encoding="utf-8"))["idea"]


def kind_of(idea: dict) -> str:
    return idea["kinds"][0] if idea["testable"] else "untestable"


def behaviour_checks(run_dir: Path, checks: str) -> dict[str, str]:
    """The idea's behaviour checks on the accepted experiment.py, inside the sandbox."""
    from agentnotes.runner.sandbox import run_sandboxed

    folder = run_dir / "generality-check"
    folder.mkdir(exist_ok=True)
    shutil.copy(run_dir / "experiment.py", folder / "experiment.py")
    for checker in CHECKERS:
        shutil.copy(checker, folder / checker.name)
    result = run_sandboxed([sys.executable, "checks.py", checks, "experiment.py"], folder, use_gpu=False)
    try:
        return json.loads(result.stdout_path.read_text().strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return {checks: f"checker {result.status}: {result.stderr_path.read_text()[-300:]}"}


def code_ran(run) -> bool:
    """Whether the pipeline got as far as writing or running any experiment code for this run."""
    return run is not None and (bool(run.iterations()) or (run.path / "experiment.py").exists())


def one_run(settings, idea: dict, llm_seed: int, steps: int) -> dict:
    """run-experiment on one suite idea with one LLM seed, judged as the suite's rules say."""
    from agentnotes.errors import AgentNotesError
    from agentnotes.experiments.results import rundir as rd
    from agentnotes.llm.provider import get_chat_model
    from agentnotes.pipeline.experiment import ExperimentOptions, run_experiment

    # max_seeds=3: success is about testing the idea faithfully; adding seeds would cost time, not change it.
    options = ExperimentOptions(request=idea["request"], seeds=3, max_seeds=3, steps=steps, max_attempts=4,
                                llm_seed=llm_seed, use_gpu=False)
    model = get_chat_model(settings, temperature=0.3, max_tokens=1200, seed=llm_seed)
    start = time.perf_counter()
    error, run = "", None
    try:
        run = run_experiment(settings, options, QuietReporter(), model)
    except AgentNotesError as exc:
        error = str(exc)
        records = rd.list_runs(settings.runs_dir)
        run = rd.open_run(settings.runs_dir, records[0].id) if records else None
    record = run.record() if run else None
    outcome = {"idea": idea["id"], "kind": kind_of(idea), "split": idea["split"], "request": idea["request"],
               "llm_seed": llm_seed, "run": record.id if record else None, "status": record.status if record else "none",
               "error": error[:300], "wall_s": round(time.perf_counter() - start, 1),
               "refused": error.startswith(REFUSED), "code_ran": code_ran(run)}
    if idea["testable"]:
        if run and (run.path / "metrics.json").exists():
            outcome["seeds"] = arm_seeds(run.path)
            outcome["checks"] = behaviour_checks(run.path, idea["checks"])
        ran = outcome["status"] == "done" and min(outcome.get("seeds", {"none": 0}).values()) >= 3
        outcome["faithful"] = bool(outcome.get("checks")) and all(v == "ok" for v in outcome["checks"].values())
        outcome["success"] = ran and outcome["faithful"]
    else:
        outcome["reason_named"] = any(term.lower() in error.lower() for term in idea["refusal_terms"])
        outcome["success"] = outcome["refused"] and not outcome["code_ran"]
    return outcome


def rate(outcomes: list[dict]) -> str:
    won = sum(o["success"] for o in outcomes)
    return f"{won}/{len(outcomes)} = {won / len(outcomes):.0%}" if outcomes else "-"


def summary(outcomes: list[dict]) -> dict[str, dict[str, str]]:
    """Success rates per split, and per kind within each split."""
    by_split = {split: [o for o in outcomes if o["split"] == split] for split in SPLITS}
    by_kind = defaultdict(lambda: defaultdict(list))
    for o in outcomes:
        by_kind[o["kind"]][o["split"]].append(o)
    return {"split": {split: rate(runs) for split, runs in by_split.items()},
            "testable": {split: rate([o for o in runs if o["kind"] != "untestable"]) for split, runs in by_split.items()},
            "kind": {kind: {split: rate(runs[split]) for split in SPLITS} for kind, runs in by_kind.items()}}


def print_summary(outcomes: list[dict], rates: dict[str, dict[str, str]]) -> None:
    widths = (16, 16, 16)
    print("\n" + row("kind", "tuned", "held out", widths=widths))
    for kind, per_split in rates["kind"].items():
        print(row(kind, per_split["tuned"], per_split["heldout"], widths=widths))
    print(row("testable", rates["testable"]["tuned"], rates["testable"]["heldout"], widths=widths))
    print(row("ALL", rates["split"]["tuned"], rates["split"]["heldout"], widths=widths))
    print(f"mean run: {sum(o['wall_s'] for o in outcomes) / len(outcomes):.0f}s")
    for o in outcomes:
        if not o["success"]:
            detail = o.get("checks") or o["error"] or ("ran although untestable" if o["kind"] == "untestable" else "")
            print(f"  failed ({o['split']}): {o['idea']} seed {o['llm_seed']}: {o['status']} {detail}")


def selected(ideas: list[dict], split: str, names: str) -> list[dict]:
    wanted = set(names.split(",")) if names else None
    unknown = (wanted or set()) - {idea["id"] for idea in ideas}
    if unknown:
        raise SystemExit(f"unknown ideas: {', '.join(sorted(unknown))}")
    return [idea for idea in ideas if (split == "all" or idea["split"] == split) and (wanted is None or idea["id"] in wanted)]


def main() -> None:
    ideas = load_ideas()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("tuned", "heldout", "all"), default="all", help="which part of the suite")
    parser.add_argument("--ideas", default="", help="comma-separated ids (default: all of the split): "
                                                     + ",".join(idea["id"] for idea in ideas))
    parser.add_argument("--steps", type=int, default=300, help="training steps per arm and seed")
    parser.add_argument("--runs", type=int, default=1, help="LLM seeds per idea")
    parser.add_argument("--out", default="generality_suite.json", help="results file under benchmarks/results")
    args = parser.parse_args()
    chosen = selected(ideas, args.split, args.ideas)
    temp_home("generality")
    from agentnotes.index.ingest import ingest
    from agentnotes.settings import load_settings

    settings = load_settings()
    ingest(settings, [SUITE / "notes", REPO / "data"])
    outcomes = []
    for idea in chosen:
        for llm_seed in range(args.runs):
            print(f"  {idea['split']} {idea['id']} (LLM seed {llm_seed})", flush=True)
            outcomes.append(one_run(settings, idea, llm_seed, args.steps))
            print(f"    -> success={outcomes[-1]['success']} {outcomes[-1].get('checks', outcomes[-1]['error'])}", flush=True)
    rates = summary(outcomes)
    results = REPO / "benchmarks" / "results"
    results.mkdir(exist_ok=True)
    (results / args.out).write_text(json.dumps({"summary": rates, "runs": outcomes}, indent=1))
    print_summary(outcomes, rates)


if __name__ == "__main__":
    main()
