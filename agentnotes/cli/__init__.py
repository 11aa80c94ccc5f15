"""The command line: thin. It parses arguments, calls the stages, prints, and is the only
place that turns errors into exit codes. Heavy libraries are imported inside commands."""

from __future__ import annotations

import sys

import typer

from agentnotes.cli import (
    ask_cmd, doctor, eval_answers_cmd, experiments, ingest_cmd, make_qa_cmd, optimize_cmd, prompts_cmd, sandbox_cmd,
    search_cmd, serve_cmd, chat_cmd,
)
from agentnotes.errors import AgentNotesError

app = typer.Typer(
    name="agentnotes",
    help="Turn research notes into a searchable knowledge base and into experiments that run.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

def _show_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"agentnotes {version('agentnotes')}")
        raise typer.Exit()


@app.callback()
def _options(
    show_version: bool = typer.Option(False, "--version", callback=_show_version, is_eager=True,
                                      help="Print the version and exit."),
) -> None:
    """Turn research notes into a searchable knowledge base and into experiments that run."""


for module in (ingest_cmd, search_cmd, make_qa_cmd, eval_answers_cmd, ask_cmd, experiments, sandbox_cmd, prompts_cmd,
               optimize_cmd, doctor, serve_cmd, chat_cmd):
    module.register(app)


def main() -> None:
    """Console entry point: runs the app and maps typed errors to exit codes."""
    try:
        app()
    except AgentNotesError as exc:
        from agentnotes.cli.output import err_console

        err_console().print(f"[bold red]{type(exc).__name__}[/]: {exc}")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        sys.exit(130)
