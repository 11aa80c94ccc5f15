"""The answer agent: retrieved chunks in, a cited answer out."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agentnotes.agents.llm_call import LLMReply, call_llm
from agentnotes.notes.types import Hit
from agentnotes.prompts import Prompt

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

NOT_IN_NOTES = "NOT IN NOTES"
_CITATION = re.compile(r"\[(\d{1,2})\]")
MAX_CHUNK_CHARS = 700  # keeps the prompt lean: prompt processing dominates on CPU


@dataclass(frozen=True)
class Citation:
    """A numbered source the answer cites."""

    number: int
    source: str
    start_line: int
    end_line: int
    text: str


@dataclass(frozen=True)
class Answer:
    """A cited answer, or a plain statement that the notes do not contain it."""

    question: str
    text: str
    citations: tuple[Citation, ...]
    in_notes: bool
    reply: LLMReply
    withheld_secret_chunks: int = 0


def format_context(hits: Sequence[Hit]) -> str:
    """Numbered excerpts: '[n] file:start-end (heading)' then the text."""
    blocks = []
    for number, hit in enumerate(hits, start=1):
        chunk = hit.chunk
        name = chunk.source.rsplit("/", 1)[-1]
        heading = f" ({' > '.join(chunk.heading_path)})" if chunk.heading_path else ""
        text = chunk.text if len(chunk.text) <= MAX_CHUNK_CHARS else chunk.text[:MAX_CHUNK_CHARS] + " …"
        blocks.append(f"[{number}] {name}:{chunk.start_line}-{chunk.end_line}{heading}\n{text}")
    return "\n\n".join(blocks)


def cited_numbers(text: str, available: int) -> list[int]:
    """Citation numbers used in `text` that point at a real excerpt, in order of first use."""
    seen: list[int] = []
    for match in _CITATION.finditer(text):
        number = int(match.group(1))
        if 1 <= number <= available and number not in seen:
            seen.append(number)
    return seen


def withhold_secrets(hits: Sequence[Hit], allow: bool) -> tuple[list[Hit], int]:
    """Drop chunks flagged as secrets unless allowed; return the kept hits and how many were dropped."""
    if allow:
        return list(hits), 0
    kept = [hit for hit in hits if not hit.chunk.secret]
    return kept, len(hits) - len(kept)


def answer_question(
    model: BaseChatModel,
    prompt: Prompt,
    question: str,
    hits: Sequence[Hit],
    *,
    on_token: Callable[[str], None] | None = None,
    withheld: int = 0,
) -> Answer:
    """Ask the model to answer `question` from `hits`, and map its [n] citations to the hits."""
    if not hits:
        reply = LLMReply(text="", prompt_tokens=0, completion_tokens=0, first_token_s=None, total_s=0.0)
        return Answer(question, f"{NOT_IN_NOTES}: the knowledge base has nothing on this.", (), False, reply, withheld)
    reply = call_llm(model, prompt, {"context": format_context(hits), "question": question}, on_token=on_token)
    text = reply.text.strip()
    in_notes = NOT_IN_NOTES not in text.upper()
    citations = tuple(
        Citation(n, hits[n - 1].chunk.source, hits[n - 1].chunk.start_line, hits[n - 1].chunk.end_line, hits[n - 1].chunk.text)
        for n in cited_numbers(text, len(hits))
    ) if in_notes else ()
    return Answer(question, text, citations, in_notes, reply, withheld)
