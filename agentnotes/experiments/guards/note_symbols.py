"""The functions and Greek-letter parameters of the note's formulas that the idea code never uses.

A small model often writes a plausible neighbour of the idea: `x + W x` for the note's
`y = x + α*relu(W*x + b)`, without the scale α and without the ReLU, and a small critic approves
it. What a program can check is coarse but certain: a function the formula applies (relu, sign,
sigmoid, ...) must be computed somehow (any of the ways listed in FUNCTION_WAYS), and a Greek
letter the formula uses must appear in the code, by name (α as alpha, λ as lam or lambda_), by a
usual alias (η as lr), or as the number the notes give it.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Sequence

from agentnotes.experiments.guards.autofix import Fix
from agentnotes.experiments.guards.constants import compared_name, note_constants
from agentnotes.experiments.guards.kinds import EVERY_STEP, PERIOD_LETTER, PERIODIC, RECURRENCE, idea_text, without_variants
from agentnotes.experiments.guards.formula_lines import _CODE_COMMENT, _TORCH_CALLS, FUNCTION_ALIAS, bracket_depth
from agentnotes.experiments.guards.notation import GREEK, plain_formula
from agentnotes.experiments.guards.problems import Problem

# A function of the formula -> the names (calls, attributes, modules) that compute it in code.
FUNCTION_WAYS: dict[str, frozenset[str]] = {
    "relu": frozenset({"relu", "relu_", "clamp", "clamp_", "clamp_min", "clip", "maximum", "max", "where", "relu6"}),
    "sigmoid": frozenset({"sigmoid", "sigmoid_", "exp", "logsigmoid", "tanh", "expit"}),
    "tanh": frozenset({"tanh", "tanh_", "exp", "sigmoid"}),
    "sign": frozenset({"sign", "sign_", "sgn", "where", "copysign"}),
    "exp": frozenset({"exp", "exp_", "expm1", "softmax", "sigmoid", "tanh", "pow"}),
    "log": frozenset({"log", "log_", "log1p", "log_softmax", "logsigmoid", "logsumexp", "cross_entropy", "nll_loss",
                      "log2", "log10"}),
    "sqrt": frozenset({"sqrt", "sqrt_", "rsqrt", "norm", "std", "pow", "vector_norm"}),
    "abs": frozenset({"abs", "abs_", "norm", "sign", "where", "l1_loss", "smooth_l1_loss", "huber_loss", "vector_norm"}),
    "softmax": frozenset({"softmax", "log_softmax", "exp", "cross_entropy"}),
    "cos": frozenset({"cos"}),
    "sin": frozenset({"sin"}),
    "softplus": frozenset({"softplus", "log1p", "log", "exp"}),
    "gelu": frozenset({"gelu", "erf", "tanh"}),
    "clip": frozenset({"clip", "clip_", "clamp", "clamp_", "min", "max", "minimum", "maximum", "where", "renorm"}),
    # `max(1, RMS)`, `max(v, ε²)`, `max_i |g_i|`: a larger of two, or of a tensor's entries
    "max": frozenset({"max", "maximum", "amax", "fmax", "clamp", "clamp_", "clamp_min", "clip", "clip_", "relu", "relu_",
                      "where", "topk", "sort", "cummax", "max_pool1d", "max_pool2d", "adaptive_max_pool2d", "logsumexp"}),
    "min": frozenset({"min", "minimum", "amin", "fmin", "clamp", "clamp_", "clamp_max", "clip", "clip_", "where", "topk",
                      "sort", "cummin", "kthvalue"}),
}
FUNCTION_WAYS["clamp"] = FUNCTION_WAYS["clip"]
_FUNCTION_CALL = re.compile(r"(?<![\w.])(" + "|".join(FUNCTION_WAYS) + r")\s*\(", re.IGNORECASE)
# cos(g, m) of two tensors: the cosine of the angle between them, ⟨g, m⟩/(‖g‖·‖m‖), not torch.cos; and how code computes it
# (F.normalize: the product of unit vectors).
_COSINE_OF_TWO = re.compile(r"(?<![\w.])cos\s*\(\s*[^(),\n]+,[^(),\n]+\)", re.IGNORECASE)
_COSINE_WAYS = frozenset({"cosine_similarity", "dot", "vdot", "sum", "norm", "vector_norm", "inner", "normalize"})
# The network's own nonlinearities: in the notes of an idea that computes no forward pass (an update rule, a weight
# operation, an initialisation, a schedule), `relu(c·z) = c·relu(z)` says why the idea works, not what its code computes.
_NETWORK_FUNCTIONS = {"relu", "sigmoid", "tanh", "softplus", "gelu", "softmax"}
_FORWARD_KINDS = {"layer", "activation", "loss", "regulariser", "data", "architecture"}
# Greek letters the code usually writes under another name (η is the learning rate, σ a standard deviation or
# the sigmoid, μ a mean); θ stands for the parameters themselves and is not looked for.
_ALIASES = {"eta": ("lr",), "sigma": ("std", "sigmoid", "scale", "noise"), "mu": ("mean",), "lam": ("weightdecay", "wd"),
            "tau": ("temp",), "eps": ("randn", "normal", "noise")}
_NOT_LOOKED_FOR = {"theta"}
# A letter the notes apply as a function without naming it (`h_l = σ(W_l h_{l−1} + b_l)`): the network's nonlinearity,
# whichever the code applies.
_ANY_NONLINEARITY = ("relu", "tanh", "sigmoid", "gelu", "silu", "elu", "softplus", "act")
# Names not looked for when written out: `+ eps` in code-like notes is a guard against division by zero, which the code
# may write otherwise (`if norm > 0`); Delta is a change, not a letter.
_NOT_SPELLED = {"eps", "Delta"}
# Notes that leave the biases out of an operation on the weights: "bias 不约束", "biases are left alone".
BIASES_LEFT = re.compile(r"(?:bias(?:es)?|偏置)\s*(?:are\s+|is\s+)?(?:不|not|unchanged|untouched|left|excluded|除外|保持不变)|"
                         r"(?:不|(?<![\w])(?:not|excluding|except(?:\s+for)?))\s*\**\s*(?:包括|包含|含|动|管|改)?\s*\**\s*"
                         r"(?:the\s+)?(?:bias(?:es)?|偏置)", re.IGNORECASE)
# Notes that give the biases plain SGD ("biases: plain SGD with lr = 0.05", "偏置用普通 SGD").
BIASES_PLAIN_SGD = re.compile(r"(?:bias(?:es)?|偏置)[^。\n.;；]{0,12}?(?:plain|普通|ordinary|usual)\s*SGD", re.IGNORECASE)
# Notes that treat the biases apart from the weight matrices: left alone, or given another rule ("biases: plain SGD",
# `if p.dim() >= 2:`, "only the weight matrices").
_BIASES_APART = re.compile(BIASES_LEFT.pattern + "|" + BIASES_PLAIN_SGD.pattern + "|"
                           r"\.dim\(\)\s*(?:>=\s*2|>\s*1|==\s*2)|(?:only|只(?:对|改|动)?)\s*(?:the\s+)?(?:weight\s+matri(?:x|ces)|权重矩阵)",
                           re.IGNORECASE)
# What reads a parameter's shape in code: p.dim(), p.ndim, p.shape, p.size().
_SHAPE_READS = frozenset({"dim", "ndim", "ndimension", "shape", "size"})
# A norm or an inner product of one row (`‖w_i‖`, `||wᵢ||²`, `⟨g_i, w_i⟩`, `‖W[i, :]‖`): the formula holds for each row.
_ROW_FORMULA = re.compile(r"(?:‖|\|\|)\s*[A-Za-z]\w*?(?:_i|ᵢ|\[\s*i\s*,\s*:\s*\])\s*(?:‖|\|\|)|"
                          r"[⟨<]\s*[A-Za-z]\w*?(?:_i|ᵢ)\s*,\s*[A-Za-z]\w*?(?:_i|ᵢ)\s*[⟩>]")
_BY_DIM_POSITIONAL = {"sum": 1, "mean": 1, "amax": 1, "norm": 2}  # `.sum(1)`, `.norm(2, 1)`: a reduction along a dim
# A squared norm: `‖ŷ‖²`, `‖w‖₂²`, `‖ŷ‖²₂`, `||g||^2`, `\|x\|_2^2`, `\lVert x \rVert^2`; and the ways code squares.
_SQUARED_NORM = re.compile(r"(?:‖|\|\||\\\||\\rVert)\s*(?:_?\{?[\dF₀-₉]\}?)?\s*(?:²|\^\s*\{?\s*2\s*\}?(?![\d.])|\*\*\s*2(?![\d.]))")
_SQUARING = frozenset({"square", "square_", "pow", "pow_", "mse_loss", "dot", "vdot", "inner", "einsum", "addcmul", "addcmul_"})
# |W|, an absolute value; not ||g|| or LaTeX's \|g\|, norms, nor |g|², a square that needs no absolute value
_ABSOLUTE = re.compile(r"(?<![|\\])\|[^|\n]{1,20}(?<!\\)\|(?!\|)(?!\s*(?:²|\^\s*\{?2(?!\d)|\*\*\s*2(?!\d)))")
_NUMBER = re.compile(r"^-?(?:\d+\.?\d*|\.\d+)(?:[eE]-?\d+)?$")


# A derivative the notes state (`f'(x) = cos(x) − x·sin(x)`, `∂f/∂x = …`, `df/dx = …`): autograd's, not the code's.
_DERIVATIVE = re.compile(r"(?:[A-Za-z]\w*'\s*\(\s*\w+\s*\)|[∂d]\s*[A-Za-z]\w*\s*/\s*[∂d]\s*\w+)\s*=[^，,;；。\n]*")


def _reduces_along_a_dim(tree: ast.AST) -> bool:
    """Whether the code reduces a tensor along one of its dimensions (`dim=`, `.sum(1)`, `.norm(2, 1)`, F.normalize)."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        root = node.func
        while isinstance(root, ast.Attribute):
            root = root.value
        tensor_first = isinstance(node.func, ast.Name) or getattr(root, "id", "") in ("torch", "F")  # torch.sum(x, 1)
        if any(keyword.arg in ("dim", "axis") for keyword in node.keywords) or name == "normalize" \
                or len(node.args) >= _BY_DIM_POSITIONAL.get(name, 99) + tensor_first:
            return True
    return False


_KEYWORD_ARGUMENT = re.compile(r"(?<=[(,])\s*[A-Za-z_]\w*\s*=(?!=)")  # `alpha=` in a call of the notes' code


def missing_note_symbols(code: str, formulas: str, kinds: Sequence[str] = ()) -> list[Problem]:
    """One problem for each function the note's formula lines apply and each Greek letter they use (`λ`, or written in
    its name, `lam`) that `code` never computes or names; [] when the code does not parse (the static check reports that). For `kinds` that
    compute no forward pass, the network's own nonlinearities are not looked for."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    # `thr = d.abs().kthvalue(k).values   # 第 k 大的 |Δ|`: a remark on the notes' code, not a formula of theirs
    formulas = _DERIVATIVE.sub("", "\n".join(_CODE_COMMENT.sub("", line) for line in formulas.splitlines()))
    functions_named = {GREEK.get(m[1], m[1]): m[2].lower() for m in FUNCTION_ALIAS.finditer(plain_formula(formulas))}  # σ 取 softplus
    names = _code_names(tree)
    numbers = _code_numbers(tree)
    has_power = any(isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) for node in ast.walk(tree))
    problems = []
    if _COSINE_OF_TWO.search(formulas) and not names & _COSINE_WAYS:
        problems.append(Problem("note_symbol", "the notes' formula takes cos(a, b) of two tensors, the cosine of the angle "
                                "between them (not torch.cos), but the code never computes it: torch.sum(a * b) / "
                                "(a.norm() * b.norm() + eps)", 1))
    if _SQUARED_NORM.search(formulas) and not names & _SQUARING and not _squares(tree):
        problems.append(Problem("note_symbol", "the notes' formula squares a norm (‖x‖²) but the code never squares "
                                "anything: write the norm squared, e.g. (x ** 2).sum() or x.norm() ** 2", 1))
    if _ROW_FORMULA.search(formulas) and not _reduces_along_a_dim(tree):
        problems.append(Problem("note_symbol", "the notes' formula is one row's (a norm or inner product of w_i, one unit's "
                                "weights), but every norm and sum in the code takes the whole tensor: reduce along the "
                                "row, e.g. (g * p).sum(dim=1, keepdim=True) and p.norm(dim=1, keepdim=True)", 1))
    applied = [f.lower() for f in _FUNCTION_CALL.findall(_COSINE_OF_TWO.sub("", formulas))] \
        + ["abs"] * bool(_ABSOLUTE.search(formulas))
    if kinds and not _FORWARD_KINDS & set(kinds):
        applied = [f for f in applied if f not in _NETWORK_FUNCTIONS]
    for function in dict.fromkeys(applied):
        ways = FUNCTION_WAYS[function]
        if not names & ways and not (has_power and "pow" in ways):
            pattern = _ABSOLUTE if function == "abs" else re.compile(rf"(?<![\w.]){function}\s*\(", re.IGNORECASE)
            problems.append(Problem("note_symbol", f"the notes' formula applies {function}(...) but the code never computes "
                                                   f"it (e.g. with torch.{function}): write the formula as the note does"
                                                   + _quoted_line(formulas, pattern), 1))
    values = note_constants(formulas)
    lettered = _PROSE_IN_BRACKETS.sub("", formulas)  # `κ = 1.4826（高斯下 κ·MAD = σ）`: σ only in a remark, not looked for
    lettered = _DATA_ARGUMENT.sub("", _ENGLISH_REMARK.sub("", lettered))  # `(≈ 1−β with β=0.9)`, `g(w; ξ)`: no letters
    lettered = re.sub(r"Δ(?=\s*[A-Za-zα-ω])", "", lettered)  # Δw_i, Δθ: the change of a value, no letter of its own
    lettered = _KEYWORD_ARGUMENT.sub(" ", lettered)  # `p.add_(m, alpha=-lr)`: torch's keyword, no letter of the notes
    spelled_out = re.findall(rf"(?<![A-Za-z])({'|'.join(sorted(set(GREEK.values()) - _NOT_SPELLED, key=len, reverse=True))})"
                             r"(?=_?\d?(?!\w))", lettered)  # lam = 1.0: a Greek letter written in its name
    looked_for = {spelled: letter for letter, spelled in reversed([*((ch, GREEK[ch]) for ch in lettered if ch in GREEK),
                                                                   *((name, name) for name in spelled_out)])}
    for spelled, letter in reversed(looked_for.items()):  # σ and its LaTeX `\sigma`: one letter, looked for once
        if spelled in _NOT_LOOKED_FOR:
            continue
        compared = spelled.lower()  # the code's names are compared in lower case: Δ is Delta, delta or Δ
        given = {_number(v) for key, v in values.items() if key.startswith(compared)}
        unnamed_function = spelled not in functions_named and re.search(rf"{re.escape(letter)}\s*\(", formulas)
        aliases = (*_ALIASES.get(spelled, ()), *FUNCTION_WAYS.get(functions_named.get(spelled, ""), ()),
                   *(_ANY_NONLINEARITY if unnamed_function and set(kinds) & _FORWARD_KINDS else ()))
        if any(compared in n or any(alias in n for alias in aliases) for n in names) or given & numbers:
            if _set_to_the_step(tree, compared) and not re.search(rf"{re.escape(letter)}\s*(?:_\{{?t\b|\(\s*t\s*\))", formulas):
                problems.append(Problem("note_symbol", f"the code sets {spelled} to the step number, which the notes never "
                                                       f"make it ({letter} does not change with t in their formulas): give "
                                                       f"{spelled} one value, the notes' own or, where they give none, a "
                                                       f"usual one (e.g. 1.0), and keep it", 1))
            continue
        if function := functions_named.get(spelled):
            problems.append(Problem("note_symbol", f"the notes' formula applies {letter}, which they name {function}, but "
                                                   f"the code never computes {function}: apply {_TORCH_CALLS.get(function, function)}(...) "
                                                   f"where the formula applies {letter}", 1))
        else:
            problems.append(Problem("note_symbol", f"the notes' formula uses {letter} but the code has no {spelled} (nor its "
                                                   f"value from the notes): compute the formula with {letter} as the note "
                                                   f"defines it, named {spelled}"
                                                   + _quoted_line(lettered, re.compile(rf"(?<![A-Za-z]){re.escape(letter)}(?![A-Za-z])")), 1))
    return problems


_IDENTIFIER = re.compile(r"[A-Za-z_\u0370-\u03ff][\w\u0370-\u03ff]*")
# Names of the run's own step counters (`t`, `T = 3000`): the harness gives them, the code need not repeat their values.
_RUN_COUNTERS = frozenset({"t", "step", "steps"})


def unused_note_values(code: str, formulas: str) -> list[Problem]:
    """One problem when the notes' formula lines give two or more values other than 0 and 1 that they also compute with
    (`K = 32`, `t₀ = 5` and `K·t₀·log₂K`) and the code reads none of them, by name or by value: whatever it computes,
    it is not the notes' rule (a stock initialisation for a tournament of seeds). [] when the code does not parse."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    said = Counter(compared_name(name) for name in _IDENTIFIER.findall(plain_formula(formulas)))
    values = {name: number for name, value in note_constants(formulas).items()
              if name.lower() not in _RUN_COUNTERS and (number := _number(value)) is not None and number not in (0, 1)
              and said[name] > 1}  # not a value only given (`SIREN init, ω₀ = 30` for a compared arm): one the rule reads
    if len(values) < 2:
        return []
    names = _code_names(tree)
    numbers = _code_numbers(tree)
    if any(name in names or number in numbers for name, number in values.items()):
        return []
    shown = ", ".join(f"{name} = {number:g}" for name, number in values.items())
    return [Problem("note_values", f"the code uses none of the values the notes' rule gives ({shown}), neither by name "
                                   f"nor by value: it does not compute the notes' rule. Write their rule with them"
                                   + _quoted_line(formulas, re.compile(r"\d")), 1)]


def _quoted_line(formulas: str, pattern: re.Pattern[str], most: int = 120) -> str:
    """"; the notes write: `…`" with the first formula line `pattern` finds (cut to `most` characters), or "" where none:
    the line itself, for a model that did not find it."""
    line = next((line.strip() for line in formulas.splitlines() if pattern.search(line)), "")
    return f"; the notes write: `{line if len(line) <= most else line[:most - 1] + '…'}`" if line else ""


def _set_to_the_step(tree: ast.Module, name: str) -> bool:
    """Whether the code assigns `name` (compared in lower case) the step argument itself (`lam = step`, `lam = t`)."""
    return any(isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) and node.value.id in ("step", "t")
               and any(isinstance(target, ast.Name) and target.id.lower() == name for target in node.targets)
               for node in ast.walk(tree))


def _squares(tree: ast.Module) -> bool:
    """Whether the code squares something: `x ** 2` or `x * x`."""
    return any(isinstance(n, ast.BinOp) and (
        isinstance(n.op, ast.Pow) and isinstance(n.right, ast.Constant) and n.right.value == 2
        or isinstance(n.op, ast.Mult) and ast.dump(n.left) == ast.dump(n.right)) for n in ast.walk(tree))


# PyTorch's own recurrent modules: a cell whose recurrence the notes write out is none of them.
_STOCK_RECURRENT = frozenset({"RNN", "GRU", "LSTM", "RNNCell", "GRUCell", "LSTMCell"})


def stock_recurrent_cell(code: str, formulas: str, kinds: Sequence[str]) -> list[Problem]:
    """An architecture idea whose formulas write its recurrence out (`h_t = … h_{t−1}`: guards/kinds.py RECURRENCE)
    and whose code builds one of PyTorch's own recurrent modules: another cell than the note's."""
    recurrence = next((line.strip() for line in formulas.splitlines() if re.search(RECURRENCE, line)), None)
    if "architecture" not in kinds or recurrence is None:
        return []
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    for node in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
        if name in _STOCK_RECURRENT:
            return [Problem("stock_cell", f"the notes write the cell's own recurrence (`{recurrence}`) but the code builds "
                                          f"PyTorch's nn.{name}, another cell: compute the notes' formulas at each time "
                                          "step, looping over x[:, t]", node.lineno)]
    return []


def missing_period(code: str, note_text: str, kinds: Sequence[str]) -> list[Problem]:
    """A weight operation or schedule the notes do every N steps (guards/kinds.py PERIODIC) whose code
    never divides the step (no `%`, `//` or floor): it runs at every step instead. And a weight operation
    the notes do after every step (every_step_cue) whose code runs only when `step % N` allows: a period the notes
    never gave (a worked example's)."""
    if not {"weight_op", "schedule"} & set(kinds):
        return []
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    divides = _divides_step(tree)
    if cue := periodic_cue(note_text):
        how = ("start with `if step % N != 0: return` (N from the notes)" if "weight_op" in kinds else
               "change the rate only at the steps where `step % N == 0` (N from the notes) and keep it in between")
        return [] if divides else [Problem("note_period", f"the notes do this only periodically (\"{cue[0]}\") but the "
                                           f"code does it at every step: {how}", 1)]
    every = every_step_cue(note_text)
    modulo = next((n for n in ast.walk(tree) if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mod)
                   and isinstance(n.left, ast.Name) and n.left.id == "step"), None)
    if "weight_op" not in kinds or every is None or modulo is None:
        return []
    return [Problem("note_period", f"the notes do this at every step (\"{every[0]}\") but the code does it only when "
                                   f"`{ast.unparse(modulo)}` allows: drop that test", modulo.lineno)]


def _divides_step(tree: ast.Module) -> bool:
    """The code divides something into periods: a `%`, a `//` or a floor."""
    return any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mod | ast.FloorDiv) for n in ast.walk(tree)) \
        or "floor" in _code_names(tree)


def add_note_period(code: str, note_text: str, kinds: Sequence[str]) -> tuple[str, list[Fix]]:
    """A weight operation the notes do every N steps (note_period) whose code never divides the step starts with
    `if step % N != 0: return`, in weight_op or unit_op, else in after_step."""
    period = note_period(note_text) if periodic_cue(note_text) else None
    if "weight_op" not in kinds or period is None:
        return code, []
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    if _divides_step(tree):
        return code, []
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef) and "step" in [a.arg for a in n.args.args]}
    function = functions.get("weight_op") or functions.get("unit_op") or functions.get("after_step")
    if function is None:
        return code, []
    return _started_with(code, function, f"if step % {period} != 0:", f"{function.name} at every step")


# The line a weight operation starts with where the notes leave the biases alone (a return under it).
BIAS_GUARD = "if {param}.dim() < 2:  # the notes leave the biases alone"


def add_note_bias_guard(code: str, note_text: str, kinds: Sequence[str]) -> tuple[str, list[Fix]]:
    """A weight operation whose notes leave the biases alone (BIASES_LEFT) and whose code never looks at a parameter's
    shape starts with `if p.dim() < 2: return`, as the program writes it (guards/formula_code.py)."""
    if "weight_op" not in kinds or not BIASES_LEFT.search(note_text):
        return code, []
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    function = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "weight_op" and n.args.args), None)
    if function is None or any(isinstance(n, ast.Attribute) and n.attr in _SHAPE_READS for n in ast.walk(tree)):
        return code, []
    return _started_with(code, function, BIAS_GUARD.format(param=function.args.args[0].arg),
                         "weight_op on the biases too")


def _started_with(code: str, function: ast.FunctionDef, condition: str, why: str) -> tuple[str, list[Fix]]:
    """`code` with `function` starting (after its docstring) with `condition` and a return under it."""
    body = function.body
    after = body[0].end_lineno if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
        and len(body) > 1 else body[0].lineno - 1
    indent = " " * body[-1].col_offset
    lines = code.splitlines()
    lines[after:after] = [f"{indent}{condition}", f"{indent}    return"]
    return "\n".join(lines) + "\n", [Fix(after + 1, why, f"{condition.split('  #')[0]} return")]


def missing_bias_case(code: str, note_text: str, kinds: Sequence[str]) -> list[Problem]:
    """An update rule or weight operation whose notes treat the biases apart (left alone, or plain SGD for them)
    while its code never looks at a parameter's shape, so every parameter gets the weight matrices' rule. An operation
    on units (unit_op) names each layer's bias itself."""
    if not {"update_rule", "weight_op"} & set(kinds) or not (said := _BIASES_APART.search(note_text)):
        return []
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    if any(isinstance(n, ast.Attribute) and n.attr in _SHAPE_READS for n in ast.walk(tree)) \
            or any(isinstance(n, ast.FunctionDef) and n.name == "unit_op" for n in tree.body):
        return []
    return [Problem("note_biases", f"the notes treat the biases apart from the weight matrices (\"{said[0]}\") but the "
                                   "code does the same to every parameter: test p.dim() (2 for a weight matrix, 1 for a "
                                   "bias) and do for each what the notes say", 1)]


# The notes choosing the smallest values of something (`挑 d 最小的 10%`, "prune the lowest 5% of |w|"), or the largest.
# (not `最小二乘`, `最小化`, "at least", "least squares": no choice).
_SMALLEST = re.compile(r"最小的|最小\s*(?:\d|[kK]\b)|\bsmallest\b|\blowest\b|(?<!at )\bleast\b(?![- ]squares?)|\bbottom[- ]?k\b",
                       re.IGNORECASE)
_LARGEST = re.compile(r"最大|\blargest\b|\bhighest\b|\bbiggest\b|\btop[- ]?(?:k\b|\d)", re.IGNORECASE)


def reversed_selection(code: str, note_text: str) -> list[Problem]:
    """The idea's sections choose the smallest values (and never the largest) while the code's `topk` keeps the largest:
    no `largest=False` and its values not negated, so the idea arm picks the very opposite of what the notes say."""
    said = idea_text(note_text)
    if not (smallest := _SMALLEST.search(said)) or _LARGEST.search(said):
        return []
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    for call in ast.walk(tree):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "topk"):
            continue
        torch_call = isinstance(call.func.value, ast.Name) and call.func.value.id == "torch"
        values = (call.args[0] if call.args else None) if torch_call else call.func.value
        negated = isinstance(values, ast.UnaryOp) and isinstance(values.op, ast.USub)
        largest = next((k.value for k in call.keywords if k.arg == "largest"), ast.Constant(True))
        if not isinstance(largest, ast.Constant):
            continue  # chosen by a value of the code's own
        if bool(largest.value) != negated:  # `topk(-d, k, largest=False)` keeps the largest d, as `topk(d, k)` does
            return [Problem("note_selection", f"the notes choose the smallest values (\"{smallest[0]}\") but this `topk` "
                                              "keeps the largest: take topk(values, k, largest=False) of the values "
                                              "themselves, not negated", call.lineno)]
    return []


# The notes' `max(x, 0)`, `min(x, 0)`: each entry against 0.
_AGAINST_ZERO = re.compile(r"(?<![\w.])(max|min)\s*\((?:[^()]|\([^()]*\))+,\s*0(?:\.0*)?\s*\)")


def reduced_against_zero(code: str, formulas: str) -> list[Problem]:
    """The notes take the larger (or smaller) of each entry and 0 (`max(s ⊙ W, 0)`) while the code calls
    `torch.max(x, 0)` or `x.max(0)`: the largest entries along dim 0, a tensor of another shape that broadcasting lets
    run in its place."""
    said = {found[1] for found in _AGAINST_ZERO.finditer(plain_formula(formulas))}
    try:
        tree = ast.parse(code) if said else None
    except SyntaxError:
        return []
    for call in ast.walk(tree) if tree else ():
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in said):
            continue
        on_torch = isinstance(call.func.value, ast.Name) and call.func.value.id == "torch"
        dim = [*call.args[1 if on_torch else 0:], *(k.value for k in call.keywords if k.arg == "dim")][:1]
        if dim and isinstance(dim[0], ast.Constant) and type(dim[0].value) is int:
            name = call.func.attr
            return [Problem("note_against_zero", f"`{ast.unparse(call)}` takes the {'largest' if name == 'max' else 'smallest'}"
                                                 f" entries along dim {dim[0].value}, a tensor of another shape; the notes' "
                                                 f"`{name}(…, 0)` compares each entry with 0: torch.clamp(x, "
                                                 f"{'min' if name == 'max' else 'max'}=0)", call.lineno)]
    return []


def _code_names(tree: ast.Module) -> set[str]:
    """Every name the code uses or binds, attribute and argument, as compared (Greek letters spelled out)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) < 30:
            names.add(node.value)  # state["m"], register_buffer("alpha", ...)
    return {compared_name(n) for n in names} | {n.lower() for n in names}


def _code_numbers(tree: ast.Module) -> set[float | None]:
    """Every number the code writes (not True or False)."""
    return {_number(node.value) for node in ast.walk(tree) if isinstance(node, ast.Constant)
            and isinstance(node.value, int | float) and not isinstance(node.value, bool)}


def _number(value: object) -> float | None:
    try:
        return round(float(value), 12)
    except (TypeError, ValueError):
        return None


def _period_said(note_text: str) -> tuple[re.Match[str] | None, bool]:
    """The notes' "every N steps" (guards/kinds.py PERIODIC) on a line of the idea, not of its setup or of what it
    measures ("记录：每 100 步的奇异值", kinds.py idea_text), and whether its period is one step."""
    cue = re.search(PERIODIC, idea_text(note_text), re.IGNORECASE)
    return cue, bool(cue) and note_period(note_text) == 1


def periodic_cue(note_text: str) -> re.Match[str] | None:
    """The notes' "every N steps" on a line of the idea (_period_said). A period of one step is every step
    (every_step_cue)."""
    cue, every_step = _period_said(note_text)
    return None if every_step else cue


def every_step_cue(note_text: str) -> re.Match[str] | None:
    """The notes' "after every step" (guards/kinds.py EVERY_STEP) where they give no period, or their period of one
    step ("every 1 steps", "每 N 步（N=1）")."""
    cue, every_step = _period_said(note_text)
    if cue:
        return cue if every_step else None
    return re.search(EVERY_STEP, note_text, re.IGNORECASE)


def note_period(note_text: str) -> int | None:
    """The number of steps of the notes' "every N steps" (periodic_cue): the number in the cue itself ("every 50
    steps", "每 50 步") or given for its letter just after ("每训练 N 步（比如 N=50）"); a cue without either (a
    heading's "every N steps") leaves it to a later cue or the letter's value elsewhere (one of a sweep, as
    note_constants chooses it)."""
    letters, said = [], idea_text(note_text)  # not a setup's "metrics every 100 steps"
    for cue in re.finditer(PERIODIC, said, re.IGNORECASE):
        if number := re.search(r"\d+", cue[0]):
            return int(number[0])
        letter = re.search(rf"(?<![A-Za-z])({PERIOD_LETTER})(?![A-Za-z])", cue[0])
        given = letter and re.search(rf"(?<![A-Za-z]){letter[1]}\s*=\s*(\d+)", said[cue.start():cue.end() + 60])
        if given:
            return int(given[1])
        letters += [letter[1]] if letter else []
    idea = without_variants(note_text)  # not a guess's "N=1 可能略掉点"
    given = next((found for letter in letters if (found := re.search(rf"(?<![A-Za-z]){letter}\s*=\s*(\d+)", idea))), None)
    if given:
        return int(given[1])
    constants = note_constants(idea)  # swept (`k ∈ {1, 10, 100}`): the value the notes use, else the middle
    value = next((constants[compared_name(letter)] for letter in letters if compared_name(letter) in constants), None)
    return int(float(value)) if value and float(value).is_integer() and float(value) >= 1 else None


def period_mismatch(changed_at: Sequence[int], note_text: str, kinds: Sequence[str]) -> list[Problem]:
    """A weight operation the notes do every N steps that, run in the sandbox, changed the weights at
    consecutive steps: it is not periodic at all (an inverted test `if step % N != 0:`). Another period
    than the notes' example value passes: "every N steps (e.g. N=50)" leaves N to the experiment."""
    if "weight_op" not in kinds or not periodic_cue(note_text):
        return []
    steps = sorted(set(changed_at))
    if not any(b - a == 1 for a, b in zip(steps, steps[1:])):
        return []
    period = note_period(note_text) or "N"
    shown = ", ".join(map(str, steps[:5])) + (", …" if len(steps) > 5 else "")
    return [Problem("note_period", f"the notes do this every {period} steps, but run in the sandbox the code changed "
                                   f"the weights at steps {shown}: do nothing unless step % {period} == 0 "
                                   f"(start with `if step % {period} != 0: return`)", 1)]


# The hooks that keep values between steps in the `state` dict the harness gives them, by kind.
_STATE_HOOKS = {"update_rule": "update", "weight_op": "weight_op"}
# One assignment of a formula line: its target (`m`, `v_t`, `α_t`) and what it is computed from.
_ASSIGNED_FROM = re.compile(r"(?:^\s*(?:[-*]\s+)?|[，,;；:：]\s*)([A-Za-zα-ωΑ-Ωϵ][\wα-ωΑ-Ωϵ]*?)(?:_\{?t\}?)?\s*(?:←|<-|:=|=(?!=))"
                            r"\s*([^，,;；。\n]+)")
# A line's assigned names and its value: `U, S, Vh = torch.linalg.svd(W)`.
_TARGETS = re.compile(r"^\s*([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s*(?:←|<-|:=|=(?!=))\s*(.+)$")
# A remark in brackets after a value, in Chinese: `（wd 先固定不扫）`.
_PROSE_IN_BRACKETS = re.compile(r"[（(][^()（）\n]*[\u4e00-\u9fff][^()（）\n]*[)）]")
# A remark in brackets in English, or a value's size said again: `a = 0.1 (≈ 1−β with β=0.9)`.
_ENGLISH_REMARK = re.compile(r"\((?=[^()\n]*(?:≈|(?<![\w.])(?:with|for|when|if|i\.e\.|e\.g\.|because|since|roughly|about|like|"
                             r"than|so|as)(?![\w.])))[^()\n]*\)")
# The data a function is evaluated on, after a semicolon (`g(w_t; ξ_t)`, `L(θ; x)`): the batch, no value to compute.
_DATA_ARGUMENT = re.compile(r";[^;()\n]*(?=\))")
# The weights, the gradient and the step: the hook's own arguments, which a rule reads to compute their next value.
_NOT_KEPT = {"theta", "w", "weight", "weights", "b", "bias", "p", "param", "x", "g", "grad", "t", "k", "step", "lr", "eta"}


def kept_by_notes(formulas: str) -> dict[str, str]:
    """The names the notes' formulas compute from their own value at the step before (`m ← β·m + g`, `v_t = ρ v_{t-1} +
    …`), other than the weights, the gradient and the step, each with its formula: values to keep between steps. A name
    an earlier line computes anew (`U, S, Vh = svd(W)`, then `S = max(S, τ·S[0])`) is this step's, refined."""
    kept, fresh = {}, set()  # fresh: names an earlier line computes anew at this step (`U, S, Vh = svd(W)`)
    for line in formulas.splitlines():
        fresh |= _computed_anew(line)
        for match in _ASSIGNED_FROM.finditer(line):
            name, value = match.groups()
            if bracket_depth(line, match.start()) or value.strip() == name:
                continue  # `dict(lr=lr, rho=rho)`: a keyword argument, no value kept
            value = _PROSE_IN_BRACKETS.sub("", value)  # `wd = 1e-2（wd 先固定不扫）`: a remark, not the value's formula
            earlier = rf"(?<![\w]){re.escape(name)}(?:_?\{{?\(?t\s*[-−]\s*1\)?\}}?|_prev|_old)?(?![\w])"
            whole = re.sub(r"(?:_?\{?\d+\}?|_\{?(?:[ijlk]{1,2}|ℓ)\}?|[ᵢⱼₗₖ])$", "", name)  # `w_i`, `wᵢ`, `W_ℓ`, `W1`, `b_1`: a
            # row or a layer of the weights or biases
            if compared_name(whole) not in _NOT_KEPT and re.search(earlier, value) and name not in fresh:
                kept.setdefault(name, f"{name} = {value.strip()}")
    return kept


def _computed_anew(line: str) -> set[str]:
    """The names a formula line assigns from other values (`U, S, Vh = torch.linalg.svd(W)`), not from themselves and
    not a number (`m = 0` is a start)."""
    targets = _TARGETS.match(line)
    if targets is None or re.match(r"\s*[-+]?[\d.]+(?:e-?\d+)?\s*(?:$|[（(#，,;；])", targets[2]):
        return set()
    names = set(re.split(r"\s*,\s*", targets[1]))
    return set() if any(re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", targets[2]) for name in names) else names


def unkept_state(code: str, formulas: str, kinds: Sequence[str]) -> list[Problem]:
    """An update or weight-operation hook that never reads its `state` and stores into nothing, where the notes'
    formulas keep a value from one step to the next (kept_by_notes): computed afresh at every step, such a value is
    another rule (a momentum started from zero at each step is no momentum)."""
    hooks = {_STATE_HOOKS[kind] for kind in kinds if kind in _STATE_HOOKS}
    kept = kept_by_notes(formulas) if hooks else {}
    if not kept:
        return []
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []  # the static check reports that
    for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name in hooks):
        reads_state = any(isinstance(n, ast.Name) and n.id == "state" for n in ast.walk(fn))
        stores = any(isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Store) for n in ast.walk(fn))
        if "state" in {a.arg for a in fn.args.args} and not reads_state and not stores:
            name, formula = next(iter(kept.items()))
            return [Problem("note_state", f"the notes keep {name} from one step to the next (`{formula}`), but "
                            f"`{fn.name}` never reads its `state`, so {name} starts afresh at every step: read it with "
                            f"{name} = state.get(\"{name}\", torch.zeros_like(p)), compute it as the notes do, and store it "
                            f"back with state[\"{name}\"] = {name}", fn.lineno)]
    return []


# The gradient at an earlier step in the notes' formulas: `g_{t−1}`, `g_{t-n}`, `g_(t-i)`, `g_prev`.
_EARLIER_GRADIENT = re.compile(r"(?<![\w\\])(?:g|grad)(?:_\{?\(?t\s*[-−]\s*(?:\d+|[a-z])\)?\}?|_prev\b|_\{prev\})")
# Methods that copy or reshape a tensor and leave its values as they are.
_SAME_VALUES = {"clone", "detach", "to", "float", "double", "unsqueeze", "view", "reshape", "flatten", "view_as", "cpu"}
# Calls that store what they are given into what they are called on: a list, a dict, a buffer.
_STORING = {"append", "appendleft", "insert", "extend", "setdefault", "update", "copy_", "put"}


def unkept_gradient(code: str, formulas: str, kinds: Sequence[str]) -> list[Problem]:
    """An update hook that never stores the gradient itself (in its state, a list or a buffer), where the notes'
    formulas read the gradient of an earlier step (`g_{t−n}`, `g_prev`): an average of it or nothing at all stands in
    for a value the rule needs, so it is another rule."""
    earlier = _EARLIER_GRADIENT.search(formulas) if "update_rule" in kinds else None
    if earlier is None:
        return []
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []  # the static check reports that
    for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "update" and len(n.args.args) >= 2):
        gradients = {fn.args.args[1].arg}
        for node in ast.walk(fn):  # `g_now = g.clone()`: the gradient under another name
            if isinstance(node, ast.Assign) and _is_gradient(node.value, gradients):
                gradients |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        kept = _kept_between_calls(fn)
        if not any(_stores_gradient(node, gradients, kept) for node in ast.walk(fn)):
            return [Problem("note_state", f"the notes read the gradient of an earlier step (`{earlier[0]}`), but `update` "
                            "never keeps a gradient between steps (an average of it is another value): store the gradient "
                            "itself, e.g. past = state.setdefault(\"past\", []); past.append(g.clone()), and read the "
                            "earlier one from there", fn.lineno)]
    return []


def _is_gradient(node: ast.AST, gradients: set[str]) -> bool:
    """Whether `node` is the gradient, copied or reshaped at most (`g`, `g.clone()`, `g.detach()[None]`, `p.grad`)."""
    while True:
        if isinstance(node, ast.Name):
            return node.id in gradients
        if isinstance(node, ast.Attribute):
            return node.attr == "grad"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _SAME_VALUES:
            node = node.func.value
        elif isinstance(node, ast.Subscript):
            node = node.value
        else:
            return False


def _holds_gradient(node: ast.AST, gradients: set[str]) -> bool:
    """Whether `node` is the gradient or a list, tuple or stack of tensors with it among them."""
    if isinstance(node, (ast.List, ast.Tuple)):
        return any(_holds_gradient(element, gradients) for element in node.elts)
    if isinstance(node, ast.Starred):
        return _holds_gradient(node.value, gradients)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("cat", "stack"):
        return any(_holds_gradient(argument, gradients) for argument in node.args)
    return _is_gradient(node, gradients)


def _kept_between_calls(fn: ast.FunctionDef) -> set[str]:
    """The names of `fn` whose values outlive a call: `state`, `self`, and a name bound to what they hold
    (`past = state.setdefault("past", [])`) or stored into it (`state["past"] = past`)."""
    kept = {"state", "self"}
    while True:
        more = set()
        for node in ast.walk(fn):
            if not isinstance(node, ast.Assign):
                continue
            names = {t.id for t in node.targets if isinstance(t, ast.Name)}
            if _root(node.value) in kept:
                more |= names
            if isinstance(node.value, ast.Name) and any(_root(t) in kept for t in node.targets if not isinstance(t, ast.Name)):
                more.add(node.value.id)
        if more <= kept:
            return kept
        kept |= more


def _root(node: ast.AST) -> str | None:
    """The name a subscript, an attribute or a method call is taken from (`state["past"][0]`, `state.get(...)`: state)."""
    while isinstance(node, (ast.Subscript, ast.Attribute, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _stores_gradient(node: ast.AST, gradients: set[str], kept: set[str]) -> bool:
    """Whether `node` stores the gradient into a value `kept` between calls: by assignment (`state["prev"] = g`,
    `state["hist"] = torch.cat([..., g[None]])`) or by a storing call (`past.append(g.clone())` of a list from state)."""
    if isinstance(node, ast.Assign):
        return _holds_gradient(node.value, gradients) and any(
            not isinstance(t, ast.Name) and _root(t) in kept for t in node.targets)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _STORING:
        return _root(node.func.value) in kept and any(
            _holds_gradient(argument, gradients) for argument in [*node.args, *(k.value for k in node.keywords)])
    return False


# A parameter the notes declare for the idea's layer, with its space, and call a parameter: `z ∈ R^16 是每个单元唯一的参数`,
# `a ∈ ℝ^d, a learnable parameter per unit`.
_DECLARED_PARAMETER = re.compile(r"(?<![\w.])(?P<name>[A-Za-zα-ω](?:_?[A-Za-z0-9])?)\s*∈\s*(?:R|ℝ)(?![a-z])[^。\n;；]{0,40}?"
                                 r"(?:参数|parameters?\b|learn|可学|可训练|trainable)", re.IGNORECASE)
_BASELINE_PARAMETERS = frozenset({"weight", "bias"})


def missing_own_parameters(code: str, formulas: str, kinds: Sequence[str]) -> list[Problem]:
    """A layer whose notes declare parameters of its own (`z ∈ R^16 是每个单元唯一的参数`) and whose code neither names
    them nor holds any parameter or module beyond the baseline's weight and bias: it is not the notes' layer, whatever
    it computes. [] when the code does not parse (the static check reports that)."""
    declared = list(dict.fromkeys(m["name"] for m in _DECLARED_PARAMETER.finditer(formulas)
                                  if m["name"].lower() not in ("w", "b"))) if "layer" in kinds else []  # not W or b
    if not declared:
        return []
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    own = [target.attr for node in ast.walk(tree) if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
           and ast.unparse(node.value.func).startswith("nn.") for target in node.targets
           if isinstance(target, ast.Attribute) and target.attr not in _BASELINE_PARAMETERS]
    names = _code_names(tree)
    if own or any(compared_name(name) in names for name in declared):
        return []
    listed = ", ".join(f"`{name}`" for name in declared)
    return [Problem("note_symbol", f"the notes give the layer parameters of its own ({listed}), but the code's layer has "
                                   f"none beyond the baseline's weight and bias: define them in extra_parameters "
                                   f"(self.{declared[0]} = nn.Parameter(...), with the shape the notes give) and compute "
                                   "the layer's output from them as the notes' formula does", 1)]
