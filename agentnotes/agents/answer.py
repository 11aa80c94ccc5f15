"""The answer agent: retrieved chunks in, a cited answer out."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agentnotes.agents.llm_call import LLMReply, call_llm
from agentnotes.notes.types import Hit, cite_location
from agentnotes.prompts import Prompt

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings
    from langchain_core.language_models.chat_models import BaseChatModel

NOT_IN_NOTES = "NOT IN NOTES"
_CITATION = re.compile(r"\[(\d{1,2})\]")
_SENTENCE = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])")
ATTRIBUTION_MIN_SIMILARITY = 0.75  # below this a sentence stays uncited (e5 cosine scale)
MAX_CHUNK_CHARS = 700  # keeps the prompt lean: prompt processing dominates on CPU
ANSWER_K = 3  # excerpts the answer is written from (`ask -k`); 5 was as good and 2.3x slower (benchmarks/ask.py)
ANSWER_SEED = 0  # the first answer's LLM seed: the same notes and question give the same answer


@dataclass(frozen=True)
class Citation:
    """A numbered source the answer cites. `attributed`: added by matching, not written by the model."""

    number: int
    source: str
    start_line: int
    end_line: int
    text: str
    attributed: bool = False
    page: int | None = None  # a PDF's page

    @property
    def location(self) -> str:
        return cite_location(self.source, self.start_line, self.end_line, self.page)


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
    """Numbered excerpts: '[n] file:start-end (heading)' (a PDF: '[n] file p.N') then the text."""
    blocks = []
    for number, hit in enumerate(hits, start=1):
        chunk = hit.chunk
        heading = f" ({' > '.join(chunk.heading_path)})" if chunk.heading_path else ""
        text = chunk.text if len(chunk.text) <= MAX_CHUNK_CHARS else chunk.text[:MAX_CHUNK_CHARS] + " …"
        blocks.append(f"[{number}] {chunk.location}{heading}\n{text}")
    return "\n\n".join(blocks)


def cited_numbers(text: str, available: int) -> list[int]:
    """Citation numbers used in `text` that point at a real excerpt, in order of first use."""
    seen: list[int] = []
    for match in _CITATION.finditer(text):
        number = int(match.group(1))
        if 1 <= number <= available and number not in seen:
            seen.append(number)
    return seen


def strip_citations(text: str) -> str:
    """`text` without its [n] citation marks."""
    return _CITATION.sub("", text)


def split_sentences(text: str) -> list[str]:
    """Sentences of an answer (English and Chinese end punctuation), citation marks kept."""
    return [s for s in _SENTENCE.split(text.strip()) if s.strip()]


def drop_repeated_citations(text: str) -> str:
    """`text` without "sentences" made only of citation marks that the sentence before already has:
    small models repeat the mark after the full stop (`变化 [1]。 [1]`)."""
    sentences = split_sentences(text)
    kept = [s for i, s in enumerate(sentences)
            if strip_citations(s).strip() or i == 0 or not set(_CITATION.findall(s)) <= set(_CITATION.findall(sentences[i - 1]))]
    return " ".join(kept) if len(kept) < len(sentences) else text


def attribute_sentences(text: str, hits: Sequence[Hit], embeddings: Embeddings) -> tuple[str, set[int]]:
    """Add [n] to sentences the model left uncited, n = the excerpt most similar to the sentence.

    Small models often forget citations; matching sentence and excerpt embeddings restores them.
    Returns the new text and the numbers that were added this way.
    """
    sentences = split_sentences(text)
    uncited = [i for i, s in enumerate(sentences) if not _CITATION.search(s) and len(s.strip()) > 12]
    if not uncited or not hits:
        return text, set()
    import numpy as np

    passages = np.asarray(embeddings.embed_documents([h.chunk.embed_text for h in hits]))
    added: set[int] = set()
    for i in uncited:
        scores = passages @ np.asarray(embeddings.embed_query(sentences[i]))
        best = int(scores.argmax())
        if scores[best] >= ATTRIBUTION_MIN_SIMILARITY:
            sentence = sentences[i].rstrip()
            end = len(sentence) - len(sentence.rstrip(".!?。！？"))
            sentences[i] = f"{sentence[:len(sentence) - end]} [{best + 1}]{sentence[len(sentence) - end:]}"
            added.add(best + 1)
    return " ".join(sentences), added


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
    embeddings: Embeddings | None = None,
    seed: int | None = None,
    temperature: float | None = None,
) -> Answer:
    """Ask the model to answer `question` from `hits`, and map its [n] citations to the hits.
    With `embeddings`, sentences the model left uncited are attributed to their closest excerpt."""
    if not hits:
        reply = LLMReply(text="", prompt_tokens=0, completion_tokens=0, first_token_s=None, total_s=0.0)
        return Answer(question, f"{NOT_IN_NOTES}: the knowledge base has nothing on this.", (), False, reply, withheld)
    reply = call_llm(model, prompt, {"context": format_context(hits), "question": question}, on_token=on_token,
                     seed=seed, temperature=temperature)
    text = reply.text.strip()
    in_notes = NOT_IN_NOTES not in text.upper()
    text = drop_repeated_citations(text)
    added: set[int] = set()
    if in_notes and embeddings is not None:
        text, added = attribute_sentences(text, hits, embeddings)
    citations = tuple(
        Citation(n, hits[n - 1].chunk.source, hits[n - 1].chunk.start_line, hits[n - 1].chunk.end_line,
                 hits[n - 1].chunk.text, attributed=n in added and f"[{n}]" not in reply.text,
                 page=hits[n - 1].chunk.page)
        for n in cited_numbers(text, len(hits))
    ) if in_notes else ()
    return Answer(question, text, citations, in_notes, reply, withheld)
