"""Live notes: watch folders and re-ingest them a moment after the last save (`agentnotes ingest --watch`).

Each batch of file events runs the normal incremental ingest of the watched roots under the store's
lock, so only a file whose content changed is re-chunked and only text not seen before is embedded;
a deleted or renamed file loses its old chunks as in any ingest (a renamed file's text comes from the
embedding cache). Between batches no lock is held and no Chroma client stays open, since another
process may write the index meanwhile.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from agentnotes.errors import InputError, StoreLockedError
from agentnotes.index.chroma_index import drop_cached_clients
from agentnotes.index.ingest import IngestReport, ingest
from agentnotes.index.knowledge_base import Announce, _warn
from agentnotes.settings import Settings

QUIET_S = 1.0  # re-ingest once no watched file has changed for this long
MAX_DELAY_S = 10.0  # ... or this long after a batch's first change, even while files keep changing
RETRY_S = 2.0  # how often a batch that found the store busy is tried again

OnBatch = Callable[[IngestReport, frozenset[str]], None]


def watched_roots(settings: Settings, paths: Sequence[Path]) -> list[Path]:
    """The folders or files to watch: `paths`, or the roots ingested before."""
    from agentnotes.index.knowledge_base import open_knowledge_base

    if paths:
        roots = [Path(p).expanduser().resolve() for p in paths]
    else:
        with open_knowledge_base(settings) as kb:
            roots = [Path(r) for r in kb.catalog.roots()]
    if not roots:
        raise InputError("Nothing to watch: give a folder, e.g. 'agentnotes ingest ~/notes --watch'.")
    for root in roots:
        if not root.exists():
            raise InputError(f"Cannot watch {root}: it does not exist. Give an existing folder or file.")
    return roots


def _note_filter(roots: Sequence[Path], store_dir: Path):
    """Events of non-hidden paths under the roots (as `ingest` finds notes), never of the store itself."""
    from watchfiles import DefaultFilter

    store = store_dir.resolve()

    class NoteFilter(DefaultFilter):
        def __call__(self, change, path: str) -> bool:
            p = Path(path)
            if not super().__call__(change, path) or p == store or store in p.parents:
                return False
            return any(p == root or (root in p.parents and not any(part.startswith(".") for part in p.relative_to(root).parts))
                       for root in roots)

    return NoteFilter()


def watch(settings: Settings, roots: Sequence[Path], on_batch: OnBatch, stop: threading.Event,
          announce: Announce = _warn, quiet_s: float = QUIET_S) -> None:
    """Re-ingest `roots` after each burst of changes until `stop` is set. `on_batch` gets the ingest's
    report and the paths whose events started it. A busy store is waited for, then retried."""
    import watchfiles

    targets = sorted({root if root.is_dir() else root.parent for root in roots})
    pending: set[str] = set()
    for events in watchfiles.watch(*targets, watch_filter=_note_filter(roots, settings.store_dir),
                                   step=int(quiet_s * 1000), debounce=int(MAX_DELAY_S * 1000),
                                   rust_timeout=int(RETRY_S * 1000), yield_on_timeout=True,
                                   stop_event=stop, raise_interrupt=False):
        pending |= {path for _change, path in events}
        if not pending or stop.is_set():
            continue
        try:
            report = ingest(settings, roots, announce=announce)
        except StoreLockedError as exc:
            announce(f"{exc} Retrying every {RETRY_S:.0f} s.")
            continue
        finally:
            if not settings.chroma_url:
                drop_cached_clients()  # the next batch reads the index from disk
        on_batch(report, frozenset(pending))
        pending.clear()


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An event the first Ctrl-C (or SIGTERM) sets, so the batch under way finishes; a second Ctrl-C
    interrupts at once."""
    stop = threading.Event()

    def handle(_signum: int, _frame: object) -> None:
        stop.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
