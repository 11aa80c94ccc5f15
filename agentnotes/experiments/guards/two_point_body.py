"""The two_point skeleton's functions written from a note's formulas (guards/formula_code.py).

An update rule that takes the gradient a second time at moved weights says three things: the move
(`e = rho * g / ||g||`), where the second gradient is taken (`g_sam = gradient of the loss at w + e`), and the step
from the weights before the move (`w = w - lr*g_sam`). The move becomes `perturb(params, grads)`, one tensor per
parameter, a norm "over all parameters together" the norm of every gradient at once; the step, with the second
gradient as the `g` it is given, becomes `update` as any update rule's formulas do (guards/note_program.py). Any
other form (a move that is not added to the weights, a step that reads the move) gives None, and the model writes it.
"""

from __future__ import annotations

import ast
import re

from agentnotes.experiments.guards.formula_lines import _statements
from agentnotes.experiments.guards.note_program import note_program, program_body
from agentnotes.experiments.guards.constants import compared_name, note_constants

# Where the second gradient is taken: `g_sam = gradient of the loss at w + e`, `g2 = w + e 处的梯度`.
_SECOND = re.compile(r"^\s*(?:[-*]\s*)?(?P<name>[A-Za-z_]\w*)\s*=\s*(?:the\s+)?gradient\s+(?:of\s+the\s+loss\s+)?at\s+"
                     r"(?:the\s+weights\s+)?(?:w|θ|theta|p)\s*\+\s*(?P<move>[A-Za-z_\u0370-\u03ff]\w*)|"
                     r"^\s*(?:[-*]\s*)?(?P<name2>[A-Za-z_]\w*)\s*=\s*(?:w|θ|p)\s*\+\s*(?P<move2>\w+)\s*(?:处|上)的梯度",
                     re.IGNORECASE | re.MULTILINE)
_ALL_TOGETHER = re.compile(r"(?:over|across) all (?:the )?param(?:eter)?s|all parameters together|全部参数|所有参数", re.IGNORECASE)


def two_point_bodies(formulas: str, note_text: str = "") -> tuple[str, str, str] | None:
    """(the body of `perturb(params, grads)`, the body of `update(p, g, state, lr, t)`, the formulas they come from),
    or None when the notes' formulas are not certain (see the module docstring)."""
    found = _SECOND.search(formulas)
    if found is None:
        return None
    second, move = found["name"] or found["name2"], found["move"] or found["move2"]
    rest = "\n".join(line for line in formulas.splitlines() if not _SECOND.search(line))
    statements = _statements(rest)
    if not statements:
        return None
    moves = [value for target, value in statements if target == move]
    given = note_constants(rest)
    if len(moves) != 1 or not _reads_only(moves[0], {"g"} | set(given), ("norm",)):
        return None
    moved = ast.unparse(moves[0])
    steps = "\n".join(f"{target} = {ast.unparse(value)}" for target, value in statements if target != move)
    if re.search(rf"(?<![\w]){re.escape(move)}(?![\w])", steps):
        return None  # the step reads the move: not a step from the weights before it
    program = note_program(re.sub(rf"(?<![\w]){re.escape(second)}(?![\w])", "g", steps), ["update_rule"], note_text)
    written = program_body(program) if program else None
    if written is None:
        return None
    lines = [f"{name} = {number}  # a constant of the formulas" for name, number in given.items()
             if re.search(rf"(?<![\w]){name}(?![\w])", moved)]
    value = moved
    if _ALL_TOGETHER.search(note_text):
        lines.append("norm_all = torch.sqrt(sum((g ** 2).sum() for g in grads))  # over all parameters together")
        value = re.sub(r"(?<![\w])norm\(\s*g\s*\)", "norm_all", value)
    value = re.sub(r"(?<![\w.])norm\(", "torch.norm(", value)
    lines.append(f"return [{value} for g in grads]")
    source = f"{move} = {moved}; {second} = the gradient at w + {move}; {steps}"
    return "\n".join(lines), written[1], source


def _reads_only(value: ast.expr, names: set[str], functions: tuple[str, ...]) -> bool:
    """Whether `value` reads only `names` (compared as the notes' constants are) and applies only `functions`."""
    called = {n.func.id for n in ast.walk(value) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    read = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)} - called
    return called <= set(functions) and all(n in names or compared_name(n) in names for n in read)
