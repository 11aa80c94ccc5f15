"""Unit tests of the answer agent's logic with a fake chat model."""

from __future__ import annotations

from langchain_core.language_models.fake_chat_models import FakeListChatModel

from agentnotes.agents.answer import NOT_IN_NOTES, answer_question, cited_numbers, format_context, withhold_secrets
from agentnotes.notes.types import Chunk, Hit
from agentnotes.prompts import load_shipped


def _hits() -> list[Hit]:
    return [
        Hit(Chunk("/n/a.md", 3, 5, "镜像层用两个权重", ("Ideas",)), 0.9),
        Hit(Chunk("/n/b.md", 10, 12, "api_key = sk-xyz", (), secret=True), 0.5),
    ]


def test_citations_map_to_hits_in_order_of_use() -> None:
    model = FakeListChatModel(responses=["It uses two weights [1]. See also [2] and [9]."])
    answer = answer_question(model, load_shipped("answer"), "What is the mirror layer?", _hits())
    assert answer.in_notes
    assert [(c.number, c.source, c.start_line, c.end_line) for c in answer.citations] == [
        (1, "/n/a.md", 3, 5),
        (2, "/n/b.md", 10, 12),
    ]


def test_a_citation_repeated_after_the_full_stop_is_dropped() -> None:
    model = FakeListChatModel(responses=["镜像层用两个权重 [1]。 [1]"])
    assert answer_question(model, load_shipped("answer"), "镜像层用几个权重？", _hits()).text == "镜像层用两个权重 [1]。"
    model = FakeListChatModel(responses=["It uses two weights [1]. [2]"])  # a new citation stays
    assert answer_question(model, load_shipped("answer"), "What is it?", _hits()).text == "It uses two weights [1]. [2]"


def test_not_in_notes_reply_has_no_citations() -> None:
    model = FakeListChatModel(responses=[f"{NOT_IN_NOTES}: the notes do not say. [1]"])
    answer = answer_question(model, load_shipped("answer"), "What is the capital of France?", _hits())
    assert not answer.in_notes
    assert answer.citations == ()


def test_no_hits_means_no_llm_call() -> None:
    model = FakeListChatModel(responses=[])
    answer = answer_question(model, load_shipped("answer"), "anything", [])
    assert not answer.in_notes and answer.reply.prompt_tokens == 0


def test_streaming_sends_every_token() -> None:
    model = FakeListChatModel(responses=["Two weights [1]."])
    tokens: list[str] = []
    answer = answer_question(model, load_shipped("answer"), "q", _hits(), on_token=tokens.append)
    assert "".join(tokens) == answer.text


def test_context_names_file_and_lines() -> None:
    context = format_context(_hits())
    assert "[1] a.md:3-5 (Ideas)" in context and "[2] b.md:10-12" in context


def test_secret_chunks_are_withheld_unless_allowed() -> None:
    kept, dropped = withhold_secrets(_hits(), allow=False)
    assert dropped == 1 and all(not h.chunk.secret for h in kept)
    kept, dropped = withhold_secrets(_hits(), allow=True)
    assert dropped == 0 and len(kept) == 2


def test_cited_numbers_ignores_out_of_range() -> None:
    assert cited_numbers("a [3] b [1] c [3] d [0]", available=3) == [3, 1]
