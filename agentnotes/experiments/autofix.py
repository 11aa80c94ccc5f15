"""Mechanical fixes for known slips of small code models, applied before anything runs.

Notes write a layer as `w*x`; models often copy that as `self.w * x`, an elementwise product that
fails with a shape error. A 2-D weight parameter times an input is rewritten to F.linear(input, w).
Models also name the hooks in CamelCase (`BuildModel`); such a name is renamed to the hook's.
Code that defines its one module class but no hook gets the build_model that plugs it into the
harness MLP: as the linear layer when it takes (in, out), as the activation when it takes nothing.
Every change is reported, so the run record shows what was altered.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from agentnotes.experiments.static_check import required_positional
from agentnotes.experiments.template import hook_names


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


def _squashed(name: str) -> str:
    return name.replace("_", "").lower()


def fix_hook_names(code: str) -> tuple[str, list[Fix]]:
    """A top-level `BuildModel`/`buildModel`/... becomes `build_model` when that hook is not defined."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    defined = {node.name: node.lineno for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    fixes = []
    for hook in hook_names():
        if hook in defined:
            continue
        for name, line in defined.items():
            if name != hook and _squashed(name) == _squashed(hook):
                code = re.sub(rf"\b{re.escape(name)}\b", hook, code)
                fixes.append(Fix(line, name, hook))
                break
    return code, fixes


def _init_arity(node: ast.ClassDef) -> int | None:
    """Required arguments of the class's __init__ after self (0 without an __init__)."""
    for item in node.body:
        if isinstance(item, ast.FunctionDef) and item.name == "__init__":
            return None if item.args.vararg else required_positional(item) - 1
    return 0


def add_missing_build_model(code: str) -> tuple[str, list[Fix]]:
    """No hook but one nn.Module class: add build_model that uses it as the layer or the activation."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    if any(isinstance(node, ast.FunctionDef) and node.name in hook_names() for node in tree.body):
        return code, []
    modules = [node for node in tree.body if isinstance(node, ast.ClassDef)
               and any(ast.unparse(base).split(".")[-1] in ("Module", "Linear") for base in node.bases)]
    if len(modules) != 1:
        return code, []
    role = {2: "linear", 0: "activation"}.get(_init_arity(modules[0]))
    if role is None:
        return code, []
    name = modules[0].name
    hook = f"def build_model(in_dim, hidden, out_dim):\n    return mlp(in_dim, hidden, out_dim, {role}={name})\n"
    return code.rstrip("\n") + "\n\n\n" + hook, [Fix(modules[0].lineno, "no hook", f"build_model with {role}={name}")]


def apply_fixes(code: str) -> tuple[str, list[Fix]]:
    """All mechanical fixes in turn."""
    code, weight_fixes = fix_weight_products(code)
    code, name_fixes = fix_hook_names(code)
    code, hook_fixes = add_missing_build_model(code)
    return code, weight_fixes + name_fixes + hook_fixes
