"""The critic for answers: every statement is checked against the excerpts it was written from.

Two checks, each cheap to trust: numbers and technical names (SGD, ReLU, w1, 70%) in a statement
must occur in the excerpts, and the LLM judges each statement as supported, unsupported or
contradicted; a statement it flags is judged a second time before the flag stands. Flagged
statements are marked in the answer; a failed check never loses the answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel

from agentnotes.agents.answer import Answer, format_context, split_sentences, strip_citations
from agentnotes.agents.llm_call import LLMReply
from agentnotes.agents.structured import ask_structured
from agentnotes.errors import LLMError
from agentnotes.notes.types import Hit
from agentnotes.prompts import Prompt

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

Verdict = Literal["supported", "unsupported", "contradicted"]
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?")
_TERM = re.compile(r"\b(?=\w*[A-Z]\w*[A-Z0-9])[A-Za-z]\w*\b")  # acronyms and CamelCase names: SGD, ReLU, MAE
MIN_STATEMENT_CHARS = 8


class StatementVerdict(BaseModel):
    statement: int
    verdict: Verdict
    reason: str = ""


class Verdicts(BaseModel):
    verdicts: list[StatementVerdict]


@dataclass(frozen=True)
class CheckedStatement:
    text: str
    verdict: Verdict
    reason: str


@dataclass(frozen=True)
class AnswerCheck:
    """The critic's verdict on one answer."""

    statements: tuple[CheckedStatement, ...]
    checked: bool  # False when the model gave no usable verdict; lexical checks still apply
    replies: tuple[LLMReply, ...] = field(default=())

    @property
    def flagged(self) -> list[CheckedStatement]:
        return [s for s in self.statements if s.verdict != "supported"]

    @property
    def support(self) -> float:
        """Fraction of statements judged supported (1.0 for an answer with no statements)."""
        return 1 - len(self.flagged) / len(self.statements) if self.statements else 1.0

    def marked_text(self) -> str:
        """The answer with each flagged statement followed by its verdict in brackets."""
        return " ".join(s.text if s.verdict == "supported" else f"{s.text} [{s.verdict}]" for s in self.statements)

    def as_dict(self) -> dict:
        return {"checked": self.checked, "support": round(self.support, 3), "marked_answer": self.marked_text(),
                "statements": [{"text": s.text, "verdict": s.verdict, "reason": s.reason} for s in self.statements]}


def unknown_facts(statement: str, context: str) -> list[str]:
    """Numbers and technical names in `statement` that the excerpts never mention."""
    plain = strip_citations(statement)
    numbers = {float(n) for n in _NUMBER.findall(context)}  # whole numbers: "3" is not in "0.3"
    haystack = context.lower()
    return [n for n in _NUMBER.findall(plain) if float(n) not in numbers] + \
        [t for t in _TERM.findall(plain) if t.lower() not in haystack]


def evidence(answer: Answer, hits: Sequence[Hit]) -> list[Hit]:
    """The excerpts the answer cites, or all of them when it cites none."""
    cited = {(c.source, c.start_line) for c in answer.citations}
    chosen = [h for h in hits if (h.chunk.source, h.chunk.start_line) in cited]
    return chosen or list(hits)


def _judge(model: BaseChatModel, prompt: Prompt, values: dict[str, str], sentences: Sequence[str],
           seed: int) -> tuple[dict[int, StatementVerdict], list[LLMReply]]:
    """The model's verdict per sentence index (0-based) for `sentences`, judged in one call."""
    statements = "\n".join(f"S{n}: {s}" for n, s in enumerate(sentences, start=1))
    verdicts, replies = ask_structured(model, prompt, {**values, "statements": statements}, Verdicts, seed=seed)
    return {v.statement - 1: v for v in verdicts.verdicts if 1 <= v.statement <= len(sentences)}, replies


def check_answer(model: BaseChatModel, prompt: Prompt, answer: Answer, hits: Sequence[Hit], seed: int = 0) -> AnswerCheck:
    """Judge each statement of `answer` against the excerpts it cites.

    A statement the model flags is judged again on its own (a second opinion); it stays flagged
    only when both agree, since a small model's single verdicts are noisy on paraphrases."""
    sentences = split_sentences(answer.text) if answer.in_notes else []
    if not sentences:
        return AnswerCheck((), True)
    cited = evidence(answer, hits)
    values = {"context": format_context(cited), "question": answer.question}
    notes_text = "\n".join(h.chunk.embed_text for h in cited)  # without the [n] file:lines headers
    missing = [unknown_facts(s, notes_text) for s in sentences]
    judged: dict[int, StatementVerdict] = {}
    replies: list[LLMReply] = []
    listed = [i for i, s in enumerate(sentences) if len(strip_citations(s).strip()) >= MIN_STATEMENT_CHARS]
    try:
        first, replies = _judge(model, prompt, values, [sentences[i] for i in listed], seed)
        judged = {listed[n]: v for n, v in first.items()}
        doubtful = [i for i, v in judged.items() if v.verdict != "supported" and not missing[i]]
        if doubtful:
            second, more = _judge(model, prompt, values, [sentences[i] for i in doubtful], seed + 1)
            replies += more
            for n, i in enumerate(doubtful):
                if n in second and second[n].verdict == "supported":
                    judged[i] = second[n]
        checked = True
    except LLMError:
        checked = False
    out = []
    for i, sentence in enumerate(sentences):
        if missing[i]:
            out.append(CheckedStatement(sentence, "unsupported", "not in the excerpts: " + ", ".join(missing[i])))
        elif i in judged:
            out.append(CheckedStatement(sentence, judged[i].verdict, judged[i].reason))
        else:
            out.append(CheckedStatement(sentence, "supported", "" if checked else "not checked"))
    return AnswerCheck(tuple(out), checked, tuple(replies))


def pick_best(answers: Sequence[Answer], checks: Sequence[AnswerCheck]) -> int:
    """Index of the best sampled answer: most supported, then with citations, then shortest."""
    def score(i: int) -> tuple[float, bool, int]:
        return checks[i].support, bool(answers[i].citations), -len(answers[i].text)

    return max(range(len(answers)), key=score)
