"""Live notes: seconds from saving an edit to finding it with a search, under `agentnotes ingest --watch`,
and how many vectors each edit re-embeds (only the edited file's new text should be). Baseline in the
same run: saving, then running `agentnotes ingest` by hand.

A watcher subprocess watches a copy of the two smallest real notes (a first ingest of all five takes
minutes on 2 cores and does not change what one edit costs); this process appends a new passage to one note,
then searches for it (hybrid search, no LLM rewrite, index re-read from disk each time) until it is found.
Target: searchable within 5 s of saving.

Run: python benchmarks/watch_latency.py
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import NOTES, require_notes, temp_home

EDITS = 5
FILES = 2
TIMEOUT_S = 60
PASSAGE = "\n\n【【【新想法 {n}】】】\nWombat-{n} 调度：每 {steps} 步把两份权重的差异记录下来，再决定是否合并。\n"


def found(settings, query: str, marker: str) -> bool:
    from chromadb.api.client import SharedSystemClient

    from agentnotes.retrieval.service import retrieve

    from agentnotes.errors import StoreLockedError

    SharedSystemClient.clear_system_cache()  # read the index the watcher wrote, not this process's cached copy
    try:
        return any(marker in hit.chunk.text for hit in retrieve(settings, query, 5, rewrite=False))
    except StoreLockedError:  # the watcher is writing: not searchable yet
        return False


def save_to_found(settings, path: Path, n: int) -> float:
    """Append passage n to `path`; seconds until a search finds it."""
    marker = f"Wombat-{n}"
    with path.open("a", encoding="utf-8") as f:
        f.write(PASSAGE.format(n=n, steps=10 * n + 7))
    saved = time.perf_counter()
    while not found(settings, f"{marker} 调度 权重差异", marker):
        if time.perf_counter() - saved > TIMEOUT_S:
            raise SystemExit(f"{marker} not searchable within {TIMEOUT_S}s")
        time.sleep(0.05)
    return time.perf_counter() - saved


def main() -> None:
    require_notes()
    home = temp_home("watch")
    notes = home / "notes"
    notes.mkdir()
    for path in sorted(NOTES.iterdir(), key=lambda p: p.stat().st_size)[:FILES]:
        shutil.copyfile(path, notes / path.name)  # writable copies: the benchmark edits them
    from agentnotes.index.ingest import ingest
    from agentnotes.index.knowledge_base import open_knowledge_base
    from agentnotes.settings import load_settings

    settings = load_settings()
    ingest(settings, [notes])
    files = sorted(notes.iterdir())

    start = time.perf_counter()  # baseline: save, then a plain ingest command
    with files[0].open("a", encoding="utf-8") as f:
        f.write(PASSAGE.format(n=0, steps=7))
    subprocess.run([sys.executable, "-m", "agentnotes", "ingest", str(notes), "--json"], check=True, capture_output=True)
    assert found(settings, "Wombat-0 调度 权重差异", "Wombat-0")
    baseline_s = time.perf_counter() - start

    watcher = subprocess.Popen([sys.executable, "-m", "agentnotes", "ingest", str(notes), "--watch", "--json"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        json.loads(watcher.stdout.readline())  # the initial ingest: nothing changed
        time.sleep(2)  # the watch has started
        rows = []
        for n in range(1, EDITS + 1):
            path = files[n % len(files)]
            seconds = save_to_found(settings, path, n)
            batch = json.loads(watcher.stdout.readline())
            with open_knowledge_base(settings) as kb:
                from agentnotes.index.entries import index_entries

                chunks = kb.chunks()
                file_vectors = len(index_entries(c for c in chunks if c.source == str(path)))
                all_vectors = len(index_entries(chunks))
            rows.append((path.name, seconds, batch["seconds"], batch["changed"], batch["embeddings"]["computed"],
                         file_vectors, all_vectors))
    finally:
        watcher.terminate()
        watcher.wait(timeout=30)

    print(f"{'edited file':28} {'save->found':>11} {'ingest':>7} {'embedded':>9} {'file vectors':>13} {'all vectors':>12}")
    for name, seconds, ingest_s, changed, embedded, file_vectors, all_vectors in rows:
        only = "" if changed == [str(notes / name)] else f"  (also changed: {changed})"
        print(f"{name:28} {seconds:10.2f}s {ingest_s:6.2f}s {embedded:9d} {file_vectors:13d} {all_vectors:12d}{only}")
    latencies = [r[1] for r in rows]
    print(f"watch: save -> searchable median {statistics.median(latencies):.2f}s, max {max(latencies):.2f}s "
          f"(target <= 5 s); only the edited file changed in {sum(r[3] == [str(notes / r[0])] for r in rows)}/{len(rows)} edits")
    print(f"baseline: save, then 'agentnotes ingest' by hand -> searchable in {baseline_s:.2f}s")


if __name__ == "__main__":
    main()
