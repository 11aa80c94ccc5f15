"""A mechanism the idea's title names, which the idea code must compute somewhere.

A small model asked for an architecture it finds hard writes a familiar neighbour instead: two stacked convolutions
for "axial attention on digits", then reports the neighbour's result as the idea's. What a program can check is
coarse but certain: a title that names attention asks for attention weights, which every form of attention but the
linear one computes with a softmax (or PyTorch's own attention modules); one that names a recurrent net asks for
states stepped over time (a loop, or PyTorch's recurrent modules). A mechanism the title replaces or compares with
("替代 GRU", "vs linear attention") is not the idea's. Each mechanism is one entry: its cue in the title, the code
that computes it, and what to say.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from agentnotes.experiments.guards.kinds import title_of
from agentnotes.experiments.guards.problems import Problem
from agentnotes.experiments.guards.testability import done_without

_CHECKED_KINDS = frozenset({"architecture", "layer"})  # the idea is the model's structure itself


@dataclass(frozen=True)
class Mechanism:
    """A mechanism a title may name, and the code that computes it."""

    name: str
    cue: re.Pattern[str]
    computed: re.Pattern[str]
    advice: str


MECHANISMS = (
    Mechanism("attention",
              re.compile(r"(?<![Ll]inear )(?<![Ll]inear-)\b(?:self-|cross-)?attention\b|注意力|\bViT\b|\bPerceiver\b|"
                         r"(?<!Spatial )\b[Tt]ransformer\b", re.IGNORECASE),
              re.compile(r"softmax|scaled_dot_product_attention|MultiheadAttention|TransformerEncoder"),
              "attention weights: scores of queries against keys, softmax(q·kᵀ/√d), weighting the values"),
    Mechanism("a recurrence over the time steps",
              re.compile(r"\b(?:GRU|LSTM|RNN|recurrent)\b|循环(?:神经)?网络", re.IGNORECASE),
              re.compile(r"\b(?:GRU|LSTM|RNN)(?:Cell)?\b|\bfor\s+\w+\s+in\b|\bwhile\b"),
              "recurrence: states carried from step to step, for t in range(x.shape[1]) reading x[:, t]"),
)
# Words before a cue that make it what the idea replaces or is compared with ("LRU 替代 GRU", "DeltaNet vs plain linear
# attention"), not the idea.
_REPLACED = re.compile(r"(?:替代|取代|代替|对比|\bvs\.?|\bversus|\binstead of|\breplac\w*)\s*(?:plain |a |the )?$", re.IGNORECASE)


def missing_mechanism(code: str, note_text: str, kinds: Sequence[str]) -> list[Problem]:
    """A mechanism the idea's title names (not one it does without) that an architecture or layer idea's code never
    computes: the code tests something else."""
    title = title_of(note_text).strip().strip("#【】 \t")
    if not title or not _CHECKED_KINDS & set(kinds):
        return []
    return [Problem("missing_mechanism", f"the idea is {mechanism.name} (its title: `{title}`), but the code "
                                         f"computes none: write the {mechanism.advice}", None)
            for mechanism in MECHANISMS
            if any(not done_without(title, m.start()) and not _REPLACED.search(title[:m.start()])
                   for m in mechanism.cue.finditer(title))
            and not mechanism.computed.search(code)]
