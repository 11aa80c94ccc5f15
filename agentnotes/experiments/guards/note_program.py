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
reading gives the bodies guards/formula_code.py writes: a program's hook and a regulariser's penalty (here),
a layer's forward pass and its method run every N steps (guards/layer_bodies.py). How one note line reads as
assignments is guards/formula_lines.py; the names other modules import from either are importable from here.
"""

from __future__ import annotations

import ast
import copy
import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

from agentnotes.experiments.guards.batch_notation import PER_SAMPLE_LOSS, batch_reductions
from agentnotes.experiments.guards.constants import POINTS, TOTAL_STEP_NAMES, compared_name, note_constants
from agentnotes.experiments.guards.kinds import without_variants
from agentnotes.experiments.guards.index_notation import REDUCTION
from agentnotes.experiments.guards.notation import STEP_INDEXED, latex_as_plain, letter_subscripts, summand_end, written_in_place
from agentnotes.experiments.guards.formula_lines import (
    _TORCH_CALLS,
    ACTIVATION_OUTPUTS,
    ADAM_DECAYS,
    bracket_depth,
    CODE_MODULES,
    EPS,
    FIRST_BATCH_START,
    FIRST_STEP,
    FUNCTIONS,
    LOSS_OUTPUTS,
    MOMENTUM,
    _assignments,
    _constant,
    _inlined_definitions,
    _in_order,
    _normalised,
    _start,
    _statements,
    draws_in,
    learnable_names,
    names_in,
    read_statements,
)
from agentnotes.experiments.guards.layer_bodies import (
    LAYER_OUTPUTS,
    LEARNING_RATES,
    TORCH_FUNCTIONS,
    block_body,
    init_body,
    layer_forward_body,
    periodic_body,
    reads_input_unweighted,
)

# A name said in words to be the number of entries of the tensor a per-tensor hook is called on ("d 是该参数张量的
# 元素个数", "n = number of entries in the tensor", "d is the parameter's element count").
_ENTRIES_COUNTED = re.compile(r"(?<![\w])([A-Za-z]\w*)\s*(?:是|为|=|:|：|is|denotes)\s*(?:the\s+)?(?:该|这个|当前)?"
                              r"(?:(?:参数|权重)?张量|参数|权重|tensor|parameter(?:'s)?|weight(?:'s)?)?\s*(?:的\s*)?"
                              r"(?:元素(?:个)?数|元素总数|(?:number|count) of (?:its\s+)?(?:elements|entries)|element count)"
                              r"(?:\s+(?:in|of)\s+(?:the|this|that)\s+(?:tensor|parameter|weight)s?)?", re.IGNORECASE)
# Names that are that number in themselves (`k = ⌈p·numel⌉`), as PyTorch spells it.
_COUNTS_BY_NAME = ("numel",)

# The names other modules may import from here: this module's own, and those it takes from guards/formula_lines.py
# and guards/layer_bodies.py.
__all__ = [
    "ACTIVATION_OUTPUTS", "CLASSIFYING_TASKS", "CLASS_VALUES", "DRAWING_KINDS", "EPS", "FUNCTIONS", "HOOK_FUNCTIONS",
    "INITIAL_WEIGHTS", "LAYER_OUTPUTS", "LOSS_OUTPUTS", "PROBED_KINDS", "ROLES", "STATELESS_KINDS", "TASK_LOSSES",
    "TORCH_FUNCTIONS", "TUNED", "WEIGHTS", "NoteProgram", "block_body", "init_body", "layer_forward_body",
    "learnable_names", "note_program", "penalty_body", "periodic_body", "program_body", "reads_input_unweighted",
]

# The names notes give this batch's training loss, in an update rule that reads it (`r_t = L_t / L_{t−1}`).
BATCH_LOSSES = ("L", "loss", "l", "L_B", "l_B")
# The values each kind's hook gives, by the names notes use for them.
ROLES = {
    "update_rule": {"param": ("p", "w", "theta", "param", "W", "x"), "grad": ("g", "grad", "gradient", "g_t"),
                    "lr": LEARNING_RATES, "step": ("t", "step", "k")},
    "activation": {"input": ("x", "z", "u")},
    "norm": {"input": ("z", "x", "h", "u")},  # a hidden layer's pre-activations
    "weight_op": {"param": ("w", "p", "W", "theta", "param"), "step": ("t", "step", "k")},
    "data": {"input": ("x",), "target": ("y",), "step": ("t", "step"), "total": TOTAL_STEP_NAMES},
    "loss": {"pred": ("y_hat", "yhat", "pred", "out", "output", "f", "o"), "target": ("y", "target"), "step": ("step",)},
    "schedule": {"step": ("t", "step", "k"), "base": ("lr0", "lr_0", "eta0", "eta_0", "base_lr", "lr_base", "lr_max",
                                                     "eta_max", "lr", "eta"),
                 "total": TOTAL_STEP_NAMES},
}
# A classifier's values by the names notes give them, from the loss hook's logits `out` and class indices `y`:
# the class probabilities, the probability of the right class, the logits, the number of classes, y one-hot.
_CLASS_PROBABILITIES = "F.softmax(out, dim=-1)"
_RIGHT_CLASS = f"{_CLASS_PROBABILITIES}.gather(-1, y[:, None])"  # a column: it meets each class's value
_LARGEST_WRONG = "out.masked_fill(F.one_hot(y, out.shape[-1]).bool(), float('-inf')).amax(-1, keepdim=True)"
CLASS_VALUES = {"p": _CLASS_PROBABILITIES, "p_t": _RIGHT_CLASS, "p_y": _RIGHT_CLASS, "p_true": _RIGHT_CLASS,
                "p_correct": _RIGHT_CLASS, "z": "out", "logits": "out", "z_y": "out.gather(-1, y[:, None])",
                "z_t": "out.gather(-1, y[:, None])", "K": "out.shape[-1]", "C": "out.shape[-1]",
                "z_rival": _LARGEST_WRONG, "logits_rival": _LARGEST_WRONG,
                "onehot_y": "F.one_hot(y, out.shape[-1]).float()"}
CLASSIFYING_TASKS = ("classification", "digits", "digits_image", "sequence")  # the lab's tasks with class indices
# Kinds whose formulas keep nothing from one call to the next: a name read before the formula for it is
# defined later (`y = g*h，g = sigmoid(a)`), not a value kept from the previous step.
STATELESS_KINDS = ("activation", "loss", "schedule")
PROBED_KINDS = ("update_rule", "activation", "schedule")  # those lab/formula_probe.py reruns beside the hook
# A hook value at the step before, as guards/notation.py names it; at the first step it is the step's own value.
PREVIOUS_SUFFIX = "_prev"
# A value at the first step of formulas written step by step, said beside its formula (`v_t = g_t + γ(g_t − g_{t-1})
# (v_1 = g_1)`): what the formula gives there, with the step before's value the step's own; not a step of its own.
_AT_START = re.compile(r"(.+)_[01]")
# A value at the first step said in words, a code comment's too (`# 第一步直接 v_l = ‖g_l‖²`, "at the first step m = g"):
# each assignment of the sentence after the words, the last one of a name its value (`第一步 m = 0，直接令 m ← g`: g).
_FIRST_STEP_SENTENCE = re.compile(FIRST_STEP.pattern + r"([^。;；#\n]*)", re.IGNORECASE)
_FIRST_STEP_ASSIGNED = re.compile(r"(?:用|取|令|set\s+)?(?<![\w\u0370-\u03ff])([A-Za-z\u0370-\u03ff][\w\u0370-\u03ff]*)\s*(?:=|←)\s*"
                                  r"([^，。,;；#\n]+)", re.IGNORECASE)


def _first_step_values(formulas: str) -> list[str]:
    """`name_1 = value` for each value the notes say at the first step in words (_FIRST_STEP_SENTENCE, FIRST_BATCH_START);
    a name the notes index by its step already (`m_1 = g_1`, `m_0 = 0`) as they write it."""
    said: dict[str, str] = {}
    for sentence in _FIRST_STEP_SENTENCE.finditer(formulas):
        said.update({m[1]: m[2].strip() for m in _FIRST_STEP_ASSIGNED.finditer(sentence[1])})
    said.update({m[1] or m[3]: (m[2] or m[4]).strip() for m in FIRST_BATCH_START.finditer(formulas)})
    return [f"{name if _AT_START.fullmatch(name) else name + '_1'} = {value}" for name, value in said.items()]
# Values said to be each unit's own: `每个隐单元一组`, `每个神经元自己学`, `per-channel`, `one per unit`.
PER_UNIT = re.compile(r"每(?:个|一个)\s*(?:隐藏?)?(?:单元|神经元|通道|channel|unit|neuron)|逐(?:单元|通道|神经元)|"
                       r"\bper[- ](?:unit|channel|neuron|feature)\b|\b(?:one|its own)\s+(?:\w+\s+)?(?:per|for each|for every)\s+"
                       r"(?:hidden\s+)?(?:unit|channel|neuron)\b|\beach\s+(?:hidden\s+)?(?:unit|channel|neuron)\s+(?:has|learns|gets)\b",
                       re.IGNORECASE)
# A layer's index on a name (`g_l`, `v_l`, `w_l`): what a hook called once per parameter tensor holds as it is.
_LAYER_INDEX = "_l"
PER_TENSOR_KINDS = frozenset({"update_rule", "weight_op"})
# Targets said to be one-hot rows (`y 是 one-hot`, `y is one-hot`, `one-hot targets y`).
_ONE_HOT_Y = re.compile(r"(?<![\w.])y\s*(?:是|为|is|are|=)?\s*(?:an?\s+)?one[- ]?hot|one[- ]?hot\s+(?:targets?\s+|labels?\s+)?y(?![\w])",
                        re.IGNORECASE)
# The total step count named in words (`Total steps T`, `总步数 T`): the run's, whatever number the notes give it.
_TOTAL_IN_WORDS = re.compile(r"\btotal\s+(?:number\s+of\s+)?(?:training\s+)?(?:steps|iterations|updates)\s*[:：(（]?\s*"
                             r"([A-Za-z]\w*)\b|(?:训练)?总步数\s*[:：(（]?\s*([A-Za-z]\w*)|"
                             r"(?<![\w.])([A-Z])\s*=\s*\d[\d,]*\s*(?:training\s+)?(?:steps|iterations|步)(?![\w/])", re.IGNORECASE)
# Adam named as the rule's base, and its moments by the names notes give them.
_ADAM_NAMED = re.compile(r"(?<![A-Za-z])Adam(?![A-Za-z])")
# Bias correction named in words, as Adam's moments have it.
_BIAS_CORRECTED = re.compile(r"bias[- ]?correct|偏差(?:修正|校正)", re.IGNORECASE)
_ADAM_MOMENTS = {"m": "beta1 * m + (1 - beta1) * g", "v": "beta2 * v + (1 - beta2) * g ** 2",
                 "m_hat": "m / (1 - beta1 ** t)", "v_hat": "v / (1 - beta2 ** t)"}
# The step size as notes in Adam's notation write it, when they name no lr or η.
STEP_SIZE_ALIASES = ("alpha",)
TUNED = frozenset({"lr", "base"})  # roles whose value the harness chooses, whatever the notes say
# A value named as the one at the start (`n0`, `n_0`, `W_init`, `norm_start`): computed once, before training.
_INITIAL_NAME = re.compile(r"(?:_?0|_?init(?:ial)?|_start)$")
# A loss named after its idea: `L_flood`, `Lq`, `loss_sce`, `ℓ_new`.
_NAMED_LOSS = re.compile(r"(?:L|ℓ|[Ll]oss)(?:_?[A-Za-z0-9]+)?$")
# What a function the notes define and never apply is named, by kind: the output the kind's program returns.
_DEFINED_OUTPUT = {"activation": "f", "loss": "loss"}
# The network's output written as a function of its input, in a loss: `softmax(f(x))`.
_NETWORK_OUTPUT = re.compile(r"(?<![\w])f\s*\(\s*x(?:_i)?\s*\)(?!\s*=)")
# Entry-wise names with a row index (`w_i`, the input weights of unit i): the formula holds for each row.
_ROW_INDEX = "_i"
# A name indexed by its entry (`m_i`, `ε_ij`): a value drawn for each entry of its tensor.
_ENTRY_INDEXED = re.compile(r"(\w+?)_(?:[ijk]|ij)")
# A value a named number of steps back: `w_{t−k}`.
_STEPS_BACK_NAMED = re.compile(r"(?<=[\w\u0370-\u03ff])_\{\s*t\s*[-−]\s*([A-Za-z])\s*\}")
# A matrix entry by its row's and its column's index (`D_ji`, `W_{ij}`, `W_{i,j}`).
_ENTRY = re.compile(r"(?<![\w\u0370-\u03ff])([A-Za-z\u0370-\u03ff][\w\u0370-\u03ff]*?)_\{?([ijkmn])\s*,?\s*([ijkmn])\}?"
                    r"(?![\w\u0370-\u03ff])")


def _small_count(value: str | None) -> bool:
    """Whether `value` is a whole number of steps from 1 to 9 (as far back as kept values go)."""
    return value is not None and re.fullmatch(r"[1-9](?:\.0*)?", value) is not None


# The letter of a period the notes do something at: "每 k 步", "every k steps".
_PERIOD_LETTER = re.compile(r"每\s*([A-Za-z])\s*(?:步|次|个?\s*step)|\bevery\s+([A-Za-z])\s+(?:steps|iterations|updates)\b")
# The lowest rate a schedule names without a value (`lr(t) = η_min + (η₀ − η_min)·…`): zero, as schedules take it.
_RATE_FLOORS = frozenset({"etamin", "lrmin"})
DRAWING_KINDS = ("update_rule", "weight_op", "data", "schedule")
# A pair: a data idea's `x_i`, the sample itself, and `x_j`, another of its batch; an activation's `x1` and
# `x2`, the two units of each pair of units (x_i/x_j, x1/x2 and x_a/x_b alike).
_PAIRED = re.compile(r"([xy])_?([ij12ab])")
_FIRST = "i1a"
_PAIR_VALUES = {"data": ("{var}", "{var}[perm]"), "activation": ("{var}[..., 0::2]", "{var}[..., 1::2]")}
# A data idea's name for the changed inputs or targets: `x_tilde` (x̃), `x_prime` (x'), `x_new`, `y_mix`, `x_aug`.
_NEW_BATCH_VALUE = re.compile(r"([xy])_?(?:tilde|prime|new|aug|augmented|mix|mixed)")


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
    previous: tuple[str, ...] = ()  # a hook value at the step before (`g_prev`, from `g_t − g_{t-1}`): PREVIOUS_SUFFIX
    initial: tuple[str, ...] = ()  # the weights as they were at the first step (`x0` of `z = x0 − s/…`)
    anchors: tuple[str, ...] = ()  # kept copies of a weight operation's weights (`W_anchor ← W`), from those before training
    per_unit: bool = False  # the learned values are one per unit (`p₁, p₂, β 每个隐单元一组`), not one per layer

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def can_probe(self) -> bool:
        """Whether lab/formula_probe.py can rerun the formulas beside the hook: a kind it probes, nothing drawn."""
        return self.kind in PROBED_KINDS and not self.drawn

    def as_text(self) -> str:
        return "; ".join(f"{target} = {expression}" for target, expression in self.statements)


def note_program(formulas: str, kinds: Sequence[str], note_text: str = "", task: str = "",
                 batch_loss: bool = False) -> NoteProgram | None:
    """The program of the note's formula lines for the first of `kinds` that has ROLES, or None when
    the formulas are not certain enough to run (see the module docstring). With `batch_loss`, an update rule's hook
    is also given this batch's training loss (BATCH_LOSSES, and at the step before `L_prev`). A name the formulas or
    `note_text` call learnable is an activation's parameter, started at the notes' value; in another
    kind's formulas it gives no program. A loss on a classifying `task` reads the classifier's values
    (CLASS_VALUES), never the logits or class indices as numbers; one on regression its outputs and targets;
    on an unknown task, none."""
    kind = next((k for k in kinds if k in ROLES), None)
    if kind is None or not formulas.strip():
        return None
    own_constants = note_constants(formulas)
    given = {**note_constants(without_variants(note_text)), **own_constants}  # a setup line may give one
    if kind == "loss":  # `(1/B) Σ_i ℓ_i`: each sample's loss, and the mean over the batch
        formulas = _NETWORK_OUTPUT.sub("logits" if task in CLASSIFYING_TASKS else "y_hat", batch_reductions(formulas))
    if kind == "weight_op" and (period := _PERIOD_LETTER.search(note_text)):
        # `W_t − W_{t−k}` in an operation done every k steps: the weights now, and as the last call kept them
        back = rf"(?<![\w])(\w+?)_\{{\s*t\s*[-−]\s*{period[1] or period[2]}\s*\}}"
        formulas = re.sub(r"(?<![\w])(\w+?)_\{?t\}?(?![\w{])", r"\1", re.sub(back, r"\1_prev", formulas))
    elif kind == "update_rule":  # `w_{t−k}` with k = 4: the weights 4 steps back
        formulas = written_in_place(_STEPS_BACK_NAMED.sub(lambda m: m[0].replace(m[1], given[compared_name(m[1])].split(".")[0])
                                                          if _small_count(given.get(compared_name(m[1]))) else m[0], formulas))
    if kind in PER_TENSOR_KINDS:
        formulas = _entries_as_rows(formulas)
    first_said = _first_step_values(formulas)
    statements = _statements("\n".join([formulas, *first_said]), _DEFINED_OUTPUT.get(kind, ""))
    if statements is None:
        return None  # a formula that does not read as code: the program would lack it
    statements = _refinements_renamed(_restated_once(_without_decompositions(statements)), kind)
    if kind == "update_rule":  # `g = ∇L(w)`, `g_i = dL/dW[i, :]` (read as `g`): a name given to the gradient, no step
        statements = [(target, value) for index, (target, value) in enumerate(statements)
                      if not (isinstance(value, ast.Name) and value.id in ROLES[kind]["grad"])
                      or any(target in _names(earlier) for _, earlier in statements[:index])]  # `g_prev = g` kept for the next step
        statements = _with_adam_moments(statements, f"{formulas}\n{note_text}", given)
    targets = [target for target, _ in statements]
    if not statements or len(set(targets)) != len(targets):
        return None
    given_starts: dict[str, str] = {}
    if kind == "update_rule":  # `g_prev = g` after the step, `t=1 时 g_prev = 0`: a kept value and its start, no constant
        kept = {target for index, (target, _) in enumerate(statements)
                if any(target in _names(read) for _, read in statements[:index + 1])}  # read before it is computed
        given_starts = {target: given.pop(compared_name(target)) for target in kept if compared_name(target) in given}
    said_at_start = {target for target in targets if (start := _AT_START.fullmatch(target)) and start[1] in targets
                     and (STEP_INDEXED.search(formulas) or any(line.startswith(f"{target} =") for line in first_said))}
    statements, said_at_start = _at_first_step(statements, said_at_start, kind)
    kept = {name + _ROW_INDEX for role, names in ROLES[kind].items() if role not in ("param", "grad") for name in names
            } if kind in PER_TENSOR_KINDS else set()
    statements = [(target if target in kept else target.removesuffix(_ROW_INDEX), _by_rows(value, kept))
                  for target, value in statements]  # `lr_i = lr/√(1 + n_i/K)`: each entry's rate, not the lr
    if len({target for target, _ in statements}) != len(statements):
        return None  # `w_i ← w_i − α_i·g_i` and `w = w - alpha * g`: one rule written twice, in two forms
    if kind in PER_TENSOR_KINDS:
        statements = _by_layers(statements, kind)
    if kind == "data":
        statements = _new_batch_named(statements)
    if kind == "update_rule":
        statements = _with_plain_step(statements)
    elif kind in STATELESS_KINDS:
        statements = _up_to_output(_in_order(statements), kind)
    drawn = {}
    for line in formulas.splitlines():
        for name, expression in draws_in(line, given, note_text):
            drawn[name] = expression
            if expression is None:
                return None  # a draw the program cannot write: the formulas are not certain
    for name, expression in list(drawn.items()):  # `m_i ~ Bernoulli(1 − p)` for `m ⊙ g`: each entry of m drawn so
        if (entry := _ENTRY_INDEXED.fullmatch(name)) and expression and "_like({like}" in expression:
            drawn.setdefault(entry[1], expression)
    if kind == "loss" and task not in ("regression", *CLASSIFYING_TASKS):
        return None  # what the outputs and targets are is not known
    classes = CLASS_VALUES if kind == "loss" and task in CLASSIFYING_TASKS else {}
    if classes:  # `p_t = softmax(out) 在正确类别上的概率`, `p = softmax(out)`: the classifier's value as CLASS_VALUES has it
        statements = [(target, value) for target, value in statements if not (target in classes and _softmax_of_logits(value))]
        if not statements:
            return None
    for name in {target for target, _ in statements} & _hook_tensors(kind):
        if compared_name(name) not in own_constants:
            given.pop(compared_name(name), None)  # `p = 23` in the prose (a modulus): not the value of the weights
    learnable = learnable_names(f"{formulas}\n{note_text}")
    for name in {n.id for _, value in statements for n in ast.walk(value) if isinstance(n, ast.Name)}:
        if compared_name(name) in learnable and compared_name(name) not in given and (start := _start(name, note_text)):
            given[compared_name(name)] = start  # a learnable value's start said in prose: `a 初始化为 0.25`
    if kind == "activation":
        given, learnable = _raw_learnables(statements, given, learnable)
    for named in _TOTAL_IN_WORDS.finditer(note_text):  # `Total steps T … T = 3000`: the run's own step count
        if (named[1] or named[2] or named[3]) in ROLES[kind].get("total", ()):  # `T = 3000 steps`: the run's steps
            given.pop(compared_name(named[1] or named[2] or named[3]), None)
    statements = _letters_side_by_side(_averages(statements, given, kind), given, kind)
    if kind == "loss" and task in CLASSIFYING_TASKS and _ONE_HOT_Y.search(note_text):
        statements = _renamed(statements, "y", "onehot_y")  # `y 是 one-hot`: the class index as a one-hot row
    counted = {name: "float(p.numel())" for name in [*_COUNTS_BY_NAME, *(m[1] for m in _ENTRIES_COUNTED.finditer(note_text))]} \
        if kind in PER_TENSOR_KINDS else {}
    program = _live(_from_initial_weights(_resolve(kind, statements, given, drawn, learnable, classes, counted,
                                                   batch_loss)))
    if program is not None and program.learned and PER_UNIT.search(note_text):
        program = replace(program, per_unit=True)
    if program is None or any(_AT_START.fullmatch(target)[1] in program.state for target in said_at_start):
        return None  # a kept value the notes start at a formula: not certain
    if not program.state:
        return program
    starts = {name: _start(name, note_text) for name in program.state}
    starts = {name: given_starts.get(name) if start is None else start for name, start in starts.items()}
    if "" in starts.values():
        return None  # a state the notes start otherwise than at a number: not certain
    if _divides_by_zero_at_start(program, {name for name, start in starts.items() if not start or float(start) == 0}):
        return None  # `w ⊙ exp(−η·g/√v̂)` before `v ← β·v + …`: the first step would divide by the zero v starts at
    return replace(program, starts=tuple((name, start) for name, start in starts.items() if start and float(start) != 0))


_ARITHMETIC = (ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name, ast.Load, ast.operator, ast.unaryop)


def _divides_by_zero_at_start(program: NoteProgram, zero: set[str]) -> bool:
    """Whether a formula divides by a value that is zero at the first step: one made, before the gradient enters it,
    from kept values that start at zero (`zero`), with every other value taken as one and each ε as itself."""
    zero = set(zero)
    values = {**{name: 1.0 for _, expression in program.statements for name in _names(ast.parse(expression, mode="eval"))},
              **{name: float(value) for name, value in program.constants.items() if isinstance(value, int | float)}}
    functions = {"sqrt": math.sqrt, "abs": abs, "exp": math.exp, "norm": abs, "max": max, "min": min, "sign": lambda v: v}
    for target, expression in program.statements:
        tree = ast.parse(expression, mode="eval")
        for node in ast.walk(tree):
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and _names(node.right) & zero:
                if not all(isinstance(n, _ARITHMETIC) or isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                           and n.func.id in functions and not n.keywords for n in ast.walk(node.right)):
                    continue  # anything but arithmetic of names and these functions: not judged here
                try:
                    divisor = eval(compile(ast.Expression(node.right), "<divisor>", "eval"),  # numbers only
                                   {"__builtins__": {}, **values, **dict.fromkeys(zero, 0.0), **functions})
                except Exception:  # a function of tensors (a dot product): not judged here
                    continue
                if divisor == 0:
                    return True
        if "g" not in _names(tree) and _names(tree) & zero:
            zero.add(target)  # `v̂ = v/(1 − β2^t)`: still zero
        else:
            zero.discard(target)  # the gradient entered it, or nothing zero did
    return False


def _with_adam_moments(statements: list[tuple[str, ast.expr]], text: str,
                       given: dict[str, str]) -> list[tuple[str, ast.expr]]:
    """An update rule on Adam's moments that takes them from Adam in words (`θ ← θ − η·m̂/(√v̂+ε)`, "其余照常 Adam",
    "bias-corrected as in Adam"): Adam's formulas, first, for the moments the rule reads and the notes do not write,
    and Adam's β1 and β2 where the notes give none (`given` gets them)."""
    if not _ADAM_NAMED.search(text) and not _BIAS_CORRECTED.search(text):
        return statements
    written = {target for target, _ in statements}
    spelled = {compared_name(name): name for _, value in statements for name in _names(value)}  # β_1 as the notes write it
    moments = {**_ADAM_MOMENTS, **_bias_corrections(statements)}
    with_moments: list[tuple[str, ast.expr]] = []

    def add(names: set[str]) -> None:  # each moment the notes do not write, before the first formula reading it
        for name in sorted(names & set(moments) - written):
            written.add(name)
            formula = ast.parse(re.sub(r"beta[12]", lambda m: spelled.get(m[0], m[0]), moments[name]), mode="eval").body
            add(_names(formula))
            with_moments.append((name, formula))

    for target, value in statements:
        add(_names(value))
        with_moments.append((target, value))
    if len(with_moments) > len(statements):
        given.setdefault("beta1", str(ADAM_DECAYS["beta1"]))
        given.setdefault("beta2", str(ADAM_DECAYS["beta2"]))
    return with_moments


def _bias_corrections(statements: list[tuple[str, ast.expr]]) -> dict[str, str]:
    """Each average the notes keep as Adam keeps its moments (`u = β2·u + (1−β2)·m²`), bias-corrected as Adam's are:
    `u_hat = u / (1 − β2 ** t)`, by the average's own decay (`m̂1` of `m1` too)."""
    corrections = {}
    for target, value in statements:
        match = re.fullmatch(rf"(\w+) \* {target} \+ \(1 - \1\) \* .+", ast.unparse(value))
        if match:  # `m1_hat` or `m_hat1`: m̂1 made plain
            base, number = re.fullmatch(r"(.*?)(\d*)", target).groups()
            corrections[f"{target}_hat"] = corrections[f"{base}_hat{number}"] = f"{target} / (1 - {match[1]} ** t)"
    return corrections


def _at_first_step(statements: list[tuple[str, ast.expr]], said_at_start: set[str],
                   kind: str) -> tuple[list[tuple[str, ast.expr]], set[str]]:
    """`statements` without the values said at the first step (`m_1 = g_1`), each kept value the notes start at a formula
    of the first step's values computed by it there (`m = where(t <= 1, g, β·m + (1−β)·g)`), and the targets said at
    the start left to judge (a start at a number, a value its formula gives at step 1 anyway, a kind without steps)."""
    step = next((name for name in ROLES[kind].get("step", ()) if any(name in _names(v) for _, v in statements)),
                next((name for name in ROLES[kind].get("step", ()) if name not in {t for t, _ in statements}), None))
    first = {target: value for target, value in statements if target in said_at_start and target.endswith("_1")
             and not isinstance(value, ast.Constant)}
    if step is None or not first:
        return [(t, v) for t, v in statements if t not in said_at_start], said_at_start
    kept, handled = [], set()
    for target, value in statements:
        if f"{target}_1" in first and target in _names(value):  # a kept value; at step 1 from the step's own (g_1: g)
            handled.add(f"{target}_1")
            at_start = ast.parse(re.sub(r"(?<![\w.])([A-Za-z]\w*)_1(?![\w])", r"\1", ast.unparse(first[f"{target}_1"])),
                                 mode="eval").body
            value = ast.Call(ast.Name("where", ast.Load()), [ast.Call(ast.Name("le", ast.Load()), [
                ast.Name(step, ast.Load()), ast.Constant(1)], []), at_start, value], [])
        if target not in said_at_start:
            kept.append((target, value))
    return kept, said_at_start - handled


def _letters_side_by_side(statements: list[tuple[str, ast.expr]], given: dict[str, str],
                          kind: str) -> list[tuple[str, ast.expr]]:
    """`statements` with each two-letter name the notes never define whose letters each name a value (a constant, a
    hook value, a formula's result) read as their product: `wT` with w = 0.05 and T the total steps is w*T."""
    known = {target for target, _ in statements} | {n for names in ROLES[kind].values() for n in names}

    def is_known(letter: str) -> bool:
        return letter in known or compared_name(letter) in given

    class Product(ast.NodeTransformer):
        def visit_Call(self, node: ast.Call) -> ast.AST:  # a function's name (`gt(u·g, 0)`) is no product
            node.args = [self.visit(arg) for arg in node.args]
            node.keywords = [self.visit(keyword) for keyword in node.keywords]
            return node

        def visit_Name(self, node: ast.Name) -> ast.AST:
            name = node.id
            if len(name) == 2 and name.isalpha() and not is_known(name) and all(map(is_known, name)):
                return ast.BinOp(ast.Name(name[0], ast.Load()), ast.Mult(), ast.Name(name[1], ast.Load()))
            return node

    return [(target, Product().visit(value)) for target, value in statements]


def _up_to_output(statements: list[tuple[str, ast.expr]], kind: str) -> list[tuple[str, ast.expr]]:
    """A stateless kind's statements up to the last that names its output (`L = …`, `f(x) = …`, `lr_t = …`): a formula
    after it, which it cannot read, is another part's (the output layer's start `b = −log(K−1)` beside a loss)."""
    named = [i for i, (target, _) in enumerate(statements) if _names_output(kind, target)]
    return statements[:named[-1] + 1] if named else statements


def _names_output(kind: str, target: str) -> bool:
    """Whether `target` is a name the output of a stateless `kind` goes by."""
    if kind == "loss":
        return compared_name(target) in LOSS_OUTPUTS or bool(_NAMED_LOSS.match(target))
    if kind == "activation":
        return target in ACTIVATION_OUTPUTS
    return target.startswith(("lr", "eta"))


def _averages(statements: list[tuple[str, ast.expr]], given: dict[str, str], kind: str) -> list[tuple[str, ast.expr]]:
    """`r̄ = (1/n) Σᵢ rᵢ`, `Σ_i r_i / n`, `(1/d_in)·Σ_j W[i, j]` with a count the notes give no value, no formula and no
    role: the mean over the index."""
    targets = {target for target, _ in statements}
    roles = {name for names in ROLES[kind].values() for name in names}

    def count(node: ast.expr) -> bool:
        return isinstance(node, ast.Name) and compared_name(node.id) not in given and node.id not in targets | roles

    def summed(node: ast.expr) -> bool:
        return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _MEANS and len(node.args) == 1

    def mean(total: ast.Call) -> ast.Call:
        return ast.Call(ast.Name(_MEANS[total.func.id], ast.Load()), total.args, [])

    class Averages(ast.NodeTransformer):
        def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
            node = self.generic_visit(node)
            if isinstance(node.op, ast.Div) and summed(node.left) and count(node.right):
                return mean(node.left)
            if isinstance(node.op, ast.Mult) and summed(node.right) and isinstance(node.left, ast.BinOp) \
                    and isinstance(node.left.op, ast.Div) and _is_one(node.left.left) and count(node.left.right):
                return mean(node.right)
            return node

    return [(target, Averages().visit(value)) for target, value in statements]


_MEANS = {"sum_over": "mean", "sum_rows": "mean_rows"}  # a sum over an index, and the mean over it


def _is_one(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value == 1


def _renamed(statements: list[tuple[str, ast.expr]], old: str, new: str) -> list[tuple[str, ast.expr]]:
    """`statements` reading `new` wherever they read the name `old`."""
    class Rename(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            return ast.Name(new, ast.Load()) if node.id == old else node

    return [(target, Rename().visit(value)) for target, value in statements]


def _names(value: ast.expr) -> set[str]:
    return {node.id for node in ast.walk(value) if isinstance(node, ast.Name)}


def _without_decompositions(statements: list[tuple[str, ast.expr]]) -> list[tuple[str, ast.expr]]:
    """The statements without a value split into parts the next formulas define from it (`W = S + A`, then
    `S = (W + Wᵀ)/2`, `A = (W − Wᵀ)/2`): an identity that names the parts, no step."""
    def decomposition(index: int) -> bool:
        target, value = statements[index]
        parts = _names(value)
        later = {t: v for t, v in statements[index + 1:]}
        return bool(parts) and all(part in later and target in _names(later[part]) for part in parts)
    return [statement for index, statement in enumerate(statements) if not decomposition(index)]


def _restated_once(statements: list[tuple[str, ast.expr]]) -> list[tuple[str, ast.expr]]:
    """The statements with a formula the notes write again as it was (in the heading, then in the text) kept once, where
    nothing between the two assigns what it reads or computes."""
    kept: list[tuple[str, ast.expr]] = []
    for target, value in statements:
        same = next((i for i, (t, v) in enumerate(kept) if t == target and ast.dump(v) == ast.dump(value)), None)
        between = {t for t, _ in kept[same + 1:]} if same is not None else set()
        if same is None or between & ({target} | {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}):
            kept.append((target, value))
    return kept


def _refinements_renamed(statements: list[tuple[str, ast.expr]], kind: str) -> list[tuple[str, ast.expr]]:
    """The statements with a value the notes compute and then refine from itself in the same step (`mask = 1[u·g > 0]`,
    then `mask ← mask·d/(Σ mask + 1)`) named apart at each step but the last (`mask_v1`), each read of it renamed to the
    step it reads; the last keeps the name, which a value read before it is computed (kept from the step before) also
    reads. Unchanged where a value is assigned again without reading itself (a restatement in other words), or where it
    is one the hook gives (`p = p − lr·g`, then `p = p − lr·sign(g)`: a baseline's rule and the idea's, not two steps)."""
    hook_names = {name for names in ROLES[kind].values() for name in names}
    assigned: dict[str, list[int]] = {}
    for index, (target, _) in enumerate(statements):
        assigned.setdefault(target, []).append(index)
    again = {target: indices for target, indices in assigned.items() if len(indices) > 1}
    if not again or again.keys() & hook_names \
            or any(target not in _names(statements[i][1]) for target, indices in again.items() for i in indices[1:]):
        return statements
    name_at = {i: (f"{target}_v{n}" if i != indices[-1] else target)
               for target, indices in again.items() for n, i in enumerate(indices, 1)}

    class _ReadsRenamed(ast.NodeTransformer):
        def __init__(self, before: int) -> None:
            self.before = before

        def visit_Name(self, node: ast.Name) -> ast.Name:
            earlier = [i for i in again.get(node.id, ()) if i < self.before]
            return ast.Name(id=name_at[earlier[-1]], ctx=node.ctx) if earlier else node

    return [(name_at.get(index, target), _ReadsRenamed(index).visit(copy.deepcopy(value)))
            for index, (target, value) in enumerate(statements)]


def _live(program: NoteProgram | None) -> NoteProgram | None:
    """`program` without the statements nothing reads: neither the output, a state kept for the next step, nor a
    later statement that is read (`h = lr/2` in a remark about another idea); None when one of those holds a case."""
    if program is None:
        return None
    kept = read_statements(program.statements, {*names_in(program.output), *program.state, *program.anchors})
    if any("where(" in expression for target, expression in program.statements if (target, expression) not in kept):
        return None  # a case the notes compute and the rule never reads (`bp = b_par if coef > 0 else b_perp` in their
        # code): the rule as read would leave that case out
    return replace(program, statements=tuple(kept))


def _from_initial_weights(program: NoteProgram | None) -> NoteProgram | None:
    """`program` with each value named as the start's (`n₀ = ‖W‖_F`, `W_init`) that reads the weights computed from the
    weights before training (a weight operation's `state["initial"]`); None for another kind, which keeps no such value."""
    param = program.roles.get("param") if program else None
    starting = [target for target, value in program.statements if _INITIAL_NAME.search(target)
                and param in names_in(value)] if param else []
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


# A changed gradient the notes name apart from the gradient itself: `g̃`, `g'`, `g_new`, `g_mod` (not `ḡ`, an average).
_CHANGED_GRADIENT = re.compile(r"g_(?:tilde|prime|new|mod|modified|filtered|aug)")


def _with_plain_step(statements: list[tuple[str, ast.expr]]) -> list[tuple[str, ast.expr]]:
    """An update rule's statements ending with a plain SGD step (`p = p - lr*g`) when they change the gradient
    and never the weights (`g = g + σ*ε`, or last `g̃ = g + λ·ḡ`: the notes change what the usual step is taken with)."""
    targets = {target for target, _ in statements}
    gradient = next((name for name in ROLES["update_rule"]["grad"] if name in targets), None)
    if gradient is None and statements and _CHANGED_GRADIENT.fullmatch(statements[-1][0]):
        gradient = statements[-1][0]  # `g̃ = g + λ·ḡ` last: the gradient the step is taken with
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


def _hook_tensors(kind: str) -> set[str]:
    """The names of the weights and the gradient a hook of `kind` is given."""
    return {*ROLES[kind].get("param", ()), *ROLES[kind].get("grad", ())}


def _by_layers(statements: list[tuple[str, ast.expr]], kind: str) -> list[tuple[str, ast.expr]]:
    """A hook's formulas for one layer (`v_l ← β₂·v_l + (1−β₂)·‖g_l‖²`) as the hook's for the tensor it is given: the
    layer's index dropped from the values the formulas compute and from the hook's weights and gradient (a norm stays
    the whole tensor's); any other name keeps it (`ε_ℓ` no formula computes is no constant ε)."""
    targets = {target for target, _ in statements}
    layered = {name for name in targets.union(*(_names(value) for _, value in statements))
               if name.endswith(_LAYER_INDEX) and (name in targets or re.sub(r"_?0$", "", name.removesuffix(_LAYER_INDEX))
                                                    in _hook_tensors(kind))}  # `W_0_l`: the layer's weights at the start too

    class Rewrite(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            return ast.Name(node.id.removesuffix(_LAYER_INDEX), ast.Load()) if node.id in layered else node

    return [(target.removesuffix(_LAYER_INDEX) if target in layered else target, Rewrite().visit(value))
            for target, value in statements]


def _entries_as_rows(formulas: str) -> str:
    """Formulas of a matrix's entries (`α_j = mean_i |D_ji|`, `W_ji ← W_ji − α_j`: row j, column i) in the row notation
    of a hook on one tensor: a matrix by its name, a value of row j as `α_i` (_ROW_INDEX), a sum or mean over the
    column index as the row's (`sum_rows`, `mean_rows`). Formulas whose entries do not all name one row index and one
    column index, in one order, are returned as they are."""
    pairs = {(m[2], m[3]) for m in _ENTRY.finditer(formulas)}
    if len(pairs) != 1 or len(pair := pairs.pop()) != len(set(pair)):
        return formulas
    row, column = pair
    lines = []
    for line in formulas.splitlines():
        while reduced := next((m for m in REDUCTION.finditer(line) if m["index"] == column
                               and m["word"] in (None, "sum", "mean")), None):
            end = summand_end(line, reduced.end())
            call = "mean_rows" if reduced["word"] == "mean" else "sum_rows"
            line = f"{line[:reduced.start()]}{call}({line[reduced.end():end].strip()}){line[end:]}"
        lines.append(line)
    formulas = _ENTRY.sub(r"\1", "\n".join(lines))
    return re.sub(rf"(?<=[\w\u0370-\u03ff])_\{{?{row}\}}?(?![\w\u0370-\u03ff])", _ROW_INDEX, formulas)


def _by_rows(value: ast.expr, kept: set[str] = frozenset()) -> ast.expr:
    """A formula over one row (`w_i * c/||w_i||`) as one over every row at once: `w_i` is `w` (a name in `kept` keeps
    its index), and a norm or a sum of a row is that of each row (norm_rows, sum_rows). Other formulas are returned as
    they are."""
    class Rewrite(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            return ast.Name(node.id.removesuffix(_ROW_INDEX), ast.Load()) if node.id.endswith(_ROW_INDEX) \
                and node.id not in kept else node

        def visit_Call(self, node: ast.Call) -> ast.AST:
            rows = isinstance(node.func, ast.Name) and node.func.id in ("norm", "sum_over") and any(
                isinstance(n, ast.Name) and n.id.endswith(_ROW_INDEX) for arg in node.args for n in ast.walk(arg))
            dotted = rows is False and isinstance(node.func, ast.Name) and node.func.id == "dot" and len(node.args) == 2 \
                and any(isinstance(n, ast.Name) and n.id.endswith(_ROW_INDEX) for arg in node.args for n in ast.walk(arg))
            self.generic_visit(node)
            if rows:
                node.func = ast.Name(f"{node.func.id.removesuffix('_over')}_rows", ast.Load())
            if dotted:  # ⟨g_i, w_i⟩: each row's inner product
                return ast.Call(ast.Name("sum_rows", ast.Load()), [ast.BinOp(*node.args[:1], ast.Mult(), node.args[1])], [])
            return node

    return Rewrite().visit(value)


def _resolve(kind: str, statements: list[tuple[str, ast.expr]], given: dict[str, str], drawn: dict[str, str],
             learnable: set[str], classes: dict[str, str], counted: dict[str, str], batch_loss: bool = False) \
        -> NoteProgram | None:
    """Every name the statements read bound to a constant, a role, a state, an earlier statement, one of
    `classes` (a classifier's values, in place of the loss's prediction and target) or of `counted` (a count the
    notes say in words, from the hook's arguments); None if one is not."""
    roles: dict[str, str] = {}
    constants: dict[str, float] = {}
    state: list[str] = []
    previous: list[str] = []
    initial: list[str] = []
    noise: list[tuple[str, str]] = []
    learned: list[str] = []
    anchors: list[str] = []
    pairs: dict[str, str] = {}
    derived: dict[str, str] = {}  # values computed from the hook's arguments: a classifier's, the task's loss
    targets = {target for target, _ in statements}
    defined: set[str] = set()
    role_names = dict(ROLES[kind]) | ({"loss": BATCH_LOSSES} if batch_loss and kind == "update_rule" else {})
    if "lr" in role_names and not ({n.id for _, v in statements for n in ast.walk(v) if isinstance(n, ast.Name)}
                                   - targets) & set(role_names["lr"]):
        role_names["lr"] = STEP_SIZE_ALIASES  # `θ = θ − α·m̂/(√v̂ + ε)`, `η = min(η̂, s)`: α is the step size the harness tunes
    names_read = {n.id for _, value in statements for n in ast.walk(value) if isinstance(n, ast.Name)}
    for target, value in statements:
        called = {n.func.id for n in ast.walk(value) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        for name in [n.id for n in ast.walk(value) if isinstance(n, ast.Name)]:
            if name in FUNCTIONS and name not in called and name != "pi" and compared_name(name) not in given:
                return None  # a function's name read as a value (`sign (v - g²)` as a product): not certain
            if name == "of_right_class" and not classes:
                return None  # a value at the right class, where the outputs are no classifier's
            if name in defined or name in FUNCTIONS or name in CODE_MODULES or name in roles.values() or name in constants \
                    or name in state or name in anchors \
                    or name in dict(noise) or name in pairs or name in derived:
                continue
            if name in {**classes, **counted} and compared_name(name) not in given:
                derived[name] = {**classes, **counted}[name]
                continue
            if classes and name in ROLES[kind]["target"] and _only_passed_to_code(name, statements):
                roles["target"] = name  # `F.cross_entropy(logits, y)`: class indices, as PyTorch's loss takes them
                continue
            if kind == "loss" and name == PER_SAMPLE_LOSS:
                derived[name] = "task_loss(out, y, per_sample=True)"  # each sample's loss under the task's, a column
                continue
            if kind == "loss" and compared_name(name) not in given and (compared_name(name) in TASK_LOSSES or (
                    compared_name(name) in LOSS_OUTPUTS and name not in targets)):  # `L_flood = |L − b| + b`: L is the task's
                derived[name] = "task_loss(out, y)"  # the task's own loss (MSE or cross-entropy), over the batch
                continue
            if name in drawn and kind in DRAWING_KINDS:
                like = {"data": target, "schedule": "torch.zeros(())"}.get(kind, "p")  # a data idea's noise is shaped
                # like what it changes, a schedule's is one number
                noise.append((name, drawn[name].format(like=like)))
                continue
            pair = _PAIRED.fullmatch(name)
            if pair and kind in _PAIR_VALUES and (kind == "data" or pair[1] == "x"):
                pairs[name] = _PAIR_VALUES[kind][pair[2] not in _FIRST].format(var=pair[1])
                if kind == "activation":
                    roles.setdefault("input", pair[1])
                continue
            role = next((r for r, names in role_names.items() if name in names and r not in roles
                         and not (classes and r in ("pred", "target"))), None)
            if role in TUNED or (role and (name in POINTS or compared_name(name) not in given)):
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
            elif kind == "schedule" and compared_name(name) in _RATE_FLOORS:
                constants[name] = 0.0  # `η_min` with no value: the floor a schedule decays to by convention
            elif kind == "update_rule" and compared_name(name) in ADAM_DECAYS:
                constants[name] = ADAM_DECAYS[compared_name(name)]
            elif kind == "update_rule" and _decays_an_average(name, statements):
                constants[name] = MOMENTUM  # `v ← β·v + t` with β given no value: the usual momentum
            elif name in targets and kind == "update_rule":
                state.append(name)  # read before it is computed: a value kept from the previous step
            elif name in targets and kind == "weight_op" and _copies_weights(name, statements, role_names["param"]):
                anchors.append(name)  # `D = W − W_anchor … W_anchor ← W`: the weights as the last call left them
            elif (kind == "update_rule" or kind == "weight_op" and _kept_stem(name) in role_names["param"]) \
                    and (role := _previous_role(name, role_names, roles)):
                roles[role] = _kept_stem(name)  # the weights or the gradient at the step before (or k steps before)
                previous.append(name)
            elif kind in PER_TENSOR_KINDS and (param := _initial_param(name, role_names, roles)):
                roles["param"] = param  # the weights at the first step (a weight operation's: before training)
                initial.append(name)
            elif kind in PER_TENSOR_KINDS and (param := _transposed_param(name, role_names, roles)):
                roles["param"] = param  # `Wᵀ`: the weight matrix transposed
                derived[name] = f"{param}.T"
            elif kind in PER_TENSOR_KINDS and name == IDENTITY and any(map(_transposed_param_name, names_read)):
                continue  # `WᵀW − I`: the identity beside a product of the weights (_matrix_products)
            else:
                return None
        defined.add(target)
    output = _output(kind, {**roles, **({"pred": "out"} if derived else {})}, statements, drawn=bool(noise))
    if output is None:
        return None
    if any(name.endswith(TRANSPOSE_SUFFIX) for name in derived):
        statements = _matrix_products(statements, roles["param"])
    bound = ([("perm", "torch.randperm(x.shape[0], device=x.device)")] if any("[perm]" in v for v in pairs.values())
             else []) + list(pairs.items()) + list(derived.items())
    return NoteProgram(kind, tuple((t, ast.unparse(v)) for t, v in statements), constants, roles, tuple(state), output,
                       tuple(noise), tuple(bound), tuple(learned), previous=tuple(previous), initial=tuple(initial),
                       anchors=tuple(anchors))


def _copies_weights(name: str, statements: list[tuple[str, ast.expr]], weights: tuple[str, ...]) -> bool:
    """Whether the formulas set `name` to the weights themselves (`W_anchor ← W`)."""
    return any(target == name and isinstance(value, ast.Name) and value.id in weights for target, value in statements)


def _decays_an_average(name: str, statements: list[tuple[str, ast.expr]]) -> bool:
    """Whether `name` multiplies a kept value in that value's own formula (β in `v ← β·v + g`)."""
    return any(isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult)
               and {_name_of(node.left), _name_of(node.right)} == {name, target}
               for target, value in statements for node in ast.walk(value))


def _name_of(node: ast.expr) -> str | None:
    return node.id if isinstance(node, ast.Name) else None


def _previous_role(name: str, role_names: dict[str, tuple[str, ...]], roles: dict[str, str]) -> str | None:
    """The role (the weights, the gradient, the batch's loss) whose value at the step before `name` is (`g_prev`), or
    None."""
    stem = _kept_stem(name)
    if stem == name:
        return None
    return next((role for role in ("param", "grad", "loss") if stem in role_names.get(role, ())
                 and roles.get(role, stem) == stem), None)


def _kept_stem(name: str) -> str:
    """The name whose earlier value `name` is (`g` for `g_prev`, `g_prev2`), or `name` itself."""
    return re.sub(rf"{PREVIOUS_SUFFIX}\d?$", "", name)


def _kept_values(previous: tuple[str, ...], start: str = "") -> list[str]:
    """The lines that read each value kept from earlier steps and keep this step's: `g_prev2` (two steps before) keeps
    `g_prev` too, each kept value shifted one step back after reading. At the first steps, a value not yet kept is
    `start` (a weight operation's weights before training), else the step's own."""
    depths: dict[str, int] = {}
    for name in previous:
        stem, depth = _kept_stem(name), int(name[len(_kept_stem(name)) + len(PREVIOUS_SUFFIX):] or 1)
        depths[stem] = max(depth, depths.get(stem, 1))
    lines = []
    for stem, depth in depths.items():
        names = [f"{stem}{PREVIOUS_SUFFIX}{k if k > 1 else ''}" for k in range(1, depth + 1)]
        lines += [f'{name} = state.get("{name}", {start or stem})' for name in names]
        lines += [f'if "{earlier}" in state: state["{later}"] = state["{earlier}"]'
                  for later, earlier in zip(names[:0:-1], names[-2::-1])]
        lines.append(f'state["{names[0]}"] = {stem}.detach().clone()')
    return lines


# A matrix transposed (`Wᵀ` as plain notation writes it: `W_T`), and the identity matrix, as the formulas name them.
TRANSPOSE_SUFFIX = "_T"
IDENTITY = "I"


def _transposed_param_name(name: str) -> bool:
    return name.endswith(TRANSPOSE_SUFFIX) and len(name) > len(TRANSPOSE_SUFFIX)


def _transposed_param(name: str, role_names: dict[str, tuple[str, ...]], roles: dict[str, str]) -> str | None:
    """The weights' name when `name` is their transpose (`W_T`), or None."""
    stem = name.removesuffix(TRANSPOSE_SUFFIX)
    return stem if _transposed_param_name(name) and stem in role_names["param"] and roles.get("param", stem) == stem \
        else None


def _matrix_products(statements: list[tuple[str, ast.expr]], param: str) -> list[tuple[str, ast.expr]]:
    """Formulas of matrix algebra on the weights (`W ← W − α·W(WᵀW − I)`, `(1+β)·W − β·W·Wᵀ·W`) with each product of
    two or more matrices a matrix product in the order written (`W @ (W_T @ W - I)`), the numbers it holds multiplying
    it, and the identity as large as the matrix beside it. A product with one matrix stays entry by entry (`α·W`). A
    value computed as a matrix product (`G = WᵀW`) is a matrix in the formulas after it."""
    matrices = {param, param + TRANSPOSE_SUFFIX, IDENTITY}
    computed_rows: dict[str, str | None] = {}  # a value computed as a matrix product: its number of rows

    def factors(node: ast.expr) -> list[ast.expr]:
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            return factors(node.left) + factors(node.right)
        return [node]

    def is_matrix(node: ast.expr) -> bool:
        if isinstance(node, ast.Name):
            return node.id in matrices
        if isinstance(node, ast.BinOp):
            return is_matrix(node.left) or is_matrix(node.right)
        return isinstance(node, ast.UnaryOp) and is_matrix(node.operand)

    def rows(node: ast.expr) -> str | None:
        if isinstance(node, ast.Name) and node.id in computed_rows:
            return computed_rows[node.id]
        if isinstance(node, ast.Name) and node.id != IDENTITY:
            return f"{param}.shape[{1 if node.id.endswith(TRANSPOSE_SUFFIX) else 0}]" if node.id in matrices else None
        if isinstance(node, ast.BinOp):
            first = rows(node.left) if is_matrix(node.left) else None
            return first or rows(node.right)
        return rows(node.operand) if isinstance(node, ast.UnaryOp) else None

    def rewritten(node: ast.expr) -> ast.expr:
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            parts = [rewritten(f) for f in factors(node)]
            matrix_parts = [f for f in parts if is_matrix(f)]
            if len(matrix_parts) < 2:
                return _product(parts, ast.Mult())
            numbers = [f for f in parts if not is_matrix(f)]
            return _product([*numbers, _product(matrix_parts, ast.MatMult())], ast.Mult())
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
            left, right = rewritten(node.left), rewritten(node.right)
            return ast.BinOp(_identity_sized(left, rows(right)), node.op, _identity_sized(right, rows(left)))
        if isinstance(node, ast.BinOp):
            return ast.BinOp(rewritten(node.left), node.op, rewritten(node.right))
        if isinstance(node, ast.UnaryOp):
            return ast.UnaryOp(node.op, rewritten(node.operand))
        return node

    written = []
    for target, value in statements:
        value = rewritten(value)
        if target not in matrices and any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.MatMult) for n in ast.walk(value)):
            matrices.add(target)
            computed_rows[target] = rows(value)
        written.append((target, value))
    return written


def _product(parts: list[ast.expr], op: ast.operator) -> ast.expr:
    product = parts[0]
    for part in parts[1:]:
        product = ast.BinOp(product, op, part)
    return product


def _identity_sized(node: ast.expr, size: str | None) -> ast.expr:
    """`node` with the identity it holds written as a matrix of `size` rows (that of the matrix it is added to)."""
    class Sized(ast.NodeTransformer):
        def visit_Name(self, name: ast.Name) -> ast.AST:
            if name.id != IDENTITY or size is None:
                return name
            return ast.parse(f"torch.eye({size}, dtype=p.dtype, device=p.device)", mode="eval").body
    return Sized().visit(node)


def _initial_param(name: str, role_names: dict[str, tuple[str, ...]], roles: dict[str, str]) -> str | None:
    """The weights' name when `name` is their value at the first step (`x0`, `w_0`), or None."""
    stem = re.sub(r"_?0$", "", name)
    return stem if stem != name and stem in role_names["param"] and roles.get("param", stem) == stem else None


def _only_passed_to_code(name: str, statements: list[tuple[str, ast.expr]]) -> bool:
    """Whether `name` is read only as an argument of quoted PyTorch code (`F.cross_entropy(logits, y)`)."""
    passed = {id(arg) for _, value in statements for call in ast.walk(value)
              if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) for arg in call.args}
    reads = [n for _, value in statements for n in ast.walk(value) if isinstance(n, ast.Name) and n.id == name]
    return bool(reads) and all(id(n) in passed for n in reads)


def _output(kind: str, roles: dict[str, str], statements: list[tuple[str, ast.expr]], drawn: bool = False) -> str | None:
    """What the program computes for the hook: the new parameter of an update rule (its gradient
    must be read too), else the last formula's target when it names the output: an activation's
    (`y`, `f(x)`, ...; its input read), a learning rate (`lr_t`, `eta_t`; its step read, or a value drawn at each step)."""
    if kind == "data":  # the batch's inputs and targets, either changed
        return "x, y" if {"x", "y"} & {t for t, _ in statements} else None
    if kind in ("update_rule", "weight_op"):
        param = roles.get("param")
        read = "grad" in roles or kind == "weight_op"
        return param if param and read and param in {t for t, _ in statements} else None
    last = statements[-1][0]
    needed = {"loss": "pred", "activation": "input", "schedule": "step"}  # the hook value its formulas must read
    if kind in needed and (needed[kind] not in roles and not (kind == "schedule" and drawn) or not _names_output(kind, last)):
        return None
    return last


# The skeleton function a kind's program fills (guards/skeleton.py), and the arguments its roles are.
HOOK_FUNCTIONS = {"update_rule": ("update", {"param": "p", "grad": "g", "lr": "lr", "step": "t", "loss": "loss"}),
                  "activation": ("IdeaActivation.forward", {"input": "x"}),
                  "weight_op": ("weight_op", {"param": "p", "step": "step"}),
                  "data": ("transform_batch", {"input": "x", "target": "y", "step": "step", "total": "STEPS"}),
                  "schedule": ("lr_at", {"step": "step", "base": "lr", "total": "STEPS"}),
                  "loss": ("compute_loss", {"pred": "out", "target": "y", "step": "step"}),
                  "norm": ("IdeaNorm.forward", {"input": "z"})}  # a layer the norm skeleton holds, from the notes' code only


def program_body(program: NoteProgram) -> tuple[str, str] | None:
    """(the skeleton function, its body) computing the notes' formulas exactly as written: the hook's
    arguments bound to the notes' names, the notes' constants, each state read from and written back to
    the parameter's state dict (starting at zero or where the notes start it), a value at the step before kept there
    too, every function applied to a tensor; an update rule's new weights copied into p. None for a kind with no such function."""
    if program.kind not in HOOK_FUNCTIONS:
        return None
    function, arguments = HOOK_FUNCTIONS[program.kind]
    program = _clear_of_arguments(program, arguments)
    lines = _matrices_only(program)
    lines += [f"{name} = {_learned_value(program, name, arguments)}  # learnable, started at the notes' {value!r}"
             if name in program.learned
             else f"{name} = {value!r}  # a constant of the formulas" for name, value in program.constants.items()]
    lines += [f"{name} = {_bound_argument(program, role, name, arguments[role])}" for role, name in program.roles.items()
              if name != arguments[role] or role == "loss"]  # the loss a tensor, as a kept value must be
    starts = dict(program.starts)
    lines += [f'{name} = state.get("{name}", torch.full_like(p, {starts[name]}))' if name in starts
              else f'{name} = state.get("{name}", torch.zeros_like(p))' for name in program.state]
    lines += [f'{name} = state["initial"]' if program.kind == "weight_op"  # the lab keeps the weights before training
              else f'{name} = state.setdefault("{name}", p.detach().clone())' for name in program.initial]
    lines += _kept_values(program.previous, 'state["initial"]' if program.kind == "weight_op" else "")
    lines += [f'{name} = state.get("{name}", state["initial"])' for name in program.anchors]
    lines += [f"{name} = {expression}" for name, expression in program.bound]
    lines += [f"{name} = {expression}  # drawn afresh at every call" for name, expression in program.drawn]
    lines += [f"{target} = {_with_torch(expression, per_sample=program.kind == 'loss', per_tensor=program.kind in PER_TENSOR_KINDS)}"
              for target, expression in program.statements]
    lines += [f'state["{name}"] = {name}' for name in program.state]
    lines += [f'state["{name}"] = {name}.detach().clone()' for name in program.anchors]
    if program.kind in ("update_rule", "weight_op"):  # `p = ...` itself is written p.copy_(...) when filled
        lines += [f"p.copy_({program.output})"] if program.output != "p" else []
    elif program.kind == "schedule":
        lines.append(f"return float({program.output})")
    elif program.kind == "loss":  # a formula per sample is averaged over the batch, as the task's own loss is
        lines.append(f"return torch.as_tensor({program.output}).mean()")
    else:
        lines.append(f"return {program.output}")
    return function, "\n".join(lines)


def _matrices_only(program: NoteProgram) -> list[str]:
    """The first lines of a hook whose formulas multiply matrices (`W @ W_T`): it is called for every parameter, and a
    bias, a vector, is left as the baseline has it (an update rule's: a plain gradient step)."""
    if not any("@" in expression for _, expression in program.statements):
        return []
    plain_step = ["    p.sub_(lr * g)"] if program.kind == "update_rule" else []
    return ["if p.dim() < 2:  # a bias: the formulas are matrix algebra", *plain_step, "    return"]


def _learned_value(program: NoteProgram, name: str, arguments: dict[str, str]) -> str:
    """How the hook reads a learned value: the activation's parameter, one per unit met with its input where so."""
    return f"per_unit(self.{name}, {arguments['input']})" if program.per_unit else f"self.{name}"


def _bound_argument(program: NoteProgram, role: str, name: str, argument: str) -> str:
    """What the notes' `name` is bound to: the hook's argument; the batch's loss as a tensor (it may be kept for the next
    step); the step as a float tensor where a formula divides by it
    (`sqrt(T_w / t)`, `1/(γ·t)` at step 0: infinite, as the formula says, not a ZeroDivisionError)."""
    divides = any(re.search(rf"/[^/]*?(?<![\w.]){re.escape(name)}(?![\w])", expression) for _, expression in program.statements)
    return f"torch.as_tensor(float({argument}))" if (role == "step" and divides) or role == "loss" else argument


def _clear_of_arguments(program: NoteProgram, arguments: dict[str, str]) -> NoteProgram:
    """`program` with each value it sets (a constant, a state, a draw, a formula's result) under a name a hook
    argument already has (the notes' exponent `p` beside the update's parameter `p`, their projection `p = ⟨m, g⟩ g/|g|²`
    beside the weights they call w) renamed NAME_note, so the argument keeps its meaning in the formulas."""
    own = {*program.constants, *program.state, *program.learned, *(n for n, _ in program.drawn), *(n for n, _ in program.bound),
           *(target for target, _ in program.statements)}
    clashing = {name for name in own if name in arguments.values() and program.roles.get(
        next(role for role, argument in arguments.items() if argument == name)) != name}
    if not clashing:
        return program

    def renamed(text: str) -> str:
        return re.sub(r"(?<![\w.])(" + "|".join(map(re.escape, clashing)) + r")(?!\w)", r"\1_note", text)

    return replace(program, statements=tuple((renamed(t), renamed(e)) for t, e in program.statements),
                   constants={renamed(n): v for n, v in program.constants.items()}, roles=program.roles,
                   state=tuple(map(renamed, program.state)), output=renamed(program.output),
                   drawn=tuple((renamed(n), e) for n, e in program.drawn),
                   bound=tuple((renamed(n), e) for n, e in program.bound),  # code over the hook's own arguments
                   learned=tuple(map(renamed, program.learned)), starts=tuple((renamed(n), v) for n, v in program.starts))


# A row of a parameter tensor: one output unit's weights, all but the first dimension (a conv kernel's too).
_ROW_DIMS = ast.parse("tuple(range(1, p.dim())) or -1", mode="eval").body


def _raw_learnables(statements: list[tuple[str, ast.expr]], given: dict[str, str], learnable: set[str]) \
        -> tuple[dict[str, str], set[str]]:
    """(given, learnable) where a learnable value the notes start at a number is computed from one name nothing
    gives (`c = softplus(ρ) + 0.5`, c started at 3): that name is the learned value instead, started where the
    formula gives the notes' start (ρ = softplus⁻¹(2.5), found numerically), and the value is computed from it."""
    targets = {target for target, _ in statements}
    for target, value in statements:
        read = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)} - FUNCTIONS - targets
        raw = [name for name in read if compared_name(name) not in given]
        start = given.get(compared_name(target))
        if compared_name(target) not in learnable or start is None or len(raw) != 1:
            continue
        constants = {name: float(given[compared_name(name)]) for name in read - set(raw)}
        solved = _solved(ast.unparse(value), raw[0], float(start), constants)
        if solved is not None:
            given = {key: number for key, number in given.items() if key != compared_name(target)}
            given[compared_name(raw[0])] = repr(solved)
            learnable = learnable | {compared_name(raw[0])}
    return given, learnable


def _solved(expression: str, name: str, wanted: float, constants: dict[str, float]) -> float | None:
    """The value of `name` in [-30, 30] where `expression` equals `wanted`, by bisection; None when the expression
    does not cross `wanted` there, is not a number, or the value found does not give `wanted` (a jump, not a root)."""
    import torch
    import torch.nn.functional as F

    code = compile(_with_torch(expression), "<formula>", "eval")

    def value(x: float) -> float:
        point = torch.tensor(x, dtype=torch.float64)
        return float(eval(code, {"torch": torch, "F": F, "math": math, **constants, name: point}))

    low, high = -30.0, 30.0
    try:
        below, above = value(low) - wanted, value(high) - wanted
    except (TypeError, ValueError, RuntimeError):
        return None
    if not (math.isfinite(below) and math.isfinite(above)) or below * above > 0:
        return None
    for _ in range(100):
        middle = (low + high) / 2
        if (value(middle) - wanted) * below > 0:
            low = middle
        else:
            high = middle
    found = round((low + high) / 2, 6)
    return found if abs(value(found) - wanted) <= 1e-4 * (1 + abs(wanted)) else None


def _with_torch(expression: str, per_sample: bool = False, per_tensor: bool = False) -> str:
    """A formula's expression with torch's functions, each applied to a tensor (a formula may apply
    one to a plain number: sqrt(1 - β2^t)), and pi as math.pi. With `per_sample` (a loss: a formula per sample,
    averaged over the batch), a norm is each sample's, kept a column; with `per_tensor` (a hook called on one parameter
    tensor), a sum without an index runs over all its entries."""
    class Rewrite(ast.NodeTransformer):
        def visit_Call(self, node: ast.Call) -> ast.AST:
            self.generic_visit(node)
            if not isinstance(node.func, ast.Name):
                return node  # quoted PyTorch code (`torch.logsumexp(z, dim=-1)`, `g.norm()`): as written
            name = node.func.id
            node.func = ast.parse(_TORCH_CALLS.get(name, name), mode="eval").body
            node.args = [ast.parse(f"torch.as_tensor({ast.unparse(arg)})", mode="eval").body for arg in node.args]
            if name in ("row_norms", "row_l1_norms"):  # each row's of a weight (a unit's weights, a conv filter), a column
                row = f"{ast.unparse(node.args[0])}.flatten(1)"
                return ast.parse(f"{row}.norm(dim=1, keepdim=True)" if name == "row_norms"
                                 else f"{row}.abs().sum(dim=1, keepdim=True)", mode="eval").body
            if name == "norm_rows" or (name == "norm" and per_sample and len(node.args) == 1):  # each row's, a column
                node.keywords = [ast.keyword("dim", _ROW_DIMS if per_tensor else ast.Constant(-1)),
                                 ast.keyword("keepdim", ast.Constant(True))]
            if name in ("softmax", "log_softmax"):  # over one sample's entries (a classifier's classes)
                node.keywords = [ast.keyword("dim", ast.Constant(-1))]
            if name in ("var_batch", "mean_batch", "std_batch", "sum_batch"):  # each unit's, over the batch's rows
                node.keywords = [ast.keyword("dim", ast.Constant(0))] + (
                    [ast.keyword("unbiased", ast.Constant(False))] if name in ("var_batch", "std_batch") else [])
            if name in ("sum_rows", "mean_rows") or (name == "sum_over" and not per_tensor):  # kept a column, as a value at the
                # right class is: the two meet sample by sample; over a parameter tensor (`Σ mask`), every entry
                node.keywords = [ast.keyword("dim", _ROW_DIMS if per_tensor else ast.Constant(-1)),
                                 ast.keyword("keepdim", ast.Constant(True))]
            if name == "of_right_class":  # each sample's value at its class y, as a column
                return ast.parse(f"{ast.unparse(node.args[0])}.gather(-1, y[:, None])", mode="eval").body
            if name == "dot" or (name == "cos" and len(node.args) == 2):  # ⟨g, m⟩; cos(g, m): over every entry
                a, b = (f"torch.as_tensor({ast.unparse(arg)}).flatten()" for arg in node.args)
                return ast.parse(f"torch.dot({a}, {b})" if name == "dot" else f"F.cosine_similarity({a}, {b}, dim=0)",
                                 mode="eval").body
            if name == "topk" and len(node.args) == 2:  # topk(|e|, k): 1 at the k largest entries, 0 elsewhere
                x, k = (ast.unparse(arg) for arg in node.args)
                count = f"min(max(int({k}), 1), {x}.numel())"
                return ast.parse(f"torch.zeros_like({x}).flatten().scatter(0, {x}.flatten().topk({count}).indices, 1.0)"
                                 f".view_as({x})", mode="eval").body
            if name == "median" and len(node.args) > 1:  # med(a, b, c): entry by entry, the middle value
                stacked = ", ".join(map(ast.unparse, node.args))
                return ast.parse(f"torch.stack(torch.broadcast_tensors({stacked})).median(dim=0).values", mode="eval").body
            if name == "specnorm":  # a matrix's largest singular value; a vector's (a 1×n matrix) is its length
                x = ast.unparse(node.args[0])
                return ast.parse(f"(torch.linalg.matrix_norm({x}, ord=2) if {x}.dim() >= 2 else torch.linalg.vector_norm({x}))",
                                 mode="eval").body
            return node

        def visit_Name(self, node: ast.Name) -> ast.AST:
            return ast.parse("math.pi", mode="eval").body if node.id == "pi" else node

    return ast.unparse(Rewrite().visit(ast.parse(expression, mode="eval")).body)


# A regulariser's penalty: `L = task_loss + λ*Σ|W|`. The names notes give the task's own loss, a weight
# matrix and its value before training (as compared: guards/constants.py `compared_name`).
TASK_LOSSES = frozenset({"taskloss", "ltask", "loss", "ldata", "l0", "ce", "mse", "lce", "lmse", "lossdata", "losstask"})
WEIGHTS = frozenset({"w", "theta"})
INITIAL_WEIGHTS = frozenset({"w0", "winit", "theta0", "wstart", "wpre", "wpretrained"})
# A sum over entries or weights (`Σ`, `Σ_W`, `∑_{ij}`, `sum_l`, `Σ_{l=1}^{L}`): every penalty term is summed over every entry of every weight.
_SUM = re.compile(r"(?:[Σ∑]|\\sum|(?<![\w.])sum(?=_))(?P<index>_\{[^}]*\}|_\([^)]*\)|_\w+)?(?:\^\{[^}]*\}|\^\([^)]*\)|\^\w+)?\s*")
# A sum's index that counts the layers (`Σ_l`, `sum_{l=1}^{L}`): an unvalued `L` beside it is their number.
_OVER_LAYERS = re.compile(r"_[{(]?l(?:=|[})]|$)")
LAYER_COUNT = "L"
_ENTRY_INDEX = re.compile(r"(?<=[A-Za-zθ])_?(?:[ijkl]{1,3}|l\d?)$")  # w_ij, W_l: an entry or a layer of the weights
# An activity penalty's values (as compared): a hidden layer's output, a batch's size, a layer's width.
HIDDEN_OUTPUTS = frozenset({"h", "hidden", "act"})
_PRE_ACTIVATIONS = frozenset({"z", "a", "u", "pre", "preact"})  # a hidden layer's output before its activation
_BATCH_SIZES = frozenset({"b", "batchsize", "bs"})
WIDTHS = frozenset({"nl", "d", "dl", "width"})  # not a bare `n`: often the number of examples
# A loss written in a styled letter the notes also use plainly for another name (`𝓛 = CE + λ/L·…`): the loss.
_STYLED_TARGET = re.compile(r"^\s*[^\x00-\x7f\s=]\s*(?==(?!=))")
# An entry index on a penalty's subject (`h_{l,j}`, `W_(i,j)`): the penalty is summed over every entry anyway.
_SUBJECT_INDEX = re.compile(r"(?<![\w])([hHwW])_[({]\s*[a-z]\s*(?:,\s*[a-z]\s*)+[)}]")
# A penalty's own line, its letter the term added to the task's loss (`R = λ · mean relu(|z| − c)²`, `Ω = …`).
_PENALTY_ALONE = re.compile(r"^\s*(?:[-*]\s*)?(?:R|Ω|P|pen\w*|penalty|reg|R_\w+)\s*(?:\([^()\n]*\))?\s*=(?!=)")
# Said in words of an activity penalty: averaged over the batch; on the outputs before the activation; on one layer.
_BATCH_MEAN = re.compile(r"(?:对|在)\s*(?:一个\s*)?batch\s*(?:上|内)?\s*取?\s*(?:平均|均值)|batch\s*(?:平均|均值)|"
                         r"(?:averaged?|mean)\s+over\s+(?:the\s+)?(?:mini-?)?batch|batch[- ](?:mean|averaged?)", re.IGNORECASE)
PRE_ACTIVATION = re.compile(r"pre-?activation|pre-act\b|预激活|激活(?:函数)?(?:之)?前|before\s+(?:the\s+|its\s+)?activation",
                             re.IGNORECASE)
# A hidden layer's output said to be after its activation: "h（ReLU 之后）", "after the activation", "post-act".
_POST_ACTIVATION = re.compile(r"(?:ReLU|激活(?:函数)?|tanh|sigmoid)\s*之?后|after\s+(?:the\s+|its\s+)?(?:ReLU|activation|"
                              r"nonlinearity)|post-?act", re.IGNORECASE)
_ONE_HIDDEN_LAYER = re.compile(r"只(?:加|用|罚|作用)?在\s*(?:第.|最后一?个?|最后)\s*(?:个)?\s*隐(?:藏)?层|"
                               r"(?:only\s+(?:on|to|at)\s+)(?:the\s+)?(?:first|last|second|final)\s+hidden\s+layer",
                               re.IGNORECASE)
EVERY_HIDDEN_LAYER = re.compile(r"(?:每(?:一)?个|所有|全部|各)\s*隐(?:藏)?层|(?:every|each|all)\s+(?:of\s+the\s+)?hidden\s+layers?",
                                 re.IGNORECASE)
# Of one matrix, with one argument; a statistic over the batch leaves one value per unit, and a row's norm one value
# per row, which the penalty then sums.
_REDUCTIONS = frozenset({"sum_over", "sum", "mean", "std", "var", "norm", "max", "min", "var_batch", "mean_batch", "std_batch",
                         "sum_batch", "row_norms", "row_l1_norms"})
# A sum over a row's index (`Σ_j`, `Σ_(j=1)^(m)`: its bound the number of rows), and the norm of one row of a weight
# matrix by that index (`‖w_j‖`, `‖W_(j,:)‖_1`, `‖W_l[j,:]‖₂`); "(i = 1..n)" said beside it gives the number too.
_ROW_SUM = r"Σ_(?:\(?{row}(?:=1\)?\^\(?(?P<bound>[A-Za-z])\)?|\)?))"
_ROW_NORM_OF = r"‖\s*[wW](?:_[lℓ\d])?(?:_\(\s*{row}\s*(?:,\s*:\s*)?\)|\[\s*{row}\s*(?:,\s*:\s*)?\]|_{row}(?![\w(\[]))\s*‖(?:_?(?P<p>[12]))?"


def _row_norms(line: str, note_text: str) -> tuple[str, set[str]]:
    """`line` with each norm of a weight matrix's row, under a sum over the row's index, as `row_norms(W)` (the 1-norm
    `row_l1_norms(W)`): one value per row, where the whole matrix's norm would be wrong; and the names the line or the
    notes give the number of rows."""
    written = line.replace("ⱼ", "_j").replace("ᵢ", "_i").replace("₁", "_1").replace("₂", "_2")
    over_layers = any(m["index"] and _OVER_LAYERS.match(m["index"]) for m in _SUM.finditer(written))
    rewritten, rows = _row_norms_written(written, note_text)
    if rewritten == written or (not over_layers and bracket_depth(rewritten, rewritten.find("sum(")) > 0):
        return line, set()  # no row's norm; or `(Σ_j ‖w_j‖)²` over every matrix at once, not each matrix's, summed
    return rewritten, rows


def _row_norms_written(line: str, note_text: str) -> tuple[str, set[str]]:
    """_row_norms' rewriting of `line`, its sums over a row's index written as sums."""
    rows: set[str] = set()
    for index in set(re.findall(r"Σ_\(?([a-km-z])(?![\w])", line)):
        norm = re.compile(_ROW_NORM_OF.format(row=index))
        if not norm.search(line):
            continue
        line = norm.sub(lambda m: "row_l1_norms(W)" if m["p"] == "1" else "row_norms(W)", line)
        rows |= {m["bound"] for m in re.finditer(_ROW_SUM.format(row=index), line) if m["bound"]}
        rows |= set(re.findall(rf"(?<![\w]){index}\s*=\s*1\s*(?:\.\.|…|,\s*…\s*,)\s*([A-Za-z])(?![\w])", note_text))
        while found := re.search(_ROW_SUM.format(row=index) + r"\s*", line):  # the sum over the rows, of the matrix's rows
            end = summand_end(line, found.end())
            line = f"{line[:found.start()]}sum({line[found.end():end].strip()}){line[end:]}"
    return line, rows


def penalty_body(formulas: str, note_text: str = "", on_hidden: bool = False) -> tuple[str, str] | None:
    """(the body of the regulariser skeleton's `penalty(weights, initial)`, the formula it comes from) when one
    formula line adds a penalty to the task's loss (`L = task_loss + λ*Σ|W|`, `loss = L_task + λ/2*Σ(W - W0)^2`)
    and each added term is constants times one expression of the weights (W) and their values before training
    (W0): that expression is summed over every entry of every weight matrix. Values the other formula lines
    define (`mu = mean(w)`, `kurt(W_l) = mean(((w - mu)/sigma)^4)`) are written out in it, so a term of reductions
    is computed per matrix and summed over the matrices; an unvalued `L` beside a sum over the layers (`(1/L)·Σ_l`)
    is their number; sums inside brackets beside a sum over the layers are each matrix's (`Σ_l (Σ|w|)²/Σw²`). A
    constant may be given anywhere in `note_text`. None when anything else is read, a sum sits inside brackets with
    no sum over the layers (its square is not the sum of squares), or no such line exists.
    Where no line adds a term to the task's loss, a penalty's own line (`R = λ · mean(relu(|z| − c)²)`) is the term added.
    With `on_hidden`, the body of the activity_penalty skeleton's `penalty(hidden, pre_activations, y, x)` from a term
    of the hidden layers' outputs (`h_l`), or of their pre-activations (`z`), instead (see `_hidden_penalty_lines`)."""
    if on_hidden and _ONE_HIDDEN_LAYER.search(note_text):
        return None  # the formulas' term is written for every hidden layer
    given = {**note_constants(without_variants(note_text)), **note_constants(formulas)}
    plain = [letter_subscripts(latex_as_plain(line)) for line in formulas.splitlines()]
    by_rows = [(line, set()) if on_hidden else _row_norms(line, note_text) for line in plain]
    shown_as = {written: line for line, (written, _) in zip(plain, by_rows)}  # each line as the notes write it
    rows = {name for _, names in by_rows for name in names}
    formulas = _inlined_definitions("\n".join(written for written, _ in by_rows))
    lines = formulas.splitlines()
    loss_lines = [line for line in lines if len(_task_terms(line)) == 1]
    alone = [] if loss_lines else [line for line in lines if _PENALTY_ALONE.match(line)]  # `R = λ·…`, no loss line
    for original in loss_lines + alone:
        sums = list(_SUM.finditer(original))
        over_layers = any(m["index"] and _OVER_LAYERS.match(m["index"]) for m in sums)
        inner = [m for m in sums if bracket_depth(original, m.start())]
        if inner and not over_layers:
            continue  # `(Σ|w|)²` over every weight at once: not the sum of the matrices' values
        if on_hidden and not over_layers and not EVERY_HIDDEN_LAYER.search(note_text):
            continue  # which hidden layers the penalty is on, the notes do not say
        found = _loss_line_assignments(original, [m for m in sums if m not in inner])
        counted = {LAYER_COUNT} if over_layers else set()
        helpers = _helpers(formulas, original) if found else {}
        for _, value in found or ():
            terms = _addends(value)
            task = [t for t in terms if _is_task_loss(t)]
            rest = [_written_out(t, helpers) for t in terms if t not in task]
            if len(task) != (0 if original in alone else 1) or not rest:
                continue
            body = _hidden_penalty_lines(rest, given, counted - set(given), note_text) if on_hidden \
                else _penalty_lines(rest, given, counted - set(given), rows - set(given))
            if body:
                return body, shown_as.get(original, original).strip()
    return None


def _is_task_loss(term: ast.expr) -> bool:
    """Whether a term is the task's loss (`CE`, `CE(f(x), y)`, `L_task`)."""
    return compared_name(_called(term).id if isinstance(_called(term), ast.Name) else "") in TASK_LOSSES


def _task_terms(line: str) -> list[ast.expr]:
    """The task-loss terms of a formula line's value (`L = CE + λ·R`: [CE]); none for a line that does not parse."""
    found = _loss_line_assignments(line, list(_SUM.finditer(line)))
    return [term for _, value in found or () for term in _addends(value) if _is_task_loss(term)]


def _loss_line_assignments(line: str, sums: list[re.Match[str]]) -> list[tuple[str, ast.expr]] | None:
    """The assignments of a loss or penalty line without the `sums` (the penalty's loop makes them), its styled loss
    letter read as `loss`, the network's output as `out` (`CE(f(x), y)`) and a subject's entry index dropped."""
    line = _NETWORK_OUTPUT.sub("out", _STYLED_TARGET.sub("loss ", _without_sums(line, sums)))
    return _assignments(_SUBJECT_INDEX.sub(r"\1", line))


def _called(term: ast.expr) -> ast.expr:
    """The function a call applies (`CE` of `CE(f(x), y)`); any other term itself."""
    return term.func if isinstance(term, ast.Call) else term


def _without_sums(line: str, sums: list[re.Match[str]]) -> str:
    """`line` without the `sums` (the penalty's loop makes them); one between two factors (`(1/B) Σ_b |h|`) leaves
    their product."""
    kept, start = "", 0
    for match in sums:
        kept += line[start:match.start()]
        operand_before = re.search(r"[\w)\]|‖]\s*$", kept) and not re.search(r"=\s*$", kept)
        kept += " * " if operand_before and not re.search(r"[*/+\-·(]\s*$", kept) else ""
        start = match.end()
    return kept + line[start:]


def _helpers(formulas: str, penalty_line: str) -> dict[str, ast.expr]:
    """The values the formula lines other than the penalty's define (`mu = mean(w)`), by name, and by the name
    without its entry's index where a sum that lost its index reads it so (`s_j` as `s`); none for a weight's
    or a loss's own name, or a number (a constant, read as one)."""
    helpers: dict[str, ast.expr] = {}
    for line in formulas.splitlines():
        if line != penalty_line:
            for target, value in _assignments(line) or ():
                if compared_name(target) not in WEIGHTS | INITIAL_WEIGHTS | TASK_LOSSES | LOSS_OUTPUTS \
                        and not isinstance(value, ast.Constant):
                    helpers[target] = value
    return {**{_ENTRY_INDEX.sub("", name): value for name, value in helpers.items()}, **helpers}


def _written_out(term: ast.expr, helpers: dict[str, ast.expr]) -> ast.expr:
    """`term` with each name a helper defines replaced by its value, until none is left (at most a few rounds)."""
    class WriteOut(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            return helpers.get(node.id, node)

    for _ in range(4):
        term = WriteOut().visit(ast.parse(ast.unparse(term), mode="eval").body)
    return term


def _addends(value: ast.expr) -> list[ast.expr]:
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add):
        return _addends(value.left) + _addends(value.right)
    return [value]


def _penalty_lines(terms: list[ast.expr], given: dict[str, str], counted: set[str], rows: set[str] = frozenset()) \
        -> str | None:
    """The penalty's body: the notes' constants and the `counted` layer count, then each term summed over the
    weights' entries; a name in `rows` is each matrix's number of rows."""
    constants: dict[str, float] = {}
    read = {n.id for term in terms for n in ast.walk(term) if isinstance(n, ast.Name)}
    counts = sorted(counted & read)
    rewritten = [_subject_term(term, _weight_role, counted | rows, given, constants) for term in terms]
    if None in rewritten:
        return None
    uses_initial = any(isinstance(n, ast.Name) and _weight_role(n.id) == "W0" for term in terms for n in ast.walk(term))
    lines = [f"{name} = {value!r}  # a constant of the formulas" for name, value in constants.items()]
    lines += [f"{name} = len(weights)  # the number of layers the formulas sum over" for name in counts]
    loop = "for W, W0 in zip(weights, initial):" if uses_initial else "for W in weights:"
    lines += ["total = 0", loop]
    lines += [f"    {name} = W.shape[0]  # the number of rows the formulas sum over" for name in sorted(rows & read)]
    lines += [f"    total = total + ({term}).sum()" for term in rewritten]
    return "\n".join([*lines, "return total"])


def _hidden_penalty_lines(terms: list[ast.expr], given: dict[str, str], counted: set[str], note_text: str) -> str | None:
    """The activity penalty's body: the notes' constants, then each term of the hidden layers' outputs summed over a
    layer's entries (its batch and units), for every hidden layer (`hidden_sizes` for the sizes it reads); of their
    outputs before the activation where the notes speak of those and the terms read them by a pre-activation's letter
    (`z`). None where they speak of those and the terms read an output's letter (`h`) they never say is after it."""
    constants: dict[str, float] = {}
    read = {n.id for term in terms for n in ast.walk(term) if isinstance(n, ast.Name)} - FUNCTIONS
    sizes = hidden_sizes(read - set(given))
    if PRE_ACTIVATION.search(note_text) and any(_hidden_role(name) for name in read) and not _POST_ACTIVATION.search(note_text):
        return None  # `h` in a note about pre-activations: which of the two it means, the notes do not say for sure
    before = PRE_ACTIVATION.search(note_text) and any(_pre_activation_role(name) for name in read)
    role, layers = (_pre_activation_role, "pre_activations") if before else (_hidden_role, "hidden")
    rewritten = [_subject_term(term, role, counted | set(sizes), given, constants) for term in terms]
    if None in rewritten:
        return None
    batch_mean = not any(compared_name(n) in _BATCH_SIZES for n in sizes) and _BATCH_MEAN.search(note_text)
    lines = [f"{name} = {value!r}  # a constant of the formulas" for name, value in constants.items()]
    lines += [f"{name} = len({layers})  # the number of layers the formulas sum over"
              for name in sorted(counted) if name in read]
    lines += ["total = 0", f"for h in {layers}:"]
    lines += [f"    {name} = {size}" for name, size in sorted(sizes.items())]
    lines += [f"    total = total + ({term}).sum()" + (" / h.shape[0]  # averaged over the batch, as the notes say"
                                                        if batch_mean else "") for term in rewritten]
    return "\n".join([*lines, "return total"])


def _subject_term(term: ast.expr, role, bound: set[str], given: dict[str, str], constants: dict[str, float]) -> str | None:
    """One penalty term as code over its subject, each name `role` knows renamed to what it returns (`W`, `W0`, `h`):
    None unless the term is linear in the subject or reduces it, and every other name not `bound` is a constant of
    the notes (added to `constants`)."""
    names = {n.id for n in ast.walk(term) if isinstance(n, ast.Name)} - FUNCTIONS
    subject = {n for n in names if role(n)}
    if not subject or not (_linear_in(term, subject) or _reduced(term, subject)):
        return None
    for name in sorted(names - subject - bound):
        if (value := _constant(name, given)) is None:
            return None
        constants[name] = value
    renamed = re.sub(r"(?<![\w.])sum_over\(", "sum(", ast.unparse(term))  # a sum in a term: over the whole matrix
    for name in sorted(subject, key=len, reverse=True):
        renamed = re.sub(rf"(?<![\w.]){re.escape(name)}(?!\w)", role(name), renamed)
    return _with_torch(renamed)


def _pre_activation_role(name: str) -> str | None:
    """"h" for a name of a hidden layer's output before its activation, or of one of its entries (`z`, `z_l`, `a_j`)."""
    return "h" if compared_name(_ENTRY_INDEX.sub("", name)) in _PRE_ACTIVATIONS else None


def _hidden_role(name: str) -> str | None:
    """"h" for a hidden layer's output or one of its entries (`h`, `h_l`, `H`, `h_lj`), else None."""
    return "h" if compared_name(_ENTRY_INDEX.sub("", name)) in HIDDEN_OUTPUTS else None


def hidden_sizes(unvalued: set[str]) -> dict[str, str]:
    """The sizes of a hidden layer's output an activity penalty reads without a value in the notes, each as the
    layer's loop computes it: a batch size (`B`) is its rows, a width (`n_l`, `d`) the units of one example."""
    sizes = {name: "h.shape[0]" for name in unvalued if compared_name(name) in _BATCH_SIZES}
    return sizes | {name: "h[0].numel()" for name in unvalued if compared_name(name) in WIDTHS}


def _weight_role(name: str) -> str | None:
    """"W" for a name of the weights or of one of their entries (`w`, `W_l`, `w_ij`), "W0" for their values before
    training (`W0`, `w_init`), else None."""
    if compared_name(name) in INITIAL_WEIGHTS:
        return "W0"
    return "W" if compared_name(_ENTRY_INDEX.sub("", name)) in WEIGHTS else None


def _reduced(term: ast.expr, weights: set[str]) -> bool:
    """Every read of the weights in `term` sits inside a reduction over the matrix (`sum_over(abs(W))**2 /
    sum_over(W**2)`, `mean(W)`): the term is one value per matrix, whatever else it does with it."""
    def reads(node: ast.AST) -> bool:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _REDUCTIONS \
                and len(node.args) == 1:
            return False
        return isinstance(node, ast.Name) and node.id in weights or any(reads(child) for child in ast.iter_child_nodes(node))
    return not reads(term)


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
