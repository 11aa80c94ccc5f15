"""One place that calls a chat model: renders a prompt, streams or invokes, counts tokens."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agentnotes.errors import LLMError
from agentnotes.prompts import Prompt

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel


@dataclass(frozen=True)
class LLMReply:
    """The text of a reply with its token counts and timings."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    first_token_s: float | None
    total_s: float


def call_llm(
    model: BaseChatModel,
    prompt: Prompt,
    values: dict[str, str],
    *,
    on_token: Callable[[str], None] | None = None,
    **kwargs: Any,
) -> LLMReply:
    """Render `prompt` with `values` and run it; stream tokens to `on_token` when given.
    Options left as None (temperature, seed...) keep the model's own settings."""
    messages = prompt.render(**values)
    kwargs = {key: value for key, value in kwargs.items() if value is not None}
    start = time.perf_counter()
    first: float | None = None
    try:
        if on_token is None:
            message = model.invoke(messages, **kwargs)
        else:
            message = None
            for chunk in model.stream(messages, **kwargs):
                if chunk.content and first is None:
                    first = time.perf_counter() - start
                if chunk.content:
                    on_token(str(chunk.content))
                message = chunk if message is None else message + chunk
    except LLMError:
        raise
    except Exception as exc:  # network errors, server errors from remote providers
        raise LLMError(f"The language model call for prompt '{prompt.name}' failed: {exc}") from exc
    total = time.perf_counter() - start
    usage = getattr(message, "usage_metadata", None) or {}
    text = str(message.content) if message is not None else ""
    return LLMReply(
        text=text,
        prompt_tokens=int(usage.get("input_tokens", 0)),
        completion_tokens=int(usage.get("output_tokens", 0)),
        first_token_s=first if on_token else total,
        total_s=total,
    )
