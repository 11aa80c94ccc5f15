"""`agentnotes mcp`: the notes as an MCP server over stdio, for editors and agents."""

from __future__ import annotations

import typer


def mcp(
    allow_secrets: bool = typer.Option(
        False, "--allow-secrets", help="Return chunks flagged as secrets to the client (withheld by default)."
    ),
) -> None:
    """Serve the notes to an editor or agent over MCP (stdio): search, ask, read_note, list_experiments, show_experiment.

    The MCP client starts this command itself: configure it as `agentnotes mcp` (see docs/mcp.md).
    """
    from agentnotes.mcp_server import serve
    from agentnotes.settings import load_settings

    serve(load_settings(), allow_secrets=allow_secrets)


def register(app: typer.Typer) -> None:
    app.command("mcp")(mcp)
