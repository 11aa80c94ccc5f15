"""The claim ledger: every number a report or a critic states about results must come from the
files the harness and the statistics wrote (metrics.json, stats.json).

A program checks what a program can. A number in the conclusion, the results or a critic's
verdict that no measured value explains (at the precision it is printed with) is listed as
untraced; a p-value outside [0, 1] and a verdict that contradicts the statistics are rejected.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

_NUMBER = re.compile(r"(?<![\w.])[-−]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w.])")
_P_VALUE = re.compile(r"\bp(?:-value)?\s*(?:=|<|>|≤|≥|of|is)\s*([-−]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)", re.IGNORECASE)
_CODE_FENCE = re.compile(r"```.*?```", re.DOTALL)
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)|`[^`]*`")
# Words that say which arm won, by conclusion.
_VERDICT_WORDS = {
    "idea_better": re.compile(r"\bidea (?:is |was )?(?:better|superior|outperforms|wins)|\boutperforms the baseline", re.IGNORECASE),
    "baseline_better": re.compile(r"\bbaseline (?:is |was )?(?:better|superior|outperforms|wins)|\bidea (?:is |was )?worse", re.IGNORECASE),
}
_SMALL_COUNTS = range(0, 11)  # counts, list markers and percent levels are not result claims


@dataclass(frozen=True)
class Untraced:
    """A number stated without a measured value behind it, with the text it stands in."""

    number: str
    context: str

    def __str__(self) -> str:
        return f"{self.number} (in: {self.context})"


def measured_values(*sources: Any) -> list[float]:
    """Every finite number in the given JSON values, plus what the report derives from them
    (confidence-interval half widths, percent levels of alpha, lengths of lists)."""
    values: list[float] = []
    for source in sources:
        values += _leaves(source)
        if isinstance(source, dict) and isinstance(source.get("ci_low"), (int, float)) and isinstance(source.get("ci_high"), (int, float)):
            values.append((source["ci_high"] - source["ci_low"]) / 2)
        if isinstance(source, dict) and isinstance(source.get("alpha"), (int, float)):
            values.append(100 * (1 - source["alpha"]))
    return values


def _leaves(value: Any) -> Iterator[float]:
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, (int, float)):
        if math.isfinite(value):
            yield float(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item)
            try:
                yield float(key)  # learning rates as keys of the tuning scores
            except ValueError:
                pass
    elif isinstance(value, (list, tuple)):
        yield float(len(value))
        for item in value:
            yield from _leaves(item)


def _explained(text: str, values: Iterable[float]) -> bool:
    """Some value, rounded to the precision `text` is written with, prints as `text`."""
    number = float(text.replace("−", "-"))
    mantissa = text.lower().split("e")[0]
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    exponent = int(text.lower().split("e")[1]) if "e" in text.lower() else 0
    tolerance = 0.5 * 10.0 ** (exponent - decimals) * 1.0001
    return any(abs(v - number) <= tolerance or abs(abs(v) - abs(number)) <= tolerance for v in values)


def untraced_numbers(text: str, values: Iterable[float]) -> list[Untraced]:
    """The numbers in `text` (code blocks, inline code and images left out) that no value explains.
    Small whole numbers (counts, list markers) are not claims and are skipped."""
    values = list(values)
    plain = _IMAGE.sub(" ", _CODE_FENCE.sub(" ", text))
    found = []
    for match in _NUMBER.finditer(plain):
        token = match.group(0)
        if re.fullmatch(r"\d+", token) and int(token) in _SMALL_COUNTS:
            continue
        if not _explained(token, values):
            start, end = max(0, match.start() - 40), min(len(plain), match.end() + 40)
            found.append(Untraced(token, " ".join(plain[start:end].split())))
    return found


def bad_p_values(text: str) -> list[str]:
    """p-values stated in `text` that are not probabilities."""
    return [m.group(1) for m in _P_VALUE.finditer(text) if not 0.0 <= float(m.group(1).replace("−", "-")) <= 1.0]


def contradicts(text: str, conclusions: Collection[str]) -> str | None:
    """Why `text` contradicts the statistics (it names a winner that no condition's test names), or None."""
    for claimed, pattern in _VERDICT_WORDS.items():
        if pattern.search(text) and claimed not in conclusions:
            shown = " / ".join({"no_evidence": "no evidence of a difference"}.get(c, c.replace("_", " ")) for c in conclusions)
            return f"it says the {claimed.split('_')[0]} is better, but the statistics say: {shown}"
    return None


def audit_statement(text: str, values: Iterable[float], conclusions: Collection[str]) -> list[str]:
    """Every mechanical objection to a statement about the results (a critic's summary or concern),
    given the conclusions of the statistics (one per condition)."""
    objections = [f"p-value {p} is outside [0, 1]" for p in bad_p_values(text)]
    objections += [f"the number {u.number} is not in the measured results" for u in untraced_numbers(text, values)]
    if why := contradicts(text, conclusions):
        objections.append(why)
    return objections
