"""The note's formulas as a small program that can run beside the idea's code.

Notes often write an idea's rule in a form that is nearly code: `c = β1*m + (1-β1)*g`,
`p = p - lr*sign(c)`, `m = β2*m + (1-β2)*g`, `β1 = 0.9`. When every formula line of the idea's
sections reads as such an assignment (Greek letters spelled out, `^` as a power, `←` as `=`,
`||g||` as a norm), and every name it uses is either a constant the notes give (ε without a value
is the usual tiny one), a value the kind's hook receives (the
parameter and its gradient, the learning rate, the step; the activation's input; the base rate and
the number of steps; a batch's inputs and targets, and a pair of its samples `x_i`, `x_j`), a state
carried between steps, a value drawn afresh (`ε ~ N(0, 1)`, `λ ~ Beta(α, α)`) or computed by an earlier
formula, the
formulas are a reference implementation: lab/formula_probe.py runs them and the idea's hook on the
same inputs in the sandbox and reports where they differ. Anything less certain (a formula that
does not parse, an unknown name, a name assigned twice) gives no program, so no check. The same
reading gives the bodies guards/formula_code.py writes: a program's hook, a layer's forward pass and its
method run every N steps, a regulariser's penalty.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

from agentnotes.experiments.guards.constants import CASE, NUMBER, POINTS, compared_name, note_constants
from agentnotes.experiments.guards.kinds import PERIODIC
from agentnotes.experiments.guards.notation import DRAW_FAMILIES, GREEK, latex_spacing, plain_formula, plain_symbols

# The functions a formula may apply, as torch writes them (each applied to a tensor: _with_torch).
_TORCH_CALLS = {"sign": "torch.sign", "sqrt": "torch.sqrt", "exp": "torch.exp", "log": "torch.log", "tanh": "torch.tanh",
                "sigmoid": "torch.sigmoid", "relu": "torch.relu", "abs": "torch.abs", "softplus": "F.softplus",
                "cos": "torch.cos", "sin": "torch.sin", "floor": "torch.floor", "clip": "torch.clamp",
                "clamp": "torch.clamp", "min": "torch.minimum", "max": "torch.maximum", "norm": "torch.norm",
                "where": "torch.where", "norm_rows": "torch.linalg.vector_norm", "mean": "torch.mean", "sum": "torch.sum",
                "cosh": "torch.cosh", "std": "torch.std", "ceil": "torch.ceil", "sum_over": "torch.sum",
                "softmax": "F.softmax", "log_softmax": "F.log_softmax", "of_right_class": "of_right_class",
                "specnorm": "specnorm"}
FUNCTIONS = frozenset(_TORCH_CALLS) | {"pi"}  # pi: math.pi
# A small constant the notes name without a value: by convention, this one (a norm of zero stays finite).
EPS = 1e-8
# The values each kind's hook gives, by the names notes use for them.
ROLES = {
    "update_rule": {"param": ("p", "w", "theta", "param", "W"), "grad": ("g", "grad", "gradient"),
                    "lr": ("lr", "eta"), "step": ("t", "step", "k")},
    "activation": {"input": ("x", "z", "u")},
    "weight_op": {"param": ("w", "p", "W", "theta", "param"), "step": ("t", "step", "k")},
    "data": {"input": ("x",), "target": ("y",), "step": ("t", "step")},
    "loss": {"pred": ("y_hat", "yhat", "pred", "out", "output", "f", "o"), "target": ("y", "target"), "step": ("step",)},
    "schedule": {"step": ("t", "step", "k"), "base": ("lr0", "lr_0", "eta0", "eta_0", "base_lr", "lr_base", "lr_max",
                                                     "eta_max", "lr"),
                 "total": ("T", "T_max", "Tmax", "total_steps", "STEPS")},
}
# A classifier's values by the names notes give them, from the loss hook's logits `out` and class indices `y`:
# the class probabilities, the probability of the right class, the logits, the number of classes, y one-hot.
_CLASS_PROBABILITIES = "F.softmax(out, dim=-1)"
_RIGHT_CLASS = f"{_CLASS_PROBABILITIES}.gather(-1, y[:, None])"  # a column: it meets each class's value
CLASS_VALUES = {"p": _CLASS_PROBABILITIES, "p_t": _RIGHT_CLASS, "p_y": _RIGHT_CLASS, "p_true": _RIGHT_CLASS,
                "p_correct": _RIGHT_CLASS, "z": "out", "logits": "out", "z_y": "out.gather(-1, y[:, None])",
                "z_t": "out.gather(-1, y[:, None])", "K": "out.shape[-1]", "C": "out.shape[-1]",
                "onehot_y": "F.one_hot(y, out.shape[-1]).float()"}
CLASSIFYING_TASKS = ("classification", "digits", "digits_image", "sequence")  # the lab's tasks with class indices
# Kinds whose formulas keep nothing from one call to the next: a name read before the formula for it is
# defined later (`y = g*h，g = sigmoid(a)`), not a value kept from the previous step.
STATELESS_KINDS = ("activation", "loss", "schedule")
PROBED_KINDS = ("update_rule", "activation", "schedule")  # those lab/formula_probe.py reruns beside the hook
LAYER_OUTPUTS = frozenset({"y", "h", "out", "output"})
LOSS_OUTPUTS = frozenset({"l", "loss", "ℓ", "lidea", "lnew"})  # as compared: guards/constants.py `compared_name`
ACTIVATION_OUTPUTS = frozenset({"y", "f", "out", "output", "a", "act", "phi", "sigma"})  # h1, h2: parts, not the output
TUNED = frozenset({"lr", "base"})  # roles whose value the harness chooses, whatever the notes say
_ALLOWED_NODES = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Name, ast.Load, ast.Constant, ast.Call, ast.operator,
                  ast.unaryop, ast.Compare, ast.Gt, ast.Lt, ast.GtE, ast.LtE, ast.keyword)  # keywords: _plain_keywords
# A formula that holds under a condition, the rest left as it is: `如果 ||g|| > c，就缩放 g = g*c/||g||；否则 g 不变`,
# `if |w| > c: w = ..., otherwise unchanged`. It reads as `g = where(||g|| > c, g*c/||g||, g)`.
_IF_ELSE_KEPT = re.compile(
    r"(?:如果|若|当|\bif\b|\bwhen\b)\s*(?P<condition>[^，,：:；;。=]+?)\s*[，,：:]?\s*(?:就|则|\bthen\b)?\s*[\u4e00-\u9fff]{0,4}\s*"
    r"(?P<target>[A-Za-z_]\w*)\s*=\s*(?P<value>[^；;，,。]+?)\s*[；;，,。]\s*(?:否则|\botherwise\b|\belse\b)\s*"
    r"(?:(?P=target)\s*)?(?:不变|不动|保持不变|(?:is |stays |remains )?(?:unchanged|as it is|the same))", re.IGNORECASE)
# A name the notes call learnable: its value in the notes is where it starts, not a constant.
_LEARNABLE = re.compile(r"(?:可学习|可训练|learnable|trainable)\s*的?\s*(?:标量|参数|系数|scalar|parameter|coefficient)?\s*"
                        r"(?P<before>[A-Za-zα-ωϵ]\w*)|(?P<after>[A-Za-zα-ωϵ]\w*)\s*(?:(?:是|为)[^，。,.;；\n]{0,12}?)?(?:可学习|可训练)|"
                        r"(?P<said>[A-Za-zα-ωϵ]\w*)\s+(?:is|are)\s+(?:an?\s+|one\s+)?(?:[A-Za-z]+\s+){0,2}?"
                        r"(?:learnable|trainable|learned)", re.IGNORECASE)
_ARTICLES = frozenset({"a", "an", "the", "one", "each", "every"})
# A condition in brackets after a formula, `lr_t = lr*t/W（t ≤ W）`: the formula holds there, and a later
# formula for the same name holds otherwise (`之后 lr_t = ...`); together `lr_t = where(t <= W, ..., ...)`.
_BRACKET_CONDITION = re.compile(r"[（(]\s*([^()（）]*?[<>≤≥][^()（）]*?)\s*[）)]")
# A condition said after a formula (`f(x) = x，当 x > 0`, `f(x) = x if x > 0`) holds like a bracketed one; a
# formula said to hold otherwise (`f(x) = α(e^x - 1)，otherwise`) is the alternative of the one before.
_TRAILING_CONDITION = re.compile(r"(?:\s*[，,;；]?\s*(?:当|若|如果|\bif\b|\bwhen\b|\bfor\b)|\s*[，,;；])\s*"
                                 r"(?P<condition>[^，,;；。()（）]*?[<>≤≥][^，,;；。()（）]*?)\s*时?\s*[。.]?\s*$", re.IGNORECASE)
_TRAILING_OTHERWISE = re.compile(r"\s*[，,;；(（]?\s*(?:否则|其他情况|其余情况|\botherwise\b|\belse\b)\s*[)）]?\s*[。.]?\s*$",
                                 re.IGNORECASE)
# `value if condition else alternative`, written as Python writes it.
# The alternative ends at a separator, after which the line may go on (`, α = 1.0`).
_IF_ELSE = re.compile(r"=\s*(?P<value>[^=]+?)\s+if\s+(?P<condition>[^=]+?[<>≤≥]=?[^=]*?)\s+else\s+"
                      r"(?P<alternative>[^,，;；。]+?)\s*(?:[,，;；。]\s*(?P<rest>.*))?$")
_OTHERWISE = "__otherwise__"  # the alternative of a bracketed condition, until the later formula is found
# An aside in brackets that holds Chinese prose: `（k = y 那一项不算）`, `（p 是 softmax）`.
_ASIDE = re.compile(r"[（(][^（）()]*[\u4e00-\u9fff][^（）()]*[）)]")
# A function the notes define, with its separator before it: `，H(p) = −Σ p log p`.
_DEFINITION = re.compile(r"[，,;；]?\s*(?<![\w])(?P<name>[A-Za-zℓ\u0370-\u03ff]\w*)\(\s*(?P<argument>[A-Za-z_\u0370-\u03ff]\w*)"
                         r"(?P<more>(?:\s*,\s*[A-Za-z_]\w*)*)\s*\)"
                         r"\s*=(?!=)(?P<body>[^，,;；\n]+)")
# A value named as the one at the start (`n0`, `n_0`, `W_init`, `norm_start`): computed once, before training.
_INITIAL_NAME = re.compile(r"(?:_?0|_?init(?:ial)?|_start)$")
# A loss named after its idea: `L_flood`, `Lq`, `loss_sce`, `ℓ_new`.
_NAMED_LOSS = re.compile(r"(?:L|ℓ|[Ll]oss)(?:_?[A-Za-z0-9]+)?$")
# What a function the notes define and never apply is named, by kind: the output the kind's program returns.
_DEFINED_OUTPUT = {"activation": "f", "loss": "loss"}
_OUTPUT_NAMES = LOSS_OUTPUTS | ACTIVATION_OUTPUTS
# A line stating what a known function equals (`log cosh(r) = |r| + softplus(−2|r|) − log 2`): an identity.
_IDENTITY = re.compile(r"(?<![\w])(?:" + "|".join(sorted(_TORCH_CALLS, key=len, reverse=True)) + r")\s*\([^()=]*\)\s*=(?!=)")
# A formula under a condition with nothing said for the other case (`if σ > c: W ← W·c/σ`): where the condition
# fails the value is left as it is, when the formula changes a value it reads.
_IF_THEN = re.compile(r"^\s*(?:if|如果|若|当)\s*(?P<condition>[^:：,，]+?[<>≤≥][^:：,，]*?)\s*[:：,，]\s*(?:then\s+|就|则)?\s*"
                      r"(?P<target>[A-Za-z_]\w*)\s*=(?!=)\s*(?P<value>[^=]+?)\s*$", re.IGNORECASE)
# A bracket after a formula that opens on English prose: `(spectral norm, exact: ...)`, `(half a cycle)`.
_PROSE_ASIDE = re.compile(r"\s(\()\s*(?!(?:" + "|".join(_TORCH_CALLS) + r")\b)[A-Za-z]{2,}[,;]?\s+[A-Za-z]{2,}")
# A classifier's value at the right class: `softmax(z)[y]`, `p[y]`, `softmax(z)_y` (read as of_right_class(...)).
# The network's output written as a function of its input, in a loss: `softmax(f(x))`.
_NETWORK_OUTPUT = re.compile(r"(?<![\w])f\s*\(\s*x(?:_i)?\s*\)(?!\s*=)")
_RIGHT_CLASS_PICKED = re.compile(r"((?:[A-Za-z_]\w*\((?:[^()]|\([^()]*\))*\))|[A-Za-z_]\w*)\s*(?:\[\s*y\s*\]|(?<=\))_y(?!\w))")
# Entry-wise names with a row index (`w_i`, the input weights of unit i): the formula holds for each row.
_ROW_INDEX = "_i"
_SEPARATORS = "，,;；。：:→"  # an arrow goes on to a consequence or the next example (`t=0 → 0.1 at t=100`)
# A value the hook gives, named in words (`t = optimizer step counted from 0`, `T = total steps`, `η₀ = baseline lr`):
# no formula, the name left to its role (ROLES).
_ROLE_IN_WORDS = re.compile(r"(?<![\w])[A-Za-z_]\w*\s*=\s*(?:the\s+)?(?:(?:current\s+|0-based\s+|1-based\s+)?(?:optimi[sz]er\s+|training\s+|sgd\s+)?"
                            r"(?:step|iteration|update)s?(?:\s+(?:number|index|count(?:er|ed)?))?|total\s+(?:number\s+of\s+)?"
                            r"(?:training\s+)?(?:steps|iterations)|(?:baseline|base|tuned)(?:'s)?\s+(?:lr|learning\s+rate)|"
                            r"(?:the\s+)?same\s+(?:lr|learning\s+rate)\s+as\s+(?:the\s+)?baseline)\b", re.IGNORECASE)
# A formula said as what follows from the one before: `所以 RCE = 4·(1 − p_y)`, `i.e. g = …`.
_RESTATED = re.compile(r"\s*(?:所以|因此|于是|即|也就是说?|i\.e\.,?|so|thus|hence|that is,?)\s*[A-Za-z_\u0370-\u03ff]", re.I)
# A line that says why or what is expected, not the rule: `直觉：…`, `预期：…`, `Expectation: …`.
_REMARK = re.compile(r"^\s*(?:[-*]\s*)?(?:直觉|预期|风险|动机|注意|备注|intuition|expectations?|expected|expect|why|risks?|"
                     r"motivation|note)\s*[：:]", re.IGNORECASE)
# A code span that calls something with keywords (`torch.optim.SGD(params, lr=η, nesterov=True)`): an equivalent, not a formula.
_CODE_CALL = re.compile(r"`[^`]*\([^`]*=[^`]*\)[^`]*`")
# A name's range (`t = 0..T−1`, `t = 0 … T-1`, `k = 1, …, K`): where it runs, not its value.
_RANGE = re.compile(r"(?<![\w])[A-Za-z_]\w*\s*=\s*[-−]?\w+\s*(?:\.\.\.?|…|,\s*…\s*,)\s*[\w−+\- ]+?(?=[，,;；。(（]|\s{2,}|$)")
# A part that says something stays as in the baseline: `everything else = baseline`, `其余 = 默认`.
_AS_BASELINE = re.compile(r"^[^=]*=\s*(?:the\s+)?(?:baseline|unchanged|default|基线|默认|不变)\s*$", re.IGNORECASE)
# A name given words only: `Gonnor = GradientONly NORmalization`.
_LABEL = re.compile(r"^\s*([A-Za-z_]\w*)\s*=\s*[A-Za-z]+(?:[\s-]+[A-Za-z]+)+\s*$")
# A code comment after a formula (`buf = β*buf + (1-β)*g   # buf 初始为 0`).
_CODE_COMMENT = re.compile(r"\s+#(?!\w*\)).*$")
# An assignment in brackets (`cooldown fraction 0.2 (t₀ = 0.8·T)`): a formula of its own.
_BRACKETED_ASSIGNMENT = re.compile(r"[（(]\s*([A-Za-z_\u0370-\u03ff][\w\u2080-\u2089]*\s*=(?!=)[^()（）=<>≤≥]+?)\s*[）)]")
# `target = value`: the target a name of letters, digits and underscores (f(x) defines f), the value what follows.
_ASSIGNS_ANYWHERE = re.compile(r"(?<![=<>!])=(?!=)")
_CONDITION = re.compile(r"[<>≤≥]|\bif\b|\bwhen\b|当|若|如果|否则")  # a formula that holds only under a condition
_CHAIN = re.compile(r"(?<![A-Za-z0-9_])(?P<targets>[A-Za-z_]\w*(?:\s*=\s*[A-Za-z_]\w*)+)\s*=(?![=])\s*(?P<value>[^=]+)$")
# A weight matrix and what it multiplies, side by side: `W x`, `W_t x`, `W2 h1`, `W (x + b)`.
_MATRIX_TIMES = re.compile(r"(?<![A-Za-z0-9_])(W(?:_\w+|\d*[a-z]?\d*))(?![A-Za-z])[ \t]+(?=[A-Za-z_(])(?!(?:if|and|or|for|is|in|else|when)\b)")
# A number written right before a Greek letter it multiplies (spelled out by then): `2pi`, `0.5lam`.
_NUMBER_TIMES_LETTER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(?=(?:pi|" + "|".join(sorted(set(GREEK.values()))) + r")(?![A-Za-z]))")
# A name defined in words as a number of steps, `T = total number of steps`, `N = 训练总步数`: the hook's
# step count (ROLES), not a formula.
_COUNT_IN_WORDS = re.compile(r"[A-Za-z_]\w*\s*=\s*(?:the\s+)?(?:total\s+)?(?:number\s+of\s+(?:training\s+)?"
                             r"(?:steps|iterations|updates)|(?:训练)?总步数)\b", re.IGNORECASE)
# A number a sentence goes on from: `100 steps`, `0.01. Nothing happens...`, `300 ... until the end`.
_NUMBER_IN_PROSE = re.compile(rf"({NUMBER})(?:[.。]|\s*(?:\.\.\.|…))?\s+[A-Za-z]")
# A value the notes draw at random: `ε ~ N(0, 1)` (one per entry), `λ ~ Beta(α, α)`, `u ~ U(0, 1)` (one per call).
_DRAWN = re.compile(rf"(?<![A-Za-z0-9_])([A-Za-z_]\w*)\s*~\s*({DRAW_FAMILIES})\s*\(([^()]*)\)")
DRAWING_KINDS = ("update_rule", "weight_op", "data")
# A pair: a data idea's `x_i`, the sample itself, and `x_j`, another of its batch; an activation's `x1` and
# `x2`, the two units of each pair of units (x_i/x_j, x1/x2 and x_a/x_b alike).
_PAIRED = re.compile(r"([xy])_?([ij12ab])")
_FIRST = "i1a"
_PAIR_VALUES = {"data": ("{var}", "{var}[perm]"), "activation": ("{var}[..., 0::2]", "{var}[..., 1::2]")}
# A data idea's name for the changed inputs or targets: `x_tilde` (x̃), `x_new`, `y_mix`, `x_aug`.
_NEW_BATCH_VALUE = re.compile(r"([xy])_?(?:tilde|new|aug|augmented|mix|mixed)")
_ASSIGNS = re.compile(r"(?<![A-Za-z0-9_])(?P<target>[A-Za-z_][A-Za-z0-9_]*)(?:\(\s*[A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*\s*\))?\s*=(?![=])\s*(?P<value>.+)$")


@dataclass(frozen=True)
class NoteProgram:
    """The formulas as (target, expression) statements, the constants they use, and what each hook value
    is called (role -> name); `state` names carry from one step to the next (starting at zero); `drawn`
    names are drawn afresh at every call, each with its torch expression (`{like}`: the tensor an entry-wise
    draw is shaped like); `bound` names are set before the formulas (a data idea's pair of samples)."""

    kind: str
    statements: tuple[tuple[str, str], ...]
    constants: dict[str, float]
    roles: dict[str, str]
    state: tuple[str, ...]
    output: str
    drawn: tuple[tuple[str, str], ...] = ()
    bound: tuple[tuple[str, str], ...] = ()
    learned: tuple[str, ...] = ()  # constants the notes call learnable: an activation's parameters, from these starts
    starts: tuple[tuple[str, str], ...] = ()  # states the notes start elsewhere than at zero (`v 初始化为 1e-6`)

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def can_probe(self) -> bool:
        """Whether lab/formula_probe.py can rerun the formulas beside the hook: a kind it probes, nothing drawn."""
        return self.kind in PROBED_KINDS and not self.drawn

    def as_text(self) -> str:
        return "; ".join(f"{target} = {expression}" for target, expression in self.statements)


def note_program(formulas: str, kinds: Sequence[str], note_text: str = "", task: str = "") -> NoteProgram | None:
    """The program of the note's formula lines for the first of `kinds` that has ROLES, or None when
    the formulas are not certain enough to run (see the module docstring). A name the formulas or
    `note_text` call learnable is an activation's parameter, started at the notes' value; in another
    kind's formulas it gives no program. A loss on a classifying `task` reads the classifier's values
    (CLASS_VALUES), never the logits or class indices as numbers; one on regression its outputs and targets;
    on an unknown task, none."""
    kind = next((k for k in kinds if k in ROLES), None)
    if kind is None or not formulas.strip():
        return None
    given = note_constants(formulas)
    if kind == "loss":
        formulas = _NETWORK_OUTPUT.sub("logits" if task in CLASSIFYING_TASKS else "y_hat", formulas)
    statements = _statements(formulas, _DEFINED_OUTPUT.get(kind, ""))
    if statements is None:
        return None  # a formula that does not read as code: the program would lack it
    targets = [target for target, _ in statements]
    if not statements or len(set(targets)) != len(targets):
        return None
    statements = [(target.removesuffix(_ROW_INDEX), _by_rows(value)) for target, value in statements]
    if kind == "data":
        statements = _new_batch_named(statements)
    if kind == "update_rule":
        statements = _with_plain_step(statements)
    elif kind in STATELESS_KINDS:
        statements = _in_order(statements)
    drawn = {}
    for line in formulas.splitlines():
        for name, family, arguments in _DRAWN.findall(_normalised(line)):
            drawn[name] = _draw(family, arguments, given)
            if drawn[name] is None:
                return None  # a draw the program cannot write: the formulas are not certain
    if kind == "loss" and task not in ("regression", *CLASSIFYING_TASKS):
        return None  # what the outputs and targets are is not known
    classes = CLASS_VALUES if kind == "loss" and task in CLASSIFYING_TASKS else {}
    if classes:  # `p_t = softmax(out) 在正确类别上的概率`, `p = softmax(out)`: the classifier's value as CLASS_VALUES has it
        statements = [(target, value) for target, value in statements if not (target in classes and _softmax_of_logits(value))]
        if not statements:
            return None
    learnable = learnable_names(f"{formulas}\n{note_text}")
    for name in {n.id for _, value in statements for n in ast.walk(value) if isinstance(n, ast.Name)}:
        if compared_name(name) in learnable and compared_name(name) not in given and (start := _start(name, note_text)):
            given[compared_name(name)] = start  # a learnable value's start said in prose: `a 初始化为 0.25`
    program = _live(_from_initial_weights(_resolve(kind, statements, given, drawn, learnable, classes)))
    if program is None or not program.state:
        return program
    starts = {name: _start(name, note_text) for name in program.state}
    if "" in starts.values():
        return None  # a state the notes start otherwise than at a number: not certain
    return replace(program, starts=tuple((name, start) for name, start in starts.items() if start and float(start) != 0))


def _live(program: NoteProgram | None) -> NoteProgram | None:
    """`program` without the statements nothing reads: neither the output, a state kept for the next step, nor a
    later statement that is read (`h = lr/2` in a remark about another idea)."""
    if program is None:
        return None
    needed, kept = {*_names_in(program.output), *program.state}, []
    for target, expression in reversed(program.statements):
        if target in needed:
            kept.append((target, expression))
            needed |= _names_in(expression)
    return replace(program, statements=tuple(reversed(kept)))


def _names_in(expression: str) -> set[str]:
    """The names an expression (as the program writes it) reads."""
    return set(re.findall(r"[A-Za-z_]\w*", expression))


def _from_initial_weights(program: NoteProgram | None) -> NoteProgram | None:
    """`program` with each value named as the start's (`n₀ = ‖W‖_F`, `W_init`) that reads the weights computed from the
    weights before training (a weight operation's `state["initial"]`); None for another kind, which keeps no such value."""
    param = program.roles.get("param") if program else None
    starting = [target for target, value in program.statements if _INITIAL_NAME.search(target)
                and param in _names_in(value)] if param else []
    if not starting:
        return program
    if program.kind != "weight_op":
        return None
    statements = tuple((target, re.sub(rf"(?<![\w.]){param}(?![\w])", "initial", value) if target in starting else value)
                       for target, value in program.statements)
    return replace(program, statements=statements, bound=(("initial", 'state["initial"]'), *program.bound))


def _softmax_of_logits(value: ast.expr) -> bool:
    """Whether `value` is the softmax of the network's outputs (`softmax(out)`, `softmax(z)`)."""
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "softmax" \
        and len(value.args) == 1 and isinstance(value.args[0], ast.Name) and value.args[0].id in ("out", "z", "logits", "output")


def learnable_names(text: str) -> set[str]:
    """The names (as compared) that `text` calls learnable."""
    names = ((m["before"] or m["after"] or m["said"], m[0]) for m in _LEARNABLE.finditer(text))
    return {compared_name(_normalised(name)) for name, said in names  # in English, `a` is an article
            if name.lower() not in _ARTICLES or re.search(r"[\u4e00-\u9fff]", said)}


def _in_order(statements: list[tuple[str, ast.expr]]) -> list[tuple[str, ast.expr]]:
    """`statements` with each formula moved after the formulas for the names it reads (`y = x + g*h，g = sigmoid(a)`:
    g first); as they are when they already are in order or read each other in a circle."""
    remaining, ordered = list(statements), []
    while remaining:
        pending = {target for target, _ in remaining}
        ready = next((s for s in remaining if not (pending - {s[0]}) & {n.id for n in ast.walk(s[1]) if isinstance(n, ast.Name)}),
                     None)
        if ready is None:
            return statements
        remaining.remove(ready)
        ordered.append(ready)
    return ordered


def _with_plain_step(statements: list[tuple[str, ast.expr]]) -> list[tuple[str, ast.expr]]:
    """An update rule's statements ending with a plain SGD step (`p = p - lr*g`) when they change the gradient
    and never the weights (`g = g + σ*ε`: the notes change what the usual step is taken with)."""
    targets = {target for target, _ in statements}
    gradient = next((name for name in ROLES["update_rule"]["grad"] if name in targets), None)
    if gradient is None or targets & set(ROLES["update_rule"]["param"]):
        return statements
    return [*statements, ("p", ast.parse(f"p - lr * {gradient}", mode="eval").body)]


def _new_batch_named(statements: list[tuple[str, ast.expr]]) -> list[tuple[str, ast.expr]]:
    """A data idea's statements with the new inputs or targets it names (`x̃`, `x_new`, `y_mix`) written as
    the batch's own `x` and `y`, where the formulas do not assign those themselves."""
    targets = {target for target, _ in statements}
    renamed = {t: m[1] for t in targets if (m := _NEW_BATCH_VALUE.fullmatch(t)) and m[1] not in targets}

    class Rename(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            return ast.Name(renamed.get(node.id, node.id), ast.Load())

    return [(renamed.get(t, t), Rename().visit(v)) for t, v in statements]


def _by_rows(value: ast.expr) -> ast.expr:
    """A formula over one row (`w_i * c/||w_i||`) as one over every row at once: `w_i` is `w`, and a norm
    of a row is the norm of each row (norm_rows). Other formulas are returned as they are."""
    class Rewrite(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            return ast.Name(node.id.removesuffix(_ROW_INDEX), ast.Load()) if node.id.endswith(_ROW_INDEX) else node

        def visit_Call(self, node: ast.Call) -> ast.AST:
            rows = isinstance(node.func, ast.Name) and node.func.id == "norm" and any(
                isinstance(n, ast.Name) and n.id.endswith(_ROW_INDEX) for arg in node.args for n in ast.walk(arg))
            self.generic_visit(node)
            if rows:
                node.func = ast.Name("norm_rows", ast.Load())
            return node

    return Rewrite().visit(value)


def _draw(family: str, arguments: str, given: dict[str, str]) -> str | None:
    """The torch expression of a draw from N(mean, variance) or Bernoulli(p) (entry-wise, shaped like `{like}`), Beta(a, b)
    or U(a, b) (one value), its arguments numbers, the notes' constants or arithmetic of both; None for any other."""
    values = [_number(argument, given) for argument in arguments.split(",")]
    if None in values:
        return None
    if family == "N" and values == [0.0, 1.0]:
        return "torch.randn_like({like})"
    if family == "N" and len(values) == 2 and values[1] >= 0:  # N(mean, variance)
        return f"({values[0]!r} + {math.sqrt(values[1])!r} * torch.randn_like({{like}}))"
    if family == "Beta" and len(values) == 2:
        return f"torch.distributions.Beta({values[0]!r}, {values[1]!r}).sample()"
    if family in ("U", "Uniform") and len(values) == 2:
        return f"({values[0]!r} + {values[1] - values[0]!r} * torch.rand(()))"
    if family in ("Bernoulli", "Bern") and len(values) == 1 and 0 <= values[0] <= 1:
        return f"torch.bernoulli(torch.full_like({{like}}, {values[0]!r}))"
    return None


def _number(text: str, given: dict[str, str]) -> float | None:
    """The value of `text`, arithmetic of numbers and the notes' constants (`1 - p`, `2*σ`), or None."""
    try:
        expression = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        return None

    class Substitute(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            value = _constant(node.id, given)
            return node if value is None else ast.Constant(value)

    expression = ast.fix_missing_locations(Substitute().visit(expression))
    if not all(isinstance(node, (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.operator, ast.unaryop))
               for node in ast.walk(expression)):
        return None
    try:
        return float(eval(compile(expression, "<draw>", "eval"), {"__builtins__": {}}))  # numbers only, checked above
    except (ArithmeticError, TypeError):
        return None


def _resolve(kind: str, statements: list[tuple[str, ast.expr]], given: dict[str, str],
             drawn: dict[str, str], learnable: set[str], classes: dict[str, str]) -> NoteProgram | None:
    """Every name the statements read bound to a constant, a role, a state, an earlier statement or one of
    `classes` (a classifier's values, in place of the loss's prediction and target); None if one is not."""
    roles: dict[str, str] = {}
    constants: dict[str, float] = {}
    state: list[str] = []
    noise: list[tuple[str, str]] = []
    learned: list[str] = []
    pairs: dict[str, str] = {}
    derived: dict[str, str] = {}  # values computed from the hook's arguments: a classifier's, the task's loss
    targets = {target for target, _ in statements}
    defined: set[str] = set()
    for target, value in statements:
        called = {n.func.id for n in ast.walk(value) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        for name in [n.id for n in ast.walk(value) if isinstance(n, ast.Name)]:
            if name in FUNCTIONS and name not in called and name != "pi" and compared_name(name) not in given:
                return None  # a function's name read as a value (`sign (v - g²)` as a product): not certain
            if name == "of_right_class" and not classes:
                return None  # a value at the right class, where the outputs are no classifier's
            if name in defined or name in FUNCTIONS or name in roles.values() or name in constants or name in state \
                    or name in dict(noise) or name in pairs or name in derived:
                continue
            if name in classes and compared_name(name) not in given:
                derived[name] = classes[name]
                continue
            if kind == "loss" and compared_name(name) not in given and (compared_name(name) in TASK_LOSSES or (
                    compared_name(name) in LOSS_OUTPUTS and name not in targets)):  # `L_flood = |L − b| + b`: L is the task's
                derived[name] = "task_loss(out, y)"  # the task's own loss (MSE or cross-entropy), over the batch
                continue
            if name in drawn and kind in DRAWING_KINDS:
                like = "p" if kind != "data" else target  # a data idea's noise is shaped like what it changes
                noise.append((name, drawn[name].format(like=like)))
                continue
            pair = _PAIRED.fullmatch(name)
            if pair and kind in _PAIR_VALUES and (kind == "data" or pair[1] == "x"):
                pairs[name] = _PAIR_VALUES[kind][pair[2] not in _FIRST].format(var=pair[1])
                if kind == "activation":
                    roles.setdefault("input", pair[1])
                continue
            role = next((r for r, names in ROLES[kind].items() if name in names and r not in roles
                         and not (classes and r in ("pred", "target"))), None)
            if role in TUNED or name in POINTS or (role and compared_name(name) not in given):
                roles[role] = name  # the harness tunes the learning rate: a rate in the notes is only its start
            elif compared_name(name) in given:
                if role == "total":
                    return None  # the notes' own step count or the run's: either may be meant
                if compared_name(name) in learnable:
                    if kind != "activation":
                        return None  # a learned value where the program has nowhere to keep a parameter
                    learned.append(name)
                constants[name] = _constant(name, given)
            elif compared_name(name) == "eps":
                constants[name] = EPS
            elif name in targets and kind == "update_rule":
                state.append(name)  # read before it is computed: a value kept from the previous step
            else:
                return None
        defined.add(target)
    output = _output(kind, {**roles, **({"pred": "out"} if derived else {})}, statements)
    if output is None:
        return None
    bound = ([("perm", "torch.randperm(x.shape[0], device=x.device)")] if any("[perm]" in v for v in pairs.values())
             else []) + list(pairs.items()) + list(derived.items())
    return NoteProgram(kind, tuple((t, ast.unparse(v)) for t, v in statements), constants, roles, tuple(state), output,
                       tuple(noise), tuple(bound), tuple(learned))


def _output(kind: str, roles: dict[str, str], statements: list[tuple[str, ast.expr]]) -> str | None:
    """What the program computes for the hook: the new parameter of an update rule (its gradient
    must be read too), else the last formula's target when it names the output: an activation's
    (`y`, `f(x)`, ...; its input read), a learning rate (`lr_t`, `eta_t`; its step read)."""
    if kind == "data":  # the batch's inputs and targets, either changed
        return "x, y" if {"x", "y"} & {t for t, _ in statements} else None
    if kind in ("update_rule", "weight_op"):
        param = roles.get("param")
        read = "grad" in roles or kind == "weight_op"
        return param if param and read and param in {t for t, _ in statements} else None
    last = statements[-1][0]
    if kind == "loss" and ("pred" not in roles or not (compared_name(last) in LOSS_OUTPUTS or _NAMED_LOSS.match(last))):
        return None
    if kind == "activation" and ("input" not in roles or last not in ACTIVATION_OUTPUTS):
        return None
    if kind == "schedule" and ("step" not in roles or not last.startswith(("lr", "eta"))):
        return None
    return last


def _statements(formulas: str, output: str = "") -> list[tuple[str, ast.expr]] | None:
    """The assignments of every formula line, numbers left out (they are constants, not steps), a function the
    notes define and never apply named `output` when one is given; None when a line does not read as assignments.
    A formula stating what a known function equals (`log cosh(r) = |r| + …`) is an identity, not a step."""
    statements: list[tuple[str, ast.expr]] = []
    lines = [line for line in _inlined_definitions(formulas, output).splitlines() if not _REMARK.match(line)]
    for line in lines:
        found = _assignments(_without_labels(line, "\n".join(lines)))
        if found is None and _COUNT_IN_WORDS.match(_normalised(line)):
            continue  # `T = total number of steps`: a count the hook is given, said in words
        if found is None:
            return None
        for target, value in found:
            if getattr(value, "restated", False):  # `所以 RCE = 4·(1 − p_y)`: the note's own simpler form of it
                statements = [(t, v) for t, v in statements if t != target]
            if not _is_number(value):
                statements.append((target, value))
    return _with_alternatives(statements)


def _without_labels(line: str, formulas: str) -> str:
    """`line` without the parts that name something in words only and are never read by a formula
    (`Gonnor = GradientONly NORmalization`), or say it stays as in the baseline: labels, not steps."""
    def label(part: str) -> bool:
        found = _LABEL.match(_normalised(part))
        return bool(found and len(re.findall(rf"(?<![\w]){found[1]}(?![\w])", formulas)) == 1) \
            or bool(_AS_BASELINE.match(_normalised(part)))

    return _without_parts(line, label)


def _inlined_definitions(formulas: str, output: str = "") -> str:
    """`formulas` with each function the notes define and then apply (`H(p) = −Σ p log p` beside
    `L = CE − β·H(p)`) written out where it is applied, its definition left out; one defined and never applied
    (`squareplus(x) = …`) is the formula's output, named `output` when one is given; other formulas unchanged."""
    for match in list(_DEFINITION.finditer(formulas)):
        name, argument, body = match["name"], match["argument"], match["body"].strip()
        if name in FUNCTIONS:
            continue  # a known function: what it equals is an identity (_IDENTITY), not a definition
        rest = formulas[:match.start()] + formulas[match.end():]
        if not re.search(rf"(?<![\w]){re.escape(name)}\([^()]*\)(?!\s*=)", rest):
            if output and not (name.isascii() and compared_name(name) in _OUTPUT_NAMES):  # never applied: the output
                formulas = re.sub(rf"(?<![\w]){re.escape(name)}(?=\(\s*{re.escape(argument)}[^()]*\)\s*=)", output, formulas)
            continue
        if match["more"]:
            return formulas  # a function of several values, applied: not written out here (no program)
        formulas = re.sub(rf"(?<![\w]){re.escape(name)}\(([^()]*)\)",
                          lambda call: "(" + re.sub(rf"(?<!\w){re.escape(argument)}(?!\w)", _bracketed(call[1]), body) + ")", rest)
    return formulas


def _bracketed(expression: str) -> str:
    """`expression` in brackets unless it is a single name."""
    return expression.strip() if re.fullmatch(r"\s*[\w\u0370-\u03ff]+\s*", expression) else f"({expression})"


def _with_alternatives(statements: list[tuple[str, ast.expr]]) -> list[tuple[str, ast.expr]] | None:
    """The statements with each bracketed condition's alternative, the next formula for the same name,
    put in its place (that formula then goes; its own condition, the last one's, is the complement);
    None when a condition has no alternative."""
    merged = list(statements)
    for i, (target, value) in enumerate(merged):
        if not _pending(value):
            continue
        later = next((j for j in range(i + 1, len(merged)) if merged[j][0] == target), None)
        if later is None:
            return None
        alternative = merged.pop(later)[1]
        last = not any(t == target for t, _ in merged[i + 1:])
        value.args[2] = alternative.args[1] if _pending(alternative) and last else alternative
    return merged


def _pending(value: ast.expr) -> bool:
    """A `where(condition, value, <alternative>)` whose alternative is still to be found."""
    return isinstance(value, ast.Call) and len(value.args) == 3 and isinstance(value.args[2], ast.Name) \
        and value.args[2].id == _OTHERWISE


def _assignments(line: str) -> list[tuple[str, ast.expr]] | None:
    """The `name = expression` assignments of one note line: the whole line when it is one, else each of
    its parts between separators (commas, semicolons, colons outside brackets) that holds an `=`;
    None when such a part does not read as one, or the line holds another condition (`lr_t = lr0*t/N（t ≤ N）`:
    its formula holds only sometimes) than one whose alternative leaves the value unchanged (_IF_ELSE_KEPT).
    `where` or `with` before another assignment separates two (`p = p - lr*g where λ = 0.1`)."""
    line = _CODE_CALL.sub(" ", _RANGE.sub(" ", line))
    line = re.sub(r"\s+(?:where|with)\s+(?=[^\s=]+\s*=)", "; ", latex_spacing(_without_cases(_CODE_COMMENT.sub("", line))))
    line = _BRACKETED_ASSIGNMENT.sub(r"; \1;", _without_prose_asides(_ASIDE.sub("", line)))
    if _IDENTITY.search(_normalised(line)) and len(_ASSIGNS_ANYWHERE.findall(_normalised(line))) == 1:
        return []
    if either := _IF_ELSE.search(_normalised(line)):
        return _either(either, line)
    if (alone := _IF_THEN.match(_normalised(line))) and re.search(rf"(?<![\w]){alone['target']}(?![\w])", alone["value"]):
        assignment = _assignment(f"{alone['target']} = {alone['value']}")
        statement = assignment and _where(alone["condition"], assignment[1], alone["target"])
        return [(alone["target"], statement)] if statement else None
    line = _TRAILING_OTHERWISE.sub("", _TRAILING_CONDITION.sub(r"（\g<condition>）", line))
    if kept := _IF_ELSE_KEPT.search(_normalised(line)):
        return _kept_unless(kept, line)
    if _CONDITION.search(_BRACKET_CONDITION.sub("", plain_formula(line))):
        return None
    if len(_ASSIGNS_ANYWHERE.findall(_normalised(line))) == 1 and not _BRACKET_CONDITION.search(line) \
            and (whole := _assignment(line)) is not None:
        return [whole]
    found = []
    for part in _split_outside_brackets(line):
        for single in _unchained(part):
            condition = _BRACKET_CONDITION.search(single)
            single = _BRACKET_CONDITION.sub("", single)
            if _IDENTITY.search(_normalised(single)):
                continue
            if _ASSIGNS.search(_normalised(single)):
                if (assignment := _assignment(single)) is None and _ROLE_IN_WORDS.search(_normalised(single)):
                    continue
                if assignment is None:
                    return None
                if condition and (assignment := _holding_where(assignment, condition[1])) is None:
                    return None
                assignment[1].restated = bool(_RESTATED.match(single))
                found.append(assignment)
    return found


def _without_cases(line: str) -> str:
    """`line` without its parts that only say a case of a constant (`κ=0 就是 SGD`, `当 κ = 1 时是动量`): no formula."""
    return _without_parts(line, lambda part: CASE.search(part) and len(_ASSIGNS_ANYWHERE.findall(part)) == 1)


def _without_parts(line: str, dropped) -> str:
    """`line` without its parts between separators (outside brackets) for which `dropped(part)` holds; as it was
    when none is dropped."""
    parts = _split_outside_brackets(line)
    kept = [part for part in parts if not dropped(part)]
    return line if len(kept) == len(parts) else "，".join(kept)


def _without_prose_asides(line: str) -> str:
    """`line` without the brackets that open on English prose after a formula (`σ = ‖W‖₂  (spectral norm, exact:
    `matrix_norm(W, ord=2)`)`), brackets inside them included."""
    while match := _PROSE_ASIDE.search(line):
        depth = 0
        for end in range(match.start(1), len(line)):
            depth += {"(": 1, ")": -1}.get(line[end], 0)
            if depth == 0:
                break
        if depth:
            return line
        line = line[:match.start(1)] + line[end + 1:]
    return line


def _where(condition: str, value: str | ast.expr, otherwise: str) -> ast.Call | None:
    """`where(condition, value, otherwise)` from note text (`otherwise` a name), or None if a part is not code."""
    try:
        parts = [ast.parse(text, mode="eval").body if isinstance(text, str) else text for text in (condition, value)]
    except SyntaxError:
        return None
    call = ast.Call(ast.Name("where", ast.Load()), [*parts, ast.Name(otherwise, ast.Load())], [])
    return call if all(isinstance(node, _ALLOWED_NODES) for node in ast.walk(call)) else None


def _holding_where(assignment: tuple[str, ast.expr], condition: str) -> tuple[str, ast.expr] | None:
    """`target = where(condition, value, <the later formula's value>)`; None if the condition is not code."""
    target, value = assignment
    call = _where(_normalised(condition), value, _OTHERWISE)
    return (target, call) if call else None


def _kept_unless(match: re.Match[str], line: str) -> list[tuple[str, ast.expr]] | None:
    """The statement `target = where(condition, value, target)` of an _IF_ELSE_KEPT match, with the
    assignments of the rest of its line (a constant given after it); None if a part does not read as code."""
    statement = _where(match["condition"], match["value"], match["target"])
    after = _normalised(line)[match.end():]
    rest = _assignments(after) if after.strip() else []
    return None if statement is None or rest is None else [(match["target"], statement), *rest]


def _either(match: re.Match[str], line: str) -> list[tuple[str, ast.expr]] | None:
    """The statement `target = where(condition, value, alternative)` of an _IF_ELSE match, with the assignments
    of the rest of its line; None if a part is not code."""
    found = _assignment(_normalised(line)[:match.start()] + "= " + match["alternative"])
    statement = found and _where(match["condition"], match["value"], found[0])
    rest = _assignments(match["rest"]) if match["rest"] else []
    if statement is None or rest is None:
        return None
    statement.args[2] = found[1]
    return [(found[0], statement), *rest]


def _unchained(part: str) -> list[str]:
    """`w1 = w2 = w` as `w1 = w` and `w2 = w`, each target given the chain's last value; other text as it is."""
    chain = _CHAIN.search(_normalised(part))
    if chain is None:
        return [part]
    targets = re.findall(r"[A-Za-z_]\w*", chain["targets"])
    return [f"{target} = {chain['value']}" for target in targets]


def _assignment(text: str) -> tuple[str, ast.expr] | None:
    """A note text's assignment: the name right before its `=` (words before it are prose) and the
    expression after it, up to the first Chinese character or English word that goes on in prose (`where`,
    `with`, `as`, `for`, ...); None if either is not code."""
    match = _ASSIGNS.search(_normalised(text))
    if match is None:
        return None
    right = re.split(r"[\u3000-\u9fff\uff00-\uffef]|\s+(?:where|with|as|is|are|for|on|in|at|between|which|that|so|to|"
                     r"and|but)\s|(?<!\.)\.\s+(?=[A-Za-z])", match["value"], maxsplit=1)[0].strip()
    if prose := _NUMBER_IN_PROSE.match(right):
        right = prose[1]  # `N = 100 steps`, `σ = 0.01. Nothing else...`: a constant the sentence goes on from
    right = _first_of_chain(right)  # `CE = −log p_t = Σ …`: equal values, the first one read
    try:
        value = ast.parse(_RIGHT_CLASS_PICKED.sub(r"of_right_class(\1)", right), mode="eval")
    except SyntaxError:
        return None
    if not all(isinstance(node, _ALLOWED_NODES) for node in ast.walk(value)):
        return None
    if any(isinstance(n, ast.Call) and (not (isinstance(n.func, ast.Name) and n.func.id in FUNCTIONS)
                                        or not _plain_keywords(n)) for n in ast.walk(value)):
        return None
    return match["target"], value.body


def _plain_keywords(call: ast.Call) -> bool:
    """Whether a call's keywords are none, or a clamp's bounds (`clamp(r, min=0)`)."""
    return not call.keywords or (call.func.id in ("clamp", "clip") and all(k.arg in ("min", "max") for k in call.keywords))


def _first_of_chain(value: str) -> str:
    """`value` up to an `=` outside brackets (`−log p_t = Σ …` -> `−log p_t`); `clamp(r, min=0)` stays whole."""
    depth = 0
    for i, ch in enumerate(value):
        depth += (ch in "([{") - (ch in ")]}")
        if depth == 0 and _ASSIGNS_ANYWHERE.match(value, i) and value[i - 1:i] not in ("=", "<", ">", "!"):
            return value[:i]
    return value


def _is_number(value: ast.expr) -> bool:
    """A constant such as `0.9` or `-1`: given by the notes, not a step of the program."""
    return isinstance(value, ast.Constant) or (isinstance(value, ast.UnaryOp) and isinstance(value.operand, ast.Constant))


def _normalised(text: str) -> str:
    """A note formula as Python: its notation made plain (guards/notation.py), Greek letters spelled out, `←` as
    `=`, `^` as `**`, `×`/`·` as `*`, `mod` as `%`, `−` as `-`, `π` as pi, `||g||` as norm(g), without surrounding
    backticks and trailing punctuation."""
    text = plain_formula(text.strip().strip("`$")).strip().rstrip("。.;；,，")
    for old, new in (("←", "="), ("^", "**"), ("×", "*"), ("·", "*"), ("−", "-"), ("π", "pi"), ("≤", "<="), ("≥", ">=")):
        text = text.replace(old, new)
    text = re.sub(r"\s+mod\s+", " % ", text)  # `t mod P`
    text = _MATRIX_TIMES.sub(r"\1*", text)  # `W x`, `W_t h`: a weight matrix written before what it multiplies
    text = re.sub(r"(?:\|\||‖)\s*([A-Za-z_]\w*)\s*(?:\|\||‖)(?:_2)?", r"norm(\1)", text)  # ||g||, ‖g‖: its L2 norm
    text = re.sub(r"\|\s*([^|]+?)\s*\|", r"abs(\1)", text)  # |x|: its absolute value
    text = "".join(GREEK.get(ch, ch) for ch in text)
    return _NUMBER_TIMES_LETTER.sub(r"\1*", text)  # `2π`, `0.5λ`: a number times a Greek letter


def _split_outside_brackets(line: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in line:
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth == 0 and ch in _SEPARATORS:
            parts.append(current)
            current = ""
        else:
            current += ch
    return [*parts, current]


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


def layer_forward_body(formulas: str, parameters: Sequence[str], note_text: str = "") -> tuple[str, str] | None:
    """(The body of a layer's `forward(self, x)`, the formulas it comes from), written from the notes' formulas for its output
    (`y = (W1*x + b1) * sigmoid(W2*x + b2)`) when they are certain: every line but the periodic ones
    reads as assignments, the last one names the output (LAYER_OUTPUTS), none assigns the input or a
    parameter, every name read is the input, a parameter of the layer, a constant the notes give, an
    earlier result or one of TORCH_FUNCTIONS, and each weight matrix (a parameter named w..., or the
    layer's single `weight` as the notes' W) only multiplies what follows it, written F.linear. The
    notes' single W and their one bias (b, b1) are the layer's `weight` and `bias`. None otherwise, or when a constant read is one
    the notes call learnable (a parameter the skeleton lacks): the model writes it."""
    statements = _output_statements(formulas)
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
    local, lines = {"x"}, []
    for target, value in statements:
        code = _as_torch(value, set(parameters), local, given, matrices, aliases)
        if code is None:
            return None
        lines.append(f"{target} = {code}")
        local.add(target)
    if "x" not in {n.id for _, value in statements for n in ast.walk(value) if isinstance(n, ast.Name)}:
        return None
    source = "; ".join(f"{target} = {ast.unparse(value)}" for target, value in statements)
    return "\n".join([*lines, f"return {targets[-1]}"]), source


def _output_statements(formulas: str) -> list[tuple[str, ast.expr]] | None:
    """The statements of a layer's or block's formulas, those done every N steps left out, when they read as
    assignments, each name is assigned once, the input x never, and the last one names the output."""
    statements = _statements("\n".join(line for line in formulas.splitlines() if not re.search(PERIODIC, line, re.IGNORECASE)))
    statements = _in_order(statements) if statements else statements
    targets = [target for target, _ in statements or ()]
    if not targets or targets[-1] not in LAYER_OUTPUTS or len(set(targets)) != len(targets) or "x" in targets:
        return None
    return statements


def reads_input_unweighted(formulas: str) -> bool:
    """Whether a formula for a layer's output (LAYER_OUTPUTS) reads its input x other than inside what a weight
    matrix (W..., w...) multiplies: `y = t*relu(W x + b) + (1 - t)*x` passes x through, so its output has the
    input's width (a block), where `y = relu(W x + b)` and `y = w1*(x + h) + b` do not."""
    for line in formulas.splitlines():
        found = _assignment(line) if _ASSIGNS.search(_normalised(line)) else None
        if found is None or found[0] not in LAYER_OUTPUTS:
            continue
        weighted: set[int] = set()
        for node in ast.walk(found[1]):
            if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.MatMult)) \
                    and isinstance(node.left, ast.Name) and re.fullmatch(r"[Ww]\w*", node.left.id):
                weighted |= {id(n) for n in ast.walk(node.right)}
        if any(isinstance(n, ast.Name) and n.id == "x" and id(n) not in weighted for n in ast.walk(found[1])):
            return True
    return False


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


_NUMBER = rf"({NUMBER})(?![\w.])"  # a number standing alone
# Words that give a parameter one value per unit of its layer.
_PER_UNIT = (r"(?:每个|每一个)(?:输出|隐藏)?(?:单元|神经元|通道|特征)|(?:one\s+)?per[- ](?:output[- ])?(?:unit|neuron|channel|feature)|"
             r"(?:for\s+)?each\s+(?:output\s+)?(?:unit|neuron|channel|feature)")
# An initial draw of the weights, `W ~ N(0, 2/fan_in)`, `W ~ U(-a, a)`: the second argument of N is its variance.
_INIT_DRAW = re.compile(r"(?<![\w.])(?:W|w|weights?|theta)(?:_?0)?\s*~\s*(N|U|Uniform)\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)")
# The sizes each layer gives an initialisation, by the names notes use for them.
_FAN_NAMES = {"fan_in": ("fan_in", "n_in", "d_in", "fanin", "nin"), "fan_out": ("fan_out", "n_out", "d_out", "fanout", "nout")}
# An initialisation said for some layers only: the program would give it to every layer.
_SOME_LAYERS = re.compile(r"last layer|output layer|first layer|hidden layers? only|最后一层|输出层|第一层|只对", re.IGNORECASE)


def init_body(formulas: str, note_text: str = "") -> tuple[str, str] | None:
    """(The body of the init skeleton's `init_weights(layers)`, the formulas it comes from) when the notes draw
    every layer's weights from a formula (`W ~ N(0, σ^2)`, `σ = sqrt(2/fan_in)`; `W ~ U(-a, a)`) over each
    layer's fan_in and fan_out, the notes' constants and earlier results, and may set the biases
    (`b = 0`); None when anything else is read, no draw is given, or the notes speak of some layers only."""
    if _SOME_LAYERS.search(f"{formulas}\n{note_text}"):
        return None
    fans = {name: role for role, names in _FAN_NAMES.items() for name in names}
    given = note_constants(formulas)
    local, lines, draw, bias, shown = set(fans), [], None, None, []
    for line in formulas.splitlines():
        parts = _split_outside_brackets(_normalised(line))
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
            elif code is None:
                return None
            else:
                lines.append(f"{target} = {code}")
                local.add(target)
    if draw is None:
        return None
    low, high = (_as_torch(value, set(), local, given) for value in draw[1])
    if low is None or high is None:
        return None
    fill = f"layer.weight.normal_(float({low}), math.sqrt(float({high})))" if draw[0] == "N" \
        else f"layer.weight.uniform_(float({low}), float({high}))"
    read = "\n".join([*lines, low, high])
    body = ["fan_out = torch.tensor(float(layer.weight.shape[0]))",
            "fan_in = torch.tensor(float(layer.weight[0].numel()))",
            *[f"{name} = {fans[name]}" for name in sorted(set(fans) - set(_FAN_NAMES))
              if re.search(rf"(?<![\w.]){name}(?!\w)", read)],
            *lines, fill]
    if bias is not None:
        body.append(f"if layer.bias is not None:\n    layer.bias.fill_({bias})")
    source = "; ".join(shown)
    return "for layer in layers:\n" + "\n".join("    " + line.replace("\n", "\n    ") for line in body), source


def _per_unit(name: str, note_text: str) -> bool:
    """Whether the notes give `name` one value per unit (`a 是每个输出单元一个可学习参数`, "one per unit")."""
    return re.search(rf"(?<![\w.]){_as_written(name)}(?![\w])[^。.\n]*?{_PER_UNIT}", plain_symbols(note_text), re.IGNORECASE) is not None


def _as_written(name: str) -> str:
    """A pattern for `name` as notes write it: itself, or the Greek letter it spells (`gamma`: γ)."""
    letters = [letter for letter, spelled in GREEK.items() if spelled == name]
    return "(?:" + "|".join(map(re.escape, [name, *letters])) + ")"


def _start(name: str, note_text: str) -> str | None:
    """The number the notes start a parameter at (`b_t starts at -1`, `b_t 初始化为 -1`, `b_t is initialised to
    -1`, or later in its sentence: `a 是可学习参数，从 0 开始`); None when they say nothing of its start, "" when
    they say something else (`W starts orthogonal`)."""
    said = re.search(rf"(?<![\w.]){_as_written(name)}(?![\w])[^。\n;；,，=]{{0,8}}?(?:is\s+|are\s+)?"
                     r"(?:starts?|started|initiali[sz]ed|init|初始|初值)"
                     r"(?P<rest>[^\n。;；]*)",
                     plain_symbols(note_text))
    if said is None:
        later = re.search(rf"(?<![\w.]){_as_written(name)}(?![\w])[^。\n]*?(?:从\s*{_NUMBER}\s*开始|start(?:s|ing)?\s+(?:at|from)\s+"
                          rf"{_NUMBER}|初始(?:化)?(?:为|成|是)\s*{_NUMBER})", plain_symbols(note_text))
        return repr(float(next(group for group in later.groups() if group))) if later else None
    value = re.match(rf"\s*(?:at|to|as|with|化|值|为|=|：|:|\s)*\s*(?:{_NUMBER}|(zero|零)(?![\w]))", said["rest"], re.IGNORECASE)
    return ("0.0" if value[2] else repr(float(value[1]))) if value else ""


def _as_torch(value: ast.expr, parameters: set[str], local: set[str], given: dict[str, str],
              matrices: set[str] = frozenset(), aliases: dict[str, str] | None = None) -> str | None:
    """A formula's expression over the layer's parameters (`self.w1`, or the parameter an alias names),
    earlier locals and the notes' constants, with torch's functions (a norm is each sample's); a weight matrix
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
            self.unknown = True
            return node

    rewrite = Rewrite()
    tree = rewrite.visit(ast.Expression(body=ast.parse(ast.unparse(value), mode="eval").body))
    return None if rewrite.unknown else ast.unparse(tree.body)


# The skeleton function a kind's program fills (guards/skeleton.py), and the arguments its roles are.
HOOK_FUNCTIONS = {"update_rule": ("update", {"param": "p", "grad": "g", "lr": "lr", "step": "t"}),
                  "activation": ("IdeaActivation.forward", {"input": "x"}),
                  "weight_op": ("weight_op", {"param": "p", "step": "step"}),
                  "data": ("transform_batch", {"input": "x", "target": "y", "step": "step"}),
                  "schedule": ("lr_at", {"step": "step", "base": "lr", "total": "STEPS"}),
                  "loss": ("compute_loss", {"pred": "out", "target": "y", "step": "step"})}


def program_body(program: NoteProgram) -> tuple[str, str] | None:
    """(the skeleton function, its body) computing the notes' formulas exactly as written: the hook's
    arguments bound to the notes' names, the notes' constants, each state read from and written back to
    the parameter's state dict (starting at zero or where the notes start it), every function applied to a tensor; an update rule's
    new weights copied into p. None for a kind with no such function."""
    if program.kind not in HOOK_FUNCTIONS:
        return None
    function, arguments = HOOK_FUNCTIONS[program.kind]
    lines = [f"{name} = self.{name}  # learnable, started at the notes' {value!r}" if name in program.learned
             else f"{name} = {value!r}  # a constant of the formulas" for name, value in program.constants.items()]
    lines += [f"{name} = {arguments[role]}" for role, name in program.roles.items() if name != arguments[role]]
    starts = dict(program.starts)
    lines += [f'{name} = state.get("{name}", torch.full_like(p, {starts[name]}))' if name in starts
              else f'{name} = state.get("{name}", torch.zeros_like(p))' for name in program.state]
    lines += [f"{name} = {expression}" for name, expression in program.bound]
    lines += [f"{name} = {expression}  # drawn afresh at every call" for name, expression in program.drawn]
    lines += [f"{target} = {_with_torch(expression)}" for target, expression in program.statements]
    lines += [f'state["{name}"] = {name}' for name in program.state]
    if program.kind in ("update_rule", "weight_op"):  # `p = ...` itself is written p.copy_(...) when filled
        lines += [f"p.copy_({program.output})"] if program.output != "p" else []
    elif program.kind == "schedule":
        lines.append(f"return float({program.output})")
    elif program.kind == "loss":  # a formula per sample is averaged over the batch, as the task's own loss is
        lines.append(f"return torch.as_tensor({program.output}).mean()")
    else:
        lines.append(f"return {program.output}")
    return function, "\n".join(lines)


def _with_torch(expression: str) -> str:
    """A formula's expression with torch's functions, each applied to a tensor (a formula may apply
    one to a plain number: sqrt(1 - β2^t)), and pi as math.pi."""
    class Rewrite(ast.NodeTransformer):
        def visit_Call(self, node: ast.Call) -> ast.AST:
            self.generic_visit(node)
            name = node.func.id if isinstance(node.func, ast.Name) else ""
            node.func = ast.parse(_TORCH_CALLS.get(name, name), mode="eval").body
            node.args = [ast.parse(f"torch.as_tensor({ast.unparse(arg)})", mode="eval").body for arg in node.args]
            if name == "norm_rows":  # the norm of each row (a unit's input weights), kept as a column
                node.keywords = [ast.keyword("dim", ast.Constant(-1)), ast.keyword("keepdim", ast.Constant(True))]
            if name in ("softmax", "log_softmax"):  # over one sample's entries (a classifier's classes)
                node.keywords = [ast.keyword("dim", ast.Constant(-1))]
            if name == "sum_over":  # kept a column, as a value at the right class is: the two meet sample by sample
                node.keywords = [ast.keyword("dim", ast.Constant(-1)), ast.keyword("keepdim", ast.Constant(True))]
            if name == "of_right_class":  # each sample's value at its class y, as a column
                return ast.parse(f"{ast.unparse(node.args[0])}.gather(-1, y[:, None])", mode="eval").body
            if name == "specnorm":  # a matrix's largest singular value; a vector's (a 1×n matrix) is its length
                x = ast.unparse(node.args[0])
                return ast.parse(f"(torch.linalg.matrix_norm({x}, ord=2) if {x}.dim() >= 2 else torch.linalg.vector_norm({x}))",
                                 mode="eval").body
            return node

        def visit_Name(self, node: ast.Name) -> ast.AST:
            return ast.parse("math.pi", mode="eval").body if node.id == "pi" else node

    return ast.unparse(Rewrite().visit(ast.parse(expression, mode="eval")).body)


# The elementwise functions a periodic operation may apply (periodic_body), as torch writes them.
TORCH_FUNCTIONS = {name: _TORCH_CALLS[name] for name in ("sign", "sqrt", "exp", "log", "tanh", "sigmoid", "relu", "abs")}


# A regulariser's penalty: `L = task_loss + λ*Σ|W|`. The names notes give the task's own loss, a weight
# matrix and its value before training (as compared: guards/constants.py `compared_name`).
TASK_LOSSES = frozenset({"taskloss", "ltask", "loss", "ldata", "l0", "ce", "mse", "lce", "lmse", "lossdata", "losstask"})
WEIGHTS = frozenset({"w", "theta"})
INITIAL_WEIGHTS = frozenset({"w0", "winit", "theta0", "wstart", "wpre", "wpretrained"})
# A sum over entries or weights (`Σ`, `Σ_W`, `∑_{ij}`): every penalty term is summed over every entry of every weight.
_SUM = re.compile(r"(?:[Σ∑]|\\sum)(?:_\{[^}]*\}|_\w+)?\s*")


def penalty_body(formulas: str) -> tuple[str, str] | None:
    """(the body of the regulariser skeleton's `penalty(weights, initial)`, the formula it comes from) when one
    formula line adds a penalty to the task's loss (`L = task_loss + λ*Σ|W|`, `loss = L_task + λ/2*Σ(W - W0)^2`)
    and each added term is constants times one expression of the weights (W) and their values before training
    (W0): that expression is summed over every entry of every weight matrix. None when anything else is read,
    a sum sits inside brackets (its square is not the sum of squares), or no such line exists."""
    given = note_constants(formulas)
    for line in formulas.splitlines():
        if any(_depth_at(line, m.start()) for m in _SUM.finditer(line)):
            continue
        found = _assignments(_SUM.sub("", line))
        for _, value in found or ():
            terms = _addends(value)
            task = [t for t in terms if isinstance(t, ast.Name) and compared_name(t.id) in TASK_LOSSES]
            rest = [t for t in terms if t not in task]
            if len(task) == 1 and rest and (body := _penalty_lines(rest, given)):
                return body, line.strip()
    return None


def _constant(name: str, given: dict[str, str]) -> float | None:
    """The value of a constant of the formulas: the notes' own, the usual tiny one for an unvalued ε, else None."""
    if compared_name(name) in given:
        return float(given[compared_name(name)])
    return EPS if compared_name(name) == "eps" else None


def _depth_at(line: str, index: int) -> int:
    return line[:index].count("(") - line[:index].count(")")


def _addends(value: ast.expr) -> list[ast.expr]:
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add):
        return _addends(value.left) + _addends(value.right)
    return [value]


def _penalty_lines(terms: list[ast.expr], given: dict[str, str]) -> str | None:
    """The penalty's body: the notes' constants, then each term summed over the weights' entries."""
    constants: dict[str, float] = {}
    uses_initial = False
    rewritten = []
    for term in terms:
        names = {n.id for n in ast.walk(term) if isinstance(n, ast.Name)} - FUNCTIONS
        weights = {n for n in names if compared_name(n) in WEIGHTS | INITIAL_WEIGHTS}
        if not weights or not _linear_in(term, weights):
            return None
        for name in names - weights:
            if (value := _constant(name, given)) is None:
                return None
            constants[name] = value
        uses_initial |= any(compared_name(n) in INITIAL_WEIGHTS for n in weights)
        renamed = ast.unparse(term)
        for name in sorted(weights, key=len, reverse=True):
            role = "W0" if compared_name(name) in INITIAL_WEIGHTS else "W"
            renamed = re.sub(rf"(?<![\w.]){re.escape(name)}(?!\w)", role, renamed)
        rewritten.append(_with_torch(renamed))
    lines = [f"{name} = {value!r}  # a constant of the formulas" for name, value in constants.items()]
    loop = "for W, W0 in zip(weights, initial):" if uses_initial else "for W in weights:"
    lines += ["total = 0", loop]
    lines += [f"    total = total + ({term}).sum()" for term in rewritten]
    return "\n".join([*lines, "return total"])


def _linear_in(term: ast.expr, weights: set[str]) -> bool:
    """The term is constants times (or divided by) one factor that reads the weights: summing that factor
    over the entries sums the term."""
    reads = lambda node: any(isinstance(n, ast.Name) and n.id in weights for n in ast.walk(node))  # noqa: E731
    if isinstance(term, ast.BinOp) and isinstance(term.op, (ast.Mult, ast.Div)):
        if reads(term.left) and reads(term.right):
            return False
        if isinstance(term.op, ast.Div) and reads(term.right):
            return False
        return _linear_in(term.left if reads(term.left) else term.right, weights)
    return reads(term)
