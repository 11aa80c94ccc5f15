"""Find note files and decode them: UTF-8, UTF-8 with BOM, GBK/GB18030, PDF text; skip what can't be read."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

from agentnotes.notes.obsidian import parse_vault_note
from agentnotes.notes.pdf import MAX_PDF_BYTES, read_pdf
from agentnotes.notes.types import NoteFile, Skipped

SUPPORTED_SUFFIXES = frozenset({".md", ".markdown", ".txt", ".text", ".rst", ".org", ".pdf"})
_MARKDOWN = frozenset({".md", ".markdown"})  # read as Obsidian vault notes (front matter, wikilinks)
MAX_BYTES = 5_000_000
_ENCODINGS = ("utf-8-sig", "gb18030")


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def discover(paths: Sequence[Path]) -> tuple[list[Path], list[Skipped]]:
    """Note files under `paths` (recursive, sorted) and the files skipped, with reasons."""
    found: list[Path] = []
    skipped: list[Skipped] = []
    for given in paths:
        root = Path(given).expanduser().resolve()
        if not root.exists():
            skipped.append(Skipped(str(root), "path does not exist", is_error=True))
            continue
        if root.is_file():
            if root.suffix.lower() in SUPPORTED_SUFFIXES:
                found.append(root)
            else:
                skipped.append(Skipped(str(root), f"unsupported file type '{root.suffix}'", is_error=True))
            continue
        for dirpath, dirnames, filenames in os.walk(root, onerror=lambda e: skipped.append(
                Skipped(str(e.filename), f"cannot list folder: {e.strerror}", is_error=True))):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                path = Path(dirpath) / name
                if _hidden(path, root):
                    continue
                if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                    skipped.append(Skipped(str(path), f"unsupported file type '{path.suffix or '(none)'}'"))
                elif path.is_file():
                    found.append(path)
    return sorted(set(found)), skipped


def decode(raw: bytes) -> tuple[str, str] | None:
    """(text, encoding) or None for binary data."""
    if b"\x00" in raw[:8192]:
        return None
    for encoding in _ENCODINGS:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-8-sig":
            encoding = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"
        return text.replace("\r\n", "\n").replace("\r", "\n"), encoding
    return None


def read_note(path: Path, max_bytes: int = MAX_BYTES) -> NoteFile | Skipped:
    """Read and decode one note file, or say why it was skipped."""
    suffix = path.suffix.lower()
    max_bytes = max(max_bytes, MAX_PDF_BYTES) if suffix == ".pdf" else max_bytes
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return Skipped(str(path), f"too large ({size / 1e6:.1f} MB > {max_bytes / 1e6:.1f} MB)", is_error=True)
        raw = path.read_bytes()
    except OSError as exc:
        return Skipped(str(path), f"cannot read: {exc.strerror or exc}", is_error=True)
    if suffix == ".pdf":
        return read_pdf(path, raw)
    decoded = decode(raw)
    if decoded is None:
        return Skipped(str(path), "binary or undecodable (not UTF-8 or GB18030 text)", is_error=True)
    text, encoding = decoded
    note = NoteFile(path=str(path), text=text, encoding=encoding, file_hash=hashlib.sha256(raw).hexdigest())
    return parse_vault_note(note) if suffix in _MARKDOWN else note
