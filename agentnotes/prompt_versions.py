"""Versions of a prompt kept by the user: $AGENTNOTES_HOME/prompts/NAME/vN.md, the `active` one,
and a score history (scores.jsonl). The shipped file is version "shipped" and always the fallback."""

from __future__ import annotations

import difflib
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

from agentnotes.errors import PromptError
from agentnotes.prompts import SHIPPED_DIR, active_version, load_shipped, parse_prompt

SHIPPED = "shipped"
_VERSION = re.compile(r"^v(\d+)$")


@dataclass(frozen=True)
class PromptVersions:
    """The versions of one prompt under a user prompts directory."""

    user_dir: Path
    name: str

    @property
    def folder(self) -> Path:
        return self.user_dir / self.name

    def versions(self) -> list[str]:
        load_shipped(self.name)  # an unknown name is an error, not an empty list
        found = [p.stem for p in self.folder.glob("v*.md") if _VERSION.match(p.stem)] if self.folder.is_dir() else []
        return [SHIPPED, *sorted(found, key=lambda v: int(v[1:]))]

    def text(self, version: str) -> str:
        if version == SHIPPED:
            return (SHIPPED_DIR / f"{self.name}.md").read_text(encoding="utf-8")
        path = self.folder / f"{version}.md"
        if not _VERSION.match(version) or not path.exists():
            raise PromptError(f"Prompt '{self.name}' has no version '{version}'. Versions: {', '.join(self.versions())}.")
        return path.read_text(encoding="utf-8")

    def active(self) -> str:
        version = active_version(self.user_dir, self.name)
        return version if version in self.versions() else SHIPPED

    def add(self, text: str) -> str:
        """Save `text` as the next version (not activated); it must keep the shipped prompt's variables."""
        shipped = load_shipped(self.name)
        candidate = parse_prompt(self.name, text, version="new")
        if candidate.variables != shipped.variables:
            raise PromptError(f"A version of '{self.name}' must use the variables {sorted(shipped.variables)}, "
                              f"not {sorted(candidate.variables)}.")
        numbers = [int(v[1:]) for v in self.versions() if v != SHIPPED]
        version = f"v{max(numbers, default=0) + 1}"
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / f"{version}.md").write_text(text, encoding="utf-8")
        return version

    def use(self, version: str) -> None:
        self.text(version)  # raises for an unknown version
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "active").write_text(version + "\n", encoding="utf-8")

    def diff(self, a: str, b: str) -> str:
        return "".join(difflib.unified_diff(self.text(a).splitlines(keepends=True), self.text(b).splitlines(keepends=True),
                                            fromfile=f"{self.name}@{a}", tofile=f"{self.name}@{b}"))

    def record_score(self, version: str, metric: str, split: str, score: float, n: int) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        entry = {"version": version, "metric": metric, "split": split, "score": round(score, 4), "n": n,
                 "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
        with (self.folder / "scores.jsonl").open("a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")

    def scores(self) -> list[dict]:
        path = self.folder / "scores.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
