"""The formula reader's line readings: each formula line of a note as `name = expression` assignments.

guards/note_program.py builds a program from these assignments, guards/layer_bodies.py a layer's methods. A
line's notation is made plain first (`_normalised`: Greek letters spelled out, `^` as a power, `←` as `=`,
`||g||` as a norm), then read whole or part by part between separators (`w1 = w2 = w` gives each target
the last value). What is not a step is left out: remark lines (`直觉：…`), code spans that call with keywords,
a name's range (`t = 0..T−1`), the cases of a constant (`κ=0 就是 SGD`), labels in words
(`Gonnor = GradientONly NORmalization`), what a known function equals; a formula the notes restate
(`所以 RCE = …`) replaces the one before. A function the notes define and apply is written out where it is
applied. A formula under a condition (`（t ≤ W）`, `if … else …`, `否则不变`) reads as
`where(condition, value, alternative)`. A line that does not read as assignments gives None, never a guess.
Also here: a value the notes draw at random (`ε ~ N(0, 1)`, `λ ~ Beta(α, α)`) as torch draws it, and what the
notes' words say of a name, that it is learnable or the number it starts at.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Sequence

from agentnotes.experiments.guards.constants import CASE, EPS, NUMBER, compared_name
from agentnotes.experiments.guards.kinds import VARIANT
from agentnotes.experiments.guards.notation import (
    ASCII_ARROW,
    DRAW_FAMILIES,
    INNER_PRODUCT,
    cases_as_lines,
    GREEK,
    greek_spelled,
    latex_spacing,
    plain_formula,
    plain_products_and_counts,
    plain_symbols,
    without_time_indices,
)

# The functions a formula may apply, as torch writes them (each applied to a tensor: note_program.py `_with_torch`).
_TORCH_CALLS = {"sign": "torch.sign", "sqrt": "torch.sqrt", "exp": "torch.exp", "log": "torch.log", "tanh": "torch.tanh",
                "sigmoid": "torch.sigmoid", "relu": "torch.relu", "abs": "torch.abs", "softplus": "F.softplus",
                "cos": "torch.cos", "sin": "torch.sin", "floor": "torch.floor", "clip": "torch.clamp",
                "clamp": "torch.clamp", "min": "torch.minimum", "max": "torch.maximum", "norm": "torch.norm",
                "where": "torch.where", "norm_rows": "torch.linalg.vector_norm", "mean": "torch.mean", "sum": "torch.sum",
                "cosh": "torch.cosh", "std": "torch.std", "ceil": "torch.ceil", "sum_over": "torch.sum", "sum_rows": "torch.sum", "mean_rows": "torch.mean", "round": "torch.round", "var_batch": "torch.var", "mean_batch": "torch.mean", "std_batch": "torch.std", "sum_batch": "torch.sum", "row_norms": "row_norms", "row_l1_norms": "row_l1_norms",
                "softmax": "F.softmax", "log_softmax": "F.log_softmax", "of_right_class": "of_right_class",
                "specnorm": "specnorm", "dot": "dot", "ndtr": "torch.special.ndtr", "ndtri": "torch.special.ndtri",
                "erf": "torch.special.erf", "quantile": "torch.quantile", "median": "torch.median", "topk": "topk",
                "lt": "torch.lt", "le": "torch.le", "gt": "torch.gt", "ge": "torch.ge", "ne": "torch.ne",
                "atan": "torch.atan", "arctan": "torch.atan", "atan2": "torch.atan2", "arctan2": "torch.atan2",
                "sinh": "torch.sinh", "asinh": "torch.asinh", "arcsinh": "torch.asinh", "log1p": "torch.log1p",
                "expm1": "torch.expm1"}  # an indicator: notation.py
FUNCTIONS = frozenset(_TORCH_CALLS) | {"pi"}  # pi: math.pi
# A letter naming a function (`φ = sigmoid`, `act = tanh`), as written and made plain.
# A letter named as a function in symbols or words (`φ = sigmoid`, `σ 取 softplus`, `act 为 tanh`), as written or made plain.
FUNCTION_ALIAS = re.compile(r"(?<![\w\\])([A-Za-z\u0370-\u03ff]\w*)\s*(?:=|是|为|取|用)\s*("
                            + "|".join(sorted(_TORCH_CALLS, key=len, reverse=True)) + r")(?![\w(])")
# Quoted PyTorch code a formula may hold: the modules its functions come from, the tensor methods that compute a value.
CODE_MODULES = frozenset({"torch", "F", "math"})
TENSOR_METHODS = frozenset({"mean", "sum", "norm", "abs", "pow", "exp", "log", "sqrt", "clamp", "clamp_min", "clamp_max",
                            "amax", "amin", "std", "var", "square", "sign", "logsumexp", "softmax", "log_softmax",
                            "sigmoid", "tanh", "relu", "t", "float", "detach", "unsqueeze", "squeeze", "flatten"})
# What notes call a loss's and an activation's output: a function the notes define and never apply under one of
# these names keeps its name (_inlined_definitions).
LOSS_OUTPUTS = frozenset({"l", "loss", "ℓ", "lidea", "lnew"})  # as compared: guards/constants.py `compared_name`
ACTIVATION_OUTPUTS = frozenset({"y", "f", "out", "output", "a", "act", "phi", "sigma"})  # h1, h2: parts, not the output
_OUTPUT_NAMES = LOSS_OUTPUTS | ACTIVATION_OUTPUTS
_ALLOWED_NODES = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Name, ast.Load, ast.Constant, ast.Call, ast.operator,
                  ast.unaryop, ast.Compare, ast.Gt, ast.Lt, ast.GtE, ast.LtE, ast.keyword)  # keywords: _plain_keywords
# A formula that holds under a condition, the rest left as it is: `如果 ||g|| > c，就缩放 g = g*c/||g||；否则 g 不变`,
# `if |w| > c: w = ..., otherwise unchanged`. It reads as `g = where(||g|| > c, g*c/||g||, g)`.
_IF_ELSE_KEPT = re.compile(
    r"(?:如果|若|当|\bif\b|\bwhen\b)\s*(?P<condition>[^，,：:；;。=]+?)\s*[，,：:]?\s*(?:就|则|\bthen\b)?\s*[\u4e00-\u9fff]{0,4}\s*"
    r"(?P<target>[A-Za-z_]\w*)\s*=\s*(?P<value>[^；;，,。]+?)\s*[；;，,。]\s*(?:否则|\botherwise\b|\belse\b)\s*"
    r"(?:(?P=target)\s*)?(?:不变|不动|保持不变|(?:is |stays |remains )?(?:unchanged|as it is|the same))", re.IGNORECASE)
# A condition in brackets after a formula, `lr_t = lr*t/W（t ≤ W）`: the formula holds there, and a later
# formula for the same name holds otherwise (`之后 lr_t = ...`); together `lr_t = where(t <= W, ..., ...)`.
_BRACKET_CONDITION = re.compile(r"[（(]\s*((?:[^()（）]|\([^()（）]*\))*?[<>≤≥](?:[^()（）]|\([^()（）]*\))*?)\s*[）)]")
# A condition said after a formula (`f(x) = x，当 x > 0`, `f(x) = x if x > 0`) holds like a bracketed one; a
# formula said to hold otherwise (`f(x) = α(e^x - 1)，otherwise`) is the alternative of the one before.
_TRAILING_CONDITION = re.compile(r"(?:\s*[，,;；]?\s*(?:当|若|如果|\bif\b|\bwhen\b|\bfor\b)|\s*[，,;；])\s*"
                                 r"(?P<condition>(?:[^，,;；。()（）]|\([^()（），,;；。]*\))*?[<>≤≥]"
                                 r"(?:[^，,;；。()（）]|\([^()（），,;；。]*\))*?)\s*时?\s*[。.]?\s*$", re.IGNORECASE)
_TRAILING_OTHERWISE = re.compile(r"\s*[，,;；(（]?\s*(?:否则|其他情况|其余情况|\botherwise\b|\belse\b)\s*[)）]?\s*[。.]?\s*$",
                                 re.IGNORECASE)
# `value if condition else alternative`, written as Python writes it.
# The alternative ends at a separator, after which the line may go on (`, α = 1.0`).
_IF_ELSE = re.compile(r"=\s*(?P<value>[^=]+?)\s+if\s+(?P<condition>[^=]+?[<>≤≥]=?[^=]*?)\s+else\s+"
                      r"(?P<alternative>[^,，;；。]+?)\s*(?:[,，;；。]\s*(?P<rest>.*))?$")
_OTHERWISE = "__otherwise__"  # the alternative of a bracketed condition, until the later formula is found
# A condition in brackets said with its word (`（若 g·g_prev < 0）`, `（当 t ≤ W 时）`, `(if x > 0)`): the condition alone,
# as _BRACKET_CONDITION reads it, not an aside.
_WORDED_BRACKET_CONDITION = re.compile(r"([（(])\s*(?:若|如果|当|\bif\b|\bwhen\b)\s*([^()（）\u4e00-\u9fff]*?[<>≤≥][^()（）\u4e00-\u9fff]*?)"
                                       r"\s*(?:时)?\s*([）)])", re.IGNORECASE)
# An aside in brackets that holds Chinese prose: `（k = y 那一项不算）`, `（p 是 softmax）`, `（跟 Adam(amsgrad=True) 一致）`.
_ASIDE = re.compile(r"[（(](?:[^（）()]|\([^()]*\))*?[\u4e00-\u9fff](?:[^（）()]|\([^()]*\))*?[）)]")
# A function the notes define, with its separator before it (`，H(p) = −Σ p log p`), its body holding brackets three
# deep (`kurt(W) = mean(((w - mu)/sigma)^4)`); a definition alone on its line keeps the line break before it.
_DEFINITION = re.compile(r"[，,;；]?[ \t]*(?<![\w])(?P<name>[A-Za-zℓ\u0370-\u03ff]\w*)\(\s*(?P<argument>[A-Za-z_\u0370-\u03ff]\w*)"
                         r"(?P<more>(?:\s*,\s*[A-Za-z_]\w*)*)\s*\)"
                         r"\s*=(?!=)(?P<body>(?:[^，,;；\n()]|\((?:[^()\n]|\((?:[^()\n]|\([^()\n]*\))*\))*\))+)")  # min(1, t/T) whole
# A line stating what a known function equals (`log cosh(r) = |r| + softplus(−2|r|) − log 2`): an identity.
_IDENTITY = re.compile(r"(?<![\w])(?:" + "|".join(sorted(_TORCH_CALLS, key=len, reverse=True)) + r")\s*\([^()=]*\)\s*=(?!=)")
# A formula under a condition with nothing said for the other case (`if σ > c: W ← W·c/σ`): where the condition
# fails the value is left as it is, when the formula changes a value it reads.
# Code quoted in a line of prose, and such code that assigns (`m <- beta(t) * m + g ; w <- w - lr * m`).
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
# A line that is one code span (`` `f(x) = [ (1+α)·x + … ] / 2` ``): the formula itself, read as if unquoted.
_WHOLE_LINE_SPAN = re.compile(r"^([ \t]*(?:[-*][ \t]+)?)`([^`\n]+)`[ \t]*[，,。.；;]?[ \t]*$", re.MULTILINE)
# Row i of a matrix written as a slice (`W[i, :]`, `W[i,:]`).
_ROW_SLICE = re.compile(r"(?<![\w.])([A-Za-z]\w*)\[\s*i\s*,\s*:\s*\]")
# The entries of row i summed over their column index: `Σ_j W[i, j]`, the row's sum (as `W_i`, a formula over one row).
_ROW_ENTRIES_SUMMED = re.compile(r"(?:Σ|\\sum)_\{?j\}?\s*([A-Za-z]\w*)\[\s*i\s*,\s*j\s*\]")
# An assignment to a slice of a tensor: `W[i, :] = W[i, :] − …`, `m[idx] ← 0`.
_SLICE_TARGET = re.compile(r"(?<![\w.])[A-Za-z_\u0370-\u03ff]\w*\s*\[[^\]\n]*\]\s*(?:=|←|:=)(?!=)")
# Code over a model's layers (`m.weight[...] = 0`, `layer.bias.data`): the notes' formulas said again as code.
_MODULE_CODE = re.compile(r"(?<![\w])[A-Za-z_]\w*\.(?:weight|bias)\b|"
                          r"^\s*[A-Za-z_][\w.]*\.[a-z]+_\(")  # `w.sub_(w.mean(1, keepdim=True))`: in-place code beside it
# A value written where a condition holds and kept elsewhere (`W[|W| < τ] = 0`), as normalised: `where` of the condition.
_MASKED = re.compile(r"^(?P<target>[A-Za-z_]\w*)\s*\[(?P<condition>[^\]\n]*?[<>]=?[^\]\n]*)\]\s*=(?!=)\s*(?P<value>[^=]+)$")
_SPAN_ASSIGNS = re.compile(r"\s*[A-Za-z_\u0370-\u03ff][\w\u0300-\u036f]*\s*(?:=(?!=)|←|<-)")
_NAMED_BEFORE_IDENTITY = re.compile(r"\s*(?:[-*]\s+)?[A-Za-z_]\w*\s*=(?!=)\s*(?:" + "|".join(_TORCH_CALLS) + r")\s*\(")
# A formula under a condition said first (`if ‖g‖ > c: g = g·c/‖g‖`, `if ‖G_i‖/max(‖W_i‖, ε) > λ ⇒ G_i ← …`): the opening
# word, then the condition up to the first separator outside brackets, then the assignment.
_IF_OPENS = re.compile(r"^\s*(?:[-*•]\s*)?(?:if|如果|若|当)\s*", re.IGNORECASE)  # `- 若 c_i < 0：m_i ← ρ·m_i`: a list item too
_THEN_ASSIGNS = re.compile(r"^\s*(?:[:：,，]|⇒|=>)\s*(?:then\s+|就|则)?\s*(?P<target>[A-Za-z_]\w*)\s*=(?!=)\s*(?P<value>[^=]+?)\s*$",
                           re.IGNORECASE)


def _if_then(line: str) -> dict[str, str] | None:
    """The condition, target and value of a formula under a condition said first (_IF_OPENS), or None."""
    opening = _IF_OPENS.match(line)
    if not opening:
        return None
    depth = 0
    for index in range(opening.end(), len(line)):
        depth += (line[index] in "([{") - (line[index] in ")]}")
        if depth == 0 and (then := _THEN_ASSIGNS.match(line[index:])):
            condition = line[opening.end():index].strip()
            return {"condition": condition, **then.groupdict()} if re.search("[<>≤≥]", condition) else None
    return None
# A bracket after a formula that opens on English prose: `(spectral norm, exact: ...)`, `(half a cycle)`.
_PROSE_ASIDE = re.compile(r"\s(\()\s*(?:\+\s*)?(?!(?:" + "|".join(_TORCH_CALLS) + r")\b)[A-Za-z]{2,}[,;]?\s+[A-Za-z]{2,}|"
                          r"\s(\()[^()\n]{0,20}?\s(?:is|are|means|denotes)\s+[A-Za-z]|"  # (||g|| is the norm over …)
                          r"\s(\()(?=[^()\n]*?(?<![\w])(?:[A-Za-z]{2,}\s+){3}[A-Za-z]{2,}(?![\w(]))|"  # (…; one row after flattening)
                          r"\s(\()(?=\s*[A-Za-z\u4e00-\u9fff]+\s*[:：]?\s*\{)|"  # (sweep {5e-4, 2e-3}): the values tried
                          r"\s{2}(\()(?=\s*\*{0,2}[A-Za-z]{2,}[^()\n=]*\)\s*$)")  # `m = β m + g      (slow)`: a gapped remark ending the line
# A classifier's value at the right class: `softmax(z)[y]`, `p[y]`, `softmax(z)_y` (read as of_right_class(...)).
_RIGHT_CLASS_PICKED = re.compile(r"((?:[A-Za-z_]\w*\((?:[^()]|\([^()]*\))*\))|[A-Za-z_]\w*)\s*(?:\[\s*y\s*\]|(?<=\))_y(?!\w))")
_SEPARATORS = "，,;；。：:→"  # an arrow goes on to a consequence or the next example (`t=0 → 0.1 at t=100`)
# A value the hook gives, named in words (`t = optimizer step counted from 0`, `T = total steps`, `η₀ = baseline lr`):
# no formula, the name left to its role (guards/note_program.py ROLES).
_ROLE_IN_WORDS = re.compile(r"(?<![\w])[A-Za-z_]\w*\s*=\s*(?:the\s+)?(?:(?:current\s+|0-based\s+|1-based\s+)?(?:optimi[sz]er\s+|training\s+|sgd\s+)?"
                            r"(?:step|iteration|update)s?(?:\s+(?:number|index|count(?:er|ed)?))?|total\s+(?:number\s+of\s+)?"
                            r"(?:training\s+)?(?:steps|iterations)|(?:baseline|base|tuned)(?:'s)?\s+(?:lr|learning\s+rate)|"
                            r"(?:the\s+)?same\s+(?:lr|learning\s+rate)\s+as\s+(?:the\s+)?baseline)\b", re.IGNORECASE)
# A formula said as what follows from the one before: `所以 RCE = 4·(1 − p_y)`, `i.e. g = …`.
_RESTATED = re.compile(r"\s*(?:所以|因此|于是|即|也就是说?|i\.e\.,?|so|thus|hence|that is,?)\s*[A-Za-z_\u0370-\u03ff]", re.I)
# A line that says why, what is expected or the problem the idea meets, not the rule: `直觉：…`, `预期：…`,
# `Expectation: …`, `问题：普通层 y = w*x + b 里…`.
_REMARK = re.compile(r"^\s*(?:[-*]\s*)?(?:直觉|预期|风险|动机|注意|备注|问题|intuition|expectations?|expected|expect|why|risks?|"
                     r"motivation|note|problem)\s*[：:]", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=\d)\.\s+(?=\S)|。(?=.)")
# A point named in words: `峰值在 x = c 处`, `peaks at x = c`.
_AT_POINT = re.compile(r"(?:(?<!现)在|\bat\s+)\s*[A-Za-z]\w*\s*=\s*[^，,；;。\s]+\s*(?:处|时|(?=[，,；;。]|$))")
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
_ASSIGNED_NAME = r"[A-Za-z_\u00c0-\u024f\u0370-\u03ff][\w\u2080-\u2089]*\s*=(?!=)"
_BRACKETED_ASSIGNMENT = re.compile(rf"(?:（|(?<![\w\])])\()\s*({_ASSIGNED_NAME}[^()（）=<>≤≥]+?)\s*[）)]")
# Such an assignment with prose after it in its brackets: `（ŷ = logits，对 batch 求平均）` holds `ŷ = logits`.
_ASSIGNMENT_BEFORE_PROSE = re.compile(rf"([（(]\s*{_ASSIGNED_NAME}\s*[^，,;；（）()=<>≤≥\u4e00-\u9fff]+?)\s*[，,;；][^（）()]*?([）)])")
# `target = value`: the target a name of letters, digits and underscores (f(x) defines f), the value what follows.
_ASSIGNS = re.compile(r"(?<![A-Za-z0-9_])(?P<target>[A-Za-z_][A-Za-z0-9_]*)(?:\(\s*[A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*\s*\))?\s*=(?![=])\s*(?P<value>.+)$")
_ASSIGNS_ANYWHERE = re.compile(r"(?<![=<>!])=(?!=)")
_CONDITION = re.compile(r"[<>≤≥]|\bif\b|\bwhen\b|当|若|如果|否则")  # a formula that holds only under a condition
_CHAIN = re.compile(r"(?<![A-Za-z0-9_])(?P<targets>[A-Za-z_]\w*(?:\s*=\s*[A-Za-z_]\w*)+)\s*=(?![=])\s*(?P<value>[^=]+)$")
# A weight matrix and what it multiplies, side by side: `W x`, `W_t x`, `W2 h1`, `W (x + b)`, `U_z h` (a recurrent matrix).
_MATRIX_TIMES = re.compile(r"(?<![A-Za-z0-9_])([WUV](?:_\w+|\d*[a-z]?\d*))(?![A-Za-z])[ \t]+(?=[A-Za-z_(|‖])(?!(?:if|and|or|for|is|in|else|when)\b)")
# A number written right before a Greek letter it multiplies (spelled out by then): `2pi`, `0.5lam`.
_NUMBER_TIMES_LETTER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(?=(?:pi|" + "|".join(sorted(set(GREEK.values()))) + r")(?![A-Za-z]))")
# A name defined in words as a number of steps, `T = total number of steps`, `N = 训练总步数`: the hook's
# step count (guards/note_program.py ROLES), not a formula.
_COUNT_IN_WORDS = re.compile(r"[A-Za-z_]\w*\s*=\s*(?:the\s+)?(?:total\s+)?(?:number\s+of\s+(?:training\s+)?"
                             r"(?:steps|iterations|updates)|(?:训练)?总步数)\b", re.IGNORECASE)
# A number a sentence goes on from: `100 steps`, `0.01. Nothing happens...`, `300 ... until the end`.
_NUMBER_IN_PROSE = re.compile(rf"({NUMBER})(?:[.。]|\s*(?:\.\.\.|…))?\s+[A-Za-z]")


def _statements(formulas: str, output: str = "") -> list[tuple[str, ast.expr]] | None:
    """The assignments of every formula line, numbers left out (they are constants, not steps), a function the
    notes define and never apply named `output` when one is given; None when a line does not read as assignments.
    A formula stating what a known function equals (`log cosh(r) = |r| + …`) is an identity, not a step."""
    statements: list[tuple[str, ast.expr]] = []
    restated = False
    parsed: list[tuple[bool, list[tuple[str, ast.expr]]]] = []  # each line's assignments, and whether it is a heading
    formulas = _with_aliases_applied(cases_as_lines(without_time_indices(_WHOLE_LINE_SPAN.sub(r"\1\2", formulas))))
    lines = [line for line in _inlined_definitions(formulas, output).splitlines()
             if not _REMARK.match(line) and not VARIANT.match(line)]
    for line in lines:
        found = _assignments(_without_labels(line, "\n".join(lines)))
        if found is None and (_COUNT_IN_WORDS.match(_normalised(line)) or _said_in_words(line) or _only_settings(line)):
            continue  # `T = total number of steps`: a count the hook is given, said in words; `LayerNorm = 减均值 + …`;
            # `β1=0.9 时…`: a setting in prose
        if found is None and _MODULE_CODE.search(line):
            restated = True  # `m.weight[m.weight.abs() < tau] = 0.0`: code over the model's layers, beside the formulas
            continue
        if found is None:
            return None
        parsed.append((line.lstrip().startswith("#"), found))
    in_body = {target for heading, found in parsed if not heading for target, _ in found}
    for heading, found in parsed:
        for target, value in found:
            if heading and target in in_body:
                continue  # `# 每 N 步：W ← sign(W)·|W|^p，再把范数还原`: the title's short form of what the body writes out
            if getattr(value, "restated", False):  # `所以 RCE = 4·(1 − p_y)`: the note's own simpler form of it
                statements = [(t, v) for t, v in statements if t != target]
            if not _is_number(value):
                statements.append((target, value))
    if restated and not statements:
        return None  # the code alone: what it does to the model, no formula says
    return _with_alternatives(statements)


def _with_aliases_applied(formulas: str) -> str:
    """`formulas` with each letter the notes name a function by (`φ = sigmoid`, `act = tanh`, `σ 取 softplus`) applied as
    that function (`act(W x)` -> `tanh(W x)`, `\\sigma\\!\\left(` -> `softplus(`), the naming itself left out: notation,
    not a step; a call's keyword argument (`clamp(S, min=floor)`) names no function."""
    plain = plain_formula(formulas)
    aliases = {m[1]: m[2] for m in FUNCTION_ALIAS.finditer(plain) if not _in_brackets(plain, m.start())}
    for alias, function in aliases.items():
        spelled = rf"|\\{GREEK[alias].replace('lam', 'lambda').replace('eps', 'epsilon')}(?![A-Za-z])" if alias in GREEK else ""
        formulas = re.sub(rf"(?:(?<![\w\\]){re.escape(alias)}{spelled})(?:\s*\\!)?\s*(?:\\left)?\s*\(", f"{function}(", formulas)
    return FUNCTION_ALIAS.sub(lambda m: m[0] if _in_brackets(formulas, m.start()) else "", formulas) if aliases else formulas


def _in_brackets(text: str, index: int) -> bool:
    """Whether `index` of `text` lies inside brackets opened on its line (`clamp(S, min=floor)`: a keyword argument)."""
    line = text[text.rfind("\n", 0, index) + 1:index]
    return line.count("(") > line.count(")")


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
    for name in [match["name"] for match in _DEFINITION.finditer(formulas)]:
        match = next((m for m in _DEFINITION.finditer(formulas) if m["name"] == name), None)
        if match is None:
            continue  # written out inside another definition's body
        argument, body = match["argument"], match["body"].strip()
        if name in FUNCTIONS:
            continue  # a known function: what it equals is an identity (_IDENTITY), not a definition
        rest = formulas[:match.start()] + formulas[match.end():]
        if not re.search(rf"(?<![\w]){re.escape(name)}\([^()]*\)(?!\s*[=≈])", rest):  # `f(x) ≈ x − x³/2`: a remark, no application
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


def _only_settings(line: str) -> bool:
    """Whether every `=` of a line sets a name to a number (`β1=0.9 时，…`, "K=2 是最便宜的版本"): a setting said in
    prose, which the notes' constants hold, no step."""
    equals = _ASSIGNS_ANYWHERE.findall(line)
    return bool(equals) and len(_SETTING.findall(line)) == len(equals)


# A name set to a number where a line says it: `β1=0.9`, `K = 2`.
_SETTING = re.compile(rf"(?<![\w.])[^\W\d]\w*\s*=(?!=)\s*{NUMBER}(?![\w.(])")


def _said_in_words(line: str) -> bool:
    """Whether every `=` of a line is followed by Chinese words (`LayerNorm = 减均值 + 除标准差 + affine`): a
    description, no formula."""
    equals = _ASSIGNS_ANYWHERE.findall(line)
    return bool(equals) and len(re.findall(r"(?<![=<>!])=(?!=)\s*[\u4e00-\u9fff]", line)) == len(equals)


def _with_alternatives(statements: list[tuple[str, ast.expr]]) -> list[tuple[str, ast.expr]] | None:
    """The statements with each bracketed condition's alternative, the next formula for the same name,
    put in its place (that formula then goes; its own condition, the last one's, is the complement);
    None when a condition has no alternative, unless its formula changes a value it reads: elsewhere the value
    stays as it is."""
    merged = list(statements)
    for i, (target, value) in enumerate(merged):
        while _pending(value):  # `f = x (x > 0)`, `f = … (−a ≤ x ≤ 0)`, `f = −a/2 (x < −a)`: nested in turn
            later = next((j for j in range(i + 1, len(merged)) if merged[j][0] == target), None)
            if later is None and target in names_in(ast.unparse(value.args[1])):
                value.args[2] = ast.Name(target, ast.Load())  # `Δ ← Δ·0.5 (g·g_prev < 0)`: elsewhere Δ stays
                break
            if later is None:
                return None
            alternative = merged.pop(later)[1]
            last = not any(t == target for t, _ in merged[i + 1:])
            value.args[2] = alternative.args[1] if _pending(alternative) and last else alternative
            value = value.args[2]
    return merged


def _pending(value: ast.expr) -> bool:
    """A `where(condition, value, <alternative>)` whose alternative is still to be found."""
    return isinstance(value, ast.Call) and len(value.args) == 3 and isinstance(value.args[2], ast.Name) \
        and value.args[2].id == _OTHERWISE


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


def read_statements(statements: Sequence[tuple[str, str]], reads: set[str]) -> list[tuple[str, str]]:
    """The (target, expression) statements whose target `reads` names or a later kept statement reads, in order
    (`Var(W) = 2/fan_in`, a check that nothing reads, goes)."""
    needed, kept = set(reads), []
    for target, expression in reversed(statements):
        if target in needed:
            kept.append((target, expression))
            needed |= names_in(expression)
    return kept[::-1]


def names_in(expression: str) -> set[str]:
    """The names code or a formula written as code reads (not attributes: `layer.weight` reads `layer`)."""
    return set(re.findall(r"(?<![\w.])[A-Za-z_]\w*", expression))


# A mask: a name given a comparison in brackets as its whole value (`mask = (g ⊙ m ≥ 0)`).
_MASK = re.compile(r"^\s*(?:[-*]\s*)?(?P<target>[A-Za-z_]\w*)\s*=\s*\((?P<condition>[^()=<>]*(?:[<>]=?)[^()=<>]*)\)\s*$")


def _assignments(line: str) -> list[tuple[str, ast.expr]] | None:
    """The `name = expression` assignments of one note line: the whole line when it is one, else each of
    its parts between separators (commas, semicolons, colons outside brackets) that holds an `=`;
    None when such a part does not read as one, or the line holds another condition (`lr_t = lr0*t/N（t ≤ N）`:
    its formula holds only sometimes) than one whose alternative leaves the value unchanged (_IF_ELSE_KEPT).
    `where` or `with` before another assignment separates two (`p = p - lr*g where λ = 0.1`)."""
    if _ASIDE.fullmatch(line.strip()) and not _ASSIGNMENT_BEFORE_PROSE.search(line):
        return []  # `（跟 torch.optim.Adam(amsgrad=True) 的写法一致）`: a line that is one aside
    line = INNER_PRODUCT.sub(r"⟨\1, \2⟩", plain_products_and_counts(ASCII_ARROW.sub("←", line)))  # <g, m>: an inner
    # product, no comparison; `(g·u)·g`: one too
    if gapped := _GAPPED_SETTING.search(line):
        if gapped["op"] not in ("=", "=="):
            line = f"{line[:gapped.start()]}, {gapped['setting']}"  # `f(x) = x      x ≥ 0`: a case, as `f(x) = x, x ≥ 0`
        elif re.search(rf"(?<![\w]){re.escape(gapped['name'])}(?![\w])", re.split(r"=|←", line[:gapped.start()], maxsplit=1)[-1]):
            line = f"{line[:gapped.start()]}; {gapped['setting']}"  # `w ← w − η·g      η = 0.1`: its constant, apart
        else:
            return None  # `f(α, x) = x      α = 0`: the value at a point of a name it never reads, a case
    if mask := _MASK.match(_normalised(_CODE_COMMENT.sub("", line))):  # `mask = (g ⊙ m ≥ 0)`: 1 where it holds, else 0
        call = _where(mask["condition"], ast.Constant(1.0), ast.Constant(0.0))
        return [(mask["target"], call)] if call else None
    if masked := _MASKED.match(_normalised(_CODE_COMMENT.sub("", line))):  # `W[|W| < τ] = 0`
        kept = _assignment(f"{masked['target']} = {masked['value']}")
        statement = kept and _where(masked["condition"], kept[1], masked["target"])
        return [(masked["target"], statement)] if statement else None
    line = _ROW_SLICE.sub(r"\1_i", _ROW_ENTRIES_SUMMED.sub(r"sum_rows(\1_i)", line))  # W[i, :]: row i, as W_i (a formula
    # over one row holds for each)
    if _SLICE_TARGET.search(plain_formula(line)):
        return None  # `W[i, :] = …`: a value written into part of a tensor, which these statements cannot say
    line = re.sub(r"\s*≈\s*[-−]?\d+(?:\.\d+)?(?![\w.])", "", line)  # b = −log(K−1) ≈ −2.2: the value's size, said again
    line = _AT_POINT.sub(" ", line)  # `峰值在 x = c`, `peaks at x = c`: where something happens, no assignment
    if spans := [span for span in _CODE_SPAN.findall(line) if _SPAN_ASSIGNS.match(span)]:
        line = "; ".join(spans)  # "Applied as `m <- β m + g ; w <- w - lr * m`, lr constant": the code, not the prose
    line = _CODE_CALL.sub(" ", _RANGE.sub(" ", line))
    if (first := FIRST_STEP.search(line)) and not bracket_depth(line, first.start()):
        line = line[:first.start()]  # the first step's values: read apart
    line = re.sub(r"\s+(?:where|with)\s+(?=[^\s=]+\s*=)", "; ", latex_spacing(_without_cases(_CODE_COMMENT.sub("", line))))
    line = _ASSIGNMENT_BEFORE_PROSE.sub(r"\1\2", _without_closing_prose(line))
    line = _WORDED_BRACKET_CONDITION.sub(r"\1\2\3", line)
    line = _BRACKETED_ASSIGNMENT.sub(_bracketed_assignment, _without_prose_asides(_ASIDE.sub("", line)))
    if _IDENTITY.search(_normalised(line)) and len(_ASSIGNS_ANYWHERE.findall(_normalised(line))) == 1:
        return []
    if cases := _cases_of(_normalised(line)):
        return cases
    if either := _IF_ELSE.search(_normalised(line)):
        return _either(either, line)
    if (alone := _if_then(_normalised(line))) and re.search(rf"(?<![\w]){alone['target']}(?![\w])", alone["value"]):
        assignment = _assignment(f"{alone['target']} = {alone['value']}")
        statement = assignment and _where(alone["condition"], assignment[1], alone["target"])
        return [(alone["target"], statement)] if statement else None
    line = _TRAILING_OTHERWISE.sub("", _TRAILING_CONDITION.sub(r"（\g<condition>）", line))
    if kept := _IF_ELSE_KEPT.search(_normalised(line)):
        return _kept_unless(kept, line)
    if _CONDITION.search(_BRACKET_CONDITION.sub("", plain_formula(line))):
        return None
    plain = _normalised(line)  # `h = (1 − a).clamp(min=0)`: a keyword inside a call is no assignment
    if sum(not bracket_depth(plain, m.start()) for m in _ASSIGNS_ANYWHERE.finditer(plain)) == 1 and not _BRACKET_CONDITION.search(line) \
            and (whole := _assignment(line)) is not None:
        return [whole]
    found = []
    for part in _split_outside_brackets(line):
        for single in _unchained(part):
            condition = _BRACKET_CONDITION.search(single)
            single = _BRACKET_CONDITION.sub("", single)
            if _IDENTITY.search(_normalised(single)) and not _NAMED_BEFORE_IDENTITY.match(_normalised(single)):
                continue  # `log cosh(r) = |r| + …`, not `c = cos(g, m) = ⟨g, m⟩/…` (c named, the identity its value)
            if _NAMED_BEFORE_IDENTITY.match(_normalised(single)) and len(_ASSIGNS_ANYWHERE.findall(single)) > 1:
                single = _IDENTITY.sub("", single, count=1)  # c = ⟨g, m⟩/…: the value written out
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


def _bracketed_assignment(match: re.Match[str]) -> str:
    """An assignment in brackets as one of the line's parts (`out = x·s (s = sigmoid(a))`); one of a number gone
    (`f(x) = a·tanh(x), x ≤ 0 (a = 0.25)`: a constant, read from the notes, that would hide the line's condition)."""
    return " " if re.fullmatch(rf"[^=]+=\s*{NUMBER}\s*", match[1]) else f"; {match[1]};"


# Words that say what happens at the first step (`第一步 m = 0，直接令 m ← g`): what follows them on their line is
# the first step's, read apart (guards/note_program.py), not a formula of every step.
FIRST_STEP = re.compile(r"(?:第一步|首步|第\s*1\s*步|(?:at|on) (?:the )?first step|at step 1)\s*[时直接就:：,，]*\s*", re.IGNORECASE)
# A kept value started at what the first batch gives: `a 初始化为第一个 batch 的 |g|`, "v initialised to the first batch's g²".
FIRST_BATCH_START = re.compile(r"(?<![\w\u0370-\u03ff])([A-Za-z\u0370-\u03ff][\w\u0370-\u03ff]*)\s*(?:初始化|初值)(?:为|成|是|用)?\s*"
                               r"(?:第一个?|首个?)\s*(?:mini-?)?(?:batch|步)\s*(?:的|上的)\s*([^，。,;；（(\n]+)|"
                               r"(?<![\w\u0370-\u03ff])([A-Za-z\u0370-\u03ff][\w\u0370-\u03ff]*)\s+(?:is\s+)?(?:initiali[sz]ed|started)\s+(?:to|at|as)\s+"
                               r"the\s+first\s+(?:mini-?)?(?:batch|step)'s\s+([^,;.(\n]+)", re.IGNORECASE)
# A case of a value said by a comparison and what the rule then reduces to (`c ≤ 0 时这一步就退化成纯 SGD`,
# `c ≈ 1 时就是普通动量`, "when β < 0.5 it is just SGD"): a remark, no formula.
_REDUCED_CASE = re.compile(r"(?:(?:当|若|如果)\s*|\b(?:when|if)\s+)?[A-Za-zα-ωϵ]\w*\s*[<>≤≥≈]=?\s*[-−]?[\d.]+\s*(?:时|的时候)?"
                           r"[^=←]*?(?:退化|就是|等价|相当于|\brecovers\b|\breduces to\b|\bis just\b)", re.IGNORECASE)


def _without_cases(line: str) -> str:
    """`line` without its parts that only say a case of a constant (`κ=0 就是 SGD`, `当 κ = 1 时是动量`,
    `c ≤ 0 时就退化成纯 SGD`): no formula."""
    return _without_parts(line, lambda part: "←" not in part and (
        (CASE.search(part) and len(_ASSIGNS_ANYWHERE.findall(part)) == 1)
        or (_REDUCED_CASE.search(part) and not _ASSIGNS_ANYWHERE.search(part))))  # `m_i ← ρ·m_i（ρ = 0 即重启）` stays


def _without_parts(line: str, dropped) -> str:
    """`line` without its parts between separators (outside brackets) for which `dropped(part)` holds; as it was
    when none is dropped."""
    parts = _split_outside_brackets(line)
    kept = [part for part in parts if not dropped(part)]
    return line if len(kept) == len(parts) else "，".join(kept)


def _without_closing_prose(line: str) -> str:
    """`line` without the sentences after its last one that assigns something: `β = 2. softplus so it's smooth;
    when z_y − z_c ≫ m the extra term vanishes.` keeps `β = 2`. A sentence ends at `。` or at a period after a number."""
    sentences = _SENTENCE_END.split(line)
    while len(sentences) > 1 and "=" not in sentences[-1] and "←" not in sentences[-1]:
        sentences.pop()
    return "。".join(sentences)


def _without_prose_asides(line: str) -> str:
    """`line` without the brackets that open on English prose after a formula (`σ = ‖W‖₂  (spectral norm, exact:
    `matrix_norm(W, ord=2)`)`, `(||g|| is the norm over all parameters)`), brackets inside them included."""
    while match := _PROSE_ASIDE.search(line):
        start, depth = next(match.start(group) for group in (1, 2, 3, 4, 5) if match[group]), 0
        for end in range(start, len(line)):
            depth += {"(": 1, ")": -1}.get(line[end], 0)
            if depth == 0:
                break
        if depth:
            return line
        line = line[:start] + line[end + 1:]
    return line


def _where(condition: str, value: str | ast.expr, otherwise: str | ast.expr) -> ast.Call | None:
    """`where(condition, value, otherwise)` from note text (`otherwise` a name or an expression), or None if a part is
    not code."""
    try:
        parts = [ast.parse(text, mode="eval").body if isinstance(text, str) else text for text in (condition, value)]
    except SyntaxError:
        return None
    other = ast.Name(otherwise, ast.Load()) if isinstance(otherwise, str) else otherwise
    call = ast.Call(ast.Name("where", ast.Load()), [_pairwise(parts[0]), parts[1], other], [])
    return call if all(isinstance(node, _ALLOWED_NODES) for node in ast.walk(call)) else None


def _pairwise(condition: ast.expr) -> ast.expr:
    """A chained comparison `-a <= x <= 0` as `(-a <= x) & (x <= 0)`, which tensors compute elementwise."""
    if not isinstance(condition, ast.Compare) or len(condition.ops) < 2:
        return condition
    sides = [condition.left, *condition.comparators]
    pairs = [ast.Compare(left, [op], [right]) for left, op, right in zip(sides, condition.ops, sides[1:])]
    joined = pairs[0]
    for pair in pairs[1:]:
        joined = ast.BinOp(joined, ast.BitAnd(), pair)
    return joined


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


# One case of a formula said case by case on its line (`0 if x ≤ −β`), and the last one's words for the rest.
_CASE = re.compile(r"^\s*(?P<value>[^=]+?)\s+(?:if|when)\s+(?P<condition>[^=]*?[<>][^;]*?)\s*$")
_OTHERWISE_CASE = re.compile(r"^\s*(?P<value>[^=<>]+?)\s*,?\s*(?:otherwise|else)\s*$")


def _cases_of(line: str) -> list[tuple[str, ast.expr]] | None:
    """`f(x) = 0 if x ≤ −β; (x + β)²/(4β) if |x| ≤ β; x if x ≥ β` (as normalised) as one statement, the cases nested
    `where`s in their order, the last case's value where none before it holds; a sentence after the cases
    (`.   Default β = 1.`) is left to the constants. None for a line not so written (two cases at least, each a value
    with its condition, the last one's condition or `otherwise` optional)."""
    assigned = _ASSIGNS.search(line)
    if assigned is None:
        return None
    cases = re.split(r"\.\s+(?=[A-Z\u4e00-\u9fff])", assigned["value"], maxsplit=1)[0].rstrip(". ")
    parts = [part for part in re.split(r"[;；]", cases) if part.strip()]
    parts = _bracketed_cases(cases) if len(parts) < 2 else parts
    said = [_CASE.match(part) for part in parts]
    if len(parts) < 2 or not all(said[:-1]):
        return None
    last = said[-1] or _OTHERWISE_CASE.match(parts[-1])
    if last is None:
        return None
    try:
        value = ast.parse(last["value"], mode="eval").body
        for case in reversed(said[:-1]):
            value = ast.Call(ast.Name("where", ast.Load()), [_pairwise(ast.parse(case["condition"], mode="eval").body),
                                                             ast.parse(case["value"], mode="eval").body, value], [])
    except SyntaxError:
        return None
    if not all(isinstance(node, _ALLOWED_NODES) for node in ast.walk(value)):
        return None
    return [(assigned["target"], value)]


# A case written as its value and its condition in brackets, alone: `x（x > 0）`, `0.5*(exp(x) - 1) (x <= 0)`.
_BRACKETED_CASE = re.compile(r"^\s*(?P<value>[^=（）]+?)\s*[（(]\s*(?P<condition>[^()（）=]*[<>][^()（）]*?)\s*[）)]\s*$")


def _bracketed_cases(value: str) -> list[str]:
    """The cases of a value said one after another with their conditions in brackets, `x（x > 0），0.5*(exp(x) - 1)（x <= 0）`,
    each as `value if condition`, up to the first part that is not such a case (a constant given after them); [] when
    fewer than two lead."""
    cases = []
    for part in _split_outside_brackets(value.replace("（", "(").replace("）", ")")):
        if (case := _BRACKETED_CASE.match(part)) is None:
            break
        cases.append(f"{case['value']} if {case['condition']}")
    return cases if len(cases) > 1 else []


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


# A setting set apart from its formula by a wide gap, at the line's end: a constant (`w ← w − η·g      η = 0.1`) or a
# case (`f(x) = x      x ≥ 0`, `f(α, x) = x      α = 0`); never a factor of the formula.
_GAPPED_SETTING = re.compile(r"(?<=[^\s,，;；])[ \t]{3,}(?P<setting>(?P<name>[A-Za-z_\u0370-\u03ff]\w*)\s*(?P<op>[<>≤≥≠]=?|==?)\s*"
                             r"[-−]?(?:\d+(?:\.\d+)?(?:e[-−]?\d+)?|[A-Za-z_\u0370-\u03ff]\w*))\s*$")
# A remark set apart from its formula by a wide gap, about names it then says in prose: `g = σ(a·(r − c))      a, c 是可学习
# 标量`, `w ← w − η·g      η 是学习率` (the names before the prose are its subject, not factors of the formula).
_REMARK_AFTER_GAP = re.compile(r"(?<=\S)[ \t]{3,}[^=←\n]*?[\u4e00-\u9fff][^\n]*$")


# A name whose square a formula gives (`σ_t² = …`, made plain `sigma_t**2 = …`): the name is the root of the value.
_SQUARED_TARGET = re.compile(r"^(\s*(?:[-*]\s*)?[A-Za-z_][A-Za-z0-9_]*)\*\*2(\s*=(?!=).*)$")


def _assignment(text: str) -> tuple[str, ast.expr] | None:
    """A note text's assignment: the name right before its `=` (words before it are prose) and the
    expression after it, up to the first Chinese character, English word that goes on in prose (`where`,
    `with`, `as`, `for`, ...) or dash before words (`— CE as a tie-breaker`); None if either is not code."""
    normalised = _normalised(_REMARK_AFTER_GAP.sub("", text))
    if squared := _SQUARED_TARGET.match(normalised):
        normalised = squared[1] + squared[2]  # `σ_t² = η/(1 + t)^γ`: σ_t is the root of the value
    match = _ASSIGNS.search(normalised)
    if match is None:
        return None
    right = re.split(r"[\u3000-\u9fff\uff00-\uffef]|\s+(?:where|with|as|is|are|for|on|in|at|between|which|that|so|to|"
                     r"and|but)\s|(?<!\.)\.\s+(?=[A-Za-z])|\s*—+\s+(?=[A-Za-z]+\s+[A-Za-z]+)", match["value"], maxsplit=1)[0].strip()
    if prose := _NUMBER_IN_PROSE.match(right):
        right = prose[1]  # `N = 100 steps`, `σ = 0.01. Nothing else...`: a constant the sentence goes on from
    right = _first_of_chain(right)  # `CE = −log p_t = Σ …`: equal values, the first one read
    try:
        value = ast.parse(_RIGHT_CLASS_PICKED.sub(r"of_right_class(\1)", right), mode="eval")
    except SyntaxError:
        return None
    if not all(isinstance(node, _ALLOWED_NODES) or _code_attribute(node, value) for node in ast.walk(value)):
        return None
    if any(isinstance(n, ast.Call) and not _code_call(n) and (not (isinstance(n.func, ast.Name) and n.func.id in FUNCTIONS)
                                                             or not _plain_keywords(n)) for n in ast.walk(value)):
        return None
    if squared:
        return match["target"], ast.Call(ast.Name("sqrt", ast.Load()), [value.body], [])
    return match["target"], value.body


def _code_call(call: ast.Call) -> bool:
    """Whether a call is PyTorch code as notes quote it: a function of torch, F or math (`torch.logsumexp(z, dim=-1)`,
    `F.cross_entropy(logits, y)`) or a tensor method that computes a value (`(logZ ** 2).mean()`, `g.norm()`)."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    return _module_path(func) or func.attr in TENSOR_METHODS \
        or (func.attr in ("max", "min") and not call.args and not call.keywords)  # `S.max()`: one value, no indices


def _module_path(node: ast.expr) -> bool:
    """Whether `node` is a dotted name in torch, F or math (`torch.linalg.norm`)."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and node.id in CODE_MODULES


def _code_attribute(node: ast.AST, tree: ast.AST) -> bool:
    """Whether `node` is a part of quoted PyTorch code (_code_call): an attribute a call of it reads, a keyword."""
    if isinstance(node, ast.Attribute):
        return _module_path(node) or any(isinstance(n, ast.Call) and n.func is node and _code_call(n) for n in ast.walk(tree))
    return isinstance(node, (ast.keyword, ast.Tuple)) and any(isinstance(n, ast.Call) and _code_call(n) for n in ast.walk(tree))


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
    """A constant such as `0.9`, `-1` or `1/8`: given by the notes, not a step of the program."""
    if isinstance(value, ast.BinOp):
        return _is_number(value.left) and _is_number(value.right)
    return isinstance(value, ast.Constant) or (isinstance(value, ast.UnaryOp) and isinstance(value.operand, ast.Constant))


# A statistic over the batch, one per unit (`Var_batch(h_j)`, `\mathrm{Var}_{batch}(…)`, `E_b[…]` as plain notation
# writes them), and a unit's column of a batch of outputs (`h_{:,j}`, `h[:, j]`).
_STATISTICS = {"var": "var", "mean": "mean", "e": "mean", "std": "std"}
_BATCH_STATISTIC = re.compile(r"(?<![\w.])(Var|var|Mean|mean|E|Std|std)_(?:batch|b|B)\s*\(")
_UNIT_COLUMN = re.compile(r"(?<![\w.])([A-Za-z])(?:_\(\s*:\s*,\s*|\[\s*:\s*,\s*)([a-z])\s*[)\]]")


def _normalised(text: str) -> str:
    """A note formula as Python: its notation made plain (guards/notation.py), Greek letters spelled out, `←` as
    `=`, `^` as `**`, `×`/`·` as `*`, `mod` as `%`, `−` as `-`, `π` as pi, `||g||` as norm(g), without surrounding
    backticks and trailing punctuation."""
    text = plain_formula(text.strip().strip("`$")).strip().rstrip("。.;；,，")
    for old, new in (("←", "="), ("^", "**"), ("×", "*"), ("·", "*"), ("−", "-"), ("π", "pi"), ("≤", "<="), ("≥", ">=")):
        text = text.replace(old, new)
    text = re.sub(r"\s+mod\s+", " % ", text)  # `t mod P`
    text = re.sub(r"¬\s*([A-Za-z_]\w*)", r"(1 - \1)", text)  # ¬mask: where a 0/1 mask is 0
    text = _MATRIX_TIMES.sub(r"\1*", text)  # `W x`, `W_t h`: a weight matrix written before what it multiplies
    text = re.sub(r"(?:\|\||‖)\s*([A-Za-z_]\w*)\s*(?:\|\||‖)(?:_2)?", r"norm(\1)", text)  # ||g||, ‖g‖: its L2 norm
    text = re.sub(r"\|\s*([^|]+?)\s*\|", r"abs(\1)", text)  # |x|: its absolute value
    text = _BATCH_STATISTIC.sub(lambda m: f"{_STATISTICS[m[1].lower()]}_batch(", text)  # Var_batch(h): each unit's
    text = _UNIT_COLUMN.sub(r"\1_\2", text)  # h_{:,j}, h[:, j]: unit j's outputs over the batch, as h_j
    text = greek_spelled(text)
    return _NUMBER_TIMES_LETTER.sub(r"\1*", text)  # `2π`, `0.5λ`: a number times a Greek letter


def bracket_depth(line: str, index: int) -> int:
    """How many brackets are open at `index` of `line`."""
    return sum((ch in "([{（") - (ch in ")]}）") for ch in line[:index])


def _split_outside_brackets(line: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in line:
        depth += ch in "([{⟨"
        depth -= ch in ")]}⟩"
        if depth == 0 and ch in _SEPARATORS:
            parts.append(current)
            current = ""
        else:
            current += ch
    return [*parts, current]


# The notes' draws at random, and the value of a constant of the formulas (a draw's arguments read them).

# Adam's decay rates, named by their usual names without a value (`m = b1*m + (1-b1)*g`): their usual values.
ADAM_DECAYS = {"beta1": 0.9, "b1": 0.9, "beta2": 0.999, "b2": 0.999}
MOMENTUM = 0.9  # a momentum the notes name without a value (`v ← β·v + g`): the usual one
# A value the notes draw at random: `ε ~ N(0, 1)` (one per entry), `λ ~ Beta(α, α)`, `u ~ U(0, 1)` (one per call),
# `log γ ~ U(−log 2, log 2)` (γ drawn log-uniformly).
_DRAWN = re.compile(rf"(?<![A-Za-z0-9_])(?:log\((?P<logged>[A-Za-z_]\w*)\)|(?P<name>[A-Za-z_]\w*))\s*~\s*"
                    rf"(?P<family>{DRAW_FAMILIES}|OneOf)\s*\((?P<arguments>(?:[^()]|\([^()]*\))*)\)")  # U(−log(2), log(2))
# A draw of one of a set of values: `q ~ Uniform{2, 3, 4, 6, 17}`, `U{−1, +1}` (read as `OneOf(…)`).
_SET_DRAW = re.compile(r"(?:Uniform|U)\s*\\?\{([^{}\n]*)\\?\}")
# The functions of numbers a draw's arguments may take: `U(−log 2, log 2)`, `N(0, sqrt(2/3))`.
_NUMBER_FUNCTIONS = {"log": math.log, "sqrt": math.sqrt, "exp": math.exp}


# Words that say a value is drawn for each sample of the batch on its own: `每个样本独立抽`, `per image`.
_PER_SAMPLE = re.compile(r"每(?:个|一个|张)\s*(?:样本|图像?|example)|逐样本|\b(?:per|for each|each)\s+(?:sample|example|image|input)\b",
                         re.IGNORECASE)


def draws_in(line: str, given: dict[str, str], note_text: str = "") -> list[tuple[str, str | None]]:
    """The values `line` draws at random, each with the torch expression of its draw (`_draw`; None: a draw the
    program cannot write); one value per sample where the line says so, or the notes say so of that value
    ("每个样本随机选 q")."""
    found = []
    for match in _DRAWN.finditer(_normalised(_SET_DRAW.sub(r"OneOf(\1)", line))):
        name = match["logged"] or match["name"]
        per_sample = bool(_PER_SAMPLE.search(line) or re.search(
            _PER_SAMPLE.pattern + rf"[^。.\n;；]{{0,12}}?(?<![\w]){re.escape(name)}(?![\w])", note_text, re.IGNORECASE))
        expression = _choice(match["arguments"], given, per_sample) if match["family"] == "OneOf" \
            else _draw(match["family"], match["arguments"], given, per_sample)
        if match["logged"] and expression is not None:
            expression = f"torch.exp({expression})"
        found.append((name, expression))
    return found


def _choice(choices: str, given: dict[str, str], per_sample: bool) -> str | None:
    """The torch expression of a draw of one of the listed numbers (`Uniform{2, 3, 4}`), each as likely; None when one
    is no number."""
    values = [_number(value, given) for value in choices.split(",")]
    if not values or None in values:
        return None
    shape = f"{_SAMPLE_SHAPE}, device=({{like}}).device" if per_sample else "()"
    return f"torch.tensor({values!r}, device=({{like}}).device)[torch.randint(0, {len(values)}, {shape})]"


# The shape of one value per sample of the batch `{like}`, against which it broadcasts: (B, 1, …).
_SAMPLE_SHAPE = "(({like}).shape[0],) + (1,) * (({like}).dim() - 1)"


def _draw(family: str, arguments: str, given: dict[str, str], per_sample: bool = False) -> str | None:
    """The torch expression of a draw from N(mean, variance) (`N(0, I)`: unit variance) or Bernoulli(p) (entry-wise, shaped
    like `{like}`), Beta(a, b) or U(a, b) (one value; `per_sample`: one per sample of `{like}`), its arguments numbers,
    the notes' constants or arithmetic of both; None for any other."""
    values = [1.0 if family == "N" and index == 1 and argument.strip() == "I" else _number(argument, given)
              for index, argument in enumerate(arguments.split(","))]  # N(0, I): an identity covariance, unit variance
    if None in values:
        return None
    if family == "N" and values == [0.0, 1.0]:
        return "torch.randn_like({like})"
    if family == "N" and len(values) == 2 and values[1] >= 0:  # N(mean, variance)
        return f"({values[0]!r} + {math.sqrt(values[1])!r} * torch.randn_like({{like}}))"
    shape = f"{_SAMPLE_SHAPE}, device=({{like}}).device" if per_sample else "()"
    if family == "Beta" and len(values) == 2:
        return f"torch.distributions.Beta({values[0]!r}, {values[1]!r}).sample({_SAMPLE_SHAPE if per_sample else ''})" \
            + (".to(({like}).device)" if per_sample else "")
    if family in ("U", "Uniform") and len(values) == 2:
        return f"({values[0]!r} + {values[1] - values[0]!r} * torch.rand({shape}))"
    if family in ("Bernoulli", "Bern") and len(values) == 1 and 0 <= values[0] <= 1:
        return f"torch.bernoulli(torch.full_like({{like}}, {values[0]!r}))"
    return None


def _number(text: str, given: dict[str, str]) -> float | None:
    """The value of `text`, arithmetic of numbers, the notes' constants and `_NUMBER_FUNCTIONS` of them (`1 - p`, `2*σ`,
    `-log 2`), or None."""
    text = re.sub(r"\b(log|sqrt|exp)\s+([0-9.]+)", r"\1(\2)", text.strip())  # `log 2`: log(2)
    try:
        expression = ast.parse(text, mode="eval")
    except SyntaxError:
        return None

    class Substitute(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            value = _constant(node.id, given)
            return node if value is None else ast.Constant(value)

    expression = ast.fix_missing_locations(Substitute().visit(expression))
    functions = {node.func for node in ast.walk(expression) if isinstance(node, ast.Call)}
    if not all(isinstance(node, (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.operator, ast.unaryop))
               or (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _NUMBER_FUNCTIONS
                   and not node.keywords)
               or (node in functions) or isinstance(node, ast.Load)
               for node in ast.walk(expression)):
        return None
    try:  # numbers and the functions of numbers only, checked above
        return float(eval(compile(expression, "<draw>", "eval"), {"__builtins__": {}, **_NUMBER_FUNCTIONS}))
    except (ArithmeticError, TypeError, ValueError):
        return None


def _constant(name: str, given: dict[str, str]) -> float | None:
    """The value of a constant of the formulas: the notes' own, the usual tiny one for an unvalued ε, else None."""
    if compared_name(name) in given:
        return float(given[compared_name(name)])
    return EPS if compared_name(name) == "eps" else None


# What the notes' words say of a name: that it is learnable, the number it starts at.

# A name the notes call learnable: its value in the notes is where it starts, not a constant.
_LEARNABLE = re.compile(r"(?:可学习?|可训练|learnable|trainable)\s*的?\s*(?:标量|参数|系数|scalar|parameter|coefficient)?\s*"
                        r"(?P<before>[A-Za-zα-ωϵ]\w*)|(?P<after>[A-Za-zα-ωϵ]\w*)\s*(?:(?:是|为)[^，。,.;；\n]{0,12}?)?(?:可学习|可训练)|"
                        r"(?P<said>[A-Za-zα-ωϵ]\w*)\s+(?:is|are)\s+(?:an?\s+|one\s+)?(?:[A-Za-z]+\s+){0,2}?"
                        r"(?:learnable|trainable|learned)", re.IGNORECASE)
# The notes saying that the units learn a list of names themselves: `每个神经元自己学 p₁, p₂, β`, `each unit learns its own
# a, b` (not a learning rate: 学习率).
_NAME = r"[A-Za-zα-ωϵ](?:[A-Za-z]{0,4}(?:_?[\d₀-₉]+)?|_?[\d₀-₉]+)"
_LEARNS = re.compile(rf"(?:自己|各自|单独|分别|都)\s*学(?!习率)(?:习)?\s*(?P<zh>{_NAME}(?:\s*[,，、和及]\s*{_NAME})*)|"
                     rf"\blearns?\s+(?:(?:its|their)\s+own\s+|per[- ]unit\s+)?(?P<en>{_NAME}(?:\s*(?:,|and)\s*{_NAME})+)\b|"
                     # `a, c 是可学习标量`, `a and c are learnable`: a list said learnable
                     rf"(?<![\w])(?P<list>{_NAME}(?:\s*(?:[,，、和及]|\band\b)\s*{_NAME})+)\s*(?:(?:都)?是|为|(?:are|both)(?:\s+both)?)\s*"
                     r"(?:可学习|可训练|learnable|trainable|learned)", re.IGNORECASE)
_ARTICLES = frozenset({"a", "an", "the", "one", "each", "every"})
_NUMBER = rf"({NUMBER})(?![\w.])"  # a number standing alone


def learnable_names(text: str) -> set[str]:
    """The names (as compared) that `text` calls learnable, outside the variants it mentions (`变体：α 可学习`)."""
    text = "\n".join(line for line in text.splitlines() if not VARIANT.match(line))
    names = {compared_name(_normalised(name)) for name, said in
             ((m["before"] or m["after"] or m["said"], m[0]) for m in _LEARNABLE.finditer(text))
             if name.lower() not in _ARTICLES or re.search(r"[\u4e00-\u9fff]", said)}  # in English, `a` is an article
    listed = (re.split(r"\s*(?:[,，、和及]|\band\b)\s*", m["zh"] or m["en"] or m["list"]) for m in _LEARNS.finditer(text))
    return names | {compared_name(_normalised(name)) for names_said in listed for name in names_said}


def _as_written(name: str) -> str:
    """A pattern for `name` as notes write it: itself, or the Greek letter it spells (`gamma`: γ)."""
    letters = [letter for letter, spelled in GREEK.items() if spelled == name]
    return "(?:" + "|".join(map(re.escape, [name, *letters])) + ")"


def _start(name: str, note_text: str) -> str | None:
    """The number the notes start a parameter at (`b_t starts at -1`, `b_t 初始化为 -1`, `b_t is initialised to
    -1`, `Init: b_t = -1`, `α=2, β=3 初始`, or later in its sentence: `a 是可学习参数，从 0 开始`); None when they say
    nothing of its start, "" when they say something else (`W starts orthogonal`)."""
    text = plain_symbols(note_text).replace("−", "-")  # `a = −2`: a minus sign
    said = re.search(rf"(?<![\w.]){_as_written(name)}(?![\w])[^。\n;；,，=]{{0,8}}?(?:is\s+|are\s+)?"
                     r"(?:starts?|started|initiali[sz]ed|init|初始|初值)"
                     r"(?P<rest>[^\n。;；]*)",
                     text)
    if said is None and (labelled := re.search(rf"(?im)(?:^\s*[-*]?|[.。;；])\s*(?:init(?:iali[sz]ation)?|初始化|初值)\s*[:：][^\n]*?"
                                               rf"(?<![\w.]){_as_written(name)}\s*=\s*{_NUMBER}", text)):
        return repr(float(labelled[1]))  # `Init: b_b = 1, b_a = 0`
    if said is None and (given := re.search(rf"(?<![\w.]){_as_written(name)}\s*=\s*{_NUMBER}(?=[^\n。;；()（）]{{0,16}}?"
                                            r"(?:初始|初值|\binit(?:ial(?:ly)?|iali[sz]ed)?\b))", text)):
        return repr(float(given[1]))  # `SRS(α=2, β=3 初始，可学)`: the values given, then said to be the start
    if said is None:
        later = re.search(rf"(?<![\w.]){_as_written(name)}(?![\w])[^。\n]*?(?:从\s*{_NUMBER}\s*开始|start(?:s|ing)?\s+(?:at|from)\s+"
                          rf"{_NUMBER}|初始(?:化)?(?:为|成|是)\s*{_NUMBER})", text)
        return repr(float(next(group for group in later.groups() if group))) if later else None
    if FIRST_BATCH_START.match(said[0]):
        return None  # started at the first batch's value: a value at the first step (note_program.py `_first_step_values`)
    value = re.match(rf"\s*(?:at|to|as|with|化|值|为|成|=|：|:|\s)*\s*(?:{_NUMBER}|(zero|零)(?![\w]))", said["rest"], re.IGNORECASE)
    return ("0.0" if value[2] else repr(float(value[1]))) if value else ""
