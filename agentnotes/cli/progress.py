"""Progress displays shared by commands."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from agentnotes.cli.output import err_console


@contextmanager
def model_progress(quiet: bool = False) -> Iterator[Callable[[int, int], None]]:
    """A progress bar for assembling the embedded model on first use (silent otherwise)."""
    progress = Progress(
        TextColumn("Assembling the embedded model (first use)"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
        console=err_console(), transient=True, disable=quiet,
    )
    task = None

    def update(done: int, total: int) -> None:
        nonlocal task
        if task is None:
            progress.start()
            task = progress.add_task("model", total=total)
        progress.update(task, completed=done)

    try:
        yield update
    finally:
        progress.stop()
