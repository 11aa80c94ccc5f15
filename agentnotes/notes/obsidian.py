"""Obsidian vault notes (Markdown): YAML front matter is metadata, not text; `[[wikilinks]]` read as their
link text; inline `#tags` join the note's tags.

Front matter lines become blank lines, so every line of the text keeps its line number in the file.
"""

from __future__ import annotations

import re
from dataclasses import replace

from agentnotes.notes.chunker import fence_after
from agentnotes.notes.types import NoteFile

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)^(?:---|\.\.\.)[ \t]*$", re.S | re.M)
_WIKILINK = re.compile(r"!?\[\[([^\[\]|\n]*)(?:\|([^\[\]\n]*))?\]\]")
_INLINE_TAG = re.compile(r"(?<![\w#&/])#([\w/-]*[^\W\d][\w/-]*)")  # Obsidian: at least one non-digit


def _strings(value: object) -> list[str]:
    """A front matter value as strings: a list, or one string split on commas (and spaces, for tags)."""
    if value is None or isinstance(value, dict):
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if v is not None and not isinstance(v, (dict, list))]
    return [str(value).strip()]


def _front_matter(text: str) -> tuple[dict, str]:
    """(front matter, text with its lines blanked); ({}, text) when there is none or it is not a YAML mapping."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    import yaml

    try:
        data = yaml.safe_load(match.group(1) or "")
    except yaml.YAMLError:
        return {}, text
    if not isinstance(data, dict):
        return {}, text
    return data, "\n" * match.group(0).count("\n") + text[match.end():]


def _link_text(match: re.Match[str]) -> str:
    """`[[target|alias]]` -> alias; `[[note#heading]]` -> `note > heading`; `[[note^block]]` -> note."""
    target, alias = match.group(1), match.group(2)
    if alias and alias.strip():
        return alias.strip()
    parts = [p.strip() for p in target.split("^", 1)[0].split("#") if p.strip()]
    return " > ".join(parts)


def _inline_tags(text: str) -> list[str]:
    """`#tags` in the text outside fenced code."""
    tags, fence = [], ""
    for line in text.split("\n"):
        in_code, fence = bool(fence), fence_after(line, fence)
        if not in_code and not fence:
            tags += _INLINE_TAG.findall(line)
    return tags


def _tags(values: list[str]) -> tuple[str, ...]:
    """Tags without '#', split on commas and spaces, first spelling kept, case-insensitively unique."""
    seen: dict[str, str] = {}
    for value in values:
        for tag in re.split(r"[,\s]+", value):
            tag = tag.strip().lstrip("#")
            if tag:
                seen.setdefault(tag.casefold(), tag)
    return tuple(seen.values())


def parse_vault_note(note: NoteFile) -> NoteFile:
    """The note with front matter read into tags and aliases and left out of its text, wikilinks as link text."""
    data, text = _front_matter(note.text)
    text = _WIKILINK.sub(_link_text, text)
    tags = _tags(_strings(data.get("tags", data.get("tag"))) + _inline_tags(text))
    aliases = tuple(dict.fromkeys(a for a in _strings(data.get("aliases", data.get("alias"))) if a))
    return replace(note, text=text, tags=tags, aliases=aliases)
