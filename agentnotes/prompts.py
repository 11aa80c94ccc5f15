"""Prompts live as files in `agentnotes/prompt_files/` (package data), loaded by name, with their variables checked.

A prompt file is Markdown with two parts, separated by marker lines:

    <!-- system -->
    ...role, instructions, output format...
    <!-- user -->
    ...context and the {{question}}...

Variables are written `{{name}}`. A user's optimized version lives under
`$AGENTNOTES_HOME/prompts/NAME/vN.md`, with the active version number in
`$AGENTNOTES_HOME/prompts/NAME/active`; it overrides the shipped file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from agentnotes.errors import PromptError

SHIPPED_DIR = Path(__file__).resolve().parent / "prompt_files"
_VAR = re.compile(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}")
_PART = re.compile(r"^<!--\s*(system|user)\s*-->\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Prompt:
    """A named prompt template with a system and a user part."""

    name: str
    system: str
    user: str
    version: str = "shipped"

    @property
    def variables(self) -> frozenset[str]:
        return frozenset(_VAR.findall(self.system) + _VAR.findall(self.user))

    @property
    def text(self) -> str:
        """The prompt as a file holds it: both parts with their marker lines."""
        return f"<!-- system -->\n{self.system.strip()}\n<!-- user -->\n{self.user.strip()}\n"

    def render(self, **values: str) -> list[tuple[str, str]]:
        """Return [(role, content), ...]; every variable must be given, and no extra ones."""
        missing = self.variables - values.keys()
        extra = values.keys() - self.variables
        if missing or extra:
            raise PromptError(
                f"Prompt '{self.name}' ({self.version}): missing variables {sorted(missing)}, "
                f"unexpected {sorted(extra)}."
            )

        def fill(template: str) -> str:
            return _VAR.sub(lambda m: str(values[m.group(1)]), template).strip()

        messages = [("system", fill(self.system))] if self.system.strip() else []
        return messages + [("user", fill(self.user))]


def parse_prompt(name: str, text: str, version: str = "shipped") -> Prompt:
    parts = _PART.split(text)
    sections = dict(zip(parts[1::2], parts[2::2]))
    if "user" not in sections:
        raise PromptError(f"Prompt '{name}' ({version}) has no '<!-- user -->' part.")
    return Prompt(name=name, system=sections.get("system", ""), user=sections["user"], version=version)


def shipped_names() -> list[str]:
    return sorted(p.stem for p in SHIPPED_DIR.glob("*.md"))


def load_shipped(name: str) -> Prompt:
    path = SHIPPED_DIR / f"{name}.md"
    if not path.exists():
        raise PromptError(f"No prompt named '{name}'. Known prompts: {', '.join(shipped_names())}.")
    return parse_prompt(name, path.read_text(encoding="utf-8"))


def active_version(user_dir: Path, name: str) -> str:
    """The version named in `user_dir/NAME/active`, or "shipped"."""
    active = user_dir / name / "active"
    return active.read_text(encoding="utf-8").strip() if active.exists() else "shipped"


def load_prompt(name: str, user_dir: Path | None = None) -> Prompt:
    """Load the active version of a prompt: the user's chosen version, else the shipped file."""
    shipped = load_shipped(name)
    if user_dir is not None:
        version = active_version(user_dir, name)
        path = user_dir / name / f"{version}.md"
        if version != "shipped" and path.exists():
            prompt = parse_prompt(name, path.read_text(encoding="utf-8"), version=version)
            if prompt.variables != shipped.variables:
                raise PromptError(
                    f"Prompt '{name}' version {version} uses variables {sorted(prompt.variables)}, "
                    f"the shipped one {sorted(shipped.variables)}. Run 'agentnotes prompts use {name} shipped'."
                )
            return prompt
    return shipped
