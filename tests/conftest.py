"""Shared fixtures: a temporary agentnotes home for every test."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_NOTES = REPO.parent / "shared" / "notes"
# Assembled model files are shared by all tests (assembling the 1.1 GB GGUF once is enough).
MODELS_DIR = Path.home() / ".cache" / "agentnotes-test-models"


@pytest.fixture(autouse=True)
def agentnotes_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own AGENTNOTES_HOME and no provider or key from the outer environment."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("AGENTNOTES_HOME", str(home))
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "AGENTNOTES_LLM_PROVIDER", "AGENTNOTES_LLM_MODEL",
                "AGENTNOTES_EMBEDDER", "AGENTNOTES_CHROMA_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AGENTNOTES_MODELS_DIR", str(MODELS_DIR))
    return home
