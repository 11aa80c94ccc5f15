"""Answer evaluation: does the answer state the note's fact, cite its passage, and decline what the
notes do not answer?

Eval lines are those of `eval retrieval` plus `answer_keywords`, the fact as keyword groups:
[["near zero", "零附近"], ["update", "更新"]] means the answer must contain one alternative of every
group (case and spacing ignored). A line with `"source": null, "contains": null` is a question the
notes do not answer; its answer must say so (NOT IN NOTES, as `ask` declines).
A wrong answer gets the stage where it went wrong, so the largest cause can be fixed first.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath

from agentnotes.agents.answer import Answer
from agentnotes.evaluation.retrieval_eval import Question, load_records, parse_question
from agentnotes.notes.types import Hit

_SPACE = re.compile(r"\s+")

# Why an answer to an answerable question is wrong, in pipeline order.
MISSED = "retrieval missed"  # no excerpt given to the model holds the passage
DECLINED = "declined"  # the passage was there, the answer said the notes do not say
OTHER_EXCERPT = "other excerpt"  # the passage was there, the answer cites only other excerpts
WRONG_FACT = "fact wrong"  # cites the passage but misses the fact: mistranslated or invented (read it)


@dataclass(frozen=True)
class AnswerQuestion:
    question: Question
    keywords: tuple[tuple[str, ...], ...]  # every group needs one of its alternatives; () when unanswerable


@dataclass(frozen=True)
class AnswerResult:
    item: AnswerQuestion
    answer: Answer
    passage_given: bool  # an excerpt the model saw holds the passage
    fact: bool  # states the fact (answerable) / declines (unanswerable)
    cited: bool  # cites the passage (answerable only)
    missing: tuple[tuple[str, ...], ...]  # keyword groups the answer does not match
    failure: str | None  # MISSED, DECLINED, OTHER_EXCERPT or WRONG_FACT for a wrong answer to an answerable question
    seconds: float


@dataclass(frozen=True)
class AnswerEval:
    results: tuple[AnswerResult, ...]

    @property
    def answerable(self) -> list[AnswerResult]:
        return [r for r in self.results if r.item.question.answerable]

    @property
    def unanswerable(self) -> list[AnswerResult]:
        return [r for r in self.results if not r.item.question.answerable]

    def summary(self) -> dict:
        """Rates over the answerable questions (fact, cited, declined by mistake) and the unanswerable ones (declined)."""
        answerable, unanswerable = self.answerable, self.unanswerable

        def rate(results: list[AnswerResult], test: Callable[[AnswerResult], bool]) -> float | None:
            return round(sum(map(test, results)) / len(results), 3) if results else None

        failures: dict[str, int] = {}
        for r in answerable:
            if r.failure:
                failures[r.failure] = failures.get(r.failure, 0) + 1
        return {
            "questions": len(self.results), "answerable": len(answerable), "unanswerable": len(unanswerable),
            "fact_correct": rate(answerable, lambda r: r.fact),
            "cites_passage": rate(answerable, lambda r: r.cited),
            "fact_and_cited": rate(answerable, lambda r: r.fact and r.cited),
            "declined_answerable": rate(answerable, lambda r: not r.answer.in_notes),
            "declined_unanswerable": rate(unanswerable, lambda r: r.fact),
            "failures": failures,
            "seconds_per_question": round(sum(r.seconds for r in self.results) / len(self.results), 2) if self.results else None,
        }


def parse_answer_question(data: dict) -> AnswerQuestion:
    """One eval line; an answerable line needs `answer_keywords` (a list of lists of strings)."""
    question = parse_question(data)
    groups = data.get("answer_keywords") or []
    if question.answerable and not groups:
        raise ValueError("answer_keywords (a list of keyword groups) is required for a question the notes answer")
    keywords = tuple(tuple(str(k) for k in ([g] if isinstance(g, str) else g)) for g in groups)
    if any(not group or not all(k.strip() for k in group) for group in keywords):
        raise ValueError("every answer_keywords group needs at least one non-empty keyword")
    return AnswerQuestion(question, keywords)


def load_answer_questions(path: Path) -> list[AnswerQuestion]:
    return load_records(path, parse_answer_question)


def _squash(text: str) -> str:
    return _SPACE.sub("", text).lower()


def missing_keywords(text: str, keywords: Sequence[Sequence[str]]) -> tuple[tuple[str, ...], ...]:
    """The groups of which `text` holds no alternative (case and whitespace ignored)."""
    squashed = _squash(text)
    return tuple(tuple(group) for group in keywords if not any(_squash(k) in squashed for k in group))


def _holds(source: str, text: str, question: Question) -> bool:
    return PurePath(source).name == question.source and question.contains.lower() in text.lower()


def score_answer(item: AnswerQuestion, answer: Answer, hits: Sequence[Hit], seconds: float = 0.0) -> AnswerResult:
    """Score one answer written from `hits`."""
    q = item.question
    if not q.answerable:
        return AnswerResult(item, answer, False, not answer.in_notes, False, (), None, seconds)
    given = any(_holds(h.chunk.source, h.chunk.text, q) for h in hits)
    cited = any(_holds(c.source, c.text, q) for c in answer.citations)
    missing = missing_keywords(answer.text, item.keywords) if answer.in_notes else item.keywords
    fact = answer.in_notes and not missing
    failure = None
    if not fact:
        failure = MISSED if not given else DECLINED if not answer.in_notes else WRONG_FACT if cited else OTHER_EXCERPT
    return AnswerResult(item, answer, given, fact, cited, missing, failure, seconds)


def evaluate_answers(
    items: Sequence[AnswerQuestion],
    answer: Callable[[str], tuple[Answer, Sequence[Hit]]],
    on_result: Callable[[AnswerResult], None] = lambda result: None,
) -> AnswerEval:
    """Answer every question with `answer` (question -> answer and the excerpts it was written from) and score it."""
    results = []
    for item in items:
        start = time.perf_counter()
        written, hits = answer(item.question.question)
        result = score_answer(item, written, hits, time.perf_counter() - start)
        results.append(result)
        on_result(result)
    return AnswerEval(tuple(results))
