"""Constants the notes give a value and the code uses without defining them.

A small model often writes `beta1` in the update and forgets `beta1 = 0.9`, which the note states
as `β1 = 0.9`. Such a name is defined at the top of the code with the note's value, when the notes
give that name exactly one value (Greek letters read as their names: β1 is beta1, λ is lam or
lambda). Any other undefined name is left for the static check to report.
"""

from __future__ import annotations

import ast
import math
import re

from agentnotes.experiments.guards.autofix import Fix, spans_replaced
from agentnotes.experiments.guards.notation import greek_spelled, plain_symbols
from agentnotes.experiments.guards.static_check import undefined_names, unset_attribute_reads

# Names of the total number of training steps (`T_c = 0.5·T`: the harness's STEPS), and how notes say that a name is it: in words, or `T` on one line with
# the step `t` (`lr0 * (T - t)/C`, `min(1, t / (0.5*T))`).
TOTAL_STEP_NAMES = ("T", "T_max", "Tmax", "T_total", "total_steps", "num_steps", "n_steps", "max_steps", "STEPS")
_TOTAL_STEPS_SAID = re.compile(r"total (?:number of )?(?:training )?steps|总步数|训练总步数|总训练步数|"
                               r"(?<![\w.])T(?!\w)[^\n]{0,40}(?<![\w.])t(?!\w)|(?<![\w.])t(?!\w)[^\n]{0,40}(?<![\w.])T(?!\w)")
_SPELLED = {"epsilon": "eps", "lambda": "lam", "lambd": "lam", "lmbda": "lam"}
# A number as notes write it: 0.9, -1, .5, 1e-8.
NUMBER = r"-?(?:\d+\.?\d*|\.\d+)(?:[eE]-?\d+)?"
# A name given a number: the number ends the value (`n = 0.9·n + 0.1·‖g‖` gives n no value, `N = 100 steps` and
# `a = 1.0 (fixed, not learned)` do).
_ASSIGNMENT = re.compile(rf"(?<![\w.√/*·^])([A-Za-z_α-ωΑ-Ωϵ][\w]*)\s*(?:=|:=|←)\s*({NUMBER})"
                         r"(?!\w|\.\d|[ \t]*[\^*·×/+\-−⊙]|[ \t]*\((?!\s*[A-Za-z]{3,}[,;]?\s+[A-Za-z]{2,})|[ \t]+[A-Za-zα-ω]\w*[ \t]*[+\-−*/·^])")
# A fraction given as a name's value: `p = 1/8` (its decimal value is the name's), not `t = s/T` nor `a = 1/2·b`.
_FRACTION_GIVEN = re.compile(r"(?<=[=←])(\s*)(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)(?![\w.]|\s*[\^*·×/+\-−⊙(])")
# A number written with a power of ten: `10^{-3}`, `10^-3`, `2×10^{-4}`, `10⁻³`.
_POWER_OF_TEN = re.compile(r"(?<![\w.])(?:(\d+(?:\.\d+)?)\s*[×x*·]\s*)?10\s*\^\s*\{?\s*([-−]?\d+)\s*\}?(?![\w.])")
_SUPERSCRIPT_POWER = re.compile(r"(?<![\w.])10([⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)")
_SUPERSCRIPTS = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")
# Letters that name a formula's variables (an input, a target, a step, a gradient, a weight), not its
# constants: a number after one in prose is an example of its value, not the value.
_VARIABLES = frozenset({"x", "y", "z", "t", "g", "p", "w", "h"})
# Names of a point, never a constant: `At t=0 …`, `x=0 处导数连续` (the step, the input).
POINTS = frozenset({"t", "step", "x"})
# A value given in prose to a short name (a letter, maybe with an index): `k 取 5`, `k 取大一点（比如 5）`,
# `λ (e.g. 0.1)`; no Latin word may stand between the name and its value.
_GIVEN_IN_PROSE = re.compile(rf"(?<![\w.])([A-Za-zα-ωΑ-Ωϵ][A-Za-z0-9_]{{0,2}})(?![\w])\s*(?:取|设为|设成)?"
                             rf"[^。\n，,;；=（(A-Za-z]{{0,8}}?"
                             rf"(?:[（(]\s*(?:比如|例如|如|e\.g\.,?|say)\s*|(?<=取)\s*)({NUMBER})(?!\w|\.\d)")


# A constant given its value rounded: `λ ≈ 1.0507，α ≈ 1.6733` (a name alone before `≈`, not a formula's value said again
# as `b = −log(K−1) ≈ −2.2`; not on a line that says where parameters start).
_NEAR_VALUE = re.compile(rf"(?<![\w.√/*·^)\]}}=≈])\s*([A-Za-z_α-ωΑ-Ωϵ][\w]*)\s*≈\s*({NUMBER})(?!\w|\.\d|[ \t]*[\^*·×/+\-−⊙(])")


_STARTS_SAID = re.compile(r"初始|初值|\binit", re.IGNORECASE)  # "初始化：α ≈ 3.93 → a ≈ 4": where a parameter starts


# A list of baselines' label: `baseline：`, `Baselines:`, `基线：`, `对照：`.
BASELINE_LABEL = r"(?:(?<![\w])[Bb]aselines?|基线|对照组?)\s*[:：]\s*"
# A value said as a case, not the value chosen: `ν=0 就退化成 SGD`, `q=1 时是 MAE`, `when β = 0`, `if q = 1`,
# `with α = 0 this is plain momentum`, a point (`w = 0 附近`), the value a baseline runs at (`baseline：p = 2`).
# What another name equals in that case is no constant either: `t=1 时 g_prev = 0` (a start).
# The words that say a case is the baseline itself: "ρ = 1 就是普通 SGD", "k=1 时就退化成 heavy-ball", "κ = 0 is plain SGD".
_BASELINE_WORDS = r"就|退化|等价|recovers|reduces|\bis\s+(?:plain|ordinary|vanilla|standard|just|the baseline)\b"
CASE = re.compile(rf"(?:\b(?:when|if)\s+|当|若|如果|{BASELINE_LABEL})\s*[A-Za-zα-ωϵ]\w*\s*(?:=|→)\s*{NUMBER}"
                   rf"|(?<![\w.])[A-Za-zα-ωϵ]\w*\s*(?:=|→)\s*{NUMBER}\s*(?:(?:时|的时候)(?:\s*[，,]?\s*[A-Za-zα-ωϵ]\w*\s*=\s*{NUMBER})?"
                   rf"|附近|处(?!理)"
                   rf"|则|即|gives|(?:this|it|that)\s+(?:is|becomes)\b|becomes\b|{_BASELINE_WORDS})")

# A value said in brackets as one to try as well: `β₃=0.999（步数少时也试 β₃=0.99）`, `(also try λ = 1e-2)`; or in a
# clause of its own after the idea's value: `c = 2，也试 c = 1.5, 3`, `k = 4; also try k = 8`, `k ∈ {1, 2, 4}，外加 k = T`.
VARIANT_ASIDE = re.compile(r"[（(][^（）()\n]*(?:也试|也跑|也测|另试|另测|再试|再测|\balso (?:try|run|test)|\btry\b[^（）()\n]*\btoo\b|\balternatively|\bablat)[^（）()\n]*[）)]|"
                           r"[，,；;]\s*(?:也试|也跑|也测|另试|另测|再试|再测|外加|另加|also (?:try|run|test)\b)[^。；;（(\n]*",
                           re.IGNORECASE)


# A small constant the notes name without a value: by convention, this one (a norm of zero stays finite).
EPS = 1e-8
# A value the notes draw at random under ε's name (`ε ~ N(0, I)`): no small constant.
_EPS_DRAWN = re.compile(r"(?:ε|ϵ|\\(?:var)?epsilon|\beps(?:ilon)?)\s*(?:~|∼|\\sim)")


def compared_name(name: str) -> str:
    """A name as compared: Greek letters spelled out, lower case, without underscores (beta_1 is β1)."""
    spelled = greek_spelled(name).lower().replace("_", "")
    for word, short in _SPELLED.items():
        spelled = spelled.replace(word, short)
    return spelled


# The value a note says it uses of several it names: "原文 γ=1e-3 …；这里用 γ=0.02", "the paper uses 0.1; we use λ = 0.3".
_CHOSEN = re.compile(r"(?:(?:这里|此处|本实验|我们|我)\s*(?:用|取|改用|设为|选)|改用|\b(?:we|I) use|\bhere(?: we)? use)\s*"
                     rf"([A-Za-zα-ωΑ-Ωϵ][\w]*)\s*=\s*({NUMBER})(?!\w|\.\d)", re.IGNORECASE)

# The values a note sweeps a constant over: `λ ∈ {1e-4, 1e-3, 1e-2}`, `sweep γ in {0.005, 0.02, 0.1}`.
_SWEPT = re.compile(rf"(?<![\w.])([A-Za-zα-ωΑ-Ωϵ][\w]*)\s*(?:∈|\bin|(?:一起|也|同时)?\s*(?:扫|sweep(?:s|ed)?(?:\s+over)?)\s*[：:]?)"
                    rf"\s*\{{\s*({NUMBER}(?:\s*[,，]\s*{NUMBER})+)\s*\}}")  # `λ ∈ {…}`, `β₂ 一起扫：{…}`
# A sweep over pairs of values: `(γ, N) ∈ {(0.99, 1), (0.9, 10), (0.5, 100)}`.
_PAIRS_SWEPT = re.compile(rf"\(\s*([A-Za-zα-ωΑ-Ωϵ]\w*)\s*,\s*([A-Za-zα-ωΑ-Ωϵ]\w*)\s*\)\s*(?:∈|\bin)\s*\{{\s*"
                          rf"((?:\(\s*{NUMBER}\s*,\s*{NUMBER}\s*\)\s*[,，]?\s*){{2,}})\}}")


def _pairs_as_sweeps(match: re.Match[str]) -> str:
    """A sweep over pairs as one sweep per name: `γ ∈ {0.99, 0.9, 0.5}；N ∈ {1, 10, 100}`."""
    pairs = re.findall(rf"\(\s*({NUMBER})\s*,\s*({NUMBER})\s*\)", match[3])
    return "；".join(f"{name} ∈ {{{', '.join(pair[i] for pair in pairs)}}}" for i, name in enumerate(match.group(1, 2)))


# A logarithm of a number among a sweep's values: `a ∈ {0, 0.5, 1, log 10}`.
_LOG_OF_NUMBER = re.compile(r"\b(?:log|ln)\s*\(?\s*(\d+(?:\.\d+)?)\s*\)?")


def _is_variable(name: str) -> bool:
    """Whether `name` is one of the formulas' variables (`x`, `g_1`), whose number in prose is no constant's value."""
    return name.lower().rstrip("0123456789_") in _VARIABLES


# A case that is the baseline itself, or the value a listed baseline runs at.
_BASELINE_SAID = re.compile(rf"{_BASELINE_WORDS}|{BASELINE_LABEL}", re.IGNORECASE)


def _middle(sweep: list[str], key: str, cases: set[tuple[str, float]]) -> str:
    """The sweep's middle value, or the one after it (before it, at the end) where the middle is the baseline's."""
    index = len(sweep) // 2
    if (key, float(sweep[index])) in cases and len(sweep) > 1:
        index = index + 1 if index + 1 < len(sweep) else index - 1
    return sweep[index]


def note_constants(text: str) -> dict[str, str]:
    """Compared name -> the number the notes assign it, for the names given exactly one value (`β₁ = 0.9` and
    `$\\beta_1 = 0.9$` as `β1 = 0.9`; `λ = 10^{-3}` and `2×10⁻⁴` as 1e-3 and 2e-4, never 10; `p = 1/8` as 0.125); a value said as a case
    (`ν=0 就退化成 SGD`, `when q = 1`) or as one to try as well (VARIANT_ASIDE) is not the name's. A name the notes sweep over several values (`λ ∈ {1e-4, 1e-3,
    1e-2}`) takes the one they use of them (`这里用 γ=0.02`, or the first value they assign it), else its one value given outside
    the sweep but 0 (the setup's `kappa = 0.5` before a later sweep; the baseline's `λ = 0` switches the idea off), else
    the sweep's middle, or its neighbour where the notes call the middle the baseline (`ρ = 1 就是普通 SGD`)."""
    text = plain_symbols(text).replace("−", "-").replace("\\times", "×").replace("\\cdot", "·")  # 3\times10^{-3}
    text = _SUPERSCRIPT_POWER.sub(lambda m: "10^" + m[1].translate(_SUPERSCRIPTS), text)
    text = _POWER_OF_TEN.sub(lambda m: f"{m[1] or 1}e{m[2].replace('−', '-')}", text)
    text = _FRACTION_GIVEN.sub(lambda m: m[1] + repr(float(m[2]) / float(m[3])), text)
    cases = {(compared_name(name), float(number)) for case in CASE.finditer(text) if _BASELINE_SAID.search(case[0])
             for name, number in _ASSIGNMENT.findall(case[0])}  # `ρ = 1 就是普通 SGD`: the baseline's value
    text = _PAIRS_SWEPT.sub(_pairs_as_sweeps, CASE.sub(" ", VARIANT_ASIDE.sub(" ", text)))
    text = re.sub(r"\{[^{}\n]*\}", lambda braces: _LOG_OF_NUMBER.sub(lambda m: f"{math.log(float(m[1])):.4g}", braces[0]), text)
    values: dict[str, dict[str, None]] = {}  # the numbers of each name, in the order the notes say them
    prose = [(name, number) for name, number in _GIVEN_IN_PROSE.findall(text) if not _is_variable(name)]
    near = [(name, number) for line in text.splitlines() if not _STARTS_SAID.search(line)
            for name, number in _NEAR_VALUE.findall(line) if not _is_variable(name)]
    for name, number in _ASSIGNMENT.findall(text) + prose + near:
        if name not in POINTS:
            values.setdefault(compared_name(name), {})[number] = None
    chosen = {compared_name(m[1]): m[2] for m in _CHOSEN.finditer(text)}  # 原文 γ=1e-3 …，这里用 γ=0.02
    given = {key: chosen.get(key) if len(numbers) > 1 and chosen.get(key) in numbers else next(iter(numbers))
             for key, numbers in values.items() if len(numbers) == 1 or chosen.get(key) in numbers}
    for name, listed in _SWEPT.findall(text):
        if re.search(rf"(?<![\w.]){re.escape(name)}\s*=(?!=)[ \t]*(?![\d.\-\s])(?!{_LOG_OF_NUMBER.pattern})", text):
            continue  # a value the formulas compute (`a = |Σ sign(g)|/M`, then `a ∈ {0, 0.5, 1}`) is no constant
        key, sweep = compared_name(name), re.findall(NUMBER, listed)
        among = [n for n in [chosen.get(key), *values.get(key, ())] if n in sweep and (key, float(n)) not in cases]
        outside = {n for n in values.get(key, ()) if float(n) != 0 and (key, float(n)) not in cases}  # 0: the idea off
        given[key] = among[0] if among else outside.pop() if len(outside) == 1 else _middle(sweep, key, cases)
    return given


def define_note_constants(code: str, note_text: str) -> tuple[str, list[Fix]]:
    """The code with each undefined name the notes give one value defined at its top, and a name of the total
    number of steps (`T` where the notes write it beside the step t, as in `lr0 * (T - t)/C`) as the harness's STEPS."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    constants = note_constants(note_text)
    module_names = {n.id for stmt in tree.body if not isinstance(stmt, ast.FunctionDef | ast.ClassDef)
                    for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    on_self = [node for _, node in unset_attribute_reads(tree)
               if node.attr in module_names or compared_name(node.attr) in constants]
    undefined = {name for name, _ in undefined_names(tree)} | ({node.attr for node in on_self} - module_names)
    definitions = sorted(f"{name} = {constants[compared_name(name)]}  # from the notes"
                         for name in undefined if compared_name(name) in constants)
    if on_self:  # `self.k` a module never sets, the notes' constant k (or one the code defines): read as k
        code = spans_replaced(code, [(node, node.attr) for node in on_self])
        tree = ast.parse(code)
    if not _EPS_DRAWN.search(note_text):  # `/(‖g‖ + ε)` with no ε given: the usual small constant
        definitions += [f"{name} = {EPS}  # a small constant (the notes give no value)" for name in sorted(undefined)
                        if compared_name(name) == "eps" and "eps" not in constants]
    if _TOTAL_STEPS_SAID.search(note_text):
        definitions += [f"{name} = STEPS  # the total number of steps" for name in sorted(undefined & set(TOTAL_STEP_NAMES))
                        if compared_name(name) not in constants]
    read_as = [Fix(node.lineno, f"self.{node.attr}", f"{node.attr} (never set on self: the notes' constant)") for node in on_self]
    if not definitions:
        return (code, read_as) if read_as else (code, [])
    lines = code.splitlines()
    at = max((node.end_lineno for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)), default=0)
    lines[at:at] = definitions
    fixes = [Fix(at + 1 + n, "undefined", definition) for n, definition in enumerate(definitions)]
    return "\n".join(lines) + "\n", read_as + fixes
