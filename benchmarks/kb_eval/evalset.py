"""The knowledge-base eval set: its questions, split once by a fixed rule into a tuned part and a
held-out part, and a knowledge base of the notes it asks about.

The rule is the optimizer's (agentnotes/optimize/run.py): a question is held out when the SHA-1 of
its text is 0 mod 3. Settings are chosen on the tuned part only; the held-out part is reported beside it.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # benchmarks/_common.py

from _common import NOTES, REPO, require_notes  # noqa: E402

QUESTIONS = HERE / "questions.jsonl"
NOTE_DIRS = [NOTES, REPO / "data"]  # the real notes and the shipped example notes


def parts() -> dict[str, list]:
    """{'tuned': [...], 'held-out': [...]} of AnswerQuestion, by the fixed hash rule."""
    from agentnotes.evaluation.answer_eval import load_answer_questions
    from agentnotes.optimize.run import split

    tuned, held_out = split(load_answer_questions(QUESTIONS), key=lambda item: item.question.question)
    return {"tuned": tuned, "held-out": held_out}


def ingested_home(name: str) -> Path:
    """AGENTNOTES_HOME set to a home kept between runs (in the temp folder), with the notes of the
    eval set ingested: a later run re-embeds only what changed."""
    require_notes()
    home = Path(tempfile.gettempdir()) / f"agentnotes-{name}"
    os.environ["AGENTNOTES_HOME"] = str(home)
    os.environ.setdefault("AGENTNOTES_MODELS_DIR", str(Path.home() / ".cache" / "agentnotes-test-models"))
    from agentnotes.index.ingest import ingest
    from agentnotes.settings import load_settings

    ingest(load_settings(), NOTE_DIRS)
    return home
