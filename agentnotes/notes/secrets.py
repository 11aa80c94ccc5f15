"""Warn about likely secrets in notes (passwords, tokens, keys) so they are not sent to remote models."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from agentnotes.notes.types import Chunk, NoteFile, SecretHit

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("OpenAI-style API key", re.compile(r"\bsk-[A-Za-z0-9_\-]{16,}")),
    ("GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}")),
    ("AWS access key", re.compile(r"\bAKIA[0-9A-Z]{16}\b")),
    ("Slack token", re.compile(r"\bxox[baprs]-[A-Za-z0-9-]{10,}")),
    ("Hugging Face token", re.compile(r"\bhf_[A-Za-z0-9]{20,}")),
    ("private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("password or key assignment", re.compile(
        r"(?i)(?:password|passwd|pwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token|密码|口令|密钥)"
        r"\s*[:=：]\s*['\"]?[^\s'\"，,;；]{6,}")),
)


def find_secrets(note: NoteFile) -> list[SecretHit]:
    """Lines that look like they hold a secret, one hit per line."""
    hits = []
    for number, line in enumerate(note.text.split("\n"), start=1):
        for kind, pattern in _PATTERNS:
            if pattern.search(line):
                hits.append(SecretHit(note.path, number, kind))
                break
    return hits


def mark_secret_chunks(chunks: Sequence[Chunk], hits: Sequence[SecretHit]) -> list[Chunk]:
    """Flag chunks whose lines contain a hit."""
    lines = {h.line for h in hits}
    return [replace(c, secret=True) if any(c.start_line <= n <= c.end_line for n in lines) else c for c in chunks]
