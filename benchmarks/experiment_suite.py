"""run-experiment on every idea of the example notes, with the real embedded LLM on the CPU.

Run: python benchmarks/experiment_suite.py [--runs N] [--mirror-runs M] [--ideas mirror,gonnor,...]

A run succeeds when its script ran, both arms produced metrics over >= 3 seeds, and the idea
code behaves as the note says (benchmarks/idea_checks.py, run in the sandbox). Prints the success
rate per idea and overall, how many comparisons were informative (both arms learned more than a
constant prediction), and wall time per phase.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import time
from collections import defaultdict
from pathlib import Path

from _common import REPO, row, temp_home

IDEAS = {  # request as a user would type it -> behaviour checks it must pass
    "mirror": ("mirror vs baseline", "mirror,plain_sgd"),
    "gonnor": ("Gonnor vs plain SGD", "gonnor,weights_kept"),
    "mirror+gonnor": ("mirror layer together with Gonnor vs baseline", "mirror,gonnor"),
    "gates": ("tanh logic gate layer vs MLP", "gates,plain_sgd,weights_kept"),
    "double_relu": ("double ReLU vs ReLU", "double_relu,plain_sgd,weights_kept"),
}
CHECKER = Path(__file__).resolve().with_name("idea_checks.py")


class QuietReporter:
    def phase(self, name: str, detail: str = "") -> None:
        print(f"    · {name}", flush=True)

    def info(self, message: str) -> None:
        pass

    def output(self, line: str) -> None:
        pass


def check_idea(run_dir: Path, checks: str) -> dict[str, str]:
    """Behaviour checks of the accepted experiment.py, inside the sandbox."""
    from agentnotes.runner.sandbox import run_sandboxed

    folder = run_dir / "idea-check"
    folder.mkdir(exist_ok=True)
    shutil.copy(run_dir / "experiment.py", folder / "experiment.py")
    shutil.copy(CHECKER, folder / CHECKER.name)
    result = run_sandboxed([sys.executable, CHECKER.name, checks, "experiment.py"], folder, use_gpu=False)
    try:
        return json.loads(result.stdout_path.read_text().strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return {checks: f"checker {result.status}: {result.stderr_path.read_text()[-300:]}"}


def arm_seeds(run_dir: Path) -> dict[str, int]:
    metrics = json.loads((run_dir / "metrics.json").read_text())
    return {arm: len(data["runs"]) for arm, data in metrics["arms"].items()}


def one_run(settings, key: str, llm_seed: int, steps: int) -> dict:
    from agentnotes.errors import AgentNotesError
    from agentnotes.experiments.results import rundir as rd
    from agentnotes.llm.provider import get_chat_model
    from agentnotes.pipeline.experiment import ExperimentOptions, run_experiment

    request, checks = IDEAS[key]
    # max_seeds=3: success is about testing the idea faithfully; adding seeds would cost time, not change it.
    options = ExperimentOptions(request=request, seeds=3, max_seeds=3, steps=steps, max_attempts=4, llm_seed=llm_seed,
                                use_gpu=False)
    model = get_chat_model(settings, temperature=0.3, max_tokens=1200, seed=llm_seed)
    start = time.perf_counter()
    error = ""
    try:
        run = run_experiment(settings, options, QuietReporter(), model)
    except AgentNotesError as exc:
        error = str(exc)[:200]
        run = rd.open_run(settings.runs_dir, rd.list_runs(settings.runs_dir)[0].id)
    record = run.record()
    outcome = {"idea": key, "llm_seed": llm_seed, "run": record.id, "status": record.status, "error": error,
               "wall_s": round(time.perf_counter() - start, 1), "tokens": record.prompt_tokens + record.completion_tokens,
               "attempts": len(run.iterations()), "conclusion": record.conclusion, "phases": [(p.name, p.wall_s or 0.0) for p in record.phases]}
    if (run.path / "metrics.json").exists():
        outcome["seeds"] = arm_seeds(run.path)
        outcome["checks"] = check_idea(run.path, checks)
    ran = record.status == "done" and min(outcome.get("seeds", {"none": 0}).values()) >= 3
    outcome["faithful"] = bool(outcome.get("checks")) and all(v == "ok" for v in outcome["checks"].values())
    outcome["success"] = ran and outcome["faithful"]
    return outcome


def informative(outcome: dict) -> bool:
    """The comparison says something: both arms learned and had enough finite seeds."""
    return outcome.get("conclusion") in ("idea_better", "baseline_better", "no_evidence")


def print_summary(outcomes: list[dict]) -> None:
    widths = (16, 10, 10, 10, 12)
    print("\n" + row("idea", "success", "ran", "faithful", "informative", widths=widths))
    by_idea = defaultdict(list)
    for o in outcomes:
        by_idea[o["idea"]].append(o)
    for key, runs in by_idea.items():
        n = len(runs)
        print(row(key, f"{sum(o['success'] for o in runs)}/{n}", f"{sum(o['status'] == 'done' for o in runs)}/{n}",
                  f"{sum(o['faithful'] for o in runs)}/{n}", f"{sum(informative(o) for o in runs)}/{n}", widths=widths))
    total = sum(o["success"] for o in outcomes)
    print(f"suite: {total}/{len(outcomes)} = {total / len(outcomes):.0%} successful")
    phase_s = defaultdict(float)
    for o in outcomes:
        for name, wall in o["phases"]:
            phase_s[re.sub(r"-\d+$", "", name)] += wall
    print("wall time per phase, mean per run: " + ", ".join(f"{k} {v / len(outcomes):.0f}s" for k, v in phase_s.items()))
    print(f"mean run: {sum(o['wall_s'] for o in outcomes) / len(outcomes):.0f}s, "
          f"{sum(o['tokens'] for o in outcomes) / len(outcomes):.0f} LLM tokens")
    for o in outcomes:
        if not o["success"]:
            print(f"  failed: {o['idea']} seed {o['llm_seed']}: {o['status']} {o['error']} {o.get('checks', '')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="LLM seeds per idea")
    parser.add_argument("--mirror-runs", type=int, default=5, help="LLM seeds for mirror vs baseline")
    parser.add_argument("--ideas", default=",".join(IDEAS), help="comma-separated: " + ",".join(IDEAS))
    parser.add_argument("--steps", type=int, default=300, help="training steps per arm and seed")
    args = parser.parse_args()
    temp_home("experiments")
    from agentnotes.index.ingest import ingest
    from agentnotes.settings import load_settings

    settings = load_settings()
    ingest(settings, [REPO / "data"])
    outcomes = []
    for key in args.ideas.split(","):
        for llm_seed in range(args.mirror_runs if key == "mirror" else args.runs):
            print(f"  {key} (LLM seed {llm_seed})", flush=True)
            outcomes.append(one_run(settings, key, llm_seed, args.steps))
            print(f"    -> success={outcomes[-1]['success']} {outcomes[-1].get('checks', outcomes[-1]['error'])}", flush=True)
    results = REPO / "benchmarks" / "results"
    results.mkdir(exist_ok=True)
    (results / "experiment_suite.json").write_text(json.dumps(outcomes, indent=1))
    print_summary(outcomes)


if __name__ == "__main__":
    main()
