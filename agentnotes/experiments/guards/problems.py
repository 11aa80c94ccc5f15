"""Problem: one finding (in idea code or in metrics) phrased so the code generator can act on it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """`kind` is a short machine tag (e.g. "syntax", "import", "diverged"); `line` is 1-based in the idea code."""

    kind: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "message": self.message, "line": self.line}


def format_problems(problems: Sequence[Problem]) -> str:
    """One problem per line, ready to paste into feedback for the code generator."""
    return "\n".join(f"- {problem}" for problem in problems)
