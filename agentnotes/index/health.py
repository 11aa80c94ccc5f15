"""Index health, checked in a child process: a broken HNSW index can crash the process that reads it.

`python -m agentnotes.index.health` prints {"count": N, "probe": true} for the configured store.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from agentnotes.settings import Settings, load_settings

CHILD_TIMEOUT_S = 120


@dataclass(frozen=True)
class IndexCheck:
    healthy: bool
    count: int | None
    detail: str


def signature(folder: Path) -> str:
    """Names, sizes and mtimes of every file under `folder`: changes when anything touches the index."""
    digest = hashlib.sha1()
    if folder.exists():
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                st = path.stat()
                digest.update(f"{path.relative_to(folder)}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def check_in_child(settings: Settings) -> IndexCheck:
    """Open the index in a child process: count its vectors and run a probe query."""
    env = {**os.environ, "AGENTNOTES_HOME": str(settings.home)}
    try:
        proc = subprocess.run([sys.executable, "-m", "agentnotes.index.health"], env=env, capture_output=True,
                              text=True, timeout=CHILD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return IndexCheck(False, None, f"the index check hung for {CHILD_TIMEOUT_S}s")
    if proc.returncode < 0:
        return IndexCheck(False, None, f"reading the index crashed the process ({signal.Signals(-proc.returncode).name})")
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["unknown error"])[-1]
        return IndexCheck(False, None, f"reading the index failed: {last[:200]}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    return IndexCheck(bool(data["probe"]), int(data["count"]), "ok" if data["probe"] else "probe query failed")


def _probe() -> None:
    from agentnotes.index.chroma_index import ChromaIndex

    index = ChromaIndex(load_settings())
    count = index.count()
    probe = True
    if count:
        got = index.collection.get(limit=1, include=["embeddings"])
        vector = got["embeddings"][0]
        probe = bool(index.query(vector, 1))
    print(json.dumps({"count": count, "probe": probe}))


if __name__ == "__main__":
    _probe()
