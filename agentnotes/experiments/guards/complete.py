"""Completing idea code that lacks a hook its notes call for.

For a combination of ideas (a layer and an update rule) small models write one part and leave
out the other (or return torch's own SGD), attempt after attempt, even when told what is missing.
The missing part is then asked for on its own, with only the note passages about it, and merged
into the code.
"""

from __future__ import annotations

import ast
import re

from agentnotes.experiments.guards.static_check import base_names, bound_at_top


def drop_definitions(code: str, names: set[str]) -> str:
    """`code` without its top-level functions named in `names` (a hook about to be written anew)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code
    lines = code.splitlines()
    for node in reversed(tree.body):
        if isinstance(node, ast.FunctionDef) and node.name in names:
            del lines[_first_line(node) - 1:node.end_lineno]
    return "\n".join(lines).rstrip("\n") + "\n"


def merge_piece(code: str, piece: str) -> str:
    """`code` followed by the top-level statements of `piece` that bind a name `code` does not bind
    (the missing hook, its classes and constants, their imports); what `code` defines stays as it is.
    A class of the piece named like one of the code's but with other bases (an optimizer named after
    the idea, where the code has a module of that name) is renamed first, so the new hook gets its own."""
    try:
        tree, extra = ast.parse(code), ast.parse(piece)
    except SyntaxError:
        return code
    bound = {name for node in tree.body for name, _ in bound_at_top(node)}
    piece = _rename_clashing_classes(piece, extra, tree, bound)
    extra = ast.parse(piece)
    lines = piece.splitlines()
    new = [_source(node, lines) for node in extra.body
           if (names := {name for name, _ in bound_at_top(node)}) and not names <= bound]
    return code.rstrip("\n") + "".join(f"\n\n\n{block}" for block in new) + "\n" if new else code


def _rename_clashing_classes(piece: str, extra: ast.Module, tree: ast.Module, bound: set[str]) -> str:
    """`piece` with each class whose name the code binds to something else than a class of the same
    bases renamed NAME + its first base's name (GradientNorm -> GradientNormOptimizer), or NAME2."""
    code_bases = {node.name: base_names(node) for node in tree.body if isinstance(node, ast.ClassDef)}
    for node in extra.body:
        bases = base_names(node) if isinstance(node, ast.ClassDef) else []
        if isinstance(node, ast.ClassDef) and node.name in bound and code_bases.get(node.name) != bases:
            suffix = bases[0] if bases else ""
            new = node.name + suffix if suffix and node.name + suffix not in bound else node.name + "2"
            piece = re.sub(rf"(?<![\w.]){re.escape(node.name)}(?!\w)", new, piece)
    return piece


def _source(node: ast.stmt, lines: list[str]) -> str:
    """A statement's lines, its decorators included."""
    return "\n".join(lines[_first_line(node) - 1:node.end_lineno])


def _first_line(node: ast.stmt) -> int:
    """A statement's first line, its decorators included."""
    return min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
