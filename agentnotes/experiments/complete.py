"""Completing idea code that lacks a hook its notes call for.

For a combination of ideas (a layer and an update rule) small models write one part and leave
out the other, attempt after attempt, even when told what is missing. The missing part is then
asked for on its own, with only the note passages about it, and merged into the code.
"""

from __future__ import annotations

import ast

from agentnotes.experiments.static_check import bound_at_top


def merge_piece(code: str, piece: str) -> str:
    """`code` followed by the top-level statements of `piece` that bind a name `code` does not bind
    (the missing hook, its classes and constants, their imports); what `code` defines stays as it is."""
    try:
        tree, extra = ast.parse(code), ast.parse(piece)
    except SyntaxError:
        return code
    bound = {name for node in tree.body for name, _ in bound_at_top(node)}
    lines = piece.splitlines()
    new = [_source(node, lines) for node in extra.body
           if (names := {name for name, _ in bound_at_top(node)}) and not names <= bound]
    return code.rstrip("\n") + "".join(f"\n\n\n{block}" for block in new) + "\n" if new else code


def _source(node: ast.stmt, lines: list[str]) -> str:
    """A statement's lines, its decorators included."""
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    return "\n".join(lines[first - 1:node.end_lineno])
