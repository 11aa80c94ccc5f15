"""ExperimentConfig: the flat config block of a generated experiment.py."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields

from agentnotes.errors import ExperimentError
from agentnotes.experiments.lab.template import task_names

MIN_SEEDS = 3
_DEVICE = re.compile(r"^(auto|cpu|cuda(:\d+)?)$")


@dataclass(frozen=True)
class ExperimentConfig:
    """Budget and task of one experiment. Each field is the upper-case variable of the same name in the script.

    lr_grid: optional learning-rate search. Empty (the default) means both arms train at `lr`.
    Otherwise each arm runs once per value on a separate tuning seed, the best validation
    metric picks its learning rate, then every seed runs with it: the same budget for both arms.
    """

    idea_name: str = "idea"
    task: str = "regression"
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    steps: int = 2000
    lr: float = 0.05
    batch_size: int = 64
    hidden: int = 64
    input_scale: float = 1.0
    eval_every: int = 100
    print_every: int = 500
    lr_grid: tuple[float, ...] = ()
    device: str = "auto"
    cpu_threads: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "seeds", tuple(self.seeds))
        object.__setattr__(self, "lr_grid", tuple(float(v) for v in self.lr_grid))
        problems = self.problems()
        if problems:
            raise ExperimentError("Invalid experiment config: " + "; ".join(problems) + ".")

    def problems(self) -> list[str]:
        out = []
        if self.task not in task_names():
            out.append(f"task {self.task!r} is not one of {', '.join(task_names())}")
        if len(self.seeds) < MIN_SEEDS or len(set(self.seeds)) != len(self.seeds):
            out.append(f"seeds must be at least {MIN_SEEDS} distinct integers, got {list(self.seeds)}")
        if not all(isinstance(s, int) and s >= 0 for s in self.seeds):
            out.append("seeds must be non-negative integers")
        for name in ("steps", "batch_size", "hidden", "eval_every", "print_every", "cpu_threads"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                out.append(f"{name} must be a positive integer")
        for name, value in (("lr", self.lr), ("input_scale", self.input_scale), *(("lr_grid", v) for v in self.lr_grid)):
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                out.append(f"{name} must be a positive finite number, got {value!r}")
        if not _DEVICE.match(self.device):
            out.append(f"device must be auto, cpu or cuda[:N], got {self.device!r}")
        return out

    @property
    def total_steps(self) -> int:
        """Training steps the script will run, both arms and the LR search included (for progress bars)."""
        return 2 * self.steps * (len(self.seeds) + len(self.lr_grid))

    def variables(self) -> dict[str, object]:
        """Script variable name -> value, in field order."""
        return {f.name.upper(): _plain(getattr(self, f.name)) for f in fields(self)}


def _plain(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value
