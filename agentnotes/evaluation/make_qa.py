"""Question/answer pairs generated from the user's own notes, so metrics need no hand labelling.

One chunk per pair, spread over the files. The model writes a question, a short answer and a
string (`contains`) copied from the chunk; a pair whose `contains` is not in the chunk, or whose
question points at "the paper" or "the excerpt" instead of naming its topic, is dropped, so every
kept line is checkable by `eval retrieval` and `optimize-prompt`.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from agentnotes.agents.llm_call import LLMReply
from agentnotes.agents.structured import ask_structured
from agentnotes.errors import LLMError
from agentnotes.notes.types import Chunk
from agentnotes.prompts import Prompt

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

MIN_CHUNK_CHARS = 60
MAX_EXCERPT_CHARS = 1500
MIN_CONTAINS_CHARS = 3  # shorter strings ("o1", "w") are in too many chunks to identify one
TRIES_PER_PAIR = 2  # chunks tried per wanted pair before giving up
_LIST_SEPARATORS = re.compile(r"\s*[,，、;；]\s*")
_VAGUE = re.compile(r"\b(?:the|this|that)\s+(?:given\s+)?(?:blog|paper|article|post|author|excerpt|passage|text|"
                    r"snippet|code snippet|document)\b|\bthe given\b", re.IGNORECASE)


class GeneratedQA(BaseModel):
    question: str = Field(min_length=8)
    answer: str
    contains: str = Field(min_length=2, max_length=40)


@dataclass(frozen=True)
class QAPair:
    question: str
    answer: str
    contains: str
    chunk: Chunk

    def as_dict(self) -> dict:
        """One eval line: the fields `eval retrieval` reads, plus the answer and the chunk's lines."""
        return {"question": self.question, "source": PurePath(self.chunk.source).name, "contains": self.contains,
                "answer": self.answer, "start_line": self.chunk.start_line, "end_line": self.chunk.end_line}


@dataclass(frozen=True)
class Rejected:
    chunk: Chunk
    reason: str


def pick_chunks(chunks: Sequence[Chunk], n: int, seed: int = 0) -> list[Chunk]:
    """Up to n chunks, taken round-robin over the files in a seeded order; short and secret chunks are skipped."""
    rng = random.Random(seed)
    by_file: dict[str, list[Chunk]] = defaultdict(list)
    for chunk in chunks:
        if len(chunk.text.strip()) >= MIN_CHUNK_CHARS and not chunk.secret:
            by_file[chunk.source].append(chunk)
    queues = [by_file[source] for source in sorted(by_file)]
    for queue in queues:
        rng.shuffle(queue)
    rng.shuffle(queues)
    picked: list[Chunk] = []
    while len(picked) < n and any(queues):
        for queue in queues:
            if queue and len(picked) < n:
                picked.append(queue.pop())
    return picked


def verbatim_in(contains: str, text: str) -> str | None:
    """`contains` as it appears in `text` (case and surrounding whitespace forgiven), else None.

    A list the model gave instead of one string ("a, b, c") yields its longest item found in `text`;
    strings shorter than MIN_CONTAINS_CHARS are refused."""
    candidates = [contains] + sorted(_LIST_SEPARATORS.split(contains), key=len, reverse=True)
    for needle in (c.strip() for c in candidates):
        start = text.lower().find(needle.lower())
        if len(needle) >= MIN_CONTAINS_CHARS and start >= 0:
            return text[start : start + len(needle)]
    return None


def vague_reference(question: str) -> str | None:
    """The words by which `question` points at its source ("the paper") instead of naming a topic."""
    match = _VAGUE.search(question)
    return match.group(0) if match else None


def make_pair(model: BaseChatModel, prompt: Prompt, chunk: Chunk, seed: int = 0) -> tuple[QAPair | Rejected, list[LLMReply]]:
    """A checked pair for one chunk, or the reason it was dropped."""
    where = f"{PurePath(chunk.source).name}:{chunk.start_line}-{chunk.end_line}"
    try:
        generated, replies = ask_structured(model, prompt, {"where": where, "excerpt": chunk.text[:MAX_EXCERPT_CHARS]},
                                            GeneratedQA, seed=seed)
    except LLMError as exc:
        return Rejected(chunk, str(exc)), []
    contains = verbatim_in(generated.contains, chunk.text)
    if contains is None:
        return Rejected(chunk, f"'{generated.contains}' is not in the excerpt"), replies
    vague = vague_reference(generated.question)
    if vague:
        return Rejected(chunk, f"the question says '{vague}' instead of naming its topic"), replies
    return QAPair(generated.question.strip(), generated.answer.strip(), contains, chunk), replies


def make_qa(
    model: BaseChatModel,
    prompt: Prompt,
    chunks: Sequence[Chunk],
    n: int,
    seed: int = 0,
    on_pair: Callable[[QAPair | Rejected], None] = lambda result: None,
) -> tuple[list[QAPair], list[Rejected], list[LLMReply]]:
    """Up to n pairs; a dropped chunk is replaced by another, trying at most TRIES_PER_PAIR * n chunks."""
    pairs, rejected, replies = [], [], []
    for i, chunk in enumerate(pick_chunks(chunks, TRIES_PER_PAIR * n, seed)):
        if len(pairs) == n:
            break
        result, used = make_pair(model, prompt, chunk, seed=seed + i)
        replies += used
        (pairs if isinstance(result, QAPair) else rejected).append(result)
        on_pair(result)
    return pairs, rejected, replies
