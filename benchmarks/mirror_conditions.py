"""What the lab concludes per input scale for a correct, hand-written mirror layer (no LLM).

Run: python benchmarks/mirror_conditions.py [--seeds 5] [--steps 1500] [--every 10]

`run-experiment "mirror vs baseline"` should reach these conclusions when its generated code is
faithful: the reference implementation (tests/ideas/mirror.py) runs in the sandbox at input scale
0.01 (the condition the note names) and 1.0 (the normal setting), with the default fair
learning-rate search, and the statistics are printed per scale next to the wall time.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from _common import REPO


def main() -> None:
    from agentnotes.experiments.lab.assemble import assemble_script
    from agentnotes.experiments.lab.config import ExperimentConfig
    from agentnotes.experiments.results.stats import compare_arms, load_metrics
    from agentnotes.runner.sandbox import Limits, run_sandboxed

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--every", type=int, default=10, help="steps between merges (the example notes say 50)")
    args = parser.parse_args()
    code = (REPO / "tests" / "ideas" / "mirror.py").read_text(encoding="utf-8")
    code = code.replace("AVERAGE_EVERY = 10", f"AVERAGE_EVERY = {args.every}")
    results = {}
    for scale in (0.01, 1.0):
        config = ExperimentConfig(idea_name="mirror layer", task="regression", seeds=tuple(range(args.seeds)),
                                  steps=args.steps, input_scale=scale)
        folder = Path(tempfile.mkdtemp(prefix="mirror-conditions-"))
        (folder / "experiment.py").write_text(assemble_script(code, config), encoding="utf-8")
        start = time.perf_counter()
        result = run_sandboxed([sys.executable, "experiment.py"], folder, Limits(timeout_s=3600), use_gpu=False)
        metrics = load_metrics(folder / "metrics.json")
        comparison = compare_arms(metrics)
        tuning = {arm: found["chosen"] for arm, found in (metrics.get("lr_tuning") or {}).items()}
        results[scale] = {"conclusion": comparison.conclusion, "summary": comparison.summary, "lr": tuning,
                          "wall_s": round(time.perf_counter() - start, 1), "status": result.status}
        print(f"input scale {scale:g}: {comparison.summary} (lr chosen {tuning}; {results[scale]['wall_s']} s)", flush=True)
    out = REPO / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "mirror_conditions.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
