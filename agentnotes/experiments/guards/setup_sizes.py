"""The sizes an idea's note gives its own experiment: the batch size, the hidden layers' width and their number.

A note's setup often names the network and the batch it means ("MLP 64-128-128-10, batch 16"): the idea is then
tried at those sizes rather than the lab's defaults. A size is taken only when the note gives it one value (two
batch sizes, or layer widths that differ, leave the default) and within what a small run on a laptop can hold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agentnotes.experiments.guards.task import ALSO_TESTED
from agentnotes.experiments.lab.config import MAX_DEPTH, ExperimentConfig

# A batch size said with its word: "batch 16", "batch size 32", "batch=128", "bs = 64", "batch：32", "批大小 32".
_BATCH = re.compile(r"(?<![\w])(?:(?:mini-?)?batch(?:[ _-]?size)?|bs|批大小|批量大小)[ \t]*(?:[=:：]|为|是|取)?[ \t]*(\d{1,5})"
                    r"(?!\d|\.\d|\s*(?:steps?|步|epochs?|个\s*batch))", re.IGNORECASE)
# A network's layer widths after its name: "MLP 64-128-128-10", "网络：64→256→256→10", "Net: 8-64-64-1".
WIDTHS = re.compile(r"(?:\bMLP|\bnet(?:work)?|\bmodel|网络|模型|\bdigits)\s*[:：]?\s*(\d{1,5}(?:\s*[-–→]\s*\d{1,5}){2,6})(?![\d.])",
                     re.IGNORECASE)
# A network's depth said in words: "深度 4 和 12 两档", "a 12-layer MLP", "8 层 MLP", "depth=6" (layers of weights), or
# "4 hidden layers", "3 个隐藏层" (hidden layers); not a tree's depth.
_LAYERS = re.compile(r"(?:(?<![\w])(?<!tree )(?<!树)(?:深度|depth)\s*[=:：]?\s*(?P<depths>\d{1,2}(?:\s*(?:和|、|,|，|/|\bor\b|\band\b)\s*\d{1,2})*)"
                     r"(?![\d.%])|(?<![\w.])(?P<layers>\d{1,2})\s*(?:-\s*layers?|层的?)\s*(?:ReLU\s*|tanh\s*|plain\s*|普通\s*)?"
                     r"(?:MLP|net(?:work)?|网络|全连接)|(?<![\w.])(?P<hidden>\d{1,2})\s*(?:hidden layers|个?隐藏层|个?隐层))", re.IGNORECASE)
BATCH_RANGE = (2, 1024)
WIDTH_RANGE = (4, 1024)
DEPTH_RANGE = (ExperimentConfig.depth + 1, MAX_DEPTH)  # deeper than the lab's own MLP, as deep as a small run holds


@dataclass(frozen=True)
class SetupSizes:
    """The note's batch size and hidden width, None where it gives no single one; the most hidden layers it runs the
    MLP with, None where it names no depth beyond the lab's."""

    batch_size: int | None = None
    hidden: int | None = None
    depth: int | None = None

    def said(self) -> str:
        """The sizes as a phrase for the run's log ("batch 16, hidden width 128, 11 hidden layers"), empty when there
        are none."""
        return ", ".join(part for part in (f"batch {self.batch_size}" if self.batch_size else "",
                                           f"hidden width {self.hidden}" if self.hidden else "",
                                           f"{self.depth} hidden layers" if self.depth else "") if part)


def setup_sizes(note_text: str) -> SetupSizes:
    """The batch size and hidden width `note_text` (an idea's own sections) gives its experiment, and the deepest MLP
    it runs it on where that is deeper than the lab's (of several depths, the deepest is where a claim about depth
    shows; a shallower one leaves the lab's, which the layer ideas' blocks need), not a second test it adds
    ("回归任务（MLP 20-64-64-1）再跑一遍")."""
    note_text = ALSO_TESTED.sub("", note_text)
    batches = {int(size) for size in _BATCH.findall(note_text)}
    chains = [list(map(int, re.split(r"\s*[-–→]\s*", chain))) for chain in WIDTHS.findall(note_text)]
    hidden = {width for chain in chains for width in chain[1:-1]}
    depths = {len(chain) - 2 for chain in chains} | set(_hidden_layers(note_text))
    deepest = max((depth for depth in depths if DEPTH_RANGE[0] <= depth <= DEPTH_RANGE[1]), default=None)
    return SetupSizes(_one_within(batches, BATCH_RANGE), _one_within(hidden, WIDTH_RANGE), deepest)


def _hidden_layers(note_text: str) -> list[int]:
    """The hidden layers of each depth the note names in words: a depth in layers of weights less the output layer."""
    found = []
    for m in _LAYERS.finditer(note_text):
        if m["hidden"]:
            found.append(int(m["hidden"]))
        else:
            found += [int(n) - 1 for n in re.findall(r"\d+", m["depths"] or m["layers"])]
    return found


def _one_within(values: set[int], bounds: tuple[int, int]) -> int | None:
    """The one value of `values` if it lies within `bounds`, else None."""
    return next(iter(values)) if len(values) == 1 and bounds[0] <= next(iter(values)) <= bounds[1] else None
