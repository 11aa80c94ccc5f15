"""Retrieval evaluation: recall@k and MRR@10 on JSONL questions (question, source, contains).

A line whose source and contains are both null is a question the notes do not answer: retrieval
has no right chunk to find for it (it is skipped here), and the answer metric expects the answer to
say the notes do not say (optimize/answer_metric.py)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from agentnotes.errors import InputError
from agentnotes.notes.types import Hit

T = TypeVar("T")


@dataclass(frozen=True)
class Question:
    question: str
    source: str  # file name of the note that answers it; "" when the notes do not answer it
    contains: str  # a short string the right chunk contains; "" when the notes do not answer it

    @property
    def answerable(self) -> bool:
        return bool(self.source)


@dataclass(frozen=True)
class QuestionResult:
    question: Question
    rank: int | None  # 1-based rank of the first correct hit within the searched depth
    hits: tuple[Hit, ...]


@dataclass(frozen=True)
class RetrievalEval:
    k: int
    recall_at_k: float
    mrr_at_10: float
    results: tuple[QuestionResult, ...]


def load_records(path: Path, parse: Callable[[dict], T]) -> list[T]:
    """Parse each JSONL line of `path` with `parse`; malformed lines are reported with their line number."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"Cannot read {path}: {exc.strerror}") from None
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            records.append(parse(json.loads(line)))
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{path}:{number}: expected JSON with question, source, contains ({exc}).") from None
    if not records:
        raise InputError(f"{path} has no questions.")
    return records


def parse_question(data: dict) -> Question:
    """One eval line as a Question; ValueError when source and contains are not both given or both null."""
    source, contains = data["source"], data["contains"]
    if (source is None) != (contains is None) or "" in (source, contains):
        raise ValueError("source and contains are both given, or both null for a question the notes do not answer")
    return Question(str(data["question"]), str(source or ""), str(contains or ""))


def load_questions(path: Path) -> list[Question]:
    """Read the JSONL file; malformed lines are reported with their line number."""
    return load_records(path, parse_question)


def is_correct(hit: Hit, question: Question) -> bool:
    return Path(hit.chunk.source).name == question.source and question.contains.lower() in hit.chunk.text.lower()


def evaluate(questions: Sequence[Question], search: Callable[[str, int], list[Hit]], k: int = 5) -> RetrievalEval:
    """Recall@k and MRR@10 over the answerable questions (the others have no right chunk)."""
    answerable = [q for q in questions if q.answerable]
    if not answerable:
        raise InputError("No question names the note that answers it (source and contains); nothing to evaluate.")
    depth = max(k, 10)
    results = []
    for q in answerable:
        hits = search(q.question, depth)
        rank = next((i for i, h in enumerate(hits, start=1) if is_correct(h, q)), None)
        results.append(QuestionResult(q, rank, tuple(hits[:k])))
    n = len(results)
    return RetrievalEval(
        k=k,
        recall_at_k=sum(r.rank is not None and r.rank <= k for r in results) / n,
        mrr_at_10=sum(1 / r.rank for r in results if r.rank is not None and r.rank <= 10) / n,
        results=tuple(results),
    )
