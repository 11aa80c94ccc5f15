"""The sizes an idea's note gives its own experiment: the batch size and the hidden layers' width.

A note's setup often names the network and the batch it means ("MLP 64-128-128-10, batch 16"): the idea is then
tried at those sizes rather than the lab's defaults. A size is taken only when the note gives it one value (two
batch sizes, or layer widths that differ, leave the default) and within what a small run on a laptop can hold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agentnotes.experiments.guards.task import ALSO_TESTED

# A batch size said with its word: "batch 16", "batch size 32", "batch=128", "bs = 64", "batch：32", "批大小 32".
_BATCH = re.compile(r"(?<![\w])(?:(?:mini-?)?batch(?:[ _-]?size)?|bs|批大小|批量大小)[ \t]*(?:[=:：]|为|是|取)?[ \t]*(\d{1,5})"
                    r"(?!\d|\.\d|\s*(?:steps?|步|epochs?|个\s*batch))", re.IGNORECASE)
# A network's layer widths after its name: "MLP 64-128-128-10", "网络：64→256→256→10", "Net: 8-64-64-1".
WIDTHS = re.compile(r"(?:\bMLP|\bnet(?:work)?|\bmodel|网络|模型|\bdigits)\s*[:：]?\s*(\d{1,5}(?:\s*[-–→]\s*\d{1,5}){2,6})(?![\d.])",
                     re.IGNORECASE)
BATCH_RANGE = (2, 1024)
WIDTH_RANGE = (4, 1024)


@dataclass(frozen=True)
class SetupSizes:
    """The note's batch size and hidden width, None where it gives no single one."""

    batch_size: int | None = None
    hidden: int | None = None

    def said(self) -> str:
        """The sizes as a phrase for the run's log ("batch 16, hidden width 128"), empty when there are none."""
        return ", ".join(part for part in (f"batch {self.batch_size}" if self.batch_size else "",
                                           f"hidden width {self.hidden}" if self.hidden else "") if part)


def setup_sizes(note_text: str) -> SetupSizes:
    """The batch size and hidden width `note_text` (an idea's own sections) gives its experiment, not a second test it
    adds ("回归任务（MLP 20-64-64-1）再跑一遍")."""
    note_text = ALSO_TESTED.sub("", note_text)
    batches = {int(size) for size in _BATCH.findall(note_text)}
    hidden = {width for chain in WIDTHS.findall(note_text)
              for width in map(int, re.split(r"\s*[-–→]\s*", chain)[1:-1])}
    return SetupSizes(_one_within(batches, BATCH_RANGE), _one_within(hidden, WIDTH_RANGE))


def _one_within(values: set[int], bounds: tuple[int, int]) -> int | None:
    """The one value of `values` if it lies within `bounds`, else None."""
    return next(iter(values)) if len(values) == 1 and bounds[0] <= next(iter(values)) <= bounds[1] else None
