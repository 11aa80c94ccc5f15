"""ask: retrieve excerpts for a question, write cited answers, let the critic check and pick one.

The one path `agentnotes ask` and the MCP server's ask tool take."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from agentnotes.agents.answer import ANSWER_K, Answer
from agentnotes.settings import Settings

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings
    from langchain_core.language_models.chat_models import BaseChatModel

    from agentnotes.agents.answer_check import AnswerCheck
    from agentnotes.notes.types import Hit
    from agentnotes.retrieval.filters import NoteFilter

SAMPLE_TEMPERATURE = 0.7  # extra samples must differ for the critic to have a choice


@dataclass(frozen=True)
class AskResult:
    """The chosen answer, the critic's verdict on it, every sample with its verdict, the excerpts the
    answers were written from, and timings."""

    answer: Answer
    check: AnswerCheck | None
    drafts: tuple[Answer, ...]
    checks: tuple[AnswerCheck, ...]
    withheld: int
    hits: tuple[Hit, ...]
    retrieval_s: float
    total_s: float

    def as_dict(self) -> dict[str, Any]:
        """The JSON record of `ask --json`."""
        answer = self.answer
        return {
            "question": answer.question,
            "answer": answer.text,
            "in_notes": answer.in_notes,
            "citations": [asdict(c) for c in answer.citations],
            "tokens": {"prompt": answer.reply.prompt_tokens, "completion": answer.reply.completion_tokens},
            "timings": {"retrieval_s": round(self.retrieval_s, 3), "first_token_s": answer.reply.first_token_s,
                        "generation_s": round(answer.reply.total_s, 3), "total_s": round(self.total_s, 3)},
            "withheld_secret_chunks": self.withheld,
            "check": self.check.as_dict() if self.check else None,
            "samples": [{"answer": a.text, "support": round(c.support, 3)} for a, c in zip(self.drafts, self.checks)]
            if len(self.drafts) > 1 else [],
        }


def ask_notes(
    settings: Settings,
    model: BaseChatModel,
    question: str,
    *,
    k: int = ANSWER_K,
    share_secrets: bool,
    check: bool = True,
    samples: int = 1,
    on_token: Callable[[str], None] | None = None,
    embeddings: Embeddings | None = None,
    only: NoteFilter | None = None,
) -> AskResult:
    """Answer `question` from the notes. Chunks flagged as secrets reach the model only with
    `share_secrets`; `on_token` streams the first answer; `embeddings` is reused when given; `only`
    limits the notes searched (tag, path)."""
    from agentnotes.agents.answer import answer_question, withhold_secrets
    from agentnotes.agents.answer_check import check_answer, pick_best
    from agentnotes.index.embedders import get_embedder
    from agentnotes.prompts import load_prompt
    from agentnotes.retrieval.service import retrieve

    start = time.perf_counter()
    embeddings = embeddings or get_embedder(settings)
    hits = retrieve(settings, question, k, model=model, embeddings=embeddings, only=only)
    retrieval_s = time.perf_counter() - start
    hits, withheld = withhold_secrets(hits, allow=share_secrets)
    prompt = load_prompt("answer", settings.prompts_dir)
    drafts = [answer_question(model, prompt, question, hits, on_token=on_token if samples == 1 else None,
                              withheld=withheld, embeddings=embeddings, seed=None if n == 0 else n,
                              temperature=None if n == 0 else SAMPLE_TEMPERATURE) for n in range(samples)]
    checks = [check_answer(model, load_prompt("verify_answer", settings.prompts_dir), a, hits) for a in drafts] \
        if check or samples > 1 else []
    best = pick_best(drafts, checks) if checks else 0
    return AskResult(drafts[best], checks[best] if checks else None, tuple(drafts), tuple(checks), withheld,
                     tuple(hits), retrieval_s, time.perf_counter() - start)
