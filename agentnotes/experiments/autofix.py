"""Mechanical fixes for a known slip of small code models, applied before anything runs.

Notes write a layer as `w*x`; models often copy that as `self.w * x`, an elementwise product that
fails with a shape error. A 2-D weight parameter times an input is rewritten to F.linear(input, w).
Every change is reported, so the run record shows what was altered.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass


@dataclass(frozen=True)
class Fix:
    line: int
    before: str
    after: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.before} -> {self.after}"


def _weight_names(tree: ast.Module, source: str) -> set[str]:
    """Names of `self.NAME = nn.Parameter(...)` whose initial value is a 2-D weight."""
    names = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
            continue
        target, value = node.targets[0], node.value
        if not (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self"):
            continue
        if not (isinstance(value, ast.Call) and ast.unparse(value.func).split(".")[-1] == "Parameter" and value.args):
            continue
        init = value.args[0]
        two_dims = isinstance(init, ast.Call) and len(init.args) == 2 and not init.keywords
        copies_weight = ".weight" in (ast.get_source_segment(source, init) or "")
        if two_dims or copies_weight:
            names.add(target.attr)
    return names


def _is_weight(node: ast.expr, weights: set[str]) -> bool:
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self" \
        and node.attr in weights


def fix_weight_products(code: str) -> tuple[str, list[Fix]]:
    """`self.w * expr` or `expr * self.w` with a 2-D weight w becomes `F.linear(expr, self.w)`."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    weights = _weight_names(tree, code)
    edits = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult)):
            continue
        for weight, other in ((node.left, node.right), (node.right, node.left)):
            if _is_weight(weight, weights) and not _is_weight(other, weights):
                before = ast.get_source_segment(code, node)
                after = f"F.linear({ast.get_source_segment(code, other)}, {ast.get_source_segment(code, weight)})"
                edits.append((node, Fix(node.lineno, before, after)))
                break
    lines = code.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line.encode("utf-8")))
    raw = code.encode("utf-8")
    for node, fix in sorted(edits, key=lambda e: (e[0].lineno, e[0].col_offset), reverse=True):
        start = offsets[node.lineno - 1] + node.col_offset
        end = offsets[node.end_lineno - 1] + node.end_col_offset
        raw = raw[:start] + fix.after.encode("utf-8") + raw[end:]
    return raw.decode("utf-8"), [fix for _node, fix in edits]
