"""One writer at a time: an fcntl lock on the store, held for a whole command.

Writers (ingest) hold it exclusively; readers (search, ask) hold it shared, so they never
see a half-written index. The holder's pid is written into the lock file for the message.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agentnotes.errors import StoreLockedError


@contextmanager
def store_lock(path: Path, exclusive: bool, wait_s: float = 10.0) -> Iterator[None]:
    """Hold the lock at `path`; wait up to `wait_s`, then raise StoreLockedError naming the holder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
    deadline = time.monotonic() + wait_s
    try:
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
                    raise StoreLockedError(
                        f"The store is in use by another agentnotes process (pid {holder}). "
                        "Wait for it to finish and try again; for concurrent use, run a Chroma server "
                        "and set AGENTNOTES_CHROMA_URL."
                    ) from None
                time.sleep(0.1)
        if exclusive:
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
