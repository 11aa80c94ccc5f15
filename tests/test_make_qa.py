"""Eval questions generated from the notes: chunk choice and the check that keeps only checkable pairs."""

from __future__ import annotations

import json

from langchain_core.language_models.fake_chat_models import FakeListChatModel

from agentnotes.evaluation.make_qa import QAPair, Rejected, make_qa, pick_chunks, verbatim_in
from agentnotes.notes.types import Chunk
from agentnotes.prompts import load_shipped

LONG = "镜像层在训练时用 x+h 和 x-h 两个分支，h 取 lr/2，评估时只用一个平均后的 w。" * 2


def _chunk(source: str, line: int, text: str = LONG, secret: bool = False) -> Chunk:
    return Chunk(source=f"/notes/{source}", start_line=line, end_line=line + 2, text=text, secret=secret)


def _reply(contains: str, question: str = "What shift does the mirror layer use?") -> str:
    return json.dumps({"question": question, "answer": "h = lr/2", "contains": contains})


def test_chunks_are_spread_over_files_and_short_or_secret_ones_skipped() -> None:
    chunks = [_chunk("a.md", i) for i in range(1, 30, 3)] + [_chunk("b.md", 1), _chunk("c.md", 1, "too short"),
                                                            _chunk("d.md", 1, secret=True)]
    picked = pick_chunks(chunks, 4, seed=1)
    assert len(picked) == 4 and {c.source for c in picked} == {"/notes/a.md", "/notes/b.md"}
    assert pick_chunks(chunks, 4, seed=1) == picked
    assert len(pick_chunks(chunks, 100)) == 11


def test_a_pair_is_kept_only_when_its_string_is_in_the_chunk() -> None:
    chunks = [_chunk("a.md", 1), _chunk("b.md", 1)]
    model = FakeListChatModel(responses=[_reply("learning rate warmup"), _reply("H 取 LR/2")])
    pairs, rejected, replies = make_qa(model, load_shipped("make_qa"), chunks, 1)
    assert len(pairs) == 1 and len(rejected) == 1 and len(replies) == 2  # the dropped chunk was replaced
    assert isinstance(pairs[0], QAPair) and pairs[0].contains == "h 取 lr/2"  # as written in the chunk
    line = pairs[0].as_dict()
    assert line["contains"] in pairs[0].chunk.text and line["source"] in ("a.md", "b.md")
    assert isinstance(rejected[0], Rejected) and "not in the excerpt" in rejected[0].reason


def test_malformed_replies_drop_the_chunk_instead_of_crashing() -> None:
    model = FakeListChatModel(responses=["not json", "{}", '{"question": "x"}'])
    pairs, rejected, _ = make_qa(model, load_shipped("make_qa"), [_chunk("a.md", 1)], 1)
    assert pairs == [] and "no valid GeneratedQA" in rejected[0].reason


def test_a_listed_string_keeps_its_longest_item_in_the_chunk_and_short_strings_are_refused() -> None:
    assert verbatim_in("SGD, 两个分支, 评估时只用", LONG) == "评估时只用"
    assert verbatim_in("lr", LONG) is None and verbatim_in("x+h", LONG) == "x+h"


def test_questions_that_point_at_the_paper_instead_of_a_topic_are_dropped() -> None:
    model = FakeListChatModel(responses=[_reply("x+h", "What is the main focus of the paper?"),
                                         _reply("x+h", "What does the given code snippet compute?")])
    pairs, rejected, _ = make_qa(model, load_shipped("make_qa"), [_chunk("a.md", 1), _chunk("b.md", 1)], 1)
    assert pairs == [] and ["the paper" in rejected[0].reason, "the given" in rejected[1].reason] == [True, True]
