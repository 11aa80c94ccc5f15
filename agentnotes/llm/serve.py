"""A running `agentnotes serve`: the file under the home that says where it listens, and whether it answers.

`serve` keeps the embedded model loaded in llama.cpp's OpenAI-compatible server on 127.0.0.1; while it
runs, the other commands reach the model through it instead of loading it themselves.
"""

from __future__ import annotations

import json
import os
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

HEALTH_TIMEOUT_S = 1.0


@dataclass(frozen=True)
class ServerInfo:
    """Where a running server listens (`url` without /v1), its process and the model it serves."""

    url: str
    pid: int
    model: str


def server_file(home: Path) -> Path:
    return home / "server.json"


def write_server_file(home: Path, info: ServerInfo) -> None:
    home.mkdir(parents=True, exist_ok=True)
    tmp = server_file(home).with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(info)))
    os.replace(tmp, server_file(home))


def remove_server_file(home: Path, pid: int) -> None:
    """Remove the file if it still names process `pid` (a newer server may have replaced it)."""
    info = read_server_file(home)
    if info is not None and info.pid == pid:
        server_file(home).unlink(missing_ok=True)


def read_server_file(home: Path) -> ServerInfo | None:
    try:
        return ServerInfo(**json.loads(server_file(home).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def answers(url: str, timeout_s: float = HEALTH_TIMEOUT_S) -> bool:
    """True when llama.cpp's /health at `url` says the model is loaded."""
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout_s) as response:
            return json.loads(response.read()).get("status") == "ok"
    except (OSError, ValueError, AttributeError):
        return False


def running_server(home: Path) -> ServerInfo | None:
    """The server named by the file under `home` when it answers; None otherwise (a stale file is ignored)."""
    info = read_server_file(home)
    return info if info is not None and answers(info.url) else None
