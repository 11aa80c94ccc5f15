"""`agentnotes ingest`: notes in, index up to date; a progress bar and a closing table."""

from __future__ import annotations

from pathlib import Path

import typer

from agentnotes.cli.output import console, err_console, print_json


class _RichProgress:
    """Files and embedded pieces (chunks and their lines) as two progress bars."""

    def __init__(self, progress) -> None:
        self.progress = progress
        self.files_task = progress.add_task("files", total=None)
        self.embed_task = progress.add_task("embedding chunks and lines", total=None)

    def files(self, total: int) -> None:
        self.progress.update(self.files_task, total=total)

    def file_done(self, path: str) -> None:
        self.progress.update(self.files_task, advance=1, description=f"files ({Path(path).name[:30]})")

    def embedded(self, count: int) -> None:
        self.progress.update(self.embed_task, advance=count)


def ingest(
    paths: list[Path] = typer.Argument(None, help="Folders or files of notes. Default: the folders ingested before."),
    rebuild: bool = typer.Option(False, "--rebuild", help="Rebuild the vector index from the cache (no re-embedding)."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Ingest notes (Markdown, text) into the knowledge base. Incremental: unchanged files cost nothing."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from agentnotes.index.ingest import ingest as run_ingest
    from agentnotes.settings import load_settings

    settings = load_settings()
    announce = (lambda msg: err_console().print(f"[yellow]{msg}[/]"))
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err_console(), transient=True, disable=as_json) as progress:
        report = run_ingest(settings, paths or [], rebuild_index=rebuild, progress=_RichProgress(progress), announce=announce)
    _require_notes(paths or [], report)
    if as_json:
        print_json({
            "ok": report.ok, "new": report.new, "changed": report.changed, "unchanged": len(report.unchanged),
            "removed": report.removed, "skipped": [{"path": s.path, "reason": s.reason, "error": s.is_error} for s in report.skipped],
            "secrets": [{"path": h.path, "line": h.line, "kind": h.kind} for h in report.secrets],
            "chunks": {"added": report.chunks_added, "removed": report.chunks_removed, "total": report.chunks_total},
            "embeddings": {"computed": report.embedded, "cached": report.cached}, "seconds": round(report.seconds, 2),
        })
    else:
        _print_summary(report)
    if not report.ok:
        raise typer.Exit(3)


def _require_notes(paths: list[Path], report) -> None:
    """An ingest that found no note file at all is an error that says what counts as a note."""
    from agentnotes.errors import InputError
    from agentnotes.notes.reader import SUPPORTED_SUFFIXES

    if not report.ok or report.new or report.changed or report.unchanged or report.removed:
        return
    where = ", ".join(map(str, paths)) or "the folders ingested before"
    others = f" ({len(report.skipped)} other file(s) skipped)" if report.skipped else ""
    raise InputError(f"No notes found in {where}{others}: notes are files ending in {', '.join(sorted(SUPPORTED_SUFFIXES))}. "
                     "Give the folder that holds your notes, e.g. 'agentnotes ingest ~/notes'.")


def _print_summary(report) -> None:
    from rich.table import Table

    for s in report.skipped:
        style = "red" if s.is_error else "dim"
        err_console().print(f"[{style}]skipped {s.path}: {s.reason}[/]")
    for h in report.secrets:
        err_console().print(f"[yellow]possible secret ({h.kind}) at {h.path}:{h.line}[/]")
    table = Table(title="ingest")
    for column in ("new", "changed", "unchanged", "removed", "skipped", "chunks +/-", "chunks total", "embedded/cached", "time"):
        table.add_column(column, justify="right")
    table.add_row(str(len(report.new)), str(len(report.changed)), str(len(report.unchanged)), str(len(report.removed)),
                  str(len(report.skipped)), f"+{report.chunks_added}/-{report.chunks_removed}", str(report.chunks_total),
                  f"{report.embedded}/{report.cached}", f"{report.seconds:.1f}s")
    console().print(table)
    if not report.ok:
        err_console().print("[red]Some files could not be ingested (see above); everything else was.[/]")


def register(app: typer.Typer) -> None:
    app.command()(ingest)
