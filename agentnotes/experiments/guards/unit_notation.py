"""An operation on hidden units written unit by unit, read as tensor code for the unit_op skeleton.

Notes write what happens to each hidden unit j through its incoming weights (row j of its layer: `W_l[j, :]`,
`W_in[j]`, `w_j`), its bias (`b_l[j]`, `b_j`), its outgoing weights (column j of the next layer: `W_{l+1}[:, j]`,
`W_next[:, j]`, or `v_j` where the notes call it the outgoing weights) and its outputs over the batch (`h_j`,
`h[:, j]`): `d_j = sqrt(‖W_{l+1}[:, j]‖ / ‖W_l[j, :]‖)`, `W_l[j, :] ← d_j · W_l[j, :]`, `W_{l+1}[:, j] /= d_j`.
Every value is a tensor with one row per unit: the incoming weights (units × inputs), the outgoing weights (units ×
next units), the outputs (units × batch), the bias and any other value of a unit (units × 1); a norm, a sum or a
mean reduces a row to one value per unit; values of rows of different lengths never meet. An assignment to the
weights or the bias writes them in place, in the notes' order; only the formulas those writes read are kept (a
later remark `in_j = out_j` is no step). Anything else (another index, function or shape, the same matrix read by
row and by column) gives None, and the model writes the operation.
"""

from __future__ import annotations

import ast
import keyword
import re

from agentnotes.experiments.guards.constants import EPS, compared_name, note_constants
from agentnotes.experiments.guards.formula_lines import _TORCH_CALLS, _normalised, _split_outside_brackets
from agentnotes.experiments.guards.index_notation import OPERATORS

# What a unit's parts are called in the code, and the tensor each is, one row per unit.
INCOMING, BIAS, OUTGOING, OUTPUTS = "incoming_weights", "unit_bias", "outgoing_weights", "unit_outputs"
_TENSORS = {INCOMING: "layer.weight  # row j: unit j's incoming weights",
            BIAS: "layer.bias[:, None]  # unit j's bias, one per row",
            OUTGOING: "after.weight.T  # row j: unit j's outgoing weights (column j of the next layer)",
            OUTPUTS: "h.T  # row j: unit j's outputs over the batch"}
_ROW_OF = {INCOMING: "in", OUTGOING: "out", OUTPUTS: "batch", BIAS: ""}  # what a row holds; "" one value per unit
_WRITABLE = (INCOMING, BIAS, OUTGOING)
# A matrix's entry with brackets: `W_l[j, :]`, `W_{l+1}[:, j]`, `b_l[j]`, `W_in[j]`, `h[:, j]`.
_BRACKETED = re.compile(r"(?<![\w])(?P<base>[A-Za-z](?:_\{[^{}]*\}|_\w+|\w)*)\s*\[\s*(?P<first>[a-z]|:)\s*"
                        r"(?:,\s*(?P<second>[a-z]|:)\s*)?\]")
# The notes' name for the outgoing weights: "输出权重列 v_j", "outgoing weights v_j", "v 为下一层的列".
_OUTGOING_WORDS = r"(?:输出权重|出权重|出边|outgoing\s+weights?|fan-?out\s+weights?|下一层[^，。,；;\n]{0,8}列|column\s+of\s+the\s+next\s+layer)"
_OUTGOING_NAMED = re.compile(rf"{_OUTGOING_WORDS}[^，。,；;\n\w]{{0,3}}(?:列\s*)?(?P<before>[A-Za-z])(?:_\{{?[a-z]\}}?)?(?![\w])|"
                             rf"(?<![\w])(?P<after>[A-Za-z])(?:_\{{?[a-z]\}}?)?\s*(?:为|是|is|are|denotes?|[:：=(（])\s*"
                             rf"(?:the\s+)?[^，。,；;\n]{{0,6}}?{_OUTGOING_WORDS}", re.IGNORECASE)
# A formula `target = value`, `target ← value`, `target *= value` (and `/=`, `+=`, `-=`).
_FORMULA = re.compile(r"^\s*(?:[-*]\s*|\d+[.)]\s*)?(?P<target>[A-Za-z_]\w*)\s*(?P<op>[*/+-]?=|←)(?!=)\s*(?P<value>.+)$")
_ELEMENTWISE = {name: _TORCH_CALLS[name] for name in ("abs", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "sign")}


class _Unread(Exception):
    """A formula this reader cannot write as tensor code."""


def unit_op_body(formulas: str, note_text: str = "") -> tuple[str, str] | None:
    """(The body of `unit_op(layer, after, h, state, step)`, the formulas it comes from) for an operation the notes
    write unit by unit, or None when they do not or a formula it needs cannot be read (see the module docstring)."""
    statements = _unit_statements(formulas, note_text)
    if statements is None:
        return None
    statements = _needed_for_writes(statements)
    if not statements:
        return None
    try:
        return _Writer(note_text).body(statements)
    except _Unread:
        return None


def _unit_statements(formulas: str, note_text: str) -> list[tuple[str, str, str, str]] | None:
    """(target, operator, value as Python, the note's line) of each formula over the units, their parts named as the
    code names them (INCOMING, BIAS, OUTGOING, OUTPUTS) and the unit's index dropped; None when the formulas name no
    unit's part, or one matrix both by row and by column."""
    unit = _unit_letter(formulas)
    if unit is None:
        return None
    outgoing = {m["before"] or m["after"] for m in _OUTGOING_NAMED.finditer(note_text)}
    rows, columns = set(), set()

    def bracketed(match: re.Match[str]) -> str:
        base, first, second = match["base"], match["first"], match["second"]
        if first == unit and second in (None, ":"):
            rows.add(base)
            return BIAS if base[0] in "bB" and second is None else INCOMING
        if first == ":" and second == unit:
            columns.add(base)
            return OUTPUTS if base[0] in "hH" else OUTGOING
        return match[0]

    found = []
    for line in formulas.splitlines():
        line = re.sub(r"\s+", " ", re.sub(r"^\s*[-*]\s+|\s+#.*$", "", line)).strip()
        plain = _BRACKETED.sub(bracketed, line)
        plain = re.sub(rf"(?<![\w])([A-Za-z]\w*?)_\{{?{unit}\}}?(?![A-Za-z0-9_{{])", lambda m: _indexed(m[1], outgoing), plain)
        plain = re.sub(r"\s*[（(][^()（）]*[\u4e00-\u9fff][^()（）]*[)）]\s*$", "", plain)  # a remark in words after it
        plain = re.sub(r"(?:\|\||‖)\s*([^|‖]+?)\s*(?:\|\||‖)(?:₂|_2|_\{2\})?", r"norm(\1)", plain)
        for part in _split_outside_brackets(plain):
            formula = _FORMULA.match(_normalised(part))
            if formula:
                found.append((formula["target"], formula["op"], formula["value"].strip(), line))
    if rows & columns or not any(target in _WRITABLE for target, *_ in found):
        return None  # the same matrix by row and by column, or nothing of a unit's written
    return found


def _unit_letter(formulas: str) -> str | None:
    """The index the formulas give a unit: the one letter inside a matrix's brackets (`W_l[j, :]`, `W[:, j]`) or
    beside a unit's weights or bias (`w_j`, `b_j`)."""
    letters = {match[key] for match in _BRACKETED.finditer(formulas) for key in ("first", "second")
               if match[key] not in (None, ":")} or set(re.findall(r"(?<![\w])[wb]_\{?([a-z])\}?(?![\w{])", formulas))
    return letters.pop() if len(letters) == 1 else None


def _indexed(base: str, outgoing: set[str]) -> str:
    """A name written with the unit's index: the unit's part it names, or a value of each unit named without it."""
    if base in outgoing:
        return OUTGOING
    parts = {"w": INCOMING, "b": BIAS, "h": OUTPUTS}
    return parts.get(base, base + "_" if keyword.iskeyword(base) else base)


def _needed_for_writes(statements: list[tuple[str, str, str, str]]) -> list[tuple[str, str, str, str]]:
    """The writes to the weights and the bias, in order, with the formulas they read (each read from the latest formula
    before it for that name); [] when a formula they need reads a name no formula before it gives."""
    needed = set()
    for index in range(len(statements) - 1, -1, -1):
        target, op, value, _ = statements[index]
        if target in _WRITABLE or index in needed:
            needed.add(index)
            reads = set(re.findall(r"[A-Za-z_]\w*", value)) | ({target} if op != "=" and op != "←" else set())
            for name in reads:
                earlier = [i for i in range(index) if statements[i][0] == name]
                if earlier and name not in _WRITABLE:
                    needed.add(earlier[-1])
    return [statements[index] for index in sorted(needed)]


class _Writer:
    """Writes the statements as tensor code, knowing what each value's rows hold."""

    def __init__(self, note_text: str) -> None:
        self.constants = note_constants(note_text)
        self.rows: dict[str, str] = {}  # computed name -> what its rows hold

    def body(self, statements: list[tuple[str, str, str, str]]) -> tuple[str, str]:
        lines, used = [], set()
        for target, op, value, _ in statements:
            try:
                tree = ast.parse(value, mode="eval").body
            except SyntaxError as error:
                raise _Unread(value) from error
            code, row = self._code(tree)
            used |= {name for name in _TENSORS if re.search(rf"\b{name}\b", code)}
            if target in _WRITABLE:
                used.add(target)
                if row not in ("", "number", _ROW_OF[target]):
                    raise _Unread(f"{target} given rows of {row}")
                change = {"*=": "mul_", "/=": "div_", "+=": "add_", "-=": "sub_"}.get(op, "copy_")
                lines.append(f"{target}.{change}(torch.as_tensor({code}))")
            elif target in _TENSORS or op not in ("=", "←"):
                raise _Unread(f"a write to {target}")
            else:
                lines.append(f"{target} = {code}")
                self.rows[target] = row
        header = [f"{name} = {_TENSORS[name]}" for name in _TENSORS if name in used]
        source = "; ".join(dict.fromkeys(line for *_, line in statements))
        return "\n".join(header + lines), source

    def _code(self, node: ast.expr) -> tuple[str, str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return repr(float(node.value)), "number"
        if isinstance(node, ast.Name):
            return self._name(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            code, row = self._code(node.operand)
            return f"(-{code})", row
        if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
            (left, left_row), (right, right_row) = self._code(node.left), self._code(node.right)
            return f"({left} {OPERATORS[type(node.op)]} {right})", _joined(left_row, right_row)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return self._call(node.func.id, node.args, {k.arg: k.value for k in node.keywords})
        raise _Unread(ast.unparse(node))

    def _call(self, function: str, arguments: list[ast.expr], keywords: dict) -> tuple[str, str]:
        if function == "norm" and len(arguments) == 1 and not keywords:
            parts = [self._code(e) for e in arguments[0].elts] if isinstance(arguments[0], ast.List) \
                else [self._code(arguments[0])]
            if any(row == "number" for _, row in parts) or len({row for _, row in parts if row}) > 1:
                raise _Unread("the norm of a number, or of rows that differ")
            joined = parts[0][0] if len(parts) == 1 else f"torch.cat([{', '.join(code for code, _ in parts)}], dim=1)"
            return f"{joined}.norm(dim=1, keepdim=True)", ""
        parts = [self._code(argument) for argument in arguments]
        if function in ("sum", "mean", "mean_batch", "sum_over") and len(parts) == 1 and not keywords:
            if parts[0][1] in ("", "number"):
                raise _Unread("a sum over one value")
            return f"{parts[0][0]}.{'sum' if 'sum' in function else 'mean'}(dim=1, keepdim=True)", ""
        if function in _ELEMENTWISE and len(parts) == 1 and not keywords:
            return f"{_ELEMENTWISE[function]}(torch.as_tensor({parts[0][0]}))", parts[0][1]
        if function in ("clip", "clamp") and parts and set(keywords) <= {"min", "max"} \
                and len(parts) - 1 + len(keywords) in (1, 2):
            bounds = [self._code(bound) for bound in arguments[1:]] + [self._code(v) for v in keywords.values()]
            if any(row != "number" for _, row in bounds):
                raise _Unread("a bound that differs between units")
            written = [code for code, _ in bounds[:len(parts) - 1]] + [f"{k}={code}" for k, (code, _) in
                                                                       zip(keywords, bounds[len(parts) - 1:])]
            return f"torch.clamp(torch.as_tensor({parts[0][0]}), {', '.join(written)})", parts[0][1]
        if function in ("max", "min") and len(parts) == 2 and not keywords:
            first, second = (f"torch.as_tensor({code})" for code, _ in parts)
            return f"torch.{function}imum({first}, {second})", _joined(parts[0][1], parts[1][1])
        raise _Unread(f"the function {function}")

    def _name(self, name: str) -> tuple[str, str]:
        if name in _TENSORS:
            return name, _ROW_OF[name]
        if name in self.rows:
            return name, self.rows[name]
        if compared_name(name) in self.constants:
            return repr(float(self.constants[compared_name(name)])), "number"
        if compared_name(name) == "eps":
            return repr(EPS), "number"
        raise _Unread(f"the name {name}")


def _joined(first: str, second: str) -> str:
    """What the rows of two values' combination hold: the longer rows where one is a value per unit or a number."""
    rows = {first, second} - {"", "number"}
    if len(rows) > 1:
        raise _Unread(f"rows of {first} meet rows of {second}")
    return rows.pop() if rows else "" if "" in (first, second) else "number"
