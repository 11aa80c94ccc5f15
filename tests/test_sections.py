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


NOTE_WITH_PARTS = """# Weighted gradient echo

Keep a copy of the last gradient and add a share of it.

## Rule

    e = g + kappa*g_prev
    w = w - lr*e

## Setup

sklearn digits, MLP 64-128-10, 300 steps, kappa = 0.5

## Baseline

Plain SGD, same lr.

# Another idea

x = 2*x
"""


def test_the_idea_reads_every_subsection_of_the_heading_that_names_it() -> None:
    from agentnotes.experiments.guards.idea_sections import idea_headings, idea_passages, text_of
    from agentnotes.retrieval.sections import sections_under

    chunks = chunk_note(NoteFile("echo.md", NOTE_WITH_PARTS, "utf-8", "hash"))
    rule = next(c for c in chunks if c.heading_path[-1:] == ("Rule",))
    other = next(c for c in chunks if c.heading_path == ("Another idea",))
    found = whole_sections([Hit(rule, 2.0), Hit(other, 1.0)], chunks, k=2)
    request = "weighted gradient echo vs SGD"
    assert idea_headings(request, found) == {("echo.md", ("Weighted gradient echo",))}
    rest = sections_under(chunks, idea_headings(request, found), found)
    assert [h.chunk.heading_path[-1] for h in rest] == ["Weighted gradient echo", "Setup", "Baseline"]
    text = text_of(idea_passages(request, [*found, *rest]))
    assert "kappa = 0.5" in text and "Keep a copy" in text and "x = 2*x" not in text
    assert text.index("Keep a copy") < text.index("e = g + kappa") < text.index("kappa = 0.5")  # in line order
    assert sections_under(chunks, idea_headings(request, found), found, max_chars=len(rest[0].chunk.text)) == rest[:1]



def test_a_baseline_subsection_the_search_named_does_not_define_the_idea() -> None:
    from agentnotes.experiments.guards.idea_sections import idea_headings, kinds_in_sections, own_sections
    from agentnotes.retrieval.sections import sections_under

    chunks = chunk_note(NoteFile("echo.md", NOTE_WITH_PARTS, "utf-8", "hash"))
    baseline = next(c for c in chunks if c.heading_path[-1:] == ("Baseline",))
    found = whole_sections([Hit(baseline, 2.0)], chunks, k=1)
    request = "weighted gradient echo vs SGD"
    hits = [*found, *sections_under(chunks, idea_headings(request, found), found)]
    assert [h.chunk.heading_path[-1] for h in own_sections(request, hits)] == ["Weighted gradient echo", "Rule"]
    assert kinds_in_sections(request, hits) == ["update_rule"]


def test_a_long_line_cut_into_chunks_is_one_line_again_in_its_section() -> None:
    sentence = "This sentence is long enough to need its own piece of the line. "
    line = "Known problem: " + sentence * 6 + "So two variants:"
    text = f"# Idea\n\n{line}\n  (1) plain;\n  (2) L = a + b"
    chunks = chunk_note(NoteFile("n.md", text, "utf-8", "hash"))
    assert sum(c.start_line == c.end_line == 3 for c in chunks) > 1  # the line is cut into pieces
    (section,) = whole_sections([Hit(chunks[0], 1.0)], chunks, k=1, max_chars=10_000)
    assert section.chunk.text == text  # no blank line where the line was cut: its label keeps the lines below it


def test_the_piece_of_a_long_line_the_search_missed_is_read_with_the_idea() -> None:
    from agentnotes.experiments.guards.idea_sections import idea_headings, idea_passages, text_of
    from agentnotes.retrieval.sections import sections_under

    sentence = "This sentence is long enough to need its own piece of the line. "
    line = "Idea. Keep `d_j ← ρ d_j + (1−ρ)·off_j` and use `f_j(z) = max(z,0) + a_j·min(z,0)`. " + sentence * 6 + "Here d_0 = 0.5."
    text = f"# Dead-rate slope\n\nWhy: dead units get no gradient.\n\n{line}"
    chunks = chunk_note(NoteFile("n.md", text, "utf-8", "hash"))
    pieces = [c for c in chunks if c.start_line == c.end_line == 5]
    assert len(pieces) > 1 and "f_j(z)" in pieces[0].text and "f_j(z)" not in pieces[-1].text
    found = [Hit(chunks[0], 2.0), Hit(pieces[-1], 1.0)]  # the search found the line's last piece only
    request = "Dead-rate slope"
    rest = sections_under(chunks, idea_headings(request, found), found)
    assert "f_j(z) = max(z,0)" in text_of(idea_passages(request, [*found, *rest]))
