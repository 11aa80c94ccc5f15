"""A whole network written from the equations a note gives for it, for the network skeleton (guards/formula_code.py).

Notes often write an architecture on flat inputs as its equations: `h1 = ReLU(W1 x + b1)`, `h2 = ReLU(W2 h1 + P x + b2)`,
`y = W3 h2 + Q x + b3`, or with features joined side by side, `h2 = relu(W2 · [x; h1])`. Each matrix (a capitalised
name before what it multiplies) becomes an nn.Linear from the width of what it multiplies (the input's, a hidden
layer's, or their sum for a join) to the hidden width, or to the output's for the last equation, and each elementwise
function a module of its own (as the baseline's activations are, for the arms' comparison); a bias added in a
sum is the bias of the sum's first matrix, as nn.Linear keeps it, and every matrix has one when the notes say all
layers do. A matrix the notes start at zero ("P, Q initialised to zero") starts there; one they start otherwise is
not certain. Anything else read (a name that is neither the input, an earlier equation, a matrix nor a bias, a
function other than the elementwise ones) gives None, and the model writes the network.

A recurrent cell written as its step equations (`z_t = σ(W_z x_t + b_z)`, `h_t = (1 − z_t) ⊙ h_{t-1} + z_t ⊙ h̃_t`) is
written the same way for the cell skeleton (`cell_body`): each matrix maps the step's input or a kept state to the
hidden width, the states (names read at the step before) start at zero, and the cell's output at every step is the
state named h (else the last one written); equations after it (a readout `ŷ = w·h_T`) are the baseline's head.
"""

from __future__ import annotations

import ast
import re

from agentnotes.experiments.guards.constants import compared_name, note_constants
from agentnotes.experiments.guards.formula_lines import _normalised, _start, _statements
from agentnotes.experiments.guards.notation import NAMED_FUNCTION

# A line of the network's equations: a hidden layer or the output.
_EQUATION = re.compile(r"^\s*(?:[-*]\s*)?(h_?\d+|y|out|output|logits)\s*=")
_OUTPUTS = {"y", "out", "output", "logits"}
_AFTER_EQUATION = re.compile(r"[，。;；#]|,\s*(?=[A-Za-z]\w*\s*[:∈])|\s{2,}")  # `，W2: 64×(d+64)`, `# P ∈ R^{64×d}`
_JOIN = re.compile(r"\[([^\[\];]+(?:;[^\[\];]+)+)\]")  # [x; h1; h2]: joined along the features
_MATRIX_BEFORE = re.compile(r"(?<![\w.])([A-Z][A-Za-z]?(?:_?\d+|_[A-Za-z]\w*)?)\s*(?:·|⋅|\*|@)?\s*(?=[a-z(]|cat\()")
_MATRIX = re.compile(r"[A-Z][A-Za-z]?(?:_?\d+|_[A-Za-z]\w*)?")
_BIAS = re.compile(r"b(?:_?\d+|_[A-Za-z]\w*)?|c")
_ELEMENTWISE = {"relu": "nn.ReLU()", "tanh": "nn.Tanh()", "sigmoid": "nn.Sigmoid()", "softplus": "nn.Softplus()"}
# Every layer with a bias, said in words: "都带偏置", "all with bias", "with biases".
_ALL_BIASED = re.compile(r"都带偏置|都有偏置|(?:all|every layer|each layer)\s+(?:\w+\s+)?with\s+(?:a\s+)?bias(?:es)?|"
                         r"\bwith\s+bias(?:es)?\b", re.IGNORECASE)
# Matrices the notes start at zero: "P, Q initialised to zero", "P 和 Q 初始化为 0".
_ZERO_START = re.compile(r"((?:[A-Z]\w*\s*(?:,|、|和|and)\s*)*[A-Z]\w*)\s+(?:are\s+|is\s+)?(?:initiali[sz]ed|init|start(?:s|ed)?|"
                         r"初始化)\s*(?:to|at|as|为|成)?\s*(?:zeros?|0|零)(?![\w.])", re.IGNORECASE)


def network_body(formulas: str, note_text: str = "") -> tuple[str, str, str] | None:
    """(The body of the network skeleton's `layers_and_parameters(self)`, of its `forward(self, x)`, the equations they
    come from), or None when the notes' equations are not certain (see the module docstring)."""
    statements = _equations(formulas)
    if not statements or statements[-1][0] not in _OUTPUTS:
        return None
    zero = {name for found in _ZERO_START.finditer(note_text) for name in re.findall(r"[A-Z]\w*", found[1])}
    writer = _Writer(biased=bool(_ALL_BIASED.search(note_text)))
    lines = []
    for index, (target, value) in enumerate(statements):
        code = writer.expression(value, "self.out_dim" if index == len(statements) - 1 else "self.hidden")
        if code is None:
            return None
        lines.append(f"{target} = {code[0]}")
        writer.widths[target] = code[1]
    if not writer.matrices or "x" not in writer.read:
        return None
    layers = []
    for name, (width_in, width_out) in writer.matrices.items():
        layers.append(f"self.{name} = nn.Linear({width_in}, {width_out}, bias={name in writer.biased})")
        start = "0.0" if name in zero else _start(name, note_text)
        if start == "" or (start is not None and float(start) != 0):
            return None  # a start the program does not write
        if start is not None:
            layers.append(f"nn.init.zeros_(self.{name}.weight)  # started at zero, as the notes say")
            if name in writer.biased:
                layers.append(f"nn.init.zeros_(self.{name}.bias)")
    layers += [f"self.act{i} = {module}" for i, module in enumerate(writer.activations, start=1)]
    source = "; ".join(f"{target} = {ast.unparse(value)}" for target, value in statements)
    return "\n".join(layers), "\n".join([*lines, f"return {statements[-1][0]}"]), source


def cell_body(formulas: str, note_text: str = "") -> tuple[str, str, str] | None:
    """(The body of the cell skeleton's `layers(self)`, of its `forward(self, x)` over the time steps, the equations
    they come from), or None when the notes' step equations are not certain (see the module docstring)."""
    statements = _statements(formulas) or []
    targets = [target for target, _ in statements]
    states = [target for i, (target, value) in enumerate(statements)
              if target in _names(value) or target in {n for _, later in statements[:i] for n in _names(later)}]
    if not states or len(set(targets)) != len(targets):
        return None
    output = "h" if "h" in states else states[-1]
    statements = statements[:targets.index(output) + 1]  # after it: the readout, which the baseline's head is
    given = note_constants(f"{formulas}\n{note_text}")
    if any(_start(name, note_text) not in (None, "0.0") or given.get(compared_name(name), "0") not in ("0", "0.0")
           for state in states for name in (state, f"{state}_0")):
        return None  # a state the notes start elsewhere than at zero (`h_0 初始化为 1`, `h_0 = 1`)
    writer = _Writer(biased=bool(_ALL_BIASED.search(note_text)))
    writer.widths.update({"x": "self.input_size", **{state: "self.hidden_size" for state in states}})
    lines = []
    for target, value in statements:
        code = writer.expression(value, "self.hidden_size")
        if code is None or code[1] not in (None, "self.hidden_size"):
            return None
        lines.append(f"{target} = {code[0]}")
        writer.widths[target] = "self.hidden_size"
    if not writer.matrices or "x" not in writer.read:
        return None
    layers = [f"self.{name} = nn.Linear({width_in}, {width_out}, bias={name in writer.biased})"
              for name, (width_in, width_out) in writer.matrices.items()]
    layers += [f"self.act{i} = {module}" for i, module in enumerate(writer.activations, start=1)]
    forward = ["sequence = x", *(f"{state} = x.new_zeros(x.shape[0], self.hidden_size)" for state in states),
               "outputs = []", "for t in range(sequence.shape[1]):", "    x = sequence[:, t]",
               *(f"    {line}" for line in lines), f"    outputs.append({output})", "return torch.stack(outputs, dim=1)"]
    source = "; ".join(f"{target} = {ast.unparse(value)}" for target, value in statements)
    return "\n".join(layers), "\n".join(forward), source


def _names(node: ast.expr) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _equations(formulas: str) -> list[tuple[str, ast.expr]] | None:
    """The network's equations in order, each target once: the first assignment of each equation line."""
    statements: list[tuple[str, ast.expr]] = []
    for line in formulas.splitlines():
        if not (found := _EQUATION.match(line)):
            continue
        line = re.sub(r"^\s*[-*]\s*", "", line)
        line = _JOIN.sub(lambda m: "cat(" + ", ".join(part.strip() for part in m[1].split(";")) + ")", line)
        line = _MATRIX_BEFORE.sub(r"\1*", NAMED_FUNCTION.sub(lambda m: m[1].lower() + "(", line))
        value = _normalised(_AFTER_EQUATION.split(line.split("=", 1)[1], maxsplit=1)[0])
        try:
            expression = ast.parse(value, mode="eval").body
        except SyntaxError:
            return None
        if found[1] in {t for t, _ in statements}:
            return None
        statements.append((found[1], expression))
    return statements


class _Writer:
    """Writes each equation's value as torch code over the network's own layers, keeping their widths."""

    def __init__(self, biased: bool) -> None:
        self.widths: dict[str, str | None] = {"x": "self.in_dim"}  # each name read -> its width
        self.matrices: dict[str, tuple[str, str]] = {}  # name -> (width in, width out)
        self.biased: set[str] = set()
        self.all_biased, self.read = biased, set()
        self.activations: list[str] = []  # the modules self.act1, self.act2, ... in order

    def expression(self, node: ast.expr, width_out: str) -> tuple[str, str | None] | None:
        """(code, width) of `node`, its matrices mapping to `width_out`; None when it reads something else."""
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            return self._sum(node, width_out)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult) and isinstance(node.left, ast.Name) \
                and _MATRIX.fullmatch(node.left.id) and node.left.id not in self.matrices:
            operand = self.expression(node.right, width_out)
            if operand is None or operand[1] is None:
                return None
            self.matrices[node.left.id] = (operand[1], width_out)
            if self.all_biased:
                self.biased.add(node.left.id)
            return f"self.{node.left.id}({operand[0]})", width_out
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div)):  # entry by entry: `z ⊙ h`, `(1 - z) h`
            left, right = self.expression(node.left, width_out), self.expression(node.right, width_out)
            if left is None or right is None or (left[1] and right[1] and left[1] != right[1]):
                return None
            return f"({left[0]} {'*' if isinstance(node.op, ast.Mult) else '/'} {right[0]})", left[1] or right[1]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
            parts = [self.expression(arg, width_out) for arg in node.args]
            if any(part is None for part in parts):
                return None
            if node.func.id == "cat" and len(parts) > 1 and all(width for _, width in parts):
                return f"torch.cat([{', '.join(code for code, _ in parts)}], dim=-1)", " + ".join(w for _, w in parts)
            if node.func.id in _ELEMENTWISE and len(parts) == 1:  # a module of its own, as the baseline's are
                self.activations.append(_ELEMENTWISE[node.func.id])
                return f"self.act{len(self.activations)}({parts[0][0]})", parts[0][1]
            return None
        if isinstance(node, ast.Name) and node.id in self.widths:
            self.read.add(node.id)
            return node.id, self.widths[node.id]
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return repr(node.value), None
        return None

    def _sum(self, node: ast.BinOp, width_out: str) -> tuple[str, str | None] | None:
        """A sum's terms, its biases made the bias of its first matrix."""
        terms: list[tuple[str, ast.expr]] = []

        def flatten(part: ast.expr, sign: str) -> None:
            if isinstance(part, ast.BinOp) and isinstance(part.op, (ast.Add, ast.Sub)):
                flatten(part.left, sign)
                flatten(part.right, sign if isinstance(part.op, ast.Add) else ("-" if sign == "+" else "+"))
            else:
                terms.append((sign, part))

        flatten(node, "+")
        biases = [term for sign, term in terms if isinstance(term, ast.Name) and _BIAS.fullmatch(term.id)
                  and term.id not in self.widths and sign == "+"]
        written = [(sign, self.expression(term, width_out)) for sign, term in terms if term not in biases]
        if any(code is None for _, code in written):
            return None
        if biases:
            first = next((n.left.id for _, n in terms if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mult)
                          and isinstance(n.left, ast.Name) and n.left.id in self.matrices), None)
            if first is None or len(biases) > 1:
                return None
            self.biased.add(first)
        widths = {width for _, (_, width) in written if width}
        if len(widths) > 1:
            return None  # terms of different widths cannot be added
        text = ("-" if written[0][0] == "-" else "") + written[0][1][0]
        text += "".join(f" {sign} {code}" for sign, (code, _) in written[1:])
        return f"({text})", next(iter(widths), None)
