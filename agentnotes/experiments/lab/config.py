"""ExperimentConfig: the flat config block of a generated experiment.py."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields

from agentnotes.errors import ExperimentError
from agentnotes.experiments.lab.template import (
    activation_names,
    harness_constant,
    norm_names,
    optimizer_names,
    schedule_names,
    task_names,
)

MIN_SEEDS = 3
AUTO = "auto"
_DEVICE = re.compile(r"^(auto|cpu|cuda(:\d+)?)$")


@dataclass(frozen=True)
class ExperimentConfig:
    """Budget and task of one experiment. Each field is the upper-case variable of the same name in the script.

    baseline_optimizer / baseline_norm / baseline_momentum / baseline_activation / baseline_schedule: what the
    baseline arm trains with (the idea arm too, unless the idea replaces it; the momentum coefficient is the
    "momentum" optimizer's; the schedule None is a constant rate). match_params: the baseline's hidden width is the
    one whose parameter count is closest to the idea model's. lr: the base learning rate, "auto" for the usual rate of the
    baseline optimizer. lr_grid: the learning-rate search, fair by default: "auto" tries lr / 3,
    lr and lr * 3; each arm runs once per rate on a separate tuning seed, the grid is widened
    while an arm's best rate sits at its edge, the best validation metric picks each arm's rate,
    then every seed runs with it: the same budget for both arms. An empty grid means no search.
    arm_lrs: (arm, rate) pairs for seeds added to an earlier run: each arm trains at the rate that run's
    search chose, and nothing is searched. label_noise: the share of training labels replaced by another class (a
    condition a note names: "20% symmetric label noise"); validation and test labels stay clean. train_size: the training
    examples kept, 0 for all (a condition a note names: "只用 300 个训练样本"). class_imbalance: the training set made
    long-tailed, its largest class this many times its smallest, 0 for as it is (a condition a note names: "imbalance
    ratio 10"); validation and test stay balanced.
    """

    idea_name: str = "idea"
    task: str = "regression"
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    steps: int = 2000
    baseline_optimizer: str = "sgd"
    baseline_norm: str | None = None
    baseline_momentum: float = 0.9
    baseline_activation: str = "relu"
    baseline_schedule: str | None = None
    match_params: bool = False
    lr: float | str = AUTO
    lr_grid: tuple[float, ...] | str = AUTO
    arm_lrs: tuple[tuple[str, float], ...] = ()
    batch_size: int = 64
    hidden: int = 64
    input_scale: float = 1.0
    label_noise: float = 0.0
    train_size: int = 0
    class_imbalance: float = 0.0
    eval_every: int = 100
    print_every: int = 500
    device: str = "auto"
    cpu_threads: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "seeds", tuple(self.seeds))
        if self.lr_grid != AUTO:
            object.__setattr__(self, "lr_grid", tuple(float(v) for v in self.lr_grid))
        object.__setattr__(self, "arm_lrs", tuple(dict(self.arm_lrs).items()))
        problems = self.problems()
        if problems:
            raise ExperimentError("Invalid experiment config: " + "; ".join(problems) + ".")

    def problems(self) -> list[str]:
        out = []
        if self.task not in task_names():
            out.append(f"task {self.task!r} is not one of {', '.join(task_names())}")
        if self.baseline_optimizer not in optimizer_names():
            out.append(f"baseline_optimizer {self.baseline_optimizer!r} is not one of {', '.join(optimizer_names())}")
        if not 0 <= self.baseline_momentum < 1:
            out.append(f"baseline_momentum must be in [0, 1), got {self.baseline_momentum}")
        if self.baseline_activation not in activation_names():
            out.append(f"baseline_activation {self.baseline_activation!r} is not one of {', '.join(activation_names())}")
        if self.baseline_schedule not in schedule_names():
            out.append(f"baseline_schedule {self.baseline_schedule!r} is not one of "
                       f"{', '.join(map(str, schedule_names()))}")
        if self.baseline_norm not in norm_names():
            out.append(f"baseline_norm {self.baseline_norm!r} is not one of {', '.join(map(str, norm_names()))}")
        least = 1 if self.arm_lrs else MIN_SEEDS  # seeds added to an earlier run's count with its own
        if len(self.seeds) < least or len(set(self.seeds)) != len(self.seeds):
            out.append(f"seeds must be at least {least} distinct integers, got {list(self.seeds)}")
        if not all(isinstance(s, int) and s >= 0 for s in self.seeds):
            out.append("seeds must be non-negative integers")
        for name in ("steps", "batch_size", "hidden", "eval_every", "print_every", "cpu_threads"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                out.append(f"{name} must be a positive integer")
        rates = [] if self.lr == AUTO else [("lr", self.lr)]
        rates += [] if self.lr_grid == AUTO else [("lr_grid", v) for v in self.lr_grid]
        rates += [(f"arm_lrs[{arm}]", rate) for arm, rate in self.arm_lrs]
        if self.arm_lrs and sorted(arm for arm, _ in self.arm_lrs) != ["baseline", "idea"]:
            out.append(f"arm_lrs must give one rate for each of baseline and idea, got {list(self.arm_lrs)}")
        for name, value in (*rates, ("input_scale", self.input_scale)):
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                out.append(f"{name} must be a positive finite number{' or auto' if name != 'input_scale' else ''}, "
                           f"got {value!r}")
        if not (isinstance(self.label_noise, (int, float)) and 0 <= self.label_noise < 1):
            out.append(f"label_noise must be a share in [0, 1), got {self.label_noise!r}")
        elif self.label_noise and self.task == "regression":
            out.append("label_noise needs a task with classes, not regression")
        if not isinstance(self.train_size, int) or self.train_size < 0:
            out.append(f"train_size must be a count of examples (0: all), got {self.train_size!r}")
        if not (isinstance(self.class_imbalance, (int, float)) and (self.class_imbalance == 0 or 1 < self.class_imbalance < math.inf)):
            out.append(f"class_imbalance must be a ratio above 1 (0: as it is), got {self.class_imbalance!r}")
        elif self.class_imbalance and self.task == "regression":
            out.append("class_imbalance needs a task with classes, not regression")
        if not _DEVICE.match(self.device):
            out.append(f"device must be auto, cpu or cuda[:N], got {self.device!r}")
        return out

    @property
    def total_steps(self) -> int:
        """Training steps the script runs at most: both arms, the seeds and the LR search with every widening
        (the widenings happen only while a best rate sits at the grid's edge, so a run may finish sooner)."""
        grid = 0 if self.arm_lrs else 3 if self.lr_grid == AUTO else len(self.lr_grid)
        tuning = grid + int(harness_constant("MAX_LR_WIDENINGS")) if grid else 0  # type: ignore[call-overload]
        return 2 * self.steps * (len(self.seeds) + tuning)

    def variables(self) -> dict[str, object]:
        """Script variable name -> value, in field order (the arms' rates as a dict)."""
        values = {f.name.upper(): _plain(getattr(self, f.name)) for f in fields(self)}
        return {**values, "ARM_LRS": dict(self.arm_lrs)}


CONDITION_FIELDS = ("input_scale", "label_noise", "train_size", "class_imbalance")  # the settings of a condition


def condition_label(input_scale: float, label_noise: float = 0.0, train_size: int = 0, class_imbalance: float = 0.0) -> str:
    """A condition in words: "input scale 1", "input scale 1, label noise 20%, 300 training examples, imbalance ratio
    10"."""
    return (f"input scale {input_scale:g}" + (f", label noise {label_noise:.0%}" if label_noise else "")
            + (f", {train_size} training examples" if train_size else "")
            + (f", imbalance ratio {class_imbalance:g}" if class_imbalance else ""))


def settings_of(source: object) -> tuple:
    """Its values of CONDITION_FIELDS: of a config or plan, or of a run's config as metrics.json or conditions.json
    hold it (a setting it lacks, normal)."""
    if isinstance(source, dict):
        normal = ExperimentConfig()
        return tuple(source.get(field) or getattr(normal, field) for field in CONDITION_FIELDS)
    return tuple(getattr(source, field) for field in CONDITION_FIELDS)


def condition_of(config: dict) -> str:
    """The condition of a run's config as metrics.json or conditions.json hold it (the settings it lacks, normal)."""
    return condition_label(*settings_of(config))


def _plain(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value
