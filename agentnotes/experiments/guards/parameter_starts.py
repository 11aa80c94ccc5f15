"""Learnable parameters started where the notes start them.

A note that says where its learnable values begin (`α、β 可学，α=2, β=3 初始`, `a starts at 0.25`) makes that start
part of the idea; the model often writes another number in `nn.Parameter(torch.tensor(1.5))`. The number is put
back, and the change said as a fix, like the other note-derived fixes.
"""

from __future__ import annotations

import ast

from agentnotes.experiments.guards.autofix import Fix, spans_replaced
from agentnotes.experiments.guards.formula_lines import _start


def _started_number(value: ast.expr) -> ast.expr | None:
    """The number node a parameter is started at: `nn.Parameter(torch.tensor(c))` or
    `nn.Parameter(torch.full(shape, c))`, c a number (or its negative); None for any other start."""
    if not (isinstance(value, ast.Call) and ast.unparse(value.func) in ("nn.Parameter", "torch.nn.Parameter") and value.args):
        return None
    made = value.args[0]
    if not isinstance(made, ast.Call):
        return None
    at = {"torch.tensor": 0, "torch.full": 1}.get(ast.unparse(made.func))
    number = made.args[at] if at is not None and len(made.args) > at else None
    plain = number.operand if isinstance(number, ast.UnaryOp) and isinstance(number.op, ast.USub) else number
    return number if isinstance(plain, ast.Constant) and type(plain.value) in (int, float) else None


def start_parameters_as_noted(code: str, note_text: str) -> tuple[str, list[Fix]]:
    """The code with each learnable scalar or per-unit parameter (`self.alpha = nn.Parameter(torch.tensor(1.5))`)
    started at the number the notes start it at, where they give one and the code starts it elsewhere."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    edits, fixes = [], []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Attribute)):
            continue
        number = _started_number(node.value)
        noted = _start(node.targets[0].attr, note_text) if number is not None else None
        if not noted:
            continue
        written = ast.literal_eval(number)
        if float(written) != float(noted):
            edits.append((number, noted))
            fixes.append(Fix(node.lineno, f"self.{node.targets[0].attr} started at {ast.unparse(number)}",
                             f"started at {noted}, where the notes start it"))
    return (spans_replaced(code, edits), fixes) if edits else (code, [])
