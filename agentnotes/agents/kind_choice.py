"""The one kind an idea is, chosen by the model where its note shows several (guards/kinds.py reads the cues): a
note's setup, measurements and side remarks name other parts of training beside the idea's own."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from pydantic import Field, create_model

from agentnotes.agents.llm_call import LLMReply
from agentnotes.agents.structured import ask_structured
from agentnotes.experiments.guards.kinds import BY_NAME, cue_lines
from agentnotes.prompts import Prompt

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

_LINE_CHARS = 200  # of each evidence line shown


def candidates_text(note_text: str, kinds: Sequence[str]) -> str:
    """Each kind with its one-line description and the note lines its cue shows on."""
    return "\n".join(f"- {kind} ({BY_NAME[kind].description}):"
                     + "".join(f"\n    {line[:_LINE_CHARS]}" for line in cue_lines(note_text, kind)) for kind in kinds)


def choose_kind(model: BaseChatModel, prompt: Prompt, note_text: str, kinds: Sequence[str],
                seed: int = 0) -> tuple[str, list[LLMReply]]:
    """The one of `kinds` (at least two) the model reads as the idea of `note_text`; its reply is held to them."""
    schema = create_model("KindChoice", title=(str, Field(max_length=120)), part=(Literal[tuple(kinds)], ...))
    reply, replies = ask_structured(model, prompt, {"note": note_text, "candidates": candidates_text(note_text, kinds)},
                                    schema, seed=seed)
    return reply.part, replies
