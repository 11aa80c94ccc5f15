"""Sandbox overhead: a trivial script and a small torch training run, sandboxed vs plain python.

Run: python benchmarks/sandbox_overhead.py   (targets: <= 0.3 s on the trivial script, <= 5% on training)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from agentnotes.runner import sandbox
from agentnotes.runner.sandbox import Limits, run_sandboxed

TRAIN = """
import torch
torch.manual_seed(0)
torch.set_num_threads(1)
x = torch.randn(2048, 32); y = x.sum(1, keepdim=True)
model = torch.nn.Sequential(torch.nn.Linear(32, 128), torch.nn.ReLU(), torch.nn.Linear(128, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.01)
for _ in range(1500):
    opt.zero_grad(); loss = ((model(x) - y) ** 2).mean(); loss.backward(); opt.step()
print(float(loss))
"""


def timed(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="agentnotes-bench-sandbox-"))
    (folder / "trivial.py").write_text("print(1)\n")
    (folder / "train.py").write_text(TRAIN)
    env = {**os.environ, "OMP_NUM_THREADS": "2"}
    for layer in ("bwrap", "landlock"):
        os.environ[sandbox.FORCE_ENV] = layer
        if not sandbox.describe_isolation().available:
            print(f"{layer}: not available here")
            continue
        for script, repeats in (("trivial.py", 7), ("train.py", 3)):
            plain = timed(lambda: subprocess.run([sys.executable, script], cwd=folder, env=env, check=True,
                                                 capture_output=True), repeats)
            boxed = timed(lambda: run_sandboxed([sys.executable, script], folder, Limits(timeout_s=300), use_gpu=False),
                          repeats)
            print(f"{layer:9s} {script:11s} plain {plain:.3f}s  sandboxed {boxed:.3f}s  "
                  f"overhead {boxed - plain:+.3f}s ({100 * (boxed / plain - 1):+.1f}%)")


if __name__ == "__main__":
    main()
