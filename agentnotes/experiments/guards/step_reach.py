"""Steps the idea code waits for that a run never reaches.

An idea that acts from step K on ("after K steps, lock the signs"), or at step K, does nothing in a run shorter than K:
its arm trains exactly as the baseline, and the results say so without saying why. This module names the comparison.
"""

from __future__ import annotations

import ast

from agentnotes.experiments.guards.autofix import literal_number, numeric_names
from agentnotes.experiments.guards.problems import Problem

# A comparison `step OP value` that holds only once step has passed value.
_FROM_ON = (ast.Gt, ast.GtE, ast.Eq)
# The same with the sides swapped (`K <= step`).
_SWAPPED = {ast.Lt: ast.Gt, ast.LtE: ast.GtE, ast.Eq: ast.Eq}


def unreached_steps(code: str, steps: int) -> list[Problem]:
    """A comparison of the hook's `step` with a number a run of `steps` steps never reaches (`if step >= K:` with
    `K = 1000` and 300 steps), one problem per comparison."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    numbers = numeric_names(tree)
    problems = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare) or len(node.ops) != 1:
            continue
        left, op, right = node.left, node.ops[0], node.comparators[0]
        if _is_step(right) and type(op) in _SWAPPED:
            left, op, right = right, _SWAPPED[type(op)](), left
        value = literal_number(right, numbers)
        if not _is_step(left) or not isinstance(op, _FROM_ON) or value is None:
            continue
        if value > steps or (value == steps and isinstance(op, ast.Gt)):
            problems.append(Problem("unreached_step", f"`{ast.unparse(node)}` never holds: the run trains {steps} steps "
                                    f"(step = 1 … STEPS), so the idea never acts. Write the notes' step counts as "
                                    f"fractions of the run, e.g. K = int(0.2 * STEPS) for a K at a fifth of the notes' "
                                    f"training", node.lineno))
    return problems


def _is_step(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "step"

