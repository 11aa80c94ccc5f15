"""Hits widened to their note sections, for the experiment agents (the shipped example notes, real chunker)."""

from __future__ import annotations

from pathlib import Path

from agentnotes.notes.chunker import chunk_note
from agentnotes.notes.reader import read_note
from agentnotes.notes.types import Hit, NoteFile
from agentnotes.retrieval.sections import whole_sections

DATA = Path(__file__).resolve().parent.parent / "data"


def test_a_hit_grows_to_its_section_and_hits_of_one_section_merge() -> None:
    chunks = [c for name in ("log-2024.txt", "ideas-layers.txt") for c in chunk_note(read_note(DATA / name))]
    mirror = [c for c in chunks if c.heading_path == ("镜像层 mirror layer",)]
    assert len(mirror) > 1  # the section is split into several chunks
    gates = next(c for c in chunks if "xor = -a*b" in c.text)
    hits = [Hit(mirror[-1], 3.0), Hit(mirror[0], 2.0), Hit(gates, 1.0)]
    first, second = whole_sections(hits, chunks, k=4)
    assert (first.chunk.start_line, first.chunk.end_line) == (mirror[0].start_line, mirror[-1].end_line)
    assert all(c.text in first.chunk.text for c in mirror) and first.score == 3.0
    assert second.chunk.heading_path == gates.heading_path and "xor = -a*b" in second.chunk.text
    assert [h.chunk.text for h in whole_sections(hits, chunks, k=1)] == [first.chunk.text]


def test_a_section_stops_growing_at_the_size_cap() -> None:
    chunks = [c for c in chunk_note(read_note(DATA / "ideas-layers.txt"))]
    mirror = [c for c in chunks if c.heading_path == ("镜像层 mirror layer",)]
    longest = max(mirror, key=lambda c: len(c.text))
    (only,) = whole_sections([Hit(longest, 1.0)], chunks, k=1, max_chars=len(longest.text))
    assert only.chunk == longest


def test_a_section_keeps_the_notes_line_breaks_between_its_chunks() -> None:
    text = "# Idea\n\nmotivation line one\nmotivation line two\n\n" + "\n".join(f"line {i} " + "x" * 60 for i in range(8))
    chunks = chunk_note(NoteFile("n.md", text, "utf-8", "hash"))
    assert len(chunks) > 2  # the long block is split at the size cap, on line boundaries
    (section,) = whole_sections([Hit(chunks[0], 1.0)], chunks, k=1, max_chars=10_000)
    assert section.chunk.text == text  # "Variant:" on one line keeps the lines below it, a blank line ends it
