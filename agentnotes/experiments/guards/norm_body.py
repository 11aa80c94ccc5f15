"""A normalisation layer's forward pass written from the notes' formulas (the norm skeleton's `IdeaNorm.forward`).

A note gives its normalisation of a sample's pre-activations as formulas (`m = median_j z_j`, `s = median_j |z_j − m|`,
`ẑ_j = γ_j · (z_j − m) / (κ·s + ε) + β_j`). Each statistic is the sample's own, over its units (a reduction of the
input takes dim -1, kept for broadcasting); an entry index (`z_j`, `γ_j`) is the unit's, so the formula holds for every
unit at once. The affine values (γ, g, β, b) and the names the notes call learnable are parameters, one per unit where
the notes index them by unit or say so, started where the notes start them (else γ and g at 1, β and b at 0). A width
(`d`) is the input's; any other name is a constant of the notes. Statistics across the examples (a batch's, a running
average's) and inputs on images are left to the model, as is any formula a name of which nothing above gives.
"""

from __future__ import annotations

import ast
import re

from agentnotes.experiments.guards.constants import compared_name, note_constants
from agentnotes.experiments.guards.formula_lines import _TORCH_CALLS, _assignments, _constant, _start, learnable_names
from agentnotes.experiments.guards.notation import plain_formula
from agentnotes.experiments.guards.note_code import names_replaced
from agentnotes.experiments.guards.note_program import PER_UNIT, WEIGHTS, WIDTHS, without_variants

# A reduction of the input, as each sample's over its units.
_REDUCED = {"mean": "{a}.mean(dim=-1, keepdim=True)", "sum_over": "{a}.sum(dim=-1, keepdim=True)",
            "sum": "{a}.sum(dim=-1, keepdim=True)", "median": "{a}.median(dim=-1, keepdim=True).values",
            "norm": "torch.linalg.vector_norm({a}, dim=-1, keepdim=True)",
            "std": "{a}.std(dim=-1, keepdim=True, unbiased=False)", "var": "{a}.var(dim=-1, keepdim=True, unbiased=False)",
            "rms": "{a}.pow(2).mean(dim=-1, keepdim=True).sqrt()"}
_INPUTS = ("z", "x", "h", "a", "u")  # what the notes call the pre-activations they normalise (as compared)
_AFFINE_STARTS = {"gamma": 1.0, "g": 1.0, "beta": 0.0, "b": 0.0}  # as compared
_OUTPUT = re.compile(r"^(?:[zxhau]_(?:hat|tilde|bar|norm)|y|out|output)$")  # ẑ, h̃, y: a normalised input's name
_ENTRY = re.compile(r"^(?P<base>.+?)_[ijk]$")  # z_j, γ_j: one unit's value
# Statistics across the examples: a batch's, a running average's; not a sample's own.
_ACROSS_EXAMPLES = re.compile(r"batch\s*(?:mean|statistics|stats|均值|统计)|over the (?:mini-?)?batch|\bBatchNorm\b|"
                              r"\brunning\b|\bEMA\b|滑动|batch\s*内|across (?:the )?(?:examples|samples)", re.IGNORECASE)


def norm_forward_body(formulas: str, note_text: str, task: str = "") -> tuple[str, str, str] | None:
    """(IdeaNorm.forward's body, the formulas it comes from, extra_parameters' body) or None (see the module
    docstring)."""
    if task == "digits_image" or _ACROSS_EXAMPLES.search(note_text):
        return None
    statements, source, indexed, unread = _statements(formulas)
    inputs = {n for _, value in statements for n in _names(value) if compared_name(n) in _INPUTS} \
        - {target for target, _ in statements}
    if len(inputs) != 1 or any(re.search(rf"(?<![^\W\d_]){next(iter(inputs))}(?![^\W\d])", plain_formula(line)) for line in unread):
        return None  # a formula of the input that does not read as code: the output may be the one it gives
    needed = _needed(statements, inputs.pop())
    if needed is None:
        return None
    given = {**note_constants(without_variants(note_text)), **note_constants(formulas)}
    read = {n for _, value in needed[1] for n in _names(value)} - {target for target, _ in needed[1]} - {needed[0]}
    names = _resolved(read, given, learnable_names(note_text), note_text, indexed)
    if names is None:
        return None
    values, learned, constants = names
    code = _code(needed, values)
    if code is None:
        return None
    code = "".join(f"{name} = {value!r}  # a constant of the notes\n" for name, value in constants.items()) + code
    extra = "\n".join(f"self.{name} = nn.Parameter({start})  # learnable, as the notes say" for name, start in learned.items())
    return code, "; ".join(dict.fromkeys(source[target] for target, _ in needed[1])), extra


def _names(value: ast.expr) -> set[str]:
    return {n.id for n in ast.walk(value) if isinstance(n, ast.Name)} - set(_TORCH_CALLS) - set(_REDUCED)


def _statements(formulas: str) -> tuple[list[tuple[str, ast.expr]], dict[str, str], set[str], list[str]]:
    """The formulas' assignments other than constants and the layer's own (`z = W x + b`: what the norm is given), in
    order, each name without its unit's index; the line each comes from; the names the formulas index by unit; the
    lines that do not read as code."""
    statements, source, indexed, unread = [], {}, set(), []
    for line in formulas.splitlines():
        if (assignments := _assignments(line)) is None:
            unread.append(line)
            continue
        found = [(t, v) for t, v in assignments if not isinstance(v, ast.Constant)
                 and not any(compared_name(n) in WEIGHTS for n in _names(v))]
        if found:
            source |= {_unit_name(t): line.strip() for t, _ in found}
            names = {t for t, _ in found} | {n for _, v in found for n in _names(v)}
            indexed |= {entry["base"] for entry in map(_ENTRY.match, names) if entry}
            statements += [(_unit_name(t), _unindexed(v)) for t, v in found]
    return statements, source, indexed, unread


def _unit_name(name: str) -> str:
    """`name` without its unit's index (`z_j` as `z`)."""
    entry = _ENTRY.match(name)
    return entry["base"] if entry else name


def _unindexed(value: ast.expr) -> ast.expr:
    """`value` with each name without its unit's index (`γ_j` as `γ`)."""
    return names_replaced(value, {name: _unit_name(name) for name in _names(value)})


def _needed(statements: list[tuple[str, ast.expr]], given_input: str) -> tuple[str, list[tuple[str, ast.expr]]] | None:
    """(the input, the statements the output needs, in order): the output is the one statement computed from the
    input that no other reads, or of several such the one named as a normalised input (`ẑ`, `h̃`, `y`, `out`); None
    when a name is assigned twice or no one output is found."""
    if len({t for t, _ in statements}) != len(statements):
        return None
    derived, computed = {given_input}, []
    for target, value in statements:
        if _names(value) & derived:
            derived.add(target)
            computed.append(target)
    unread = [t for t in computed if not any(t in _names(value) for _, value in statements)]
    named = [t for t in unread if _OUTPUT.match(t)]
    output = unread[0] if len(unread) == 1 else named[0] if len(named) == 1 else None
    if output is None:
        return None
    wanted, kept = {output}, []
    for target, value in reversed(statements):
        if target in wanted:
            kept.insert(0, (target, value))
            wanted |= _names(value)
    return given_input, kept


def _resolved(read: set[str], given: dict[str, str], learnable: set[str], note_text: str, indexed: set[str]) \
        -> tuple[dict[str, str], dict[str, str], dict[str, float]] | None:
    """(each name read but a constant -> its code, each learned parameter -> its start, each constant -> its value),
    or None when a name is none of these."""
    values, learned, constants = {}, {}, {}
    for name in sorted(read):
        compared = compared_name(name)
        if compared in WIDTHS:
            values[name] = "z.shape[-1]"
        elif compared in _AFFINE_STARTS or compared in learnable:
            start = _start(name, note_text) or given.get(compared)
            if start is None and re.search(rf"(?<![\w.]){re.escape(name)}(?![\w.])[^。\n,，;；]{{0,8}}?(?:从|起|开始|starts?\b|init)",
                                           note_text):
                return None  # `g 从 √d 开始`: a start the notes give that is no number
            start = start if start is not None else _AFFINE_STARTS.get(compared)
            if start is None or start == "":
                return None
            per_unit = name in indexed or PER_UNIT.search(note_text)
            learned[name] = f"torch.full((self.width,), {float(start)!r})" if per_unit else f"torch.tensor({float(start)!r})"
            values[name] = f"per_unit(self.{name}, z)" if per_unit else f"self.{name}"
        elif (constant := _constant(name, given)) is not None:
            constants[name] = constant
        else:
            return None
    return values, learned, constants


def _code(needed: tuple[str, list[tuple[str, ast.expr]]], values: dict[str, str]) -> str | None:
    """The forward body: each statement with the input as z, names as `values` gives them, reductions per sample."""
    given_input, statements = needed
    values = {**values, given_input: "z"}

    class Written(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.expr:
            return ast.parse(values[node.id], mode="eval").body if node.id in values else node

        def visit_Call(self, node: ast.Call) -> ast.expr:
            node = self.generic_visit(node)
            name = node.func.id if isinstance(node.func, ast.Name) else ""
            if name in _REDUCED and len(node.args) == 1 and not node.keywords:
                return ast.parse(_REDUCED[name].format(a=f"({ast.unparse(node.args[0])})"), mode="eval").body
            if name in _TORCH_CALLS and name not in ("max", "min", "sum_rows", "mean_rows") and not name.endswith("_batch"):
                return ast.Call(ast.parse(_TORCH_CALLS[name], mode="eval").body, node.args, node.keywords)
            raise ValueError(name)

    lines = []
    for target, value in statements:
        try:
            lines.append(f"{target} = {ast.unparse(Written().visit(value))}")
        except ValueError:
            return None  # a function this layer cannot compute per sample
    return "\n".join(lines + [f"return {statements[-1][0]}"])
