"""ChatOpenAI whose connection failures are typed errors that say which server did not answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_openai import ChatOpenAI

from agentnotes.errors import LLMError


class OpenAICompatibleChat(ChatOpenAI):
    """An OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp server, `agentnotes serve`)."""

    def _unreachable(self, exc: Exception) -> LLMError:
        where = self.openai_api_base or "the OpenAI API"
        return LLMError(f"Cannot reach the OpenAI-compatible server at {where} ({exc}). Start it "
                        "(for the embedded model: agentnotes serve), or fix OPENAI_BASE_URL / llm_provider.")

    def _generate(self, *args: Any, **kwargs: Any) -> ChatResult:
        import openai

        try:
            return super()._generate(*args, **kwargs)
        except openai.APIConnectionError as exc:
            raise self._unreachable(exc) from exc

    def _stream(self, *args: Any, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        import openai

        try:
            yield from super()._stream(*args, **kwargs)
        except openai.APIConnectionError as exc:
            raise self._unreachable(exc) from exc
