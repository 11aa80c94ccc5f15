"""Chroma as a rebuildable vector index over the catalog's chunks (embedded on disk, or a server)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from agentnotes.errors import StoreError
from agentnotes.index.entries import IndexEntry
from agentnotes.notes.types import Chunk
from agentnotes.settings import Settings

BATCH = 256
ENTRIES_PER_CHUNK = 4  # a query asks for this many entries per wanted chunk (lines share their chunk)


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


TAG_SEPARATOR = "|"  # Chroma metadata values are scalars: tags are stored as "|a|b|"


def metadata(chunk: Chunk) -> dict[str, Any]:
    meta = {"chunk_id": chunk.chunk_id, "source": chunk.source, "start_line": chunk.start_line,
            "end_line": chunk.end_line, "heading": " > ".join(chunk.heading_path), "secret": chunk.secret}
    if chunk.page is not None:
        meta["page"] = chunk.page
    if chunk.tags:
        meta["tags"] = TAG_SEPARATOR + TAG_SEPARATOR.join(chunk.tags) + TAG_SEPARATOR
    return meta


class ChromaIndex:
    """Vectors of index entries (chunks and their lines, see entries.py) by entry id. Vectors always
    come from the caller (never Chroma's default embedder)."""

    def __init__(self, settings: Settings) -> None:
        self.client = open_client(settings)
        self.collection = self.client.get_or_create_collection(
            collection_name(settings.embedder), metadata={"hnsw:space": "cosine"}, embedding_function=None
        )

    def count(self) -> int:
        return self.collection.count()

    def ids(self) -> set[str]:
        return set(self.collection.get(include=[])["ids"])

    def upsert(self, entries: Sequence[IndexEntry], vectors: Sequence[Sequence[float]]) -> None:
        for i in range(0, len(entries), BATCH):
            part = entries[i : i + BATCH]
            self.collection.upsert(
                ids=[e.entry_id for e in part],
                embeddings=[list(map(float, v)) for v in vectors[i : i + BATCH]],
                documents=[e.piece.text for e in part],
                metadatas=[metadata(e.chunk) for e in part],
            )

    def delete(self, entry_ids: Sequence[str]) -> None:
        for i in range(0, len(entry_ids), BATCH):
            self.collection.delete(ids=list(entry_ids[i : i + BATCH]))

    def delete_chunks(self, chunk_ids: Sequence[str]) -> None:
        """Every entry of these chunks: the chunk's own and its lines'."""
        for i in range(0, len(chunk_ids), BATCH):
            part = list(chunk_ids[i : i + BATCH])
            self.collection.delete(ids=part)  # also entries written before they carried a chunk_id
            self.collection.delete(where={"chunk_id": {"$in": part}})

    def query(self, vector: Sequence[float], k: int, sources: Collection[str] | None = None) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity of the chunk's best entry), best first, up to k chunks; with
        `sources`, only chunks of those files."""
        total = self.count()
        if k <= 0 or total == 0:
            return []
        where = {"source": {"$in": sorted(sources)}} if sources is not None else None
        result = self.collection.query(query_embeddings=[list(map(float, vector))], where=where,
                                       n_results=min(k * ENTRIES_PER_CHUNK, total), include=["distances", "metadatas"])
        best: dict[str, float] = {}
        for entry_id, distance, meta in zip(result["ids"][0], result["distances"][0], result["metadatas"][0]):
            best.setdefault((meta or {}).get("chunk_id", entry_id), 1.0 - distance)
        return list(best.items())[:k]


def drop_cached_clients() -> None:
    """Forget chromadb's clients, which it caches per path in-process: the next one reads the index
    from disk, as another process (an ingest) left it."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


def wipe_local_index(settings: Settings) -> None:
    """Delete the embedded Chroma directory (it is rebuilt from the catalog)."""
    drop_cached_clients()
    shutil.rmtree(chroma_dir(settings), ignore_errors=True)
