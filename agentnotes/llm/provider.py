"""Pick the chat model from the settings: the embedded model or an OpenAI-compatible endpoint."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

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
    """A LangChain chat model for the configured provider. For the embedded model, a running
    `agentnotes serve` of this home answers when there is one; otherwise the model loads here."""
    if settings.llm_provider == "openai":
        if not settings.openai_base_url and not settings.openai_api_key:
            raise ConfigError(
                "The 'openai' provider needs OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL (a local server "
                "such as vLLM, Ollama, llama.cpp server or agentnotes serve)."
            )
        return _openai_chat(settings.llm_model, settings.openai_base_url, settings.openai_api_key,
                            temperature=temperature, max_tokens=max_tokens, seed=seed)
    from agentnotes.llm.serve import running_server

    server = running_server(settings.home)
    if server is not None and server.model == settings.llm_model:  # `agentnotes serve` holds the model loaded
        return _openai_chat(server.model, f"{server.url}/v1", None,
                            temperature=temperature, max_tokens=max_tokens, seed=seed)
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
        prefix_cache_dir=str(settings.cache_dir / "llm-prefix"),
    )


def _openai_chat(model: str, base_url: str | None, api_key: str | None, **options: Any) -> BaseChatModel:
    from agentnotes.llm.openai_chat import OpenAICompatibleChat

    return OpenAICompatibleChat(model=model, base_url=base_url, api_key=api_key or "not-needed",
                                stream_usage=True, max_retries=1, **options)
