"""PDF notes: the text of each page (pypdf), kept page by page so that a citation can name the page."""

from __future__ import annotations

import hashlib
from pathlib import Path

from agentnotes.notes.types import NoteFile, Skipped

MAX_PDF_BYTES = 50_000_000  # papers with figures are larger than text notes


def read_pdf(path: Path, raw: bytes) -> NoteFile | Skipped:
    """The PDF's text with the line where each page starts, or why it was skipped."""
    import logging
    from io import BytesIO

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # a damaged but readable file is not worth a warning per object
    try:
        reader = PdfReader(BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            return Skipped(str(path), "encrypted PDF (needs a password): save an unprotected copy", is_error=True)
        pages = [page.extract_text() or "" for page in reader.pages]
    except Exception as exc:  # pypdf raises many kinds of errors on damaged files
        return Skipped(str(path), f"cannot parse PDF ({type(exc).__name__}: {str(exc)[:120]})", is_error=True)
    if not any(page.strip() for page in pages):
        return Skipped(str(path), "PDF without a text layer (scanned pages need OCR first)")
    lines: list[str] = []
    starts = []
    for text in pages:
        starts.append(len(lines))
        lines += text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").split("\n")
    return NoteFile(path=str(path), text="\n".join(lines), encoding="pdf",
                    file_hash=hashlib.sha256(raw).hexdigest(), page_starts=tuple(starts))
