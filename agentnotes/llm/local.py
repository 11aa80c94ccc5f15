"""The embedded model: llama.cpp (xllamacpp) in-process, as a LangChain chat model.

xllamacpp's Server takes and returns OpenAI-format dicts, so requests are built the same way
as for a remote endpoint; extra kwargs (temperature, seed, max_tokens, response_format) pass through.
"""

from __future__ import annotations

import queue
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, convert_to_openai_messages
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from agentnotes.errors import LLMError, NoModelError
from agentnotes.llm.prefix_cache import PrefixCache

N_CTX = 8192  # context window of the embedded model, in tokens
_PASS_THROUGH = ("temperature", "top_p", "seed", "max_tokens", "response_format", "n_probs", "frequency_penalty")


def _usage(data: dict) -> UsageMetadata | None:
    usage = data.get("usage")
    if not usage:
        return None
    return UsageMetadata(
        input_tokens=usage.get("prompt_tokens", 0),
        output_tokens=usage.get("completion_tokens", 0),
        total_tokens=usage.get("total_tokens", 0),
    )


def load_llama_server(model_path: str, n_ctx: int, n_threads: int, port: int = 0, slot_dir: Path | None = None) -> Any:
    """Load the GGUF into an xllamacpp Server: llama.cpp's OpenAI-compatible server, in this process and
    listening on 127.0.0.1 (`port` 0: any free port); `slot_dir` allows saving slot states there.
    Python keeps its own Ctrl-C and SIGTERM handling."""
    try:
        import xllamacpp
    except ImportError:
        raise NoModelError("xllamacpp is not installed: pip install -e . (or make install).") from None
    params = xllamacpp.CommonParams()
    params.model.path = model_path
    params.n_ctx = n_ctx
    params.n_parallel = 1
    params.cpuparams.n_threads = n_threads
    params.cpuparams_batch.n_threads = n_threads
    params.warmup = False
    params.verbosity = -1
    params.hostnames = ["127.0.0.1"]
    params.port = port
    if slot_dir is not None:
        params.slot_save_path = f"{slot_dir}/"  # llama.cpp joins it with the file name as a string
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return xllamacpp.Server(params)
    except Exception as exc:  # the C++ side reports load failures as generic exceptions
        raise NoModelError(f"Cannot load {model_path}: {exc}. Run 'agentnotes doctor'.") from exc
    finally:  # llama.cpp installs its own handlers, which would swallow Ctrl-C
        if threading.current_thread() is threading.main_thread():
            for sig, handler in handlers.items():
                signal.signal(sig, handler)


STREAM_THREAD = "agentnotes-llm-stream"  # the thread llama.cpp generates a streamed reply in


class LocalLlamaChat(BaseChatModel):
    """Chat model backed by a GGUF file loaded with xllamacpp (CPU)."""

    model_path: str
    model_name: str = "local"
    n_ctx: int = N_CTX
    n_threads: int = 2
    temperature: float = 0.2
    max_tokens: int = 1024
    seed: int | None = None
    prefix_cache_dir: str | None = None  # keep the KV state of system prompts here (prefix_cache.py)

    _server: Any = PrivateAttr(default=None)
    _prefix: PrefixCache | None = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "agentnotes-local-llama"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "n_ctx": self.n_ctx}

    def _get_server(self) -> Any:
        with self._lock:
            if self._server is None:
                folder = Path(self.prefix_cache_dir) if self.prefix_cache_dir else None
                self._server = load_llama_server(self.model_path, self.n_ctx, self.n_threads, slot_dir=folder)
                if folder is not None:
                    self._prefix = PrefixCache(self._server, folder, Path(self.model_path).name)
            return self._server

    def _request(self, messages: list[BaseMessage], stop: list[str] | None, stream: bool, **kwargs: Any) -> dict:
        request: dict[str, Any] = {
            "messages": convert_to_openai_messages(messages),
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "stream": stream,
        }
        if self.seed is not None:
            request["seed"] = self.seed
        if stop:
            request["stop"] = stop
        request.update({k: v for k, v in kwargs.items() if k in _PASS_THROUGH and v is not None})
        return request

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        request = self._request(messages, stop, False, **kwargs)
        server = self._get_server()
        if self._prefix:
            self._prefix.before(request["messages"])
        data = server.handle_chat_completions(request)
        if not isinstance(data, dict) or "choices" not in data:
            raise LLMError(f"The local model returned an error: {str(data)[:500]}")
        choice = data["choices"][0]
        message = AIMessage(
            content=choice["message"].get("content") or "",
            usage_metadata=_usage(data),
            response_metadata={"finish_reason": choice.get("finish_reason"), "timings": data.get("timings", {})},
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        request = self._request(messages, stop, True, **kwargs)
        request["stream_options"] = {"include_usage": True}
        server = self._get_server()
        if self._prefix:
            self._prefix.before(request["messages"])
        chunks: queue.Queue = queue.Queue()
        done = object()
        errors: list[BaseException] = []
        closed = threading.Event()  # the consumer stopped reading: llama.cpp stops when the callback returns True

        def produce() -> None:
            try:
                server.handle_chat_completions(request, lambda data: chunks.put(data) or closed.is_set())
            except BaseException as exc:  # surfaced in the consumer thread
                errors.append(exc)
            finally:
                chunks.put(done)

        producer = threading.Thread(target=produce, name=STREAM_THREAD, daemon=True)
        producer.start()
        try:
            yield from self._chunks(chunks, done, run_manager)
        finally:
            closed.set()
            producer.join()  # llama.cpp stops at its next token; a process that exits meanwhile aborts in it
        if errors:
            raise LLMError(f"The local model failed: {errors[0]}") from errors[0]

    @staticmethod
    def _chunks(chunks: queue.Queue, done: object, run_manager: CallbackManagerForLLMRun | None) -> Iterator[ChatGenerationChunk]:
        """The streamed reply's chunks as llama.cpp puts them in `chunks`, until `done`."""
        while (data := chunks.get()) is not done:
            if not isinstance(data, dict) or "error" in data:
                raise LLMError(f"The local model returned an error: {str(data)[:500]}")
            choices = data.get("choices") or [{}]
            text = (choices[0].get("delta") or {}).get("content") or ""
            meta = {"finish_reason": choices[0].get("finish_reason")} if choices[0].get("finish_reason") else {}
            if data.get("timings"):
                meta["timings"] = data["timings"]
            chunk = ChatGenerationChunk(
                message=AIMessageChunk(content=text, usage_metadata=_usage(data), response_metadata=meta)
            )
            if run_manager and text:
                run_manager.on_llm_new_token(text, chunk=chunk)
            yield chunk
