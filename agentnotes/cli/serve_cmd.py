"""`agentnotes serve`: keep the embedded model loaded, as a local OpenAI-compatible server."""

from __future__ import annotations

import os
import signal
import sys
import time

import typer

from agentnotes.cli.output import console
from agentnotes.cli.progress import model_progress


def serve(
    port: int = typer.Option(0, "--port", min=0, max=65535, help="Port on 127.0.0.1 (0: any free port)."),
) -> None:
    """Serve the embedded model on 127.0.0.1 until Ctrl-C; other agentnotes commands of this home use it.

    The API is OpenAI's (/v1/chat/completions, streaming), so any OpenAI client can use it too."""
    from agentnotes.errors import ConfigError
    from agentnotes.llm.local import N_CTX, load_llama_server
    from agentnotes.llm.model_file import local_spec, verified_model_path
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
    server = load_llama_server(str(path), N_CTX, settings.threads, port)
    info = ServerInfo(server.listening_address, os.getpid(), settings.llm_model)
    write_server_file(settings.home, info)
    console().print(f"Serving {settings.llm_model} at {info.url}/v1 (OpenAI-compatible; loaded in "
                    f"{time.perf_counter() - started:.1f}s). Commands of {settings.home} use it. Ctrl-C stops.")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop as on Ctrl-C: remove the server file
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        console().print("Stopped.")
    finally:
        remove_server_file(settings.home, info.pid)
        del server


def register(app: typer.Typer) -> None:
    app.command()(serve)
