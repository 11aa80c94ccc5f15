"""Shared helpers for the benchmarks: the real notes, a temporary home, printing."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
NOTES = SHARED / "notes"
QUESTIONS = [SHARED / "eval" / "retrieval_dev.jsonl", REPO / "benchmarks" / "retrieval_extra.jsonl"]
UNANSWERABLE = REPO / "benchmarks" / "unanswerable.jsonl"  # questions the notes do not answer (source null)


def require_notes() -> None:
    if not NOTES.is_dir():
        raise SystemExit(f"skipped: {NOTES} not found (the benchmark runs on the real notes)")


def temp_home(name: str) -> Path:
    """A fresh AGENTNOTES_HOME; the assembled model is shared through AGENTNOTES_MODELS_DIR."""
    home = Path(tempfile.mkdtemp(prefix=f"agentnotes-bench-{name}-"))
    os.environ["AGENTNOTES_HOME"] = str(home)
    os.environ.setdefault("AGENTNOTES_MODELS_DIR", str(Path.home() / ".cache" / "agentnotes-test-models"))
    return home


def row(*cells: object, widths: tuple[int, ...] = (34, 10, 10, 12)) -> str:
    return "".join(str(c).ljust(w) for c, w in zip(cells, widths))
