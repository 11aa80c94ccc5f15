"""Structure-aware chunking that follows the notes' own structure.

Section boundaries: Markdown headings (`## Title`, or a title underlined with `===` or `---`), `【【【title】】】` markers, bold or plain date lines
(`**20240102**`, `2024.07.24`). Inside a section, blank lines and numbered list items start
new blocks; blocks are packed into chunks up to a size cap, and oversized blocks are split on
lines, then on sentence ends. Every chunk keeps exact 1-based line numbers and its heading path; a
PDF's pages are chunked one by one, so a chunk lies on one page and names it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agentnotes.notes.types import Chunk, NoteFile

MAX_CHARS = 300  # short enough that one vector stays specific (benchmarks/retrieval.py); e5 reads 512 tokens
MIN_CHARS = 100  # smaller neighbouring blocks in one section are packed together

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
# The line under a Setext heading's title: `=====` (level 1) or `-----` (level 2).
_SETEXT_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s")
_MARKER = re.compile(r"^\s*【【【(.+?)】】】\s*$")
_DATE = re.compile(r"^\s*(?:\*\*)?\s*(\d{4}[.\-/年]?\d{1,2}[.\-/月]?\d{1,2}日?)\s*(?:\*\*)?\s*(.*)$")
_BOLD_LINE = re.compile(r"^\s*\*\*(.{1,80}?)\*\*\s*$")
_NUMBERED = re.compile(r"^\s*(?:\d{1,3}[.、)）]|[（(]\d{1,3}[)）])\s*\S")
_WORD = re.compile(r"\w")
# A fenced code block's opening or closing line: its comments (`# the update`) are code, no headings.
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})[ \t]*(\w*)")


def fence_line(line: str) -> tuple[str, str] | None:
    """A code fence's marker (```) and the language it names ("" where none), or None for any other line."""
    found = _FENCE.match(line)
    return (found[1], found[2]) if found else None


def fence_after(line: str, fence: str) -> str:
    """The open code fence's marker after `line` ("" outside code), given the one before it: a fence opens a code
    block, and one of the same character, at least as long, closes it."""
    if not (found := fence_line(line)):
        return fence
    marker = found[0]
    return "" if fence and marker[0] == fence[0] and len(marker) >= len(fence) else fence or marker
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])|(?<=\.\s)")  # after the sentence's end, its space kept


@dataclass
class _Block:
    heading_path: tuple[str, ...]
    start: int  # 0-based line index
    lines: list[str]
    opens_section: bool = False  # the block starts with a heading line

    @property
    def end(self) -> int:
        return self.start + len(self.lines) - 1

    @property
    def text(self) -> str:
        """The block's lines, their indentation kept (a code block split between chunks stays code)."""
        return "\n".join(self.lines).rstrip()


def _heading(line: str, path: tuple[str, ...], levels: list[int]) -> tuple[tuple[str, ...], list[int]] | None:
    """The new heading path if `line` opens a section, else None. `levels` tracks Markdown depth."""
    if m := _MD_HEADING.match(line):
        level, title = len(m.group(1)), m.group(2).strip()
        keep = [i for i, lv in enumerate(levels) if 1 <= lv < level]  # a Markdown heading ends marker sections
        return path[: len(keep)] + (title,), [levels[i] for i in keep] + [level]
    if m := _MARKER.match(line):
        return (m.group(1).strip(),), [0]
    date = _DATE.match(line)
    if date and len(line.strip()) <= 60 and not _NUMBERED.match(line):
        return _under_headings(path, levels, (date.group(1) + " " + date.group(2)).strip())
    if m := _BOLD_LINE.match(line):
        return _under_headings(path, levels, m.group(1).strip())
    return None


def _under_headings(path: tuple[str, ...], levels: list[int], title: str) -> tuple[tuple[str, ...], list[int]]:
    """A date or bold line's section: under the markers and Markdown headings open at it (`# Idea` then
    `**How to test**`), in place of the date or bold line before it."""
    base = [i for i, lv in enumerate(levels) if lv < 7]
    return path[: len(base)] + (title,), [levels[i] for i in base] + [7]


def _setext_as_atx(lines: list[str], i: int) -> str | None:
    """Line `i` as an ATX heading (`## Motivation`) when the line under it underlines it as a Setext heading's title
    (`Motivation` over `----------`); None otherwise (a rule after a blank line, a list item, an ATX heading, the
    last line of front matter that opens with `---`)."""
    line = lines[i]
    if i + 1 >= len(lines) or not line.strip() or _LIST_ITEM.match(line) or _MD_HEADING.match(line) \
            or _SETEXT_UNDERLINE.match(line) or not (underline := _SETEXT_UNDERLINE.match(lines[i + 1])):
        return None
    if lines[0].strip() == "---" and all(above.strip() != "---" for above in lines[1:i + 1]):
        return None  # `author: …` closing front matter that was not read as such (a .txt note's)
    return f"{'#' if underline[1][0] == '=' else '##'} {line.strip()}"


def _blocks(lines: list[str]) -> list[_Block]:
    """Split into blocks at section boundaries, blank lines and numbered items; a fenced code block's lines open no
    section (a comment is no heading) and start no numbered item."""
    blocks: list[_Block] = []
    path: tuple[str, ...] = ()
    levels: list[int] = []
    current: _Block | None = None
    fence = ""  # the open code fence's marker, "" outside code
    for i, line in enumerate(lines):
        in_code, fence = bool(fence), fence_after(line, fence)
        if in_code:
            if line.strip():
                if current is None:
                    current = _Block(path, i, [])
                    blocks.append(current)
                current.lines.append(line)
            else:
                current = None
            continue
        opened = _heading(_setext_as_atx(lines, i) or line, path, levels)
        if opened:
            path, levels = opened
        starts_block = opened is not None or _NUMBERED.match(line) or (current is None and line.strip())
        if not line.strip():
            current = None
            continue
        if starts_block or current is None:
            current = _Block(path, i, [line], opens_section=opened is not None)
            blocks.append(current)
        else:
            current.lines.append(line)
    return blocks


def _split_long_line(line: str) -> list[str]:
    """Pieces of one overlong line, cut at sentence ends (hard cut as a last resort)."""
    pieces, piece = [], ""
    for sentence in filter(None, _SENTENCE_END.split(line)):
        if len(piece) + len(sentence) > MAX_CHARS and piece:
            pieces.append(piece)
            piece = ""
        piece += sentence
    pieces.append(piece)
    return [p[i : i + MAX_CHARS] for p in pieces for i in range(0, max(len(p), 1), MAX_CHARS)]


def _pack(blocks: list[_Block]) -> list[_Block]:
    """Merge small neighbours of one section; split blocks over the cap on line boundaries."""
    packed: list[_Block] = []
    for block in blocks:
        prev = packed[-1] if packed else None
        if prev and prev.opens_section and len(prev.lines) == 1 and block.heading_path[: len(prev.heading_path)] == prev.heading_path \
                and block.start - prev.end <= 3 and len(prev.text) + len(block.text) <= MAX_CHARS:
            prev.lines += [""] * (block.start - prev.end - 1) + block.lines  # a lone heading joins its section
            prev.heading_path = block.heading_path
            continue
        if (prev and prev.heading_path == block.heading_path and len(prev.text) < MIN_CHARS
                and len(prev.text) + len(block.text) <= MAX_CHARS):
            prev.lines += [""] * (block.start - prev.end - 1) + block.lines
            continue
        if len(block.text) <= MAX_CHARS:
            packed.append(block)
            continue
        part = _Block(block.heading_path, block.start, [])
        for offset, line in enumerate(block.lines):
            index = block.start + offset
            if len(line) > MAX_CHARS:
                if part.lines:
                    packed.append(part)
                packed += [_Block(block.heading_path, index, [p]) for p in _split_long_line(line)]
                part = _Block(block.heading_path, index + 1, [])
                continue
            if part.lines and len(part.text) + len(line) > MAX_CHARS:
                packed.append(part)
                part = _Block(block.heading_path, index, [])
            part.lines.append(line)
        if part.lines:
            packed.append(part)
    return packed


def _has_content(text: str) -> bool:
    """False for separators and stray symbols ('---', '***') that only add noise to search."""
    return len(_WORD.findall(text)) >= 3


def _pages(note: NoteFile, lines: int) -> list[tuple[int | None, int, int]]:
    """(page, first line, end line) of each page of a PDF; the whole note as one span otherwise."""
    if not note.page_starts:
        return [(None, 0, lines)]
    ends = [*note.page_starts[1:], lines]
    return [(n, start, end) for n, (start, end) in enumerate(zip(note.page_starts, ends), start=1)]


def chunk_note(note: NoteFile) -> list[Chunk]:
    """Chunks of one note, in file order, with 1-based inclusive line ranges; a PDF is chunked page by page."""
    lines = note.text.split("\n")
    return [
        Chunk(source=note.path, start_line=first + b.start + 1, end_line=first + b.end + 1, text=b.text,
              heading_path=b.heading_path, page=page, tags=note.tags, aliases=note.aliases)
        for page, first, end in _pages(note, len(lines))
        for b in _pack(_blocks(lines[first:end]))
        if _has_content(b.text)
    ]
