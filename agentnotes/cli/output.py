"""Shared console helpers for the CLI modules."""

from __future__ import annotations

import json
import sys
from functools import cache
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
