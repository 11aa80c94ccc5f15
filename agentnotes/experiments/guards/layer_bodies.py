"""The bodies of a layer's methods, written from the notes' formulas, for guards/formula_code.py to fill in.

From the assignments guards/formula_lines.py reads: a layer's forward pass (`layer_forward_body`), its method
run every N steps (`periodic_body`), a block's parameters and forward pass (`block_body`) and the init
skeleton's `init_weights` (`init_body`); and whether a layer's output passes its input through
(`reads_input_unweighted`, for guards/skeleton.py). Each is written in the layer's terms (`self.w1`, a
weight matrix times what follows it as F.linear: `_as_torch`) only when the formulas are certain; None
otherwise, and the model writes it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence

from agentnotes.experiments.guards.constants import compared_name, note_constants
from agentnotes.experiments.guards.formula_lines import (
    _ASSIGNS,
    _number,
    _TORCH_CALLS,
    _as_written,
    _assignment,
    _assignments,
    _in_order,
    _is_number,
    _normalised,
    _split_outside_brackets,
    _start,
    _statements,
    learnable_names,
    names_in,
    read_statements,
)
from agentnotes.experiments.guards.kinds import PERIODIC, VARIANT, idea_lines
from agentnotes.experiments.guards.notation import plain_symbols

LAYER_OUTPUTS = frozenset({"y", "h", "out", "output"})
# The elementwise functions a periodic operation may apply (periodic_body), as torch writes them.
TORCH_FUNCTIONS = {name: _TORCH_CALLS[name] for name in ("sign", "sqrt", "exp", "log", "tanh", "sigmoid", "relu", "abs")}


def periodic_body(formulas: str, parameters: Sequence[str], period: int | None) -> str | None:
    """The body of a layer's method run between steps (`between_steps(self, step)`), written from the notes'
    periodic formula lines (`每 N 步：w = (w1+w2)/2，w1 = w2 = w`) when they are certain enough: every line
    reads as assignments, at least one assigns a parameter of the layer, and every name read is one of its
    parameters, a constant the notes give, a value computed by an earlier formula, or one of
    TORCH_FUNCTIONS; the notes give the period's number. A parameter assigned is changed in place; other
    targets are locals. None when any of this fails: the model then writes the method."""
    if period is None:
        return None
    given = note_constants(formulas)
    statements = _statements(formulas)
    if statements is None or not any(target in parameters for target, _ in statements):
        return None
    lines, local = [f"if step % {period} != 0:", "    return"], set()
    for target, value in statements:
        code = _as_torch(value, set(parameters), local, given)
        if code is None:
            return None
        if target in parameters:
            lines.append(f"self.{target}.copy_({code})")
        else:
            lines.append(f"{target} = {code}")
            local.add(target)
    return "\n".join(lines)


def layer_forward_body(formulas: str, parameters: Sequence[str], note_text: str = "") -> tuple[str, str, str] | None:
    """(The body of a layer's `forward(self, x)`, the formulas it comes from, the body of its `extra_parameters(self)`
    or ""), written from the notes' formulas for its output
    (`y = (W1*x + b1) * sigmoid(W2*x + b2)`) when they are certain: every line but the periodic ones
    reads as assignments, the last one names the output (LAYER_OUTPUTS), none assigns the input or a
    parameter, every name read is the input, a parameter of the layer, a constant the notes give, an
    earlier result, one of TORCH_FUNCTIONS or a value of the layer's own the notes call learnable or start at a
    number (`a_j 初始化为 0`: a parameter, one per output unit where the notes say so), and each weight matrix (a
    parameter named w..., or the layer's single `weight` as the notes' W) only multiplies what follows it, written
    F.linear. The notes' single W and their one bias (b, b1) are the layer's `weight` and `bias`; an output written
    per unit (`h_j = g_j·relu(z_j)`, no sum) is computed for all units at once. None otherwise: the model writes it."""
    statements = _output_statements(_per_unit_written_whole(formulas), parameters)
    if statements is None or set(parameters) & {target for target, _ in statements}:
        return None
    targets = [target for target, _ in statements]
    matrices = {name for name in parameters if name[0] in "wW" and name != "weight"} or {"weight"} & set(parameters)
    aliases = {alias: name for alias, name in (("W", "weight"), ("w", "weight"), ("b", "bias"))
               if name in parameters and alias not in parameters and (name != "weight" or matrices == {"weight"})}
    read = {n.id for _, value in statements for n in ast.walk(value) if isinstance(n, ast.Name)}
    if "bias" in parameters and len(named_biases := {n for n in read if re.fullmatch(r"b(?:_?\d+)?", n)} - set(parameters)) == 1:
        aliases[named_biases.pop()] = "bias"  # the layer's one bias, whatever the notes call it (`b1`)
    learnable = learnable_names(f"{formulas}\n{note_text}")
    given = {name: value for name, value in note_constants(formulas).items() if name not in learnable}
    widths = {m[1]: WIDTHS[m["side"].lower()] for m in _WIDTH_SAID.finditer(note_text)
              if m[1] in read and m[1] not in {*parameters, *targets, *aliases} and compared_name(m[1]) not in given}
    extra = _own_parameters(read - set(parameters) - set(aliases) - set(targets) - set(widths) - {"x"}, given, note_text)
    matrices = matrices | {name for name in extra if _MATRIX_NAME.fullmatch(name)}  # `V |x|`: F.linear(|x|, self.V)
    local, lines = {"x", *widths}, [f"{name} = torch.tensor(float({width}), device=x.device)  # the layer's width, as the notes say"
                                     for name, width in widths.items()]
    for target, value in statements:
        code = _as_torch(value, set(parameters) | set(extra), local, given, matrices, aliases)
        if code is None:
            return None
        lines.append(f"{target} = {code}")
        local.add(target)
    if "x" not in read:
        return None
    source = "; ".join(f"{target} = {ast.unparse(value)}" for target, value in statements)
    return "\n".join([*_at_evaluation(formulas, parameters, given), *lines, f"return {targets[-1]}"]), source, \
        "\n".join(extra.values())


# A line saying what the layer computes at evaluation: "评估/预测的时候只用一个 w：y = w*x + b", "at test time, y = W x + b".
_AT_EVALUATION = re.compile(r"评估|预测|推理|测试时|\beval(?:uation)?\b|\binference\b|\bat test\b|\btest[- ]time\b", re.IGNORECASE)


def _at_evaluation(formulas: str, parameters: Sequence[str], given: dict[str, str]) -> list[str]:
    """The forward's first lines where the notes say the layer is the plain one at evaluation (`评估时 y = w*x + b`)
    and give its weight from the layer's parameters (`w = (w1+w2)/2`, on any line, a periodic one too): outside
    training, the plain layer with that weight; [] otherwise."""
    said = [line for line in formulas.splitlines() if _AT_EVALUATION.search(line)]
    plain = [s for line in said for s in _statements(line) or () if s[0] in LAYER_OUTPUTS and _plain_linear(s[1], parameters)]
    weights = [(target, value) for target, value in _statements(formulas) or ()
               if target in _PLAIN_WEIGHTS and target not in parameters and not isinstance(value, ast.Name)]
    if len(plain) != 1 or len(weights) != 1:
        return []
    weight = _as_torch(weights[0][1], set(parameters), set(), given)
    if weight is None:
        return []
    bias = ", self.bias" if "bias" in parameters else ""
    return ["if not self.training:  # the notes' layer at evaluation: " + ast.unparse(ast.Assign([ast.Name(plain[0][0])], plain[0][1], lineno=0)),
            f"    return F.linear(x, {weight}{bias})"]


# A name the notes give the layer's input or output width: `d = 输入维`, "n is the output width", `d = input dim`.
_WIDTH_SAID = re.compile(r"(?<![\w])([A-Za-z]\w{0,3})\s*(?:=|是|为|:|：|is|denotes)\s*(?:the\s+)?(?:layer'?s?\s+)?"
                         r"(?P<side>输入|输出|input|output)\s*(?:的)?\s*(?:维度?|宽度|特征数|dim(?:ension)?s?|width|size|features)",
                         re.IGNORECASE)
WIDTHS = {"输入": "self.in_features", "input": "self.in_features", "输出": "self.out_features", "output": "self.out_features"}
# An output written per unit (`h_j = …`), and the unit index on the names of a formula line.
_UNIT_OUTPUT = re.compile(r"^\s*(?:[-*]\s*)?(?:y|h|out|output)_\{?([jk])\}?\s*=", re.MULTILINE)


def _per_unit_written_whole(formulas: str) -> str:
    """The formulas with the unit index dropped when they write the output unit by unit and sum over nothing
    (`g_j = sigmoid(a_j)`, `h_j = g_j·relu(z_j)`): each is then the same computation for all the units at once."""
    found = _UNIT_OUTPUT.search(formulas)
    if found is None or re.search(r"[Σ∑]|\\sum|\bsum\b", formulas):
        return formulas
    return re.sub(rf"(?<=[A-Za-z\u0370-\u03ff])_\{{?{found[1]}\}}?(?![\w])", "", formulas)


# A second weight matrix of a layer, as the notes name one beside W (`y = W x + V |x| + b`; as formula_lines reads U and V
# before what they multiply).
_MATRIX_NAME = re.compile(r"[UV](?:_?\d)?")


def _own_parameters(names: set[str], given: dict[str, str], note_text: str) -> dict[str, str]:
    """name -> the `extra_parameters` line making it a parameter, for each value a layer's formulas read that the
    notes start at a number and give no constant value (`a_j 初始化为 0`, `a is learnable, starts at 0.5`; a capital
    letter, `V 初始化为 0`, a matrix of the layer's shape); a name without a start reads as unknown later (and the model
    writes the layer)."""
    lines = {}
    for name in sorted(names):
        if name in TORCH_FUNCTIONS or name == "norm" or compared_name(name) in given:
            continue
        start = _start(name, note_text) or next(filter(None, (_start(f"{name}_{index}", note_text) for index in "jk")), None)
        if not start:
            continue
        shape = "(self.out_features, self.in_features)" if _MATRIX_NAME.fullmatch(name) \
            else "(self.out_features,)" if _per_unit(name, note_text) else "()"
        lines[name] = (f"self.{name} = nn.Parameter(torch.full({shape}, {start}))  # the layer's own, started as the notes "
                       "say")
    return lines


def _output_statements(formulas: str, parameters: Sequence[str] = ()) -> list[tuple[str, ast.expr]] | None:
    """The statements of a layer's or block's formulas, those done every N steps and the plain layer's
    (_without_plain_layer) left out, when they read as assignments, each name is assigned once, the input x
    never, and the last one names the output."""
    statements = _statements("\n".join(line for line in formulas.splitlines() if not re.search(PERIODIC, line, re.IGNORECASE)))
    statements = _in_order(_without_plain_layer(statements, parameters)) if statements else statements
    targets = [target for target, _ in statements or ()]
    if not targets or targets[-1] not in LAYER_OUTPUTS or len(set(targets)) != len(targets) or "x" in targets:
        return None
    return statements


def _without_plain_layer(statements: list[tuple[str, ast.expr]], parameters: Sequence[str]) -> list[tuple[str, ast.expr]]:
    """The statements without the plain layer the idea departs from, when the output is also computed otherwise
    (`普通全连接层 y = w*x + b` said as the problem, `评估时 y = w*x + b`), and without a parameter of the layer set to
    the plain weight (`把 w 复制成两份 w1 = w2 = w`): each parameter starts at the plain layer's values already."""
    plain = [s for s in statements if s[0] in LAYER_OUTPUTS and _plain_linear(s[1], parameters)]
    if len(plain) == len([s for s in statements if s[0] in LAYER_OUTPUTS]):
        plain = []
    return [(target, value) for target, value in statements if (target, value) not in plain
            and not (target in parameters and isinstance(value, ast.Name) and value.id in _PLAIN_WEIGHTS
                     and value.id not in parameters)]


_PLAIN_WEIGHTS = frozenset({"w", "W", "weight"})
LEARNING_RATES = ("lr", "eta")  # what notes call the rate an arm trains at


def _plain_linear(value: ast.expr, parameters: Sequence[str]) -> bool:
    """Whether `value` is the plain layer's output: its weight (w, W, not one of the idea layer's own) times x,
    plus a bias or not."""
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add) and isinstance(value.right, ast.Name) \
            and re.fullmatch(r"b|bias", value.right.id):
        value = value.left
    return (isinstance(value, ast.BinOp) and isinstance(value.op, (ast.Mult, ast.MatMult))
            and isinstance(value.left, ast.Name) and value.left.id in _PLAIN_WEIGHTS - set(parameters)
            and isinstance(value.right, ast.Name) and value.right.id == "x")


def reads_input_unweighted(formulas: str) -> bool:
    """Whether a formula for a layer's output (LAYER_OUTPUTS) reads its input x other than inside what a weight
    matrix (W..., w...) multiplies or a sum over its entries reduces: `y = t*relu(W x + b) + (1 - t)*x` passes x
    through, so its output has the input's width (a block), where `y = relu(W x + b)`, `y = w1*(x + h) + b` and
    `y_j = Σ_i softmax(a_j)_i x_i` do not."""
    for line in formulas.splitlines():
        found = _assignment(line) if _ASSIGNS.search(_normalised(line)) else None
        if found is None or found[0] not in LAYER_OUTPUTS:
            continue
        weighted: set[int] = set()
        for node in ast.walk(found[1]):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("sum_over", "dot"):
                weighted |= {id(n) for argument in node.args for n in ast.walk(argument)}  # `Σ_i softmax(a)_i x_i`: a
                # sum over the input's entries, its width gone
            if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.MatMult)):
                if _is_weight(node.left):
                    weighted |= {id(n) for n in ast.walk(node.right)}
                if _is_weight(node.right):  # `(x ⊙ s) Wᵀ`: the input times the transposed weights
                    weighted |= {id(n) for n in ast.walk(node.left)}
        if any(isinstance(n, ast.Name) and n.id == "x" and id(n) not in weighted for n in ast.walk(found[1])):
            return True
    return False


def _is_weight(node: ast.expr) -> bool:
    """A weight matrix (W..., w..., U, V) or its transpose (`W ** T`, from `Wᵀ`)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and isinstance(node.right, ast.Name) \
            and node.right.id == "T":
        node = node.left
    return isinstance(node, ast.Name) and (re.fullmatch(r"[Ww]\w*", node.id) or _MATRIX_NAME.fullmatch(node.id)) is not None


def block_body(formulas: str, note_text: str = "") -> tuple[str, str, str] | None:
    """(The body of a block's `layers_and_parameters(self)`, of its `forward(self, x)`, the formulas they come
    from), written from the notes' formulas for a block's output (`y = x + α*relu(W x + b)`) under the same
    rules as layer_forward_body: each weight matrix (a name W..., w...) is a (width, width) parameter started
    as nn.Linear starts its weight, each bias (b...) one started as its bias, each value the notes call
    learnable a parameter started at the notes' value, and a weight or bias the notes start at a number
    (`b_t starts at -1`) filled with it. None when the notes start one of them otherwise (`W starts orthogonal`):
    the model writes it."""
    statements = _output_statements(formulas)
    if statements is None:
        return None
    targets = [target for target, _ in statements]
    read = list(dict.fromkeys(n.id for _, value in statements for n in ast.walk(value) if isinstance(n, ast.Name)))
    if "x" not in read:
        return None
    learnable = learnable_names(f"{formulas}\n{note_text}")
    constants = note_constants(formulas)
    matrices = [n for n in read if re.fullmatch(r"[Ww]\w*", n) and n not in targets]
    biases = [n for n in read if re.fullmatch(r"b\w*", n) and n not in targets and compared_name(n) not in constants]
    learned = [n for n in read if compared_name(n) in learnable and n not in targets and n != "x"]
    starts = {n: _start(n, note_text) for n in matrices + biases}
    learned_starts = {n: repr(float(constants[compared_name(n)])) if compared_name(n) in constants else _start(n, note_text)
                      for n in learned}
    if any(start == "" for start in starts.values()) or not all(learned_starts.values()):
        return None  # a start the program cannot write, or a learnable value whose start the notes do not give
    layers = [f"self.{n} = nn.Parameter(nn.Linear(self.width, self.width).weight.detach().clone())" if starts[n] is None
              else f"self.{n} = nn.Parameter(torch.full((self.width, self.width), {starts[n]}))  # started as the notes say"
              for n in matrices]
    layers += [f"self.{n} = nn.Parameter(nn.Linear(self.width, self.width).bias.detach().clone())" if starts[n] is None
               else f"self.{n} = nn.Parameter(torch.full((self.width,), {starts[n]}))  # started as the notes say"
               for n in biases]
    layers += [f"self.{n} = nn.Parameter(torch.full((self.width,), {learned_starts[n]}))  # learnable, one per unit, as the "
               "notes say" if _per_unit(n, note_text)
               else f"self.{n} = nn.Parameter(torch.tensor({learned_starts[n]}))  # learnable, as the notes say" for n in learned]
    if not layers:
        return None
    given = {name: value for name, value in constants.items() if name not in learnable}
    local, lines = {"x"}, []
    for target, value in statements:
        code = _as_torch(value, set(matrices + biases + learned), local, given, set(matrices))
        if code is None:
            return None
        lines.append(f"{target} = {code}")
        local.add(target)
    source = "; ".join(f"{target} = {ast.unparse(value)}" for target, value in statements)
    return "\n".join(layers), "\n".join([*lines, f"return {targets[-1]}"]), source


# Words that give a parameter one value per unit of its layer.
PER_UNIT = (r"(?:每个|每一个)\s*(?:输出|隐藏)?\s*(?:单元|神经元|通道|特征|units?|neurons?|channels?)|"
             r"∈\s*(?:R|ℝ)\^\{?(?:out\w*|d_?out|n_?out)\}?|(?:one\s+)?per[- ](?:output[- ])?(?:unit|neuron|channel|feature)|"
             r"(?:for\s+)?each\s+(?:output\s+)?(?:unit|neuron|channel|feature)")
# An initial draw of the weights, `W ~ N(0, 2/fan_in)`, `W ~ U(-a, a)`: the second argument of N is its variance.
_INIT_DRAW = re.compile(r"(?<![\w.])(?:W|w|weights?|theta)(?:_?0)?\s*~\s*(N|U|Uniform)\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)")
# A value drawn entry by entry from a set (`s_ij ~ Uniform{-1, +1}`, `s ∈ {−1, +1}`), and the entry index notes write
# on the weight and on such values (`W_ij`, `s_{ij}`).
_ENTRY_DRAW = re.compile(r"(?<![\w.])([A-Za-z_]\w*)\s*(?:~\s*(?:Uniform|Unif|U)?\s*|∈\s*)\{([^{}]*)\}")
_ENTRY_INDEX = re.compile(r"(?<=[A-Za-z])_\{?ij\}?(?![\w])")
_BIAS_SAID = re.compile(r"(?:偏置|(?<![\w])b(?![\w])|bias(?:es)?)\s*(?:都|全部)?\s*(?:初始化|are |is )?\s*(?:initiali[sz]ed |set )?"
                        r"(?:为|成|to|=)\s*(0|1)(?![\w.])", re.IGNORECASE)
# The sizes each layer gives an initialisation, by the names notes use for them.
_FAN_NAMES = {"fan_in": ("fan_in", "n_in", "d_in", "fanin", "nin"), "fan_out": ("fan_out", "n_out", "d_out", "fanout", "nout")}
# An initialisation said for some layers only: the program would give it to every layer.
_SOME_LAYERS = re.compile(r"last layer|output layer|first layer|hidden layers? only|最后一层|输出层|第一层|只对", re.IGNORECASE)


def init_body(formulas: str, note_text: str = "") -> tuple[str, str] | None:
    """(The body of the init skeleton's `init_weights(layers)`, the formulas it comes from) when the notes draw
    every layer's weights from a formula (`W ~ N(0, σ^2)`, `σ = sqrt(2/fan_in)`; `W ~ U(-a, a)`), or compute each
    weight from values drawn entry by entry (`W_ij = s_ij · c`, `s_ij ~ Uniform{-1, +1}`), over each layer's fan_in
    and fan_out, the notes' constants and earlier results, and may set the biases (`b = 0`, "bias 初始化为 0");
    None when anything else is read, no draw is given, or the notes speak of some layers only."""
    if _SOME_LAYERS.search("\n".join([formulas, *idea_lines(note_text)])):  # not a caveat's "第一层"
        return None
    fans = {name: role for role, names in _FAN_NAMES.items() for name in names}
    given = note_constants(formulas)
    local, lines, draw, bias, shown, weight = set(fans), [], None, _bias_in_words(note_text), [], None
    for line in formulas.splitlines():
        line = _ENTRY_INDEX.sub("", line)
        for found in _ENTRY_DRAW.finditer(line):
            values = [_number(value, given) for value in found[2].split(",")]
            if None in values or found[1] in local:
                return None
            lines.append(f"{found[1]} = torch.tensor({values!r})[torch.randint(0, {len(values)}, layer.weight.shape)]")
            local.add(found[1])
            shown.append(found[0].strip())
        parts = _split_outside_brackets(_normalised(_ENTRY_DRAW.sub(" ", line)))
        for found in filter(None, map(_INIT_DRAW.search, parts)):
            values = [_assignment(f"v = {a}") for a in _split_outside_brackets(found[2])]
            if draw is not None or len(values) != 2 or None in values:
                return None
            draw = (found[1], [v[1] for v in values])
            shown.append(found[0])
        statements = _assignments(";".join(p for p in parts if "=" in _INIT_DRAW.sub("", p)))
        if statements is None:
            return None
        for target, value in statements:
            code = _as_torch(value, set(), local, given)
            shown.append(f"{target} = {ast.unparse(value)}")
            if code is not None and re.fullmatch(r"b\w*|bias", target):
                bias = code
            elif _is_number(value) and compared_name(target) in given:
                continue  # a constant the notes give
            elif re.fullmatch(r"W|w|weights?", target) and weight is None:
                weight = value  # computed once every value it reads is known
            elif code is None:
                return None
            else:
                lines.append(f"{target} = {code}")
                local.add(target)
    if (draw is None) == (weight is None):
        return None
    if weight is not None:
        if (computed := _as_torch(weight, set(), local, given)) is None:
            return None
        fill, uses = f"layer.weight.copy_({computed})", computed
    else:
        low, high = (_as_torch(value, set(), local, given) for value in draw[1])
        if low is None or high is None:
            return None
        fill = f"layer.weight.normal_(float({low}), math.sqrt(float({high})))" if draw[0] == "N" \
            else f"layer.weight.uniform_(float({low}), float({high}))"
        uses = f"{low}\n{high}"
    statements = [(line.split("=", 1)[0].strip(), line.split("=", 1)[1]) for line in lines]
    kept = read_statements(statements, names_in(f"{uses}\n{bias or ''}"))
    lines = [line for line, statement in zip(lines, statements) if statement in kept]
    read = "\n".join([*lines, uses])
    body = ["fan_out = torch.tensor(float(layer.weight.shape[0]))",
            "fan_in = torch.tensor(float(layer.weight[0].numel()))",
            *[f"{name} = {fans[name]}" for name in sorted(set(fans) - set(_FAN_NAMES))
              if re.search(rf"(?<![\w.]){name}(?!\w)", read)],
            *lines, fill]
    if bias is not None:
        body.append(f"if layer.bias is not None:\n    layer.bias.fill_({bias})")
    source = "; ".join(shown)
    return "for layer in layers:\n" + "\n".join("    " + line.replace("\n", "\n    ") for line in body), source


def _bias_in_words(note_text: str) -> str | None:
    """The number the notes set every bias to in words ("bias 初始化为 0", "biases are initialised to 0"), or None."""
    found = _BIAS_SAID.search(note_text)
    return repr(float(found[1])) if found else None


def _per_unit(name: str, note_text: str) -> bool:
    """Whether the notes give `name` one value per unit (`a 是每个输出单元一个可学习参数`, "one per unit"), outside the
    variants they mention (`变体：g 做成 per-output-unit 的`)."""
    said = "\n".join(line for line in plain_symbols(note_text).splitlines() if not VARIANT.match(line))
    return re.search(rf"(?<![\w.]){_as_written(name)}(?![\w])[^。.\n]*?{PER_UNIT}", said, re.IGNORECASE) is not None


def _as_torch(value: ast.expr, parameters: set[str], local: set[str], given: dict[str, str],
              matrices: set[str] = frozenset(), aliases: dict[str, str] | None = None) -> str | None:
    """A formula's expression over the layer's parameters (`self.w1`, or the parameter an alias names),
    earlier locals, the notes' constants and the learning rate (LR), with torch's functions (a norm is each sample's); a weight matrix
    times what follows it is F.linear of that. None when it reads anything else, or uses a matrix another way."""
    aliases = aliases or {}

    class Rewrite(ast.NodeTransformer):
        unknown = False

        def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
            name = node.left.id if isinstance(node.left, ast.Name) else ""
            if isinstance(node.op, (ast.Mult, ast.MatMult)) and aliases.get(name, name) in matrices:
                weight = ast.Attribute(ast.Name("self", ast.Load()), aliases.get(name, name), ast.Load())
                return ast.Call(ast.parse("F.linear", mode="eval").body, [self.visit(node.right), weight], [])
            return self.generic_visit(node)

        def visit_Call(self, node: ast.Call) -> ast.AST:
            name = node.func.id if isinstance(node.func, ast.Name) else ""
            if name not in TORCH_FUNCTIONS and name != "norm":
                self.unknown = True
                return node
            node.args = [self.visit(arg) for arg in node.args]
            if name == "norm":  # the norm of each sample's vector, kept as a column
                node.func = ast.parse("torch.linalg.vector_norm", mode="eval").body
                node.keywords = [ast.keyword("dim", ast.Constant(-1)), ast.keyword("keepdim", ast.Constant(True))]
                return node
            node.func = ast.parse(TORCH_FUNCTIONS[name], mode="eval").body
            return node

        def visit_Name(self, node: ast.Name) -> ast.AST:
            name = aliases.get(node.id, node.id)
            if name in matrices:
                self.unknown = True  # a weight matrix used other than times what follows it
                return node
            if name in parameters:
                return ast.Attribute(ast.Name("self", ast.Load()), name, ast.Load())
            if node.id in local:
                return node
            if compared_name(node.id) in given:
                return ast.Constant(float(given[compared_name(node.id)]))
            if node.id in LEARNING_RATES:
                return ast.Name("LR", ast.Load())  # the rate the arm trains at, as the harness sets it
            self.unknown = True
            return node

    rewrite = Rewrite()
    tree = rewrite.visit(ast.Expression(body=ast.parse(ast.unparse(value), mode="eval").body))
    return None if rewrite.unknown else ast.unparse(tree.body)
