"""Short, general hints for common failures of generated code (agentnotes/prompt_files/failure_hints.toml)."""

from __future__ import annotations

import re
import tomllib
from functools import cache

from agentnotes.prompts import SHIPPED_DIR


@cache
def _hints() -> tuple[tuple[re.Pattern[str], str], ...]:
    data = tomllib.loads((SHIPPED_DIR / "failure_hints.toml").read_text(encoding="utf-8"))
    return tuple((re.compile(h["pattern"]), h["text"]) for h in data["hint"])


def hints_for(error_text: str) -> list[str]:
    """The hints whose pattern occurs in `error_text`, in file order."""
    return [text for pattern, text in _hints() if pattern.search(error_text)]
