"""`agentnotes doctor`."""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import asdict

import typer

from agentnotes.cli.output import console, print_json


def doctor(
    as_json: bool = typer.Option(False, "--json", help="Print the checks as JSON."),
    skip_llm: bool = typer.Option(False, "--skip-llm", help="Do not load the language model (faster)."),
) -> None:
    """Check embedder, LLM, store, sandbox and GPU: what works here and how to fix what doesn't."""
    from rich.table import Table

    from agentnotes.doctor import run_checks
    from agentnotes.settings import load_settings

    settings = load_settings()
    with console().status("Checking…", spinner="dots") if not as_json else nullcontext():
        checks = run_checks(settings, skip=frozenset({"llm"}) if skip_llm else frozenset())
    if as_json:
        print_json({"home": str(settings.home), "checks": [asdict(c) for c in checks]})
    else:
        table = Table(title=f"agentnotes doctor — home {settings.home}")
        for column in ("check", "status", "detail", "fix"):
            table.add_column(column, overflow="fold")
        for c in checks:
            table.add_row(c.name, "[green]ok[/]" if c.ok else "[red]FAIL[/]", c.detail, c.fix)
        console().print(table)
    if not all(c.ok for c in checks):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(doctor)
