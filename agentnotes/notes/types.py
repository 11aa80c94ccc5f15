"""Typed, frozen data objects passed between the notes and index stages."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cite_location(source: str, start_line: int, end_line: int, page: int | None) -> str:
    """Where a citation points: `paper.pdf p.3`, else `note.md:12-15`."""
    name = source.rsplit("/", 1)[-1]
    return f"{name} p.{page}" if page is not None else f"{name}:{start_line}-{end_line}"


@dataclass(frozen=True)
class Chunk:
    """A span of one note file. Lines are 1-based and inclusive (for a PDF: lines of its extracted text)."""

    source: str  # absolute path of the note file
    start_line: int
    end_line: int
    text: str
    heading_path: tuple[str, ...] = ()
    secret: bool = False  # contains a likely secret: never sent to a remote LLM unless allowed
    page: int | None = None  # 1-based page of a PDF
    tags: tuple[str, ...] = ()  # the note's tags (front matter and inline #tags)
    aliases: tuple[str, ...] = ()  # the note's other names (front matter)

    @property
    def content_hash(self) -> str:
        """Hash of what gets embedded: unchanged text never re-embeds."""
        return sha256_text(self.embed_text)

    @property
    def chunk_id(self) -> str:
        """Deterministic id: same file, lines and text give the same id."""
        key = f"{self.source}\0{self.start_line}\0{self.end_line}\0{self.content_hash}"
        return hashlib.sha1(key.encode("utf-8")).hexdigest()

    @property
    def location(self) -> str:
        return cite_location(self.source, self.start_line, self.end_line, self.page)

    @property
    def embed_text(self) -> str:
        """Text given to the embedder: the heading path as context, then the chunk."""
        if self.heading_path:
            return " > ".join(self.heading_path) + "\n" + self.text
        return self.text


@dataclass(frozen=True)
class NoteFile:
    """A decoded note file."""

    path: str  # absolute path
    text: str
    encoding: str
    file_hash: str  # sha256 of the raw bytes
    tags: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    page_starts: tuple[int, ...] = ()  # a PDF: the 0-based line of the text where each page starts


@dataclass(frozen=True)
class Skipped:
    """A file that was not ingested, and why."""

    path: str
    reason: str
    is_error: bool = False  # True: the user asked for it and it failed (affects exit code)


@dataclass(frozen=True)
class SecretHit:
    """A likely secret in a note."""

    path: str
    line: int
    kind: str


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its score and rank sources."""

    chunk: Chunk
    score: float
    ranks: dict[str, int] = field(default_factory=dict)

    def as_dict(self, rank: int) -> dict:
        """The JSON record of a search result at 1-based `rank`."""
        c = self.chunk
        return {"rank": rank, "score": round(self.score, 5), "source": c.source, "start_line": c.start_line,
                "end_line": c.end_line, "page": c.page, "location": c.location, "heading": list(c.heading_path),
                "tags": list(c.tags), "ranks": self.ranks, "text": c.text}
