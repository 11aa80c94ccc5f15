"""GPU dispatch: the same experiment script through the sandbox on the GPU and on the CPU.

Run on a machine with an NVIDIA GPU: python benchmarks/gpu_dispatch.py
Prints the device recorded by the runner (GPU name), the isolation layer, wall times and the ratio.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from agentnotes.experiments.assemble import assemble_script  # noqa: E402
from agentnotes.experiments.config import ExperimentConfig  # noqa: E402
from agentnotes.runner.gpu import detect_gpus  # noqa: E402
from agentnotes.runner.sandbox import Limits, describe_isolation, run_sandboxed  # noqa: E402


def main() -> None:
    print("GPUs:", [(g.index, g.name, g.memory_free_mb) for g in detect_gpus()] or "none")
    print("isolation:", describe_isolation().summary)
    idea = (REPO / "tests" / "ideas" / "mirror.py").read_text(encoding="utf-8")
    for label, hidden, batch, steps in (("small MLP", 64, 64, 1000), ("wide MLP", 2048, 1024, 300)):
        config = ExperimentConfig(idea_name="mirror", task="regression", seeds=(0, 1, 2), steps=steps,
                                  hidden=hidden, batch_size=batch, input_scale=0.01, print_every=1000)
        times = {}
        for use_gpu in (True, False):
            run_dir = Path(tempfile.mkdtemp(prefix="agentnotes-gpu-"))
            (run_dir / "experiment.py").write_text(assemble_script(idea, config), encoding="utf-8")
            result = run_sandboxed([sys.executable, "experiment.py"], run_dir, Limits(timeout_s=500), use_gpu=use_gpu)
            metrics = json.loads((run_dir / "metrics.json").read_text()) if (run_dir / "metrics.json").exists() else {}
            env = metrics.get("environment", {})
            times[use_gpu] = result.duration_s
            print(f"{label}: {result.status} on {result.device} ({result.isolation}) in {result.duration_s:.1f}s; "
                  f"harness saw device={env.get('device')} gpu={env.get('gpu_name')}")
            if result.status != "ok" or (use_gpu and env.get("device") == "cpu"):
                print(result.stderr_path.read_text()[-2000:])
        if all(v for v in times.values()):
            print(f"{label}: GPU/CPU wall time ratio {times[True] / times[False]:.2f}")


if __name__ == "__main__":
    main()
