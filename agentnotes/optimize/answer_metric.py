"""The metric for the answer prompt: does the answer cite the note that holds the answer?

Each eval line names the file (`source`) and a short string of the right chunk (`contains`), as
`agentnotes eval retrieval` uses. Retrieval is fixed per question, so only the prompt varies.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

from agentnotes.agents.answer import Answer
from agentnotes.notes.types import Hit


@dataclass(frozen=True)
class AnswerTask:
    question: str
    source: str
    contains: str
    hits: tuple[Hit, ...]


def score_answer(answer: Answer, task: AnswerTask) -> tuple[float, str]:
    """1.0 when the answer cites the chunk with `contains`, 0.5 for another chunk of the right file,
    0 otherwise; with feedback in words for the reflection step."""
    answerable = any(task.contains.lower() in h.chunk.text.lower() for h in task.hits)
    cited = [c for c in answer.citations if PurePath(c.source).name == task.source]
    if any(task.contains.lower() in c.text.lower() for c in cited):
        return 1.0, "Correct: the answer cites the excerpt that holds the answer."
    if cited:
        return 0.5, f"Partly right: it cites {task.source}, but not the excerpt containing '{task.contains}'."
    if not answer.in_notes:
        why = "the excerpts did contain it" if answerable else "the excerpts did not contain it either"
        return 0.0, f"Wrong: the answer said the notes do not say, but {why} ('{task.contains}' in {task.source})."
    return 0.0, f"Wrong: the answer should use and cite the excerpt from {task.source} containing '{task.contains}'."
