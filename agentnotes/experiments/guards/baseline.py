"""The baseline a request names ("sign-SGD vs Adam", "my norm vs LayerNorm"), read by a program.

The baseline arm follows the request; a request that names none gets the lab's plain baseline
(an MLP with SGD). Only the side after "vs" is read, so an idea named after an optimizer is not
mistaken for its own baseline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

COMPARISON = re.compile(r"\s+(?:vs\.?|versus|against|compared (?:to|with)|对比|相比)\s*", re.IGNORECASE)
_OPTIMIZERS = (  # (lab name, cue) in match order: AdamW before Adam
    ("adamw", re.compile(r"\badamw\b", re.IGNORECASE)),
    ("adam", re.compile(r"\badam\b", re.IGNORECASE)),
    ("rmsprop", re.compile(r"\brms-?prop\b", re.IGNORECASE)),
    ("momentum", re.compile(r"\bmomentum\b|\bsgdm\b|动量", re.IGNORECASE)),
    ("sgd", re.compile(r"\bsgd\b", re.IGNORECASE)),
)
# The coefficient a momentum baseline is given: "momentum 0.95", "constant momentum=0.99", "β = 0.95", "动量 0.95".
_MOMENTUM_VALUE = re.compile(r"(?:momentum|动量|β|beta)\s*(?:=|:|of|系数|取)?\s*(0?\.\d+)", re.IGNORECASE)
_NORMS = (
    ("layernorm", re.compile(r"\blayer ?norm\b|\bLN\b|层归一化", re.IGNORECASE)),
    ("batchnorm", re.compile(r"\bbatch ?norm\b|\bBN\b|批归一化", re.IGNORECASE)),
)


@dataclass(frozen=True)
class Baseline:
    """What the baseline arm uses: the lab's BASELINE_OPTIMIZER and BASELINE_NORM."""

    optimizer: str = "sgd"
    norm: str | None = None
    momentum: float = 0.9  # the "momentum" optimizer's coefficient

    def describe(self) -> str:
        norm = f" with {self.norm}" if self.norm else ""
        coefficient = f" {self.momentum:g}" if self.optimizer == "momentum" and self.momentum != 0.9 else ""
        return f"the task's baseline model{norm}, trained with {self.optimizer}{coefficient}"


def split_request(request: str) -> tuple[str, str]:
    """(idea side, baseline side) of a request: "mirror vs baseline" -> ("mirror", "baseline")."""
    sides = COMPARISON.split(request.strip(), maxsplit=1)
    return sides[0], sides[1] if len(sides) > 1 else ""


def baseline_from_request(request: str) -> Baseline:
    """The optimizer and normalisation the request's baseline side names; the lab's defaults otherwise."""
    side = split_request(request)[1]
    optimizer = next((name for name, cue in _OPTIMIZERS if cue.search(side)), "sgd")
    norm = next((name for name, cue in _NORMS if cue.search(side)), None)
    said = _MOMENTUM_VALUE.search(side) if optimizer == "momentum" else None
    return Baseline(optimizer, norm, float(said[1]) if said and float(said[1]) < 1 else 0.9)
