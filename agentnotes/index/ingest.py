"""Incremental ingest: unchanged files cost nothing, changed files swap their chunks, deleted files
lose theirs, and embeddings are cached by content hash so nothing is embedded twice."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from agentnotes.errors import InputError, StoreError
from agentnotes.index.catalog import Catalog, FileRecord
from agentnotes.index.chroma_index import wipe_local_index
from agentnotes.index.entries import index_entries
from agentnotes.index.knowledge_base import DIRTY, Announce, _warn, mark_trusted, open_knowledge_base, rebuild
from agentnotes.notes.chunker import chunk_note
from agentnotes.notes.reader import discover, read_note
from agentnotes.notes.secrets import find_secrets, mark_secret_chunks
from agentnotes.notes.types import Chunk, SecretHit, Skipped
from agentnotes.settings import Settings

MIN_FREE_BYTES = 256 << 20
EMBED_BATCH = 16


class IngestProgress(Protocol):
    def files(self, total: int) -> None: ...
    def file_done(self, path: str) -> None: ...
    def embedded(self, count: int) -> None: ...


@dataclass
class IngestReport:
    """What an ingest did; `ok` is False when any requested file could not be ingested."""

    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    secrets: list[SecretHit] = field(default_factory=list)
    chunks_added: int = 0
    chunks_removed: int = 0
    chunks_total: int = 0
    embedded: int = 0
    cached: int = 0
    seconds: float = 0.0
    rebuilt: bool = False

    @property
    def ok(self) -> bool:
        return not any(s.is_error for s in self.skipped)


def _check_disk(settings: Settings) -> None:
    settings.store_dir.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(settings.store_dir).free
    if free < MIN_FREE_BYTES:
        raise StoreError(f"Only {free >> 20} MB free under {settings.store_dir}; ingest needs at least "
                         f"{MIN_FREE_BYTES >> 20} MB (a full disk breaks the index). Free some space and retry.")


class _Embedder:
    """Embeds pieces (chunks and their lines) missing from the cache, in batches, caching each batch at once."""

    def __init__(self, settings: Settings, catalog: Catalog, progress: IngestProgress | None, report: IngestReport):
        self.settings, self.catalog, self.progress, self.report = settings, catalog, progress, report
        self._model = None

    def vectors(self, pieces: Sequence[Chunk]) -> list:
        cached = self.catalog.cached_vectors(self.settings.embedder, (c.content_hash for c in pieces))
        missing = list({c.content_hash: c for c in pieces if c.content_hash not in cached}.values())
        self.report.cached += len(pieces) - len(missing)
        if missing and self._model is None:
            from agentnotes.index.embedders import get_embedder

            self._model = get_embedder(self.settings)
        for i in range(0, len(missing), EMBED_BATCH):
            part = missing[i : i + EMBED_BATCH]
            fresh = dict(zip((c.content_hash for c in part), self._model.embed_documents([c.embed_text for c in part])))
            self.catalog.store_vectors(self.settings.embedder, fresh)
            cached.update(fresh)
            self.report.embedded += len(part)
            if self.progress:
                self.progress.embedded(len(part))
        return [cached[c.content_hash] for c in pieces]


def ingest(settings: Settings, paths: Sequence[Path], *, rebuild_index: bool = False,
           progress: IngestProgress | None = None, announce: Announce = _warn) -> IngestReport:
    """Bring the store in line with the note files under `paths` (or the roots ingested before)."""
    start = time.perf_counter()
    report = IngestReport()
    _check_disk(settings)
    with open_knowledge_base(settings, write=True, announce=announce) as kb:
        catalog = kb.catalog
        roots = [Path(p).expanduser().resolve() for p in paths] or [Path(r) for r in catalog.roots()]
        if not roots and not rebuild_index:
            raise InputError("Nothing to ingest: give a folder or file, e.g. 'agentnotes ingest ~/notes'.")
        if rebuild_index:
            if not settings.chroma_url:
                wipe_local_index(settings)
            announce(f"Rebuilt the vector index from the cache: {rebuild(settings, catalog)} chunks, nothing re-embedded.")
            report.rebuilt = True
        files, report.skipped = discover(roots)
        if progress:
            progress.files(len(files))
        catalog.set_meta(DIRTY, "1")
        embedder = _Embedder(settings, catalog, progress, report)
        for path in files:
            _ingest_file(settings, kb, embedder, path, _root_of(path, roots), report)
            if progress:
                progress.file_done(str(path))
        for root in roots:
            for record in catalog.files_under(str(root)):
                if not os.path.exists(record.path):
                    old = catalog.remove_file(record.path)
                    kb.index.delete_chunks(old)
                    report.removed.append(record.path)
                    report.chunks_removed += len(old)
        report.chunks_total = catalog.chunk_count()
        kb.release_index()
        mark_trusted(settings, catalog)
    report.seconds = time.perf_counter() - start
    return report


def _root_of(path: Path, roots: Sequence[Path]) -> str:
    return str(next((r for r in roots if path == r or r in path.parents), path.parent))


def _ingest_file(settings: Settings, kb, embedder: _Embedder, path: Path, root: str, report: IngestReport) -> None:
    catalog = kb.catalog
    key = str(path)
    try:
        st = path.stat()
    except OSError as exc:
        report.skipped.append(Skipped(key, f"cannot read: {exc.strerror}", is_error=True))
        return
    known = catalog.file(key)
    if known and known.size == st.st_size and known.mtime_ns == st.st_mtime_ns:
        report.unchanged.append(key)
        return
    note = read_note(path)
    if isinstance(note, Skipped):
        report.skipped.append(note)
        return
    record = FileRecord(key, root, st.st_size, st.st_mtime_ns, note.file_hash, note.encoding)
    if known and known.file_hash == note.file_hash:
        catalog.touch_file(record)
        report.unchanged.append(key)
        return
    hits = find_secrets(note)
    report.secrets += hits
    chunks = mark_secret_chunks(chunk_note(note), hits)
    entries = index_entries(chunks)
    vectors = embedder.vectors([e.piece for e in entries])
    old_ids = catalog.replace_file(record, chunks)
    new_ids = {c.chunk_id for c in chunks}
    stale = [i for i in old_ids if i not in new_ids]
    kb.index.delete_chunks(stale)
    kb.index.upsert(entries, vectors)
    (report.changed if known else report.new).append(key)
    report.chunks_added += len(new_ids - set(old_ids))
    report.chunks_removed += len(stale)
