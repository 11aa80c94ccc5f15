"""GPU dispatch: the same experiment script through the sandbox on the GPU and on the CPU.

Run on a machine with an NVIDIA GPU: python benchmarks/gpu_dispatch.py [--cpu-threads N]
Prints the device recorded by the runner (GPU name), the isolation layer, wall times and the
GPU/CPU ratio for three model sizes, then starts two experiments at once to show that the
second one queues for the GPU instead of sharing it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from agentnotes.experiments.lab.assemble import assemble_script  # noqa: E402
from agentnotes.experiments.lab.config import ExperimentConfig  # noqa: E402
from agentnotes.runner.gpu import detect_gpus  # noqa: E402
from agentnotes.runner.sandbox import Limits, RunResult, describe_isolation, run_sandboxed  # noqa: E402

IDEA = (REPO / "tests" / "ideas" / "mirror.py").read_text(encoding="utf-8")
SIZES = (("small MLP", 64, 64, 1000), ("wide MLP", 1024, 512, 200), ("large MLP", 2048, 2048, 100))


def run_once(config: ExperimentConfig, use_gpu: bool, on_output=None) -> tuple[RunResult, dict]:
    """Assemble the mirror experiment into a fresh run dir and run it in the sandbox."""
    run_dir = Path(tempfile.mkdtemp(prefix="agentnotes-gpu-"))
    (run_dir / "experiment.py").write_text(assemble_script(IDEA, config), encoding="utf-8")
    result = run_sandboxed([sys.executable, "experiment.py"], run_dir, Limits(timeout_s=500), use_gpu=use_gpu,
                           on_output=on_output)
    metrics_path = run_dir / "metrics.json"
    environment = json.loads(metrics_path.read_text()).get("environment", {}) if metrics_path.exists() else {}
    if result.status != "ok" or (use_gpu and environment.get("device") == "cpu"):
        print(result.stderr_path.read_text()[-2000:])
    return result, environment


def compare_devices(cpu_threads: int) -> None:
    for label, hidden, batch, steps in SIZES:
        config = ExperimentConfig(idea_name="mirror", task="regression", seeds=(0, 1, 2), steps=steps, hidden=hidden,
                                  batch_size=batch, input_scale=0.01, print_every=1000, cpu_threads=cpu_threads)
        times = {}
        for use_gpu in (True, False):
            result, env = run_once(config, use_gpu)
            times[use_gpu] = result.duration_s if result.status == "ok" else None
            print(f"{label}: {result.status} on {result.device} ({result.isolation}) in {result.duration_s:.1f}s; "
                  f"harness saw device={env.get('device')} gpu={env.get('gpu_name')} cpu_threads={env.get('cpu_threads')}")
        if all(times.values()):
            print(f"{label}: GPU/CPU wall time ratio {times[True] / times[False]:.2f} "
                  f"(CPU speed-up on the GPU {times[False] / times[True]:.1f}x)")


def show_queue() -> None:
    """Two experiments asking for the GPU at once: with one GPU the second waits for the first."""
    config = ExperimentConfig(idea_name="mirror", task="regression", seeds=(0, 1, 2), steps=1000, print_every=1000)
    start = time.perf_counter()
    spans: dict[str, tuple[float, float, str]] = {}

    def job(name: str) -> None:
        began = time.perf_counter() - start
        messages = []
        result, _ = run_once(config, True, on_output=lambda line: messages.append(line) if "queued" in line else None)
        spans[name] = (began, time.perf_counter() - start, f"{result.status} on {result.device}; {' '.join(messages)}")

    threads = [threading.Thread(target=job, args=(name,)) for name in ("A", "B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for name, (began, ended, detail) in sorted(spans.items()):
        print(f"queue: experiment {name} asked at {began:.1f}s, finished at {ended:.1f}s: {detail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu-threads", type=int, default=1, help="torch threads of the CPU arm")
    args = parser.parse_args()
    print("GPUs:", [(g.index, g.name, g.memory_free_mb) for g in detect_gpus()] or "none")
    print("isolation:", describe_isolation().summary)
    compare_devices(args.cpu_threads)
    if detect_gpus():
        show_queue()


if __name__ == "__main__":
    main()
