"""Chunking candidate: a heading line never stays a chunk of its own. The chunker joins a lone
heading to its section's next block only when both fit one chunk; here it always joins, and an
oversized block is then cut on lines as before, so the heading opens the first piece."""

from __future__ import annotations

from collections.abc import Callable


def keep_headings(pack: Callable[[list], list]) -> Callable[[list], list]:
    """`pack` (agentnotes.notes.chunker._pack) run on blocks whose lone headings joined the next block."""

    def joined(blocks: list) -> list:
        out: list = []
        for block in blocks:
            prev = out[-1] if out else None
            if prev and prev.opens_section and len(prev.lines) == 1 and block.start - prev.end <= 3 \
                    and block.heading_path[: len(prev.heading_path)] == prev.heading_path:
                prev.lines += [""] * (block.start - prev.end - 1) + block.lines
                prev.heading_path = block.heading_path
                continue
            out.append(block)
        return pack(out)

    return joined
