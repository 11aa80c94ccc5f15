"""Training runs side by side on the CPU: one experiment's wall time with one worker process and with one per CPU.

Run: python benchmarks/cpu_workers.py [--steps N] [--seeds N]

The same experiment.py (the plain baseline against an idea arm with a gated layer, learning-rate search on,
digits task) runs in the sandbox twice: CPU_WORKERS = 1 (every run after the other, as before) and "auto" (one
process per usable CPU). Prints both wall times, their ratio, and whether every run's result is the same.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from agentnotes.experiments.lab.assemble import assemble_script
from agentnotes.experiments.lab.config import ExperimentConfig
from agentnotes.runner.sandbox import Limits, run_sandboxed

IDEA = '''
class GatedLinear(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.value = nn.Linear(in_features, out_features)
        self.gate = nn.Linear(in_features, out_features)

    def forward(self, x):
        return self.value(x) * torch.sigmoid(self.gate(x))


def build_model(in_dim, hidden, out_dim):
    return mlp(in_dim, hidden, out_dim, linear=GatedLinear)
'''


def run(folder: Path, script: str, workers: str) -> tuple[float, dict]:
    folder.mkdir(parents=True)
    (folder / "experiment.py").write_text(script.replace('\nCPU_WORKERS = "auto"', f"\nCPU_WORKERS = {workers}", 1))
    start = time.perf_counter()
    result = run_sandboxed([sys.executable, "experiment.py"], folder, Limits(timeout_s=1800), use_gpu=False)
    wall = time.perf_counter() - start
    if result.status != "ok":
        raise SystemExit(f"{workers}: {result.status} {result.reason}")
    return wall, json.loads((folder / "metrics.json").read_text())


def finals(metrics: dict) -> dict[str, list]:
    return {arm: [r["final_metric"] for r in entry["runs"]] for arm, entry in metrics["arms"].items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--seeds", type=int, default=4)
    args = parser.parse_args()
    config = ExperimentConfig(idea_name="gated", task="digits", seeds=tuple(range(args.seeds)), steps=args.steps)
    script = assemble_script(IDEA, config)
    root = Path(tempfile.mkdtemp(prefix="agentnotes-bench-workers-"))
    usable = len(os.sched_getaffinity(0))
    one, one_metrics = run(root / "one", script, "1")
    many, many_metrics = run(root / "auto", script, '"auto"')
    print(f"usable CPUs {usable}; {args.seeds} seeds x 2 arms x {args.steps} steps + learning-rate search")
    print(f"one worker      {one:7.1f} s")
    print(f"one per CPU     {many:7.1f} s   ratio {many / one:.2f}")
    print(f"same results    {finals(one_metrics) == finals(many_metrics)}")


if __name__ == "__main__":
    main()
