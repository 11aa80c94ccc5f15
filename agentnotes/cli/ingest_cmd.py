"""`agentnotes ingest`: notes in, index up to date; a progress bar and a closing table."""

from __future__ import annotations

import json
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
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON (with --watch: one JSON line per batch)."),
    watch: bool = typer.Option(False, "--watch", help="Then keep watching: re-ingest a moment after each save (Ctrl-C stops)."),
) -> None:
    """Ingest notes (Markdown, text, PDF, Obsidian vaults) into the knowledge base. Incremental: unchanged files cost
    nothing."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from agentnotes.index.ingest import ingest as run_ingest
    from agentnotes.settings import load_settings

    settings = load_settings()
    announce = (lambda msg: err_console().print(f"[yellow]{msg}[/]"))
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err_console(), transient=True, disable=as_json) as progress:
        report = run_ingest(settings, paths or [], rebuild_index=rebuild, progress=_RichProgress(progress), announce=announce)
    if not watch:
        _require_notes(paths or [], report)
    if as_json and watch:
        print(json.dumps(_report_json(report), ensure_ascii=False), flush=True)
    elif as_json:
        print_json(_report_json(report))
    else:
        _print_summary(report)
    if watch:
        _watch(settings, paths or [], as_json, announce)
    elif not report.ok:
        raise typer.Exit(3)


def _report_json(report) -> dict:
    return {
        "ok": report.ok, "new": report.new, "changed": report.changed, "unchanged": len(report.unchanged),
        "removed": report.removed, "skipped": [{"path": s.path, "reason": s.reason, "error": s.is_error} for s in report.skipped],
        "secrets": [{"path": h.path, "line": h.line, "kind": h.kind} for h in report.secrets],
        "chunks": {"added": report.chunks_added, "removed": report.chunks_removed, "total": report.chunks_total},
        "embeddings": {"computed": report.embedded, "cached": report.cached}, "seconds": round(report.seconds, 2),
    }


def _watch(settings, paths: list[Path], as_json: bool, announce) -> None:
    """Watch until Ctrl-C; one line per changed file (a JSON line per batch with --json)."""
    from agentnotes.index.watch import stop_on_signals, watch, watched_roots

    roots = watched_roots(settings, paths)

    def on_batch(report, touched: frozenset[str]) -> None:
        if as_json:
            print(json.dumps({**_report_json(report), "events": sorted(touched)}, ensure_ascii=False), flush=True)
        else:
            _print_batch(report, touched, roots)

    err_console().print(f"Watching {', '.join(map(str, roots))} for changes (Ctrl-C stops).")
    with stop_on_signals() as stop:
        watch(settings, roots, on_batch, stop, announce=announce)
    err_console().print("Stopped watching.")


def _print_batch(report, touched: frozenset[str], roots: list[Path]) -> None:
    """One line per file the batch added, changed, removed or could not read; its counts on the line
    when there is one, else on a line of their own."""
    import time

    from rich.markup import escape

    def shown(path: str) -> str:
        root = next((r for r in roots if r.is_dir() and r in Path(path).parents), None)
        return escape(str(Path(path).relative_to(root)) if root else path)

    lines = [f"{kind} {shown(path)}" for kind, paths in (("new", report.new), ("changed", report.changed),
                                                          ("removed", report.removed)) for path in paths]
    lines += [f"[{'red' if s.is_error else 'dim'}]skipped {shown(s.path)}: {escape(s.reason)}[/]"
              for s in report.skipped if s.path in touched]
    counts = (f"+{report.chunks_added}/-{report.chunks_removed} chunks, {report.embedded} embedded, "
              f"{report.seconds:.1f}s")
    stamp = time.strftime("%H:%M:%S")
    for line in lines:
        console().print(f"{stamp} {line}" + (f"  [dim]({counts})[/]" if len(lines) == 1 else ""), highlight=False)
    if len(lines) > 1:
        console().print(f"[dim]{stamp} {counts}[/]", highlight=False)


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
