"""The metric for the answer prompt: does the answer cite the note that holds the answer, and
say so when the retrieved excerpts do not hold it?

Each eval line names the file (`source`) and a short string of the right chunk (`contains`), as
`agentnotes eval retrieval` uses, or has both null for a question the notes do not answer.
Retrieval is fixed per question, so only the prompt varies.
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
    """When an excerpt holds the answer (contains `contains`): 1.0 for citing it, 0.5 for citing another
    chunk of the right file, 0 otherwise. When none does: 1.0 for saying the notes do not say, 0 for an
    answer anyway. With feedback in words for the reflection step."""
    answerable = bool(task.contains) and any(task.contains.lower() in h.chunk.text.lower() for h in task.hits)
    if not answerable:
        if not answer.in_notes:
            return 1.0, "Correct: no excerpt holds the answer and the answer says so."
        return 0.0, "Wrong: no excerpt holds the answer, so the reply should have been NOT IN NOTES."
    cited = [c for c in answer.citations if PurePath(c.source).name == task.source]
    if any(task.contains.lower() in c.text.lower() for c in cited):
        return 1.0, "Correct: the answer cites the excerpt that holds the answer."
    if cited:
        return 0.5, f"Partly right: it cites {task.source}, but not the excerpt containing '{task.contains}'."
    if not answer.in_notes:
        return 0.0, f"Wrong: the answer said the notes do not say, but an excerpt holds it ('{task.contains}')."
    return 0.0, f"Wrong: the answer should use and cite the excerpt from {task.source} containing '{task.contains}'."
