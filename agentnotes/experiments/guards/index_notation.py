"""A layer's formulas written entry by entry, read as tensor code for the layer skeleton's forward pass.

Notes often write a layer unit by unit: `y_j = −Σ_i |x_i − w_ji| + b_j`, `h_i = relu(s·w_iᵀx / (‖w_i‖‖x‖ + ε) + b_i)`,
`α_j = mean_i |W_ji|` then `Ŵ_ji = α_j·round(clip(W_ji/α_j, −1, 1))` and `y = Ŵ x + b`. Two indices name the layer's
two axes: the input's (x's index, else a weight's second) and the output's (the other). Every value is a tensor
over (batch, output, input) holding the axes it has, broadcast where two meet:
- x is (batch, input); a name with both indices, or a weight (`w`, `W`) with one or none, is the weight matrix
  (output × input, in whichever order the notes write its indices: `w_i` is unit i's row); `b`/`b_j` the bias;
- another name with one index is a value per unit (an earlier formula's, or the layer's own where the notes start
  it at a number), one without is an earlier formula's, a constant of the notes or a learnable scalar they start;
- a reduction over an index (`Σ_i`, `sum_i`, `mean_i`, `max_i`, `min_i`) reduces that axis, a product of two values
  that both hold the input's axis sums it where the formula's target has no such index (`w_iᵀx`, `Ŵ x`), and a norm
  is over a vector's own axis (the input's where it has one).
Anything else (another index, function or shape) gives None, and the model writes the layer.
"""

from __future__ import annotations

import ast
import re

from agentnotes.experiments.guards.constants import EPS, compared_name, note_constants
from agentnotes.experiments.guards.formula_lines import (
    _TORCH_CALLS,
    _normalised,
    _split_outside_brackets,
    _start,
    learnable_names,
)
from agentnotes.experiments.guards.kinds import STRAIGHT_THROUGH
from agentnotes.experiments.guards.layer_bodies import LAYER_OUTPUTS
from agentnotes.experiments.guards.notation import summand_end

BATCH, OUT, IN = "b", "o", "i"
_AXES = (BATCH, OUT, IN)
# A reduction over an index: `Σ_i`, `\sum_{j}`, `∑_j`, `sum_i`, `mean_i`, `max_i`, `\max_{i}`, `min_j`.
REDUCTION = re.compile(r"(?:(?P<sign>[Σ∑])|(?<![A-Za-z0-9_])\\?(?P<word>sum|mean|max|min))_\{?(?P<index>[a-z])\}?(?![\w{])\s*")
_REDUCE = {"sum": "sum", "Σ": "sum", "∑": "sum", "mean": "mean", "max": "amax", "min": "amin"}
# A formula `name = …` or `name_ij = …` at the start of a part of a line.
_TARGET = re.compile(r"^\s*(?:[-*]\s*)?([^\W\d][\w\u0300-\u036f']*)\s*(?:=|←)(?!=)")
_INDEXED = re.compile(r"^(?P<base>[A-Za-z]\w*?)_(?P<index>[a-z]{1,2})$")
_ELEMENTWISE = {**{name: _TORCH_CALLS[name] for name in ("abs", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "softplus",
                                                          "sign", "round")}, "silu": "F.silu"}
# Functions whose gradient is zero almost everywhere (the notes may give them the identity's: STRAIGHT_THROUGH).
_STEPPED = ("round", "sign")
# The arithmetic a formula writes, as Python spells it.
OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}


class _Unread(Exception):
    """A formula this reader cannot write as tensor code."""


def indexed_layer_body(formulas: str, note_text: str = "") -> tuple[str, str, str] | None:
    """(The forward pass, the formulas it comes from, the `extra_parameters` body) of a layer the notes write entry by
    entry, or None when they do not or a formula cannot be read (the module docstring says how they are read)."""
    statements = _needed_for_output(_indexed_statements(formulas))
    if not statements:
        return None
    letters = _index_letters(statements)
    if letters is None:
        return None
    try:
        return _Writer(letters, note_text).body(statements)
    except _Unread:
        return None


def _indexed_statements(formulas: str) -> list[tuple[str, str]]:
    """(target, right-hand side) of each formula in the lines that write some value entry by entry, its reductions as
    calls (`Σ_i |x_i − w_ji|` as `reduce_sum_i(|x_i − w_ji|)`), in the notes' order; [] when none is indexed."""
    found: list[tuple[str, str]] = []
    for line in formulas.replace("$", " ").splitlines():
        for part in _split_outside_brackets(re.sub(r"\s+#.*$|\s{2,}[(（][^()（）]*[)）]\s*$", "", line)):  # a comment, a remark
            target = _TARGET.match(part)
            if target and "=" in part:  # `c_i = … ∈ [−1, 1]`: its range said beside it
                value = re.sub(r"\s+∈\s*[\[(][^\])]*[\])]\s*$", "", part[target.end():])
                found.append((target[1], _reductions_as_calls(re.sub(r"\)_\{?[a-z]\}?(?![\w{])", ")", value))))
    indexed = any(_INDEXED.match(_normalised(t)) for t, _ in found)
    return found if indexed else []


def _needed_for_output(statements: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The statements the layer's output (the last formula for y, h or out, written once) reads, itself last; [] when
    there is no such output."""
    bases = [_base(target) for target, _ in statements]
    outputs = [index for index, base in enumerate(bases) if base in LAYER_OUTPUTS]
    if not outputs or bases.count(bases[outputs[-1]]) > 1:
        return []  # `y_j = max_i(x_i + w_ji)` and `y_j = τ log Σ_i …`: variants, none certain
    reads = [{_base(name) for name in re.findall(r"[^\W\d][\w\u0300-\u036f']*", value)} for _, value in statements]
    needed, pending = {outputs[-1]}, [outputs[-1]]
    while pending:  # what the output reads, and what that reads, wherever the notes write it (`…, γ_i = softplus(ρ_i)`)
        current = pending.pop()
        for index, base in enumerate(bases):
            if base in reads[current] and index not in needed and bases.count(base) == 1:
                needed.add(index)
                pending.append(index)
    ordered: list[int] = []
    while len(ordered) < len(needed):  # each formula after those it reads
        ready = [i for i in sorted(needed - set(ordered)) if not {bases[j] for j in needed - set(ordered) if j != i} & reads[i]]
        if not ready:
            return []
        ordered.append(ready[0])
    return [statements[index] for index in ordered]


def _base(name: str) -> str:
    """A written name without its index (`w_ji`: w; `Ŵ_ji`: W_hat)."""
    plain = _normalised(name)
    return found["base"] if (found := _INDEXED.match(plain)) else plain


def _reductions_as_calls(text: str) -> str:
    """`Σ_i |x_i − w_ji| + b_j` as `reduce_sum_i(|x_i − w_ji|) + b_j`: a bracketed reduction reduces its bracket."""
    while match := REDUCTION.search(text):
        start = match.end()
        if text[start:start + 1] == "(":
            depth, end = 0, start
            for end in range(start, len(text)):
                depth += {"(": 1, ")": -1}.get(text[end], 0)
                if depth == 0:
                    break
            inner, end = text[start + 1:end], end + 1
        else:
            end = summand_end(text, start)
            inner = text[start:end]
        operation = _REDUCE[match["sign"] or match["word"]]
        text = f"{text[:match.start()]}reduce_{operation}_{match['index']}({inner.strip()}){text[end:]}"
    return text


def _index_letters(statements: list[tuple[str, str]]) -> dict[str, str] | None:
    """Index letter -> axis: x's index is the input's, else a two-index weight's second; the other is the output's."""
    text = " ".join(f"{target} = {value}" for target, value in statements)
    x_index = {m[1] for m in re.finditer(r"(?<![\w])x_\{?([a-z])\}?(?![\w{])", text)}
    weights = [m[1] for m in re.finditer(r"(?<![\w])[wW](?:_hat)?_\{?([a-z]{2})\}?(?![\w{])", text)]
    letters = {m[1] for m in re.finditer(r"_\{?([a-z])\}?(?![\w{])", text)} | {c for w in weights for c in w}
    inner = x_index.pop() if len(x_index) == 1 else weights[0][1] if weights else None
    outer = {letter for letter in letters if letter != inner and letter in "ijklmnpqrsuv"}
    if len(outer) != 1:
        return None
    return {outer.pop(): OUT, **({inner: IN} if inner else {})}  # `h_i = relu(w_iᵀx + b_i)`: x written whole


class _Writer:
    """Writes the statements as tensor code, each value with the axes it holds."""

    def __init__(self, letters: dict[str, str], note_text: str) -> None:
        self.letters, self.note_text = letters, note_text
        self.constants = note_constants(note_text)
        self.learnable = learnable_names(note_text.replace("$", " "))
        self.straight_through = bool(STRAIGHT_THROUGH.search(note_text))
        self.values: dict[str, tuple[str, ...]] = {}  # computed name -> its axes
        self.extra: dict[str, str] = {}  # the layer's own parameters: name -> its line
        self.weight = ""  # the notes' name of the weight matrix

    def body(self, statements: list[tuple[str, str]]) -> tuple[str, str, str]:
        lines, sources = [], []
        for index, (target, value) in enumerate(statements):
            name, axes = self._split(_normalised(target))
            try:
                tree = ast.parse(self._python(value), mode="eval").body
            except SyntaxError as error:
                raise _Unread(value) from error
            is_output = index == len(statements) - 1
            wanted = {self.letters[letter] for letter in axes} | ({OUT} if is_output else set())
            code, held = self._code(tree, wanted, set())
            if wanted and {axis for axis in held if axis != BATCH} != wanted:
                raise _Unread(f"{target}: axes {held}")
            variable = name if not is_output else "out"
            lines.append(f"{variable} = {code}")
            self.values[name] = held
            sources.append(f"{target} = {value.strip()}")
        if self.values[name] != (BATCH, OUT):
            raise _Unread("the output is not one value per sample and unit")
        return "\n".join([*lines, "return out"]), "; ".join(sources), "\n".join(self.extra.values())

    def _python(self, value: str) -> str:
        """The right-hand side as Python: notation made plain, a transposed vector marked, products written out."""
        text = re.sub(r"(?<=[\w}])\s*(?:ᵀ|\^\s*\{?\s*(?:T|\\top)\s*\}?|⊤)", "__T ", value)
        text = _normalised(re.sub(r"\\(?:max|min)_", lambda m: m[0][1:], text))
        text = re.sub(r"(?:\|\||‖)\s*([^|‖]+?)\s*(?:\|\||‖)", r"norm(\1)", text)
        text = re.sub(r"(?<=[\w)])\s+(?=[A-Za-z_(])", "*", text.strip())  # `w_ij x_j`, `s x`: side by side, a product
        return text

    def _split(self, name: str) -> tuple[str, str]:
        found = _INDEXED.match(name)
        if found and set(found["index"]) <= set(self.letters):
            return found["base"], found["index"]
        return name, ""

    def _code(self, node: ast.expr, target: set[str], reducing: set[str]) -> tuple[str, tuple[str, ...]]:
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return repr(float(node.value)), ()
        if isinstance(node, ast.Name):
            return self._name(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            code, axes = self._code(node.operand, target, reducing)
            return f"(-{code})", axes
        if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
            left, right = self._code(node.left, target, reducing), self._code(node.right, target, reducing)
            axes = tuple(axis for axis in _AXES if axis in left[1] or axis in right[1])
            code = f"({_broadcast(*left, axes)} {OPERATORS[type(node.op)]} {_broadcast(*right, axes)})"
            contracted = isinstance(node.op, ast.Mult) and IN in left[1] and IN in right[1] \
                and IN not in target and IN not in reducing
            if contracted:  # `w_iᵀ x`, `Ŵ x`: a row or a matrix times the input sums over the input's axis
                return f"{code}.sum(dim={axes.index(IN)})", tuple(axis for axis in axes if axis != IN)
            return code, axes
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
            return self._call(node.func.id, node.args, target, reducing)
        raise _Unread(ast.unparse(node))

    def _call(self, function: str, arguments: list[ast.expr], target: set[str], reducing: set[str]) \
            -> tuple[str, tuple[str, ...]]:
        reduction = re.fullmatch(r"reduce_(sum|mean|amax|amin)_([a-z])", function)
        if reduction and len(arguments) == 1 and reduction[2] in self.letters:
            axis = self.letters[reduction[2]]
            code, axes = self._code(arguments[0], target, reducing | {axis})
            if axis not in axes:
                raise _Unread(f"a reduction over an axis its summand lacks: {function}")
            return f"{code}.{reduction[1]}(dim={axes.index(axis)})", tuple(a for a in axes if a != axis)
        parts = [self._code(argument, target, reducing) for argument in arguments]
        if function.lower() in _ELEMENTWISE and len(parts) == 1:
            (code, axes), written = parts[0], f"{_ELEMENTWISE[function.lower()]}({parts[0][0]})"
            if self.straight_through and function.lower() in _STEPPED:  # the notes' straight-through estimator
                return f"({code} + ({written} - {code}).detach())", axes
            return written, axes
        if function == "norm" and len(parts) == 1:
            code, axes = parts[0]
            own = [axis for axis in axes if axis != BATCH]
            if not own:
                raise _Unread("the norm of a number")
            axis = IN if IN in own else own[0]
            return f"{code}.norm(dim={axes.index(axis)})", tuple(a for a in axes if a != axis)
        if function in ("clip", "clamp") and len(parts) == 3 and not parts[1][1] and not parts[2][1]:
            return f"torch.clamp({parts[0][0]}, {parts[1][0]}, {parts[2][0]})", parts[0][1]
        if function in ("max", "min") and len(parts) == 2:
            axes = tuple(axis for axis in _AXES if axis in parts[0][1] or axis in parts[1][1])
            first, second = (f"torch.as_tensor({_broadcast(*part, axes)})" for part in parts)
            return f"torch.{function}imum({first}, {second})", axes
        raise _Unread(f"the function {function}")

    def _name(self, written: str) -> tuple[str, tuple[str, ...]]:
        """The code and axes of a name the formulas read."""
        transposed = written.endswith("__T")
        base, index = self._split(written.removesuffix("__T"))
        axes = tuple(sorted({self.letters[letter] for letter in index}, key=_AXES.index))
        if base in self.values and not transposed:
            if axes and set(axes) - set(self.values[base]):
                raise _Unread(f"{written}: an index its formula does not have")
            return base, self.values[base]
        if base == "x":
            if axes not in ((), (IN,)):
                raise _Unread("x with the output's index")
            return "x", (BATCH, IN)
        if base[0] in "wW" and base not in self.values and (not self.weight or self.weight == base):
            self.weight = base
            return "self.weight", (OUT, IN)
        if base in ("b", "bias") and axes in ((), (OUT,)):
            return "self.bias", (OUT,)
        if transposed:
            raise _Unread(f"{written}: a transposed value other than a weight")
        if not axes and compared_name(base) in self.constants:
            return repr(float(self.constants[compared_name(base)])), ()
        if not axes and compared_name(base) == "eps":
            return repr(EPS), ()
        start = _start(written, self.note_text) or _start(base, self.note_text) or (
            compared_name(base) in self.learnable and self.constants.get(compared_name(base + "0")))  # `s 可学习，初值 s_0 = 5`
        if start and len(axes) <= 1:
            shape = {(): "()", (OUT,): "(self.out_features,)", (IN,): "(self.in_features,)"}[axes]
            self.extra[base] = f"self.{base} = nn.Parameter(torch.full({shape}, {float(start)!r}))  # the layer's own, started as the notes say"
            return f"self.{base}", axes
        raise _Unread(f"the name {written}")


def _broadcast(code: str, axes: tuple[str, ...], onto: tuple[str, ...]) -> str:
    """`code`, a tensor over `axes`, indexed to broadcast over `onto` (`x[:, None, :]` for x over (batch, input))."""
    if axes == onto or not axes:
        return code
    return f"{code}[{', '.join(':' if axis in axes else 'None' for axis in onto)}]"
