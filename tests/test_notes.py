"""Reading and chunking notes: encodings, structure, exact line numbers; secrets."""

from __future__ import annotations

from pathlib import Path

from agentnotes.index.entries import index_entries, line_pieces
from agentnotes.notes.chunker import MAX_CHARS, chunk_note
from agentnotes.notes.reader import decode, discover, read_note
from agentnotes.notes.secrets import find_secrets, mark_secret_chunks
from agentnotes.notes.types import NoteFile, Skipped

NOTE = """to do:

【【【镜像层】】】

镜像层：训练时用两份权重。
h = lr/2

**20240102**
1. 第一条：Gonnor 只归一化梯度。
2. 第二条：double ReLU。

# Reading
## Optimizers
Adam keeps running averages.
"""


def note(text: str, path: str = "/n/a.md") -> NoteFile:
    return NoteFile(path=path, text=text, encoding="utf-8", file_hash="x")


def test_chunks_follow_structure_with_exact_lines() -> None:
    chunks = chunk_note(note(NOTE))
    lines = NOTE.split("\n")
    for c in chunks:
        span = "\n".join(lines[c.start_line - 1 : c.end_line])
        assert c.text.splitlines()[0] in span and c.text.splitlines()[-1] in span
    by_heading = {c.heading_path: c for c in chunks}
    assert by_heading[("镜像层",)].start_line == 3
    assert ("Reading", "Optimizers") in by_heading
    assert any(c.heading_path[-1:] == ("20240102",) for c in chunks)


def test_setext_headings_open_sections_and_rules_and_lists_do_not() -> None:
    text = ("QuadLinear\n==========\n\nMotivation\n----------\nA plain linear layer models first-order terms.\n\n"
            "Forward\n-------\ny = W x + b + P[(U x) * (V x)]\n\n- a list item\n---\n\nText after a rule.\n")
    chunks = chunk_note(note(text))
    paths = {c.heading_path for c in chunks}
    assert ("QuadLinear", "Motivation") in paths and ("QuadLinear", "Forward") in paths
    assert not any("a list item" in part for path in paths for part in path)
    forward = next(c for c in chunks if c.heading_path == ("QuadLinear", "Forward"))
    assert "y = W x + b" in forward.text and forward.start_line == 8
    front_matter = "---\nlayout: post\nauthor: someone\n---\n\n# Title\nText under the title.\n"
    assert {c.heading_path for c in chunk_note(note(front_matter, "/n/a.txt"))} <= {(), ("Title",)}


def test_a_bold_line_opens_a_section_under_the_markdown_heading_it_follows() -> None:
    text = ("# Two-timescale momentum\n\nRule: m ← β·m + g\n\n**Small sketch**\n\nHow to test: digits, MLP.\n\n"
            "**Doubt**\n\nIt may only tune the rate.\n\n# Another idea\n\n**Setup**\n\nText.\n")
    paths = [c.heading_path for c in chunk_note(note(text))]
    assert ("Two-timescale momentum", "Small sketch") in paths and ("Two-timescale momentum", "Doubt") in paths
    assert ("Another idea", "Setup") in paths and ("Two-timescale momentum", "Small sketch", "Doubt") not in paths


def test_a_code_blocks_comments_open_no_section_and_its_numbered_lines_no_item() -> None:
    text = ("# Rank norm\n\n```python\n# each row mapped to its ranks\nclass RankNorm(nn.Module):\n"
            "    def forward(self, h):\n        # 1. soft ranks\n        r = torch.sigmoid(h).sum(1)\n\n"
            "# vs: LayerNorm\n        return r\n```\n\n## Setup\ndigits, 3 seeds\n")
    chunks = chunk_note(note(text))
    assert {c.heading_path for c in chunks} == {("Rank norm",), ("Rank norm", "Setup")}
    code = [c for c in chunks if c.heading_path == ("Rank norm",)]
    assert code[0].start_line == 1 and code[-1].end_line == 12 and "# vs: LayerNorm" in code[-1].text


def test_long_sections_are_split_under_the_cap() -> None:
    text = "【【【长】】】\n" + "\n".join(f"第{i}句话，内容比较长，需要被切开。" * 3 for i in range(60))
    chunks = chunk_note(note(text))
    assert len(chunks) > 3 and all(len(c.text) <= MAX_CHARS for c in chunks)
    assert chunks[0].start_line == 1 and chunks[-1].end_line == 61


def test_index_entries_are_each_chunk_and_the_lines_of_multi_line_chunks() -> None:
    chunks = chunk_note(note(NOTE))
    lines = NOTE.split("\n")
    by_heading = {c.heading_path: c for c in chunks}
    mirror = line_pieces(by_heading[("镜像层",)])  # the 【【【镜像层】】】 line only repeats the heading
    assert [(p.start_line, p.text) for p in mirror] == [(5, "镜像层：训练时用两份权重。"), (6, "h = lr/2")]
    assert line_pieces(by_heading[("Reading", "Optimizers")]) == []  # headings aside, one line: its chunk covers it
    entries = index_entries(chunks)
    assert [e.entry_id for e in entries if e.piece is e.chunk] == [c.chunk_id for c in chunks]
    for entry in entries:
        if entry.piece is not entry.chunk:
            piece = entry.piece
            assert piece.start_line == piece.end_line and lines[piece.start_line - 1].strip() == piece.text
            assert entry.chunk.start_line <= piece.start_line <= entry.chunk.end_line
            assert piece.heading_path == entry.chunk.heading_path and piece.text.strip("#*【】 ") not in piece.heading_path
    assert len({e.entry_id for e in entries}) == len(entries)


def test_chunk_ids_are_deterministic() -> None:
    assert [c.chunk_id for c in chunk_note(note(NOTE))] == [c.chunk_id for c in chunk_note(note(NOTE))]


def test_decoding_utf8_bom_and_gbk() -> None:
    assert decode("镜像".encode("utf-8")) == ("镜像", "utf-8")
    assert decode(b"\xef\xbb\xbf" + "镜像".encode("utf-8")) == ("镜像", "utf-8-sig")
    assert decode("镜像层的想法".encode("gbk")) == ("镜像层的想法", "gb18030")
    assert decode(b"\x00\x01binary") is None


def test_discover_skips_hidden_and_unsupported(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("x")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "b.md").write_text("x")
    (tmp_path / "c.docx").write_bytes(b"PK")
    files, skipped = discover([tmp_path, tmp_path / "missing"])
    assert files == [tmp_path / "a.md"]
    assert {Path(s.path).name: s.is_error for s in skipped} == {"c.docx": False, "missing": True}


def test_read_note_reports_binary_and_huge(tmp_path: Path) -> None:
    (tmp_path / "bin.txt").write_bytes(b"\x00" * 10)
    (tmp_path / "big.txt").write_text("a" * 100)
    assert isinstance(read_note(tmp_path / "bin.txt"), Skipped)
    assert "too large" in read_note(tmp_path / "big.txt", max_bytes=50).reason


def test_secrets_are_found_and_their_chunks_flagged() -> None:
    text = "# Keys\napi_key = sk-test-4f9a8b7c6d5e4f3a2b1c\n\n# Ideas\n镜像层\n密码：hunter2hunter\n"
    n = note(text)
    hits = find_secrets(n)
    assert [h.line for h in hits] == [2, 6]
    flagged = mark_secret_chunks(chunk_note(n), hits)
    assert all(c.secret == any(c.start_line <= h.line <= c.end_line for h in hits) for c in flagged)
    assert find_secrets(note("the password policy is documented elsewhere\nlr = 0.01")) == []
