"""The KV state of system prompts kept on disk: a fresh process restores it instead of recomputing it."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from agentnotes.llm.local import LocalLlamaChat
from agentnotes.llm.model_file import local_spec, verified_model_path
from agentnotes.settings import load_settings

SYSTEM = "You answer arithmetic questions with the number only. " * 12


def _model(folder: Path) -> LocalLlamaChat:
    settings = load_settings()
    path = verified_model_path(local_spec(settings.llm_model), settings.models_dir)
    return LocalLlamaChat(model_path=str(path), prefix_cache_dir=str(folder), max_tokens=4, temperature=0.0)


@pytest.mark.slow
def test_a_fresh_model_restores_the_system_prompt_and_survives_a_damaged_file(tmp_path: Path) -> None:
    model = _model(tmp_path)
    first = model.invoke([SystemMessage(SYSTEM), HumanMessage("2+2=")])
    assert first.response_metadata["timings"]["cache_n"] > 100  # saved first, then the request went on from it
    saved = list(tmp_path.glob("*.bin"))
    assert len(saved) == 1 and not list(tmp_path.glob("*.partial"))
    repeated = model.invoke([SystemMessage(SYSTEM), HumanMessage("2+2=")]).response_metadata["timings"]
    assert repeated["prompt_n"] <= 2, repeated  # the same request again (another draw) reuses its whole prompt

    again = _model(tmp_path).invoke([SystemMessage(SYSTEM), HumanMessage("3+3=")])  # as a new process would
    timings = again.response_metadata["timings"]
    assert timings["cache_n"] > 100 and timings["prompt_n"] < 20, timings
    assert "6" in str(again.content)

    saved[0].write_bytes(b"not a llama.cpp state")
    damaged = _model(tmp_path).invoke([SystemMessage(SYSTEM), HumanMessage("4+4=")])
    assert "8" in str(damaged.content)
    assert saved[0].stat().st_size > 1000  # replaced by a good state
