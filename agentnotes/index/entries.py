"""What the vector index holds for each chunk: the chunk itself and, when the chunk has several
lines, each line on its own. A chunk's vector blurs all of its lines together, so a question about
one item of a list can miss the chunk; the line's own vector finds it. Dense search keeps each
chunk's best entry (benchmarks/retrieval.py measures the gain).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from agentnotes.notes.types import Chunk

MIN_LINE_CHARS = 8  # shorter lines ("---", "1、", a bare date) say too little to search on
_HEADING_MARKS = "#*【】 \t"


@dataclass(frozen=True)
class IndexEntry:
    """One vector in the index: `piece` is what gets embedded, `chunk` the chunk it finds."""

    entry_id: str
    chunk: Chunk
    piece: Chunk


def line_pieces(chunk: Chunk) -> list[Chunk]:
    """The lines of a chunk as one-line chunks with the same heading path; none for a chunk of one
    line (its own vector covers it). A line that only repeats a heading is left out."""
    lines = []
    for offset, line in enumerate(chunk.text.split("\n")):
        text = line.strip()
        if len(text) >= MIN_LINE_CHARS and text.strip(_HEADING_MARKS) not in chunk.heading_path:
            lines.append(Chunk(chunk.source, chunk.start_line + offset, chunk.start_line + offset, text,
                               chunk.heading_path, chunk.secret))
    return lines if len(lines) > 1 else []


def index_entries(chunks: Iterable[Chunk]) -> list[IndexEntry]:
    """Every vector the index holds for `chunks`: each chunk, then its lines."""
    entries = []
    for chunk in chunks:
        entries.append(IndexEntry(chunk.chunk_id, chunk, chunk))
        entries += [IndexEntry(f"{chunk.chunk_id}:{line.start_line}", chunk, line) for line in line_pieces(chunk)]
    return entries
