"""The sqlite catalog: files, chunks and cached embeddings. The source of truth for the index."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agentnotes.errors import StoreError
from agentnotes.notes.types import Chunk

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, root TEXT NOT NULL, size INTEGER, mtime_ns INTEGER, file_hash TEXT, encoding TEXT);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, source TEXT NOT NULL, start_line INTEGER, end_line INTEGER,
    heading_path TEXT, text TEXT, content_hash TEXT, secret INTEGER, position INTEGER,
    page INTEGER, tags TEXT, aliases TEXT);
CREATE INDEX IF NOT EXISTS chunks_by_source ON chunks(source);
CREATE TABLE IF NOT EXISTS embeddings (
    embedder TEXT NOT NULL, content_hash TEXT NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (embedder, content_hash));
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""
_ADDED_CHUNK_COLUMNS = {"page": "INTEGER", "tags": "TEXT", "aliases": "TEXT"}  # catalogs written before them lack them


@dataclass(frozen=True)
class FileRecord:
    path: str
    root: str
    size: int
    mtime_ns: int
    file_hash: str
    encoding: str


class Catalog:
    """Thin access layer over the catalog database. Use as a context manager."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(path, timeout=30, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(_SCHEMA)
            self._add_columns()
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"The catalog {path} is unreadable ({exc}). Move it away and run 'agentnotes ingest PATH' again."
            ) from None

    def _add_columns(self) -> None:
        """Bring a catalog written before the page, tags and aliases columns up to date; its files are
        then read again by the next ingest (unchanged text keeps its cached embedding)."""
        have = {row[1] for row in self.db.execute("PRAGMA table_info(chunks)")}
        for column, kind in _ADDED_CHUNK_COLUMNS.items():
            if column in have:
                continue
            try:
                self.db.execute(f"ALTER TABLE chunks ADD COLUMN {column} {kind}")
            except sqlite3.OperationalError as exc:  # another process added it first
                if "duplicate column" not in str(exc):
                    raise
            self.db.execute("UPDATE files SET mtime_ns = -1, file_hash = ''")

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.db.close()

    # ---- meta ----
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str | None) -> None:
        if value is None:
            self.db.execute("DELETE FROM meta WHERE key=?", (key,))
        else:
            self.db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    # ---- files ----
    def file(self, path: str) -> FileRecord | None:
        row = self.db.execute("SELECT path, root, size, mtime_ns, file_hash, encoding FROM files WHERE path=?", (path,)).fetchone()
        return FileRecord(*row) if row else None

    def files_under(self, root: str) -> list[FileRecord]:
        rows = self.db.execute("SELECT path, root, size, mtime_ns, file_hash, encoding FROM files WHERE path=? OR path LIKE ?",
                               (root, root.rstrip("/") + "/%")).fetchall()
        return [FileRecord(*r) for r in rows]

    def roots(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT root FROM files ORDER BY root")]

    def replace_file(self, record: FileRecord, chunks: Sequence[Chunk]) -> list[str]:
        """Swap a file's chunks in one transaction; return the ids of the chunks it had before."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            old = [r[0] for r in self.db.execute("SELECT chunk_id FROM chunks WHERE source=?", (record.path,))]
            self.db.execute("DELETE FROM chunks WHERE source=?", (record.path,))
            self.db.executemany(
                "INSERT OR REPLACE INTO chunks (chunk_id, source, start_line, end_line, heading_path, text, content_hash,"
                " secret, position, page, tags, aliases) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [(c.chunk_id, c.source, c.start_line, c.end_line, json.dumps(list(c.heading_path), ensure_ascii=False),
                  c.text, c.content_hash, int(c.secret), i, c.page, json.dumps(list(c.tags), ensure_ascii=False),
                  json.dumps(list(c.aliases), ensure_ascii=False)) for i, c in enumerate(chunks)],
            )
            self.db.execute("INSERT OR REPLACE INTO files VALUES (?,?,?,?,?,?)",
                            (record.path, record.root, record.size, record.mtime_ns, record.file_hash, record.encoding))
        return old

    def touch_file(self, record: FileRecord) -> None:
        """Update size/mtime of a file whose content hash did not change."""
        self.db.execute("UPDATE files SET size=?, mtime_ns=? WHERE path=?", (record.size, record.mtime_ns, record.path))

    def remove_file(self, path: str) -> list[str]:
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            old = [r[0] for r in self.db.execute("SELECT chunk_id FROM chunks WHERE source=?", (path,))]
            self.db.execute("DELETE FROM chunks WHERE source=?", (path,))
            self.db.execute("DELETE FROM files WHERE path=?", (path,))
        return old

    # ---- chunks ----
    def chunks(self) -> list[Chunk]:
        rows = self.db.execute("SELECT source, start_line, end_line, text, heading_path, secret, page, tags, aliases"
                               " FROM chunks ORDER BY source, position")
        return [Chunk(s, a, b, t, tuple(json.loads(h or "[]")), bool(sec), page, tuple(json.loads(tags or "[]")),
                      tuple(json.loads(aliases or "[]"))) for s, a, b, t, h, sec, page, tags, aliases in rows]

    def chunk_count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]

    # ---- embeddings ----
    def cached_vectors(self, embedder: str, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(hashes))
        for i in range(0, len(unique), 500):
            part = unique[i : i + 500]
            marks = ",".join("?" * len(part))
            for h, blob in self.db.execute(
                f"SELECT content_hash, vector FROM embeddings WHERE embedder=? AND content_hash IN ({marks})", (embedder, *part)
            ):
                found[h] = np.frombuffer(blob, dtype=np.float32)
        return found

    def store_vectors(self, embedder: str, vectors: dict[str, Sequence[float]]) -> None:
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO embeddings VALUES (?,?,?)",
                [(embedder, h, np.asarray(v, dtype=np.float32).tobytes()) for h, v in vectors.items()],
            )
