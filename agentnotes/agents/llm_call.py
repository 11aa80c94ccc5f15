"""One place that calls a chat model: renders a prompt, streams or invokes, counts tokens."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import closing
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
    stop_when: Callable[[str], bool] | None = None,
    **kwargs: Any,
) -> LLMReply:
    """Render `prompt` with `values` and run it; stream tokens to `on_token` when given. With `stop_when`, the reply
    is streamed and cut as soon as `stop_when(text so far)` holds (the model stops generating).
    Options left as None (temperature, seed...) keep the model's own settings."""
    messages = prompt.render(**values)
    kwargs = {key: value for key, value in kwargs.items() if value is not None}
    start = time.perf_counter()
    first: float | None = None
    try:
        if on_token is None and stop_when is None:
            message = model.invoke(messages, **kwargs)
        else:
            message = None
            with closing(model.stream(messages, **kwargs)) as stream:  # closed early: the model stops generating
                for chunk in stream:
                    if chunk.content and first is None:
                        first = time.perf_counter() - start
                    if chunk.content and on_token:
                        on_token(str(chunk.content))
                    message = chunk if message is None else message + chunk
                    if stop_when and chunk.content and stop_when(str(message.content)):
                        break
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
        first_token_s=first if on_token or stop_when else total,
        total_s=total,
    )
