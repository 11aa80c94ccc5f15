"""Retrieval evaluation: recall@k and MRR@10 on JSONL questions (question, source, contains)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from agentnotes.errors import InputError
from agentnotes.notes.types import Hit


@dataclass(frozen=True)
class Question:
    question: str
    source: str  # file name of the note that answers it
    contains: str  # a short string the right chunk contains


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


def load_questions(path: Path) -> list[Question]:
    """Read the JSONL file; malformed lines are reported with their line number."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"Cannot read {path}: {exc.strerror}") from None
    questions = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            questions.append(Question(str(data["question"]), str(data["source"]), str(data["contains"])))
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{path}:{number}: expected JSON with question, source, contains ({exc}).") from None
    if not questions:
        raise InputError(f"{path} has no questions.")
    return questions


def is_correct(hit: Hit, question: Question) -> bool:
    return Path(hit.chunk.source).name == question.source and question.contains.lower() in hit.chunk.text.lower()


def evaluate(questions: Sequence[Question], search: Callable[[str, int], list[Hit]], k: int = 5) -> RetrievalEval:
    depth = max(k, 10)
    results = []
    for q in questions:
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
