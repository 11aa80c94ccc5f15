"""Structured output: a JSON reply validated against a pydantic schema, retried when malformed."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel, ValidationError

from agentnotes.agents.llm_call import LLMReply, call_llm
from agentnotes.errors import LLMError
from agentnotes.prompts import Prompt

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

T = TypeVar("T", bound=BaseModel)
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.MULTILINE)


def response_format(schema: type[BaseModel]) -> dict:
    """OpenAI-style response_format; llama.cpp turns it into a grammar, so the reply parses."""
    return {"type": "json_schema", "json_schema": {"name": schema.__name__, "schema": schema.model_json_schema()}}


def parse_json_reply(text: str, schema: type[T]) -> T:
    """Parse a reply (optionally in a ```json fence) into `schema`; ValueError when it does not fit."""
    cleaned = _FENCE.sub("", text.strip())
    start, end = cleaned.find("{"), cleaned.rfind("}")
    if start < 0 or end < start:
        raise ValueError("no JSON object in the reply")
    try:
        return schema.model_validate(json.loads(cleaned[start : end + 1]))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise ValueError(str(exc)) from exc


def ask_structured(
    model: BaseChatModel,
    prompt: Prompt,
    values: dict[str, str],
    schema: type[T],
    *,
    retries: int = 2,
    seed: int = 0,
) -> tuple[T, list[LLMReply]]:
    """Call the model until its reply validates against `schema` (at most 1 + retries calls)."""
    replies: list[LLMReply] = []
    errors: list[str] = []
    for attempt in range(retries + 1):
        reply = call_llm(model, prompt, values, response_format=response_format(schema), seed=seed + attempt)
        replies.append(reply)
        try:
            return parse_json_reply(reply.text, schema), replies
        except ValueError as exc:
            errors.append(str(exc)[:200])
    raise LLMError(
        f"Prompt '{prompt.name}': no valid {schema.__name__} JSON after {retries + 1} attempts ({errors[-1]})."
    )
