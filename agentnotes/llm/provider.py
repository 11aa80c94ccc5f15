"""Pick the chat model from the settings: the embedded model or an OpenAI-compatible endpoint."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from agentnotes.errors import ConfigError
from agentnotes.settings import Settings

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel


def get_chat_model(
    settings: Settings,
    *,
    temperature: float = 0.2,
    max_tokens: int = 1024,
    seed: int | None = None,
    on_model_progress: Callable[[int, int], None] | None = None,
) -> BaseChatModel:
    """A LangChain chat model for the configured provider."""
    if settings.llm_provider == "openai":
        from langchain_openai import ChatOpenAI

        if not settings.openai_base_url and not settings.openai_api_key:
            raise ConfigError(
                "The 'openai' provider needs OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL (a local server "
                "such as vLLM, Ollama or llama.cpp server)."
            )
        return ChatOpenAI(
            model=settings.llm_model,
            base_url=settings.openai_base_url,
            api_key=settings.openai_api_key or "not-needed",
            temperature=temperature,
            max_tokens=max_tokens,
            seed=seed,
            stream_usage=True,
        )
    from agentnotes.llm.local import LocalLlamaChat
    from agentnotes.llm.model_file import local_spec, verified_model_path

    path = verified_model_path(local_spec(settings.llm_model), settings.models_dir, on_model_progress)
    return LocalLlamaChat(
        model_path=str(path),
        model_name=settings.llm_model,
        n_threads=settings.threads,
        temperature=temperature,
        max_tokens=max_tokens,
        seed=seed,
    )
