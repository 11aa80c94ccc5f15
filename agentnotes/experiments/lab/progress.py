"""Parse the harness's progress lines (`[idea seed=1] step 200/1000 loss 0.1234 ...`) for progress bars."""

from __future__ import annotations

import re
from dataclasses import dataclass

_LINE = re.compile(r"^\[(?P<arm>\w+) (?P<tag>[^\]]+)\] step (?P<step>\d+)/(?P<steps>\d+) loss (?P<loss>\S+)")


@dataclass(frozen=True)
class Progress:
    """One progress line. `tag` is "seed=N" for a measured run or "lr=X" for a learning-rate search run."""

    arm: str
    tag: str
    step: int
    steps: int
    loss: float

    @property
    def key(self) -> tuple[str, str]:
        """Identifies the training run; steps done overall = sum over keys of the latest `step`."""
        return self.arm, self.tag


def parse_progress(line: str) -> Progress | None:
    match = _LINE.match(line.strip())
    if not match:
        return None
    try:
        loss = float(match["loss"])
    except ValueError:
        loss = float("nan")
    return Progress(match["arm"], match["tag"], int(match["step"]), int(match["steps"]), loss)
