"""Which notes a search may return: `--tag` (a note's tags, from front matter or inline #tags) and
`--path` (a glob or a prefix of the note's path relative to the folder it was ingested from); a program
may also leave out the notes of one folder (run-experiment: the result notes of earlier runs)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

from agentnotes.notes.types import Chunk

_GLOB = frozenset("*?[")


def relative_path(source: str, roots: Sequence[str]) -> str:
    """`source` relative to the deepest ingested root holding it (a root that is a file: its name)."""
    inside = [r for r in roots if source == r or source.startswith(r.rstrip("/") + "/")]
    if not inside:
        return source
    root = max(inside, key=len)
    return os.path.basename(source) if source == root else source[len(root.rstrip("/")) + 1:]


@dataclass(frozen=True)
class NoteFilter:
    """Keep notes with `tag` (case-insensitive; `ml` also keeps `ml/vision`) whose path matches `path` and that
    are not under the folder `outside`."""

    tag: str | None = None
    path: str | None = None
    outside: str | None = None

    def __bool__(self) -> bool:
        return bool(self.tag or self.path or self.outside)

    def _tag_ok(self, chunk: Chunk) -> bool:
        if not self.tag:
            return True
        wanted = self.tag.lstrip("#").casefold()
        return any(t.casefold() == wanted or t.casefold().startswith(wanted + "/") for t in chunk.tags)

    def _path_ok(self, source: str, roots: Sequence[str]) -> bool:
        if self.outside and os.path.realpath(source).startswith(os.path.realpath(self.outside).rstrip("/") + "/"):
            return False
        if not self.path:
            return True
        pattern = os.path.expanduser(self.path)
        subject = source if os.path.isabs(pattern) else relative_path(source, roots)
        pattern = pattern.removeprefix("./")
        return fnmatchcase(subject, pattern) if _GLOB & set(pattern) else subject.startswith(pattern)

    def keep(self, chunks: Sequence[Chunk], roots: Sequence[str]) -> list[Chunk]:
        """The chunks of the notes this filter keeps."""
        paths: dict[str, bool] = {}
        return [c for c in chunks
                if self._tag_ok(c) and paths.setdefault(c.source, self._path_ok(c.source, roots))]
