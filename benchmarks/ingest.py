"""Ingest speed on the real notes: first ingest, unchanged re-ingest, one edited file, and what the
line vectors cost (a first ingest with chunk vectors only, in the same run).

Run: python benchmarks/ingest.py
"""

from __future__ import annotations

import shutil
import time
from unittest import mock

from _common import NOTES, require_notes, temp_home


def main() -> None:
    require_notes()
    home = temp_home("ingest")
    notes = home / "notes"
    shutil.copytree(NOTES, notes)
    from agentnotes.index.ingest import ingest
    from agentnotes.settings import load_settings

    settings = load_settings()
    start = time.perf_counter()
    first = ingest(settings, [notes])
    first_s = time.perf_counter() - start
    print(f"first ingest: {len(first.new)} files, {first.chunks_total} chunks in {first_s:.1f}s "
          f"({first.chunks_total / first_s:.1f} chunks/s; {first.embedded} vectors embedded: the chunks and their lines)")
    start = time.perf_counter()
    again = ingest(settings, [notes])
    again_s = time.perf_counter() - start
    print(f"unchanged re-ingest: {again_s:.3f}s = {100 * again_s / first_s:.2f}% of the first (target < 5%), "
          f"{again.embedded} embedded")
    edited = sorted(notes.iterdir())[1]
    edited.write_text(edited.read_text(encoding="utf-8") + "\n\n【【【新增】】】\n新加的一段笔记，用来测试增量更新。\n", encoding="utf-8")
    start = time.perf_counter()
    one = ingest(settings, [notes])
    one_s = time.perf_counter() - start
    print(f"one file edited: {one.embedded} vectors embedded (chunks and lines), {one.cached} from cache, {one_s:.2f}s "
          f"({100 * one_s / first_s:.1f}% of the first)")
    temp_home("ingest-no-lines")
    with mock.patch("agentnotes.index.entries.line_pieces", lambda chunk: []):
        start = time.perf_counter()
        chunks_only = ingest(load_settings(), [notes])
        chunks_only_s = time.perf_counter() - start
    print(f"first ingest with chunk vectors only: {chunks_only.embedded} vectors in {chunks_only_s:.1f}s; "
          f"with line vectors {first_s / chunks_only_s:.2f}x the time")


if __name__ == "__main__":
    main()
