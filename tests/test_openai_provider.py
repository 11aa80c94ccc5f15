"""The `openai` provider against a real OpenAI-compatible server: `agentnotes serve` with the embedded GGUF.

Without an LLM: a closed port gives a typed error (no traceback), and a stale server file is ignored."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentnotes.errors import LLMError
from agentnotes.llm.local import LocalLlamaChat
from agentnotes.llm.openai_chat import OpenAICompatibleChat
from agentnotes.llm.provider import get_chat_model
from agentnotes.llm.serve import ServerInfo, running_server, write_server_file
from agentnotes.settings import load_settings

REPO = Path(__file__).resolve().parent.parent
QUESTION = "What problem does the mirror layer solve?"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def openai_env(base_url: str) -> dict[str, str]:
    return {**os.environ, "AGENTNOTES_LLM_PROVIDER": "openai", "OPENAI_BASE_URL": base_url}


def test_a_server_that_is_down_is_a_typed_error() -> None:
    settings = load_settings(env=openai_env(f"http://127.0.0.1:{closed_port()}/v1"))
    model = get_chat_model(settings)
    with pytest.raises(LLMError, match="Cannot reach the OpenAI-compatible server at http://127.0.0.1"):
        model.invoke("hello")
    with pytest.raises(LLMError, match="agentnotes serve"):
        list(model.stream("hello"))


def test_ask_against_a_server_that_is_down_exits_with_the_error(tmp_path: Path) -> None:
    env = openai_env(f"http://127.0.0.1:{closed_port()}/v1")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "mirror.md").write_text("# Mirror layer\nTwo copies of each weight, merged every 100 steps.\n",
                                                  encoding="utf-8")
    subprocess.run([sys.executable, "-m", "agentnotes", "ingest", str(tmp_path / "notes")], env=env, check=True,
                   capture_output=True, timeout=300)  # notes to search: the question's rewrite then asks the server
    proc = subprocess.run([sys.executable, "-m", "agentnotes", "ask", QUESTION], env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == LLMError.exit_code
    assert "LLMError" in proc.stderr and "Cannot reach" in proc.stderr and "Traceback" not in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "agentnotes", "ask", QUESTION, "--json"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == LLMError.exit_code
    assert json.loads(proc.stdout)["error"]["type"] == "LLMError"


def test_a_stale_server_file_is_ignored() -> None:
    settings = load_settings()
    write_server_file(settings.home, ServerInfo(f"http://127.0.0.1:{closed_port()}", 1, settings.llm_model))
    assert running_server(settings.home) is None
    assert isinstance(get_chat_model(settings), LocalLlamaChat)  # loads nothing until it is called


def test_serve_refuses_the_openai_provider() -> None:
    env = openai_env("http://127.0.0.1:1/v1")
    proc = subprocess.run([sys.executable, "-m", "agentnotes", "serve"], env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2 and "llm_provider" in proc.stderr


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, ServerInfo]]:
    """`agentnotes serve` in a subprocess, in a home with the repository's example notes ingested."""
    home = tmp_path_factory.mktemp("served")
    env = {**os.environ, "AGENTNOTES_HOME": str(home)}
    for var in ("AGENTNOTES_LLM_PROVIDER", "OPENAI_BASE_URL", "OPENAI_API_KEY"):
        env.pop(var, None)
    subprocess.run([sys.executable, "-m", "agentnotes", "ingest", str(REPO / "data")], env=env, check=True,
                   capture_output=True)
    proc = subprocess.Popen([sys.executable, "-m", "agentnotes", "serve"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 900  # loads the model and processes the system prompts first
        while (info := running_server(home)) is None:
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "agentnotes serve did not answer within 900 s"
            time.sleep(0.5)
        yield home, info
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    assert proc.returncode == 0
    assert not (home / "server.json").exists()


@pytest.mark.slow
def test_rewrite_and_streaming_through_the_openai_provider(served: tuple[Path, ServerInfo]) -> None:
    from agentnotes.agents.llm_call import call_llm
    from agentnotes.prompts import load_shipped
    from agentnotes.retrieval.rewrite import rewrite_query

    home, info = served
    settings = load_settings(home, env=openai_env(f"{info.url}/v1"))
    model = get_chat_model(settings, seed=0, max_tokens=40)
    assert isinstance(model, OpenAICompatibleChat)
    rewrite = rewrite_query(model, load_shipped("query_rewrite"), QUESTION)
    assert re.search(r"[\u4e00-\u9fff]", rewrite), rewrite  # translated into Chinese
    tokens: list[str] = []
    reply = call_llm(model, load_shipped("condense_question"), {"history": "User: What is Adam?\nAssistant: An optimizer.",
                                                                 "question": "Who proposed it?"}, on_token=tokens.append)
    assert len(tokens) > 1 and "".join(tokens) == reply.text
    assert reply.prompt_tokens > 0 and reply.completion_tokens > 0
    assert reply.first_token_s is not None and reply.first_token_s < reply.total_s


@pytest.mark.slow
def test_ask_through_the_openai_provider_and_through_serve(served: tuple[Path, ServerInfo]) -> None:
    home, info = served
    base = {**os.environ, "AGENTNOTES_HOME": str(home)}
    local = load_settings(home, env=base)
    used = get_chat_model(local)
    assert isinstance(used, OpenAICompatibleChat) and used.openai_api_base == f"{info.url}/v1"  # serve is used
    proc = subprocess.run([sys.executable, "-m", "agentnotes", "ask", QUESTION, "--json"],
                          env={**base, "AGENTNOTES_LLM_PROVIDER": "openai", "OPENAI_BASE_URL": f"{info.url}/v1",
                               "AGENTNOTES_ALLOW_SECRETS_REMOTE": "1"},
                          capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-2000:]
    record = json.loads(proc.stdout)
    assert record["in_notes"] and any(c["source"].endswith("ideas-layers.txt") for c in record["citations"]), record
    assert record["tokens"]["prompt"] > 0 and record["tokens"]["completion"] > 0
    assert record["check"] is not None and record["check"]["statements"]
