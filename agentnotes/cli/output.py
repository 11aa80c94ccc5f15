"""Shared console helpers for the CLI modules."""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path
from typing import Any

from rich.console import Console


@cache
def console() -> Console:
    return Console()


@cache
def err_console() -> Console:
    return Console(stderr=True)


def print_json(data: Any) -> None:
    """Write machine-readable output to stdout (UTF-8, no colour)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    sys.stdout.flush()


def print_error(error_type: str, message: str, as_json: bool, run_dir: Path | None = None) -> None:
    """A failure: under --json the error object {"error": {type, message, run_dir}} on stdout (run_dir
    only where there is one), else one red line on stderr."""
    if as_json:
        print_json({"error": {"type": error_type, "message": message, **({"run_dir": str(run_dir)} if run_dir else {})}})
        return
    from rich.markup import escape

    err_console().print(f"[bold red]{error_type}[/]: {escape(message)}")
    if run_dir and str(run_dir) not in message:
        err_console().print(f"[dim]Run directory: {escape(str(run_dir))}[/]")
