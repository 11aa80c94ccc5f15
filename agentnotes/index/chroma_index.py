"""Chroma as a rebuildable vector index over the catalog's chunks (embedded on disk, or a server)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agentnotes.errors import StoreError
from agentnotes.notes.types import Chunk
from agentnotes.settings import Settings

BATCH = 256


def collection_name(embedder: str) -> str:
    """One collection per embedder, so switching embedders never mixes vectors."""
    slug = re.sub(r"[^a-zA-Z0-9_-]+", "-", Path(embedder).name if "/" in embedder else embedder).strip("-")
    return f"chunks-{slug}"[:60]


def chroma_dir(settings: Settings) -> Path:
    return settings.store_dir / "chroma"


def open_client(settings: Settings) -> Any:
    """An embedded PersistentClient, or an HttpClient when a server URL is configured."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    options = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        from urllib.parse import urlparse

        url = urlparse(settings.chroma_url)
        try:
            return chromadb.HttpClient(host=url.hostname or "localhost", port=url.port or 8000,
                                       ssl=url.scheme == "https", settings=options)
        except Exception as exc:
            raise StoreError(f"Cannot reach the Chroma server at {settings.chroma_url}: {exc}") from None
    return chromadb.PersistentClient(path=str(chroma_dir(settings)), settings=options)


def metadata(chunk: Chunk) -> dict[str, Any]:
    return {"source": chunk.source, "start_line": chunk.start_line, "end_line": chunk.end_line,
            "heading": " > ".join(chunk.heading_path), "secret": chunk.secret}


class ChromaIndex:
    """Vectors of chunks by chunk id. Vectors always come from the caller (never Chroma's default embedder)."""

    def __init__(self, settings: Settings) -> None:
        self.client = open_client(settings)
        self.collection = self.client.get_or_create_collection(
            collection_name(settings.embedder), metadata={"hnsw:space": "cosine"}, embedding_function=None
        )

    def count(self) -> int:
        return self.collection.count()

    def ids(self) -> set[str]:
        return set(self.collection.get(include=[])["ids"])

    def upsert(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        for i in range(0, len(chunks), BATCH):
            part = chunks[i : i + BATCH]
            self.collection.upsert(
                ids=[c.chunk_id for c in part],
                embeddings=[list(map(float, v)) for v in vectors[i : i + BATCH]],
                documents=[c.text for c in part],
                metadatas=[metadata(c) for c in part],
            )

    def delete(self, ids: Sequence[str]) -> None:
        for i in range(0, len(ids), BATCH):
            self.collection.delete(ids=list(ids[i : i + BATCH]))

    def query(self, vector: Sequence[float], k: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) best first."""
        if k <= 0 or self.count() == 0:
            return []
        result = self.collection.query(query_embeddings=[list(map(float, vector))], n_results=min(k, self.count()),
                                       include=["distances"])
        return [(i, 1.0 - d) for i, d in zip(result["ids"][0], result["distances"][0])]


def wipe_local_index(settings: Settings) -> None:
    """Delete the embedded Chroma directory (it is rebuilt from the catalog)."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()  # chromadb caches clients per path in-process
    shutil.rmtree(chroma_dir(settings), ignore_errors=True)
