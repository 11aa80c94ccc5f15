"""The knowledge base: catalog + Chroma index + embedder behind one small API, under the store lock.

Chroma is never the only copy: the catalog holds every chunk and its cached embedding, so a
missing, stale or broken index is rebuilt from it without re-embedding, and the user is told.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from agentnotes.index.catalog import Catalog
from agentnotes.index.chroma_index import ChromaIndex, chroma_dir, collection_name, wipe_local_index
from agentnotes.index.entries import index_entries
from agentnotes.index.health import check_in_child, signature
from agentnotes.index.lock import store_lock
from agentnotes.notes.types import Chunk
from agentnotes.settings import Settings

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

Announce = Callable[[str], None]
DIRTY = "dirty"  # set while an ingest changes the index; left set if it dies
LAYOUT = "index_layout"
INDEX_LAYOUT = "2"  # 2: chunks and their lines (entries.py); an index of another layout is repaired to this one


def catalog_path(settings: Settings):
    return settings.store_dir / "catalog.sqlite"


def lock_path(settings: Settings):
    return settings.store_dir / "store.lock"


def _trusted_key(settings: Settings) -> str:
    return f"trusted_signature:{collection_name(settings.embedder)}"


def _is_trusted(settings: Settings, catalog: Catalog) -> bool:
    """Cheap: the index files are exactly as they were after the last successful check, no ingest
    died, and the index has the current layout."""
    if catalog.get_meta(DIRTY) == "1" or catalog.get_meta(LAYOUT) != INDEX_LAYOUT:
        return False
    return bool(settings.chroma_url) or catalog.get_meta(_trusted_key(settings)) == signature(chroma_dir(settings))


def index_version(settings: Settings) -> str:
    """Changes whenever a writer changes the local index (it marks the index trusted after each write),
    so a long-running reader knows when to reopen it."""
    with Catalog(catalog_path(settings)) as catalog:
        return catalog.get_meta(_trusted_key(settings)) or ""


def mark_trusted(settings: Settings, catalog: Catalog) -> None:
    catalog.set_meta(DIRTY, None)
    catalog.set_meta(LAYOUT, INDEX_LAYOUT)
    if not settings.chroma_url:
        catalog.set_meta(_trusted_key(settings), signature(chroma_dir(settings)))


def _vectors_for(settings: Settings, catalog: Catalog, pieces: list[Chunk]) -> list:
    """Cached vectors of `pieces` (chunks or their lines); any missing one is embedded and cached."""
    cached = catalog.cached_vectors(settings.embedder, (c.content_hash for c in pieces))
    missing = [c for c in pieces if c.content_hash not in cached]
    if missing:
        from agentnotes.index.embedders import get_embedder

        fresh = get_embedder(settings).embed_documents([c.embed_text for c in missing])
        new = {c.content_hash: v for c, v in zip(missing, fresh)}
        catalog.store_vectors(settings.embedder, new)
        cached.update(new)
    return [cached[c.content_hash] for c in pieces]


def _upsert(settings: Settings, catalog: Catalog, index: ChromaIndex, entries: list) -> None:
    index.upsert(entries, _vectors_for(settings, catalog, [e.piece for e in entries]))


def repair(settings: Settings, catalog: Catalog, announce: Announce) -> None:
    """Make the index match the catalog. Call with the exclusive lock held."""
    if _is_trusted(settings, catalog):
        return
    entries = index_entries(catalog.chunks())
    expected = len(entries)
    check = check_in_child(settings) if not settings.chroma_url else None
    if check is not None and not check.healthy:
        announce(f"The vector index is broken ({check.detail}); rebuilding it from the cache without re-embedding.")
        wipe_local_index(settings)
        rebuild(settings, catalog)
    else:
        index = ChromaIndex(settings)
        wanted = {e.entry_id: e for e in entries}
        present = index.ids()
        extra, missing = present - wanted.keys(), [wanted[i] for i in wanted.keys() - present]
        if extra or missing:
            announce(f"The vector index was out of date ({len(missing)} missing, {len(extra)} stale); "
                     "repairing it from the cache.")
            index.delete(sorted(extra))
            _upsert(settings, catalog, index, missing)
        del index
    if expected and check is not None:
        after = check_in_child(settings)
        if not after.healthy or after.count != expected:
            announce("The vector index still disagrees with the catalog; rebuilding it from scratch.")
            wipe_local_index(settings)
            rebuild(settings, catalog)
    mark_trusted(settings, catalog)


def rebuild(settings: Settings, catalog: Catalog) -> int:
    """Recreate the index from the catalog and cached vectors. Returns the number of chunks."""
    index = ChromaIndex(settings)
    index.delete(sorted(index.ids()))
    chunks = catalog.chunks()
    _upsert(settings, catalog, index, index_entries(chunks))
    return len(chunks)


class KnowledgeBase:
    """Chunks and dense search for retrieval. Open it with `open_knowledge_base`."""

    def __init__(self, settings: Settings, catalog: Catalog, embedder: Embeddings | None = None) -> None:
        self.settings = settings
        self.catalog = catalog
        self._embedder = embedder

    @cached_property
    def index(self) -> ChromaIndex:
        return ChromaIndex(self.settings)

    @property
    def embedder(self) -> Embeddings:
        """The given embedder, else the configured one, loaded on first use."""
        if self._embedder is None:
            from agentnotes.index.embedders import get_embedder

            self._embedder = get_embedder(self.settings)
        return self._embedder

    @cached_property
    def _by_id(self) -> dict[str, Chunk]:
        return {c.chunk_id: c for c in self.chunks()}

    def chunks(self) -> list[Chunk]:
        return self.catalog.chunks()

    def release_index(self) -> None:
        """Drop the Chroma handle so it flushes (before the index files are fingerprinted)."""
        self.__dict__.pop("index", None)

    def dense_search(self, query: str, k: int, sources: Collection[str] | None = None) -> list[tuple[Chunk, float]]:
        """Chunks nearest to `query` by cosine similarity, best first; with `sources`, only chunks of those files."""
        hits = self.index.query(self.embedder.embed_query(query), k, sources)
        return [(self._by_id[i], score) for i, score in hits if i in self._by_id]


def _warn(message: str) -> None:
    import sys

    print(f"agentnotes: {message}", file=sys.stderr)


@contextmanager
def open_knowledge_base(settings: Settings, write: bool = False, announce: Announce = _warn,
                        embedder: Embeddings | None = None) -> Iterator[KnowledgeBase]:
    """The knowledge base under the store lock: exclusive for writers, shared for readers.
    `embedder` is reused when given (a long-running process loads it once).

    A reader that finds the index untrusted (an ingest died, files changed) repairs it first
    under the exclusive lock, then reads under the shared one.
    """
    settings.store_dir.mkdir(parents=True, exist_ok=True)
    wait_s = settings.lock_wait_s
    if not write:
        with store_lock(lock_path(settings), exclusive=False, wait_s=wait_s), Catalog(catalog_path(settings)) as catalog:
            trusted = _is_trusted(settings, catalog) or catalog.chunk_count() == 0
        if not trusted:
            with store_lock(lock_path(settings), exclusive=True, wait_s=wait_s), Catalog(catalog_path(settings)) as catalog:
                repair(settings, catalog, announce)
    with store_lock(lock_path(settings), exclusive=write, wait_s=wait_s), Catalog(catalog_path(settings)) as catalog:
        if write:
            repair(settings, catalog, announce)
        yield KnowledgeBase(settings, catalog, embedder)


@dataclass(frozen=True)
class StoreHealth:
    ok: bool
    detail: str
    fix: str = ""


def store_health(settings: Settings) -> StoreHealth:
    """For `agentnotes doctor`: chunk count, index health (checked in a child process)."""
    if not catalog_path(settings).exists():
        return StoreHealth(True, f"empty store at {settings.store_dir}", "run 'agentnotes ingest PATH'")
    with store_lock(lock_path(settings), exclusive=False), Catalog(catalog_path(settings)) as catalog:
        chunks = catalog.chunks()
        files = len(catalog.roots())
    if settings.chroma_url:
        return StoreHealth(True, f"{len(chunks)} chunks; Chroma server {settings.chroma_url}")
    expected = len(index_entries(chunks))
    check = check_in_child(settings)
    if check.healthy and check.count == expected:
        return StoreHealth(True, f"{len(chunks)} chunks ({expected} vectors with their lines) from {files} root(s); index healthy")
    return StoreHealth(False, f"catalog has {len(chunks)} chunks ({expected} vectors), index: {check.detail}, count {check.count}",
                       "run 'agentnotes ingest --rebuild' (rebuilds from the cache, no re-embedding)")
