"""The model's choice of one kind where a note of one idea shows several (agents/kind_choice.py, and where
run-experiment asks for it)."""

from __future__ import annotations

import json

import pytest
from fakes import RecordingChatModel

from agentnotes.agents.experimenter import Plan
from agentnotes.agents.kind_choice import candidates_text, choose_kind
from agentnotes.errors import LLMError
from agentnotes.experiments.guards.kinds import cue_lines, kinds_in_notes
from agentnotes.notes.types import Chunk, Hit
from agentnotes.pipeline.experiment import _one_kind, _several_kinds_of_one_idea
from agentnotes.prompts import load_shipped
from agentnotes.settings import load_settings

# An invented note: a loss idea whose setup names the augmentation both arms are trained with.
NOTE = """# 置信度截断交叉熵
想法：对每个样本，loss = −log(max(p_y, 0.05))，置信度太低的样本不再把梯度放大。
两臂都用同样的 augmentation：x' = x + 0.1·ε，ε ~ N(0, 1)。
"""
LOSS_LINE = "想法：对每个样本，loss = −log(max(p_y, 0.05))，置信度太低的样本不再把梯度放大。"


def _hit(heading: str, text: str) -> Hit:
    return Hit(Chunk("n.md", 1, 3, f"# {heading}\n{text}", (heading,)), 1.0)


def _plan(kinds: list[str]) -> Plan:
    return Plan(idea_name="x", hypothesis="h", idea_rule="loss = -log(max(p_y, 0.05)) for every sample of the batch",
                kinds=kinds, baseline="MLP", task="digits", metric="accuracy")


def _choosing(*parts: str) -> RecordingChatModel:
    return RecordingChatModel(responses=[json.dumps({"title": "截断交叉熵", "part": part}) for part in parts])


def test_the_lines_a_kind_was_read_on_are_the_evidence_shown_for_it() -> None:
    assert kinds_in_notes(NOTE) == ["loss", "data"]
    assert cue_lines(NOTE, "loss") == [LOSS_LINE] and cue_lines(NOTE, "schedule") == []
    text = candidates_text(NOTE, ["loss", "data"])
    assert text.startswith(f"- loss (changes the training loss (the evaluation metric stays)):\n    {LOSS_LINE}")
    assert "\n- data (" in text and "x' = x + 0.1·ε" in text


def test_the_choice_is_one_of_the_kinds_read() -> None:
    model = _choosing("loss")
    assert choose_kind(model, load_shipped("choose_kind"), NOTE, ["loss", "data"])[0] == "loss"
    assert LOSS_LINE in model.seen[0] and "# Candidate parts" in model.seen[0]
    with pytest.raises(LLMError):  # a kind the note was not read as, every time it is asked
        choose_kind(_choosing("schedule", "schedule", "schedule"), load_shipped("choose_kind"), NOTE, ["loss", "data"])


def test_only_a_request_for_one_idea_with_kinds_the_lab_does_not_join_is_asked() -> None:
    one = [_hit("置信度截断交叉熵", NOTE)]
    assert _several_kinds_of_one_idea(_plan(["loss", "data"]), "置信度截断交叉熵", one)
    assert not _several_kinds_of_one_idea(_plan(["loss"]), "置信度截断交叉熵", one)
    assert not _several_kinds_of_one_idea(_plan(["layer", "weight_op"]), "置信度截断交叉熵", one)  # a layer_op, one shape
    assert not _several_kinds_of_one_idea(_plan(["loss", "regulariser"]), "置信度截断交叉熵", one)  # one family
    two = [_hit("截断交叉熵", "loss = −log(max(p_y, 0.05))"), _hit("平移增强", "x' = shift(x, ±1)")]
    assert not _several_kinds_of_one_idea(_plan(["loss", "data"]), "截断交叉熵 together with 平移增强", two)


def test_the_plan_keeps_the_chosen_kind_and_says_so_or_stays_as_it_was() -> None:
    settings = load_settings()
    plan, replies = _one_kind(_choosing("loss"), settings, _plan(["loss", "data"]), NOTE, seed=0)
    assert plan.kinds == ["loss"] and len(replies) == 1
    assert plan.corrections[-1].startswith("kinds ['loss', 'data'] -> ['loss']: one idea, one kind")
    unchanged, replies = _one_kind(_choosing("init", "init", "init"), settings, _plan(["loss", "data"]), NOTE, seed=0)
    assert unchanged == _plan(["loss", "data"]) and replies == []
