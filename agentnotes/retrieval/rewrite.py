"""Optional LLM rewrite of a question before retrieval: a translation (Chinese for an English
question, English for a Chinese one) plus key terms in both languages, searched beside the original
question (cross-lingual recall)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentnotes.agents.llm_call import call_llm
from agentnotes.prompts import Prompt

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

REPEAT_PENALTY = 0.5  # a small model otherwise loops on one term until max_tokens ("KL divergence KL divergence ...")


def rewrite_query(model: BaseChatModel, prompt: Prompt, question: str) -> str:
    """The rewrite alone (the caller searches it beside the original question)."""
    return call_llm(model, prompt, {"question": question}, temperature=0.0, max_tokens=80,
                    frequency_penalty=REPEAT_PENALTY).text.strip()
