"""`agentnotes serve`: keep the embedded model loaded, as a local OpenAI-compatible server."""

from __future__ import annotations

import os
import signal
import sys
import time
from typing import TYPE_CHECKING

import typer

from agentnotes.cli.output import console
from agentnotes.cli.progress import model_progress

if TYPE_CHECKING:
    from agentnotes.llm.prefix_cache import PrefixCache
    from agentnotes.settings import Settings

PRIMED_PROMPTS = ("query_rewrite", "answer", "verify_answer", "condense_question")  # the prompts ask and chat send


def serve(
    port: int = typer.Option(0, "--port", min=0, max=65535, help="Port on 127.0.0.1 (0: any free port)."),
) -> None:
    """Serve the embedded model on 127.0.0.1 until Ctrl-C; other agentnotes commands of this home use it.

    The API is OpenAI's (/v1/chat/completions, streaming), so any OpenAI client can use it too."""
    from agentnotes.errors import ConfigError
    from agentnotes.llm.local import N_CTX, load_llama_server
    from agentnotes.llm.model_file import local_spec, verified_model_path
    from agentnotes.llm.prefix_cache import PrefixCache
    from agentnotes.llm.serve import ServerInfo, remove_server_file, running_server, write_server_file
    from agentnotes.settings import load_settings

    settings = load_settings()
    if settings.llm_provider != "local":
        raise ConfigError("'serve' runs the embedded model, but llm_provider is 'openai': set it to 'local'.")
    if (other := running_server(settings.home)) is not None:
        raise ConfigError(f"A server for {settings.home} is already running at {other.url} (pid {other.pid}).")
    with model_progress() as on_progress:
        path = verified_model_path(local_spec(settings.llm_model), settings.models_dir, on_progress)
    started = time.perf_counter()
    prefixes = settings.cache_dir / "llm-prefix"
    server = load_llama_server(str(path), N_CTX, settings.threads, port, slot_dir=prefixes)
    _prime(PrefixCache(server, prefixes, path.name), settings)
    info = ServerInfo(server.listening_address, os.getpid(), settings.llm_model)
    write_server_file(settings.home, info)
    console().print(f"Serving {settings.llm_model} at {info.url}/v1 (OpenAI-compatible; loaded in "
                    f"{time.perf_counter() - started:.1f}s with its prompts). Commands of {settings.home} use it. Ctrl-C stops.")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop as on Ctrl-C: remove the server file
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        console().print("Stopped.")
    finally:
        remove_server_file(settings.home, info.pid)
        del server


def _prime(cache: PrefixCache, settings: Settings) -> None:
    """Process the system part of the prompts ask and chat send (or restore it from the prefix cache),
    so that llama.cpp's prompt cache holds each one before the first question comes."""
    from agentnotes.prompts import load_prompt

    for name in PRIMED_PROMPTS:
        prompt = load_prompt(name, settings.prompts_dir)
        role, content = prompt.render(**dict.fromkeys(prompt.variables, ""))[0]
        if role == "system":
            cache.before([{"role": "system", "content": content}])  # restored, or processed and saved


def register(app: typer.Typer) -> None:
    app.command()(serve)
