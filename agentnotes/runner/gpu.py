"""GPU dispatch: find NVIDIA GPUs, take a free one (one experiment per GPU at a time), else the CPU."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

LOCK_DIR = Path(os.environ.get("AGENTNOTES_GPU_LOCK_DIR", "/tmp/agentnotes-gpu-locks"))


@dataclass(frozen=True)
class GpuInfo:
    index: int
    name: str
    memory_free_mb: int
    utilization: int


def _number(text: str) -> int:
    """nvidia-smi prints '[N/A]' for values it cannot read."""
    try:
        return int(float(text))
    except ValueError:
        return 0


def detect_gpus() -> list[GpuInfo]:
    """GPUs as nvidia-smi reports them; empty when there is none (or no driver)."""
    if not shutil.which("nvidia-smi"):
        return []
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=index,name,memory.free,utilization.gpu", "--format=csv,noheader,nounits"],
            capture_output=True, text=True, timeout=20, check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    gpus = []
    for line in out.strip().splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 4:
            gpus.append(GpuInfo(int(parts[0]), parts[1], _number(parts[2]), _number(parts[3])))
    return gpus


@contextmanager
def acquire_gpu(wait_message: Callable[[str], None] | None = None, poll_s: float = 2.0) -> Iterator[GpuInfo | None]:
    """Hold a free GPU (an exclusive lock file per GPU) for the duration; None means run on the CPU.

    With several GPUs the least busy free one is taken; when all are taken, wait for one.
    """
    gpus = sorted(detect_gpus(), key=lambda g: (g.utilization, -g.memory_free_mb))
    if not gpus:
        yield None
        return
    LOCK_DIR.mkdir(parents=True, exist_ok=True)
    told = False
    while True:
        for gpu in gpus:
            fd = os.open(LOCK_DIR / f"gpu{gpu.index}.lock", os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            try:
                yield gpu
            finally:
                os.close(fd)
            return
        if wait_message and not told:
            wait_message(f"All {len(gpus)} GPU(s) are busy with other experiments; queued.")
            told = True
        time.sleep(poll_s)
