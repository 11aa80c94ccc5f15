"""The command line: thin. It parses arguments, calls the stages, prints, and is the only
place that turns errors into exit codes. Heavy libraries are imported inside commands."""

from __future__ import annotations

import typer
from typer.core import TyperGroup

from agentnotes.cli import (
    ask_cmd, doctor, eval_answers_cmd, experiments, ingest_cmd, make_qa_cmd, optimize_cmd, prompts_cmd, sandbox_cmd,
    search_cmd, serve_cmd, chat_cmd, mcp_cmd,
)
from agentnotes.cli.output import print_error
from agentnotes.errors import AgentNotesError, Interrupted


class _Commands(TyperGroup):
    """Turns every failure of a command into its exit code and message, in one place: under
    --json as the error object on stdout (output.print_error), so scripts always get JSON."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        options = args[: args.index("--")] if "--" in args else args
        ctx.meta["json"] = "--json" in options  # every command's --json flag, read before it is parsed
        return super().parse_args(ctx, args)

    def invoke(self, ctx: typer.Context) -> object:
        as_json = ctx.meta.get("json", False)
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort):
            raise
        except KeyboardInterrupt:
            error: AgentNotesError = Interrupted("Stopped by Ctrl-C.")
        except AgentNotesError as exc:
            error = exc
        except typer.TyperException as exc:  # a usage error: click's own message unless --json
            if not as_json:
                raise
            print_error(type(exc).__name__, exc.format_message(), as_json)
            ctx.exit(exc.exit_code)
        except Exception as exc:  # a bug: the traceback stays on stderr, scripts still get JSON
            if as_json:
                print_error(type(exc).__name__, str(exc), as_json)
            raise
        print_error(type(error).__name__, str(error), as_json, error.run_dir)
        ctx.exit(error.exit_code)


app = typer.Typer(
    cls=_Commands,
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
               optimize_cmd, doctor, serve_cmd, chat_cmd, mcp_cmd):
    module.register(app)


def main() -> None:
    """Console entry point (errors become exit codes in _Commands)."""
    app()
