"""Hits widened to the note sections they come from.

Chunks are short so that search stays precise, but an idea is defined by its whole section: the
formula on one line, the "every N steps" on the next. The experiment agents read sections.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace

from agentnotes.notes.types import Chunk, Hit

MAX_SECTION_CHARS = 600  # small models get lost in long passages


def whole_sections(hits: Sequence[Hit], chunks: Sequence[Chunk], k: int, max_chars: int = MAX_SECTION_CHARS) -> list[Hit]:
    """The first k distinct sections of `hits`, best first. A hit's section is its chunk joined with
    the neighbouring chunks (`chunks` in file order) of the same file, heading path and page, as long as
    the text stays within `max_chars`; a hit inside a section already taken adds nothing."""
    position = {c.chunk_id: i for i, c in enumerate(chunks)}
    taken: list[tuple[str, int, int]] = []
    sections = []
    for hit in hits:
        i = position.get(hit.chunk.chunk_id)
        if i is None or any(src == hit.chunk.source and lo <= i <= hi for src, lo, hi in taken):
            continue
        lo, hi = _widen(chunks, i, max_chars)
        taken.append((hit.chunk.source, lo, hi))
        part = chunks[lo : hi + 1]
        section = replace(hit.chunk, start_line=part[0].start_line, end_line=part[-1].end_line,
                          text=_joined(part), secret=any(c.secret for c in part))
        sections.append(Hit(section, hit.score, hit.ranks))
        if len(sections) == k:
            break
    return sections


def in_section(chunk: Chunk, source: str, heading_path: Sequence[str]) -> bool:
    """The chunk lies in the note's section under `heading_path` (the section itself or one of its subsections)."""
    return chunk.source == source and tuple(chunk.heading_path[:len(heading_path)]) == tuple(heading_path)


def sections_under(chunks: Sequence[Chunk], headings: Collection[tuple[str, tuple[str, ...]]], found: Sequence[Hit],
                   max_chars: int = 2 * MAX_SECTION_CHARS) -> list[Hit]:
    """The sections of `chunks` (in file order) under `headings` ((note, heading path) pairs) whose text no hit of
    `found` holds, in line order while their text stays within max_chars: the "Setup" subsection of a note whose
    "Rule" the search found."""
    def held(chunk: Chunk) -> bool:  # a hit holds its text (a piece of a long line cut into several is not the line)
        return any(h.chunk.source == chunk.source and h.chunk.start_line <= chunk.start_line <= h.chunk.end_line
                   and chunk.text in h.chunk.text for h in found)

    missing = [c for c in chunks if any(in_section(c, source, path) for source, path in headings) and not held(c)]
    added, size = [], 0
    for section in sorted(whole_sections([Hit(c, 0.0) for c in missing], chunks, len(missing) + 1),
                          key=lambda h: (h.chunk.source, h.chunk.start_line)):
        size += len(section.chunk.text)
        if size > max_chars:
            break
        added.append(section)
    return added


def _joined(part: Sequence[Chunk]) -> str:
    """The chunks' texts as the note has them: lines that follow each other on one line after another, a blank
    line where the note has one (a label such as "Variant:" keeps the lines below it)."""
    text = part[0].text
    for before, chunk in zip(part, part[1:]):
        text += (separator if (separator := continuation(before, chunk)) is not None else "\n\n") + chunk.text
    return text


def continuation(before: Chunk, chunk: Chunk) -> str | None:
    """What joins `chunk` to `before` when it goes on where `before` ends: a line break for the next line, nothing or
    the space the sentence break took for the rest of one long line cut into pieces; None when it does not."""
    if chunk.start_line == before.end_line + 1:
        return "\n"
    if chunk.start_line == before.end_line and chunk.source == before.source:
        return " " if before.text.endswith((".", "!", "?", ";", ":", ",")) else ""
    return None


def _widen(chunks: Sequence[Chunk], i: int, max_chars: int) -> tuple[int, int]:
    """The widest run of chunks around chunks[i] in its file and section within max_chars, grown
    one neighbour at a time, the earlier one first (a section's opening lines name the idea)."""
    lo = hi = i
    size = len(chunks[i].text)

    def fits(j: int) -> bool:
        same = (chunks[j].source, chunks[j].heading_path, chunks[j].page) == (chunks[i].source, chunks[i].heading_path, chunks[i].page)
        return same and size + len(chunks[j].text) <= max_chars

    while True:
        if lo > 0 and fits(lo - 1):
            lo -= 1
            size += len(chunks[lo].text)
        elif hi + 1 < len(chunks) and fits(hi + 1):
            hi += 1
            size += len(chunks[hi].text)
        else:
            return lo, hi
