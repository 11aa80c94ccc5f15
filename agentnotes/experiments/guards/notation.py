"""Math notation as notes write it, in the plain form the formula reader parses (guards/formula_lines.py).

Notes write one formula many ways: `v = βv + (1-β)g²`, `$m = \\beta m + (1-\\beta) g$`, `√v`,
`x ⊙ σ(x)`, `η₀ · 0.5^{⌊t/50⌋}`, `w_{t+1} = w_t - η g_t`, `‖W‖_F`, `‖W‖₂` (a matrix's spectral norm), `e^x`,
`max_{k≠y} z_k` (the largest wrong logit, as z_rival), `CE(z, y)` (the cross-entropy, as CE). `plain_formula` turns
them into one notation: Unicode letters and operators (`β`, `*`, `^`, `‖`), function calls with
brackets (`sqrt(v)`, `sigmoid(x)`, `floor(t/50)`, `exp(x)`, `log p` as `log(p)`), subscripts as name suffixes
(`η0`), marked letters as names (`x̃` as x_tilde), sums over one sample's entries (`Σ_k q_k log p_k` as
`sum_over(q*log(p))`), and,
in a formula written step by step (`w_{t+1}`, `m_{t-1}`), names without their time index (the reader's
states carry values from step to step). Anything it does not recognise is left as it was, so the
reader still refuses what it cannot read.
"""

from __future__ import annotations

import re
import unicodedata

# Greek letters as the formula reader spells them.
GREEK = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "eps", "ϵ": "eps", "η": "eta", "θ": "theta",
          "κ": "kappa", "λ": "lam", "μ": "mu", "ρ": "rho", "σ": "sigma", "τ": "tau", "ω": "omega", "ξ": "xi", "ν": "nu", "ζ": "zeta", "ψ": "psi", "χ": "chi",
         "Δ": "Delta"}


def greek_spelled(text: str) -> str:
    """`text` with each Greek letter spelled as GREEK has it (`θ_t` as theta_t, `2λ` as 2lam)."""
    return "".join(GREEK.get(ch, ch) for ch in text)

# The distributions a draw is written from: `ε ~ N(0, 1)`, `λ ~ Beta(α, α)`, `m ~ Bernoulli(0.8)`.
DRAW_FAMILIES = r"N|Beta|U|Uniform|Bernoulli|Bern"
# A letter with a mark over it names a value of its own: `x̃`, `ȳ`, `ŷ` as x_tilde, y_bar, y_hat.
_MARKS = {"\u0303": "_tilde", "\u0304": "_bar", "\u0302": "_hat", "\u0307": "_dot"}
_MARKED_LETTER = re.compile("([A-Za-z\u0370-\u03ff])([" + "".join(_MARKS) + "])")
# A letter with a prime names a value of its own, the changed one: `x' = x^γ`, `G' = G + μ·M` as x_prime, G_prime (not a
# derivative `f'(x)`, not a word's closing quote `'zeros'`).
_PRIMED_LETTER = re.compile(r"(?<![\w'])([A-Za-z\u0370-\u03ff])'(?![\w'(])")
# A letter marked with a raised sign, a name of its own: `η⁺`, `η⁻`, `Δ⁺` (not the inverse `Φ⁻¹`, not `x⁻²`).
_SIGNED_LETTER = re.compile(r"(?<![\w])([A-Za-z\u0370-\u03ff])([⁺⁻])(?![⁰¹²³⁴-⁹\w])")
# A matrix (a capital letter, maybe numbered) transposed: `Wᵀ`, `W₁ᵀ`, `W^T`, `W^{\top}` (as plain: `W^T`), `W⊤`.
_TRANSPOSED = re.compile(r"(?<![\w])([A-Z](?:_?\d+)?)\s*(?:ᵀ|⊤|\^\s*\{?\s*T\s*\}?(?![\w]))")
# A name with a star, as the value it tends to is written: `α*·(1 − …)`, `α* = 0.1` (not `a * b`, not `x**2`).
_STARRED = re.compile(r"(?<=[A-Za-z\u0370-\u03ff])\*(?=[ \t]*(?:[·×=),;，]|$))", re.MULTILINE)
# A running average named after what it averages: `E[g²]`, `E[Δx^2]` (a name of its own: E_g2, E_Δx2).
_EXPECTATION = re.compile(r"(?<![\w])E\[\s*([^\[\]=]{1,8}?)\s*\]")
# A sum sign with its index: `Σ`, `Σ_k`, `∑_{k}`, `Σ_{k=1}^{K}`, `Σ_{j≥1}`.
_SUM_SIGN = re.compile(r"[Σ∑](?:_\{?(?P<index>[a-z])(?:\s*(?:=|≥|>=)\s*\w+|(?P<excluded>\s*(?:≠|!=|\\neq?(?![a-z]))\s*y))?\}?"
                       r"(?:\^\{?\w+\}?)?)?\s*")
# Where a summand ends: a `+` or `-`, a comparison, a separator, prose in Chinese.
_SUMMAND_END = re.compile(r"[-+−=<>,;\u3000-\u9fff\uff00-\uffef]")
# The loss's gradient at the weights: `∇L(w_t)`, `∇_w L`, `∇f(θ)`, `∇ℓ`, `grad(loss(w, x, y), w)` (at another point,
# `∇L(w + e)`, it is not).
_GRADIENT_OF_LOSS = re.compile(r"∇\s*(?:_\{?\w+\}?\s*)?(?:L|f|J|ℓ|loss)(?:_\{?[A-Za-z]\w*\}?)?(?![A-Za-z0-9_])"
                               r"(?:\s*\(\s*(?:w|W|θ|theta|p|x)(?:_?\{?t\}?)?\s*\))?(?!\s*\()|"
                               # dL/dW, ∂ℓ/∂w[i, :], p.grad: the gradient as a derivative or as PyTorch names it
                               r"(?<![\w.])[d∂]\s*(?:L|ℓ|J|f|loss)(?:_\{?[A-Za-z]\w*\}?)?\s*/\s*[d∂]\s*(?:w|W|θ|theta|p)"
                               r"(?:_\{?\w+\}?)?(?:\[[^\]\n]*\])?(?![\w(])|(?<![\w.])(?:p|param|w|W)\.grad(?![\w(])|"
                               # grad(loss(w, x, y), w): autograd's gradient of the loss at the weights
                               r"(?<![\w.])(?:torch\.autograd\.)?grad\(\s*(?:L|f|ℓ|loss)(?:\([^()]*\))?\s*,\s*(?:w|W|θ|theta|p|params?)\s*\)")
# A function applied without brackets: `log p`, `exp z_k`, `log 2`.
_CALL_WITHOUT_BRACKETS = re.compile(r"(?<![\w.])(log|exp|sqrt|tanh|sigmoid)[ \t]+([A-Za-z_\u0370-\u03ff]\w*|\d+(?:\.\d+)?)(?![\w(.])")
# A function applied without brackets to a call (`log sigmoid(z)`, `log σ(z)` once σ is read): log(sigmoid(z)).
_CALL_OF_CALL = re.compile(r"(?<![\w.])(log|exp|sqrt|tanh|sigmoid)[ \t]+((?:log|exp|sqrt|tanh|sigmoid|softmax)\([^()]*\))")
# A positive part: `[x]₊`, `[x]_+`, `(x)^+`.
_POSITIVE_PART = re.compile(r"(?<![\w\])])[\[(]([^\[\]();,]*)[\])]\s*(?:₊|[_^]\s*\{?\s*\+\s*\}?)(?![\w(])")
# Square brackets that group a sum's terms (`Σ [ y·log p + (1−y)·log(1−p) ]`): not an index (`x[i]`), a
# concatenation (`[x; h]`), a list (`[1, 2]`) or a positive part (`[…]_+`).
_GROUPING_BRACKETS = re.compile(r"(?<![\w\])])\[([^\[\];,]*)\](?![_^])")
# An entry's index, dropped on a line that indexes nothing else: `θᵢ ← θᵢ − sign(gᵢ)·Δᵢ` is the same rule for every
# entry (with `xⱼ` on the line, `xᵢ` names one sample of a pair and stays).
# σ with an index before its bracket (`σᵢ(H)`, `σ_1(W)`, `σ_max(W)`): a singular value of a matrix, not σ(x).
_INDEXED_SIGMA = re.compile(r"σ\s*(?:[ᵢⱼₖ₀-₉]+|_\{?(?:[ijk]|\d+|max|min)\}?)\s*\(")
_ELEMENT_INDEX = re.compile(r"(?<=[\w\u0370-\u03ff\u2070-\u209f])ᵢ")
_ROW_NORM = re.compile(r"‖\s*[A-Za-z\u0370-\u03ff]\w*ᵢ\s*‖")  # `‖wᵢ‖`: the norm of row i (a number has none)
_LETTER_SUBSCRIPTS = {"ₖ": "k", "ₙ": "n", "ₘ": "m", "ₗ": "l"}
_SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉ₜᵢⱼ", "0123456789tij")
_SYMBOLS = {"⊙": "*", "∘": "*", "⋅": "*", "∗": "*", "÷": "/", "²": "^2", "³": "^3", "⌊": "floor(", "⌋": ")",
            "⌈": "ceil(", "⌉": ")", "∥": "‖",
            "ˣ": "^x", "ᵗ": "^t", "ᵏ": "^k", "ⁿ": "^n", "½": "(1/2)", "¼": "(1/4)", "¾": "(3/4)", "⅓": "(1/3)"}
_LATEX_GREEK = {**{spelled: letter for letter, spelled in GREEK.items()}, "epsilon": "ε", "varepsilon": "ε",
                "lambda": "λ", "pi": "π", "nabla": "∇"}
_LATEX_WORDS = {"cdot": "*", "times": "*", "odot": "*", "circ": "*", "ast": "*", "leftarrow": "←", "gets": "←",
                "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "left": "", "right": "", "Rightarrow": "⇒", "implies": "⇒", "ln": "log", "log": "log",
                "exp": "exp", "tanh": "tanh", "max": "max", "min": "min", "cos": "cos", "sin": "sin", "sum": "Σ", "lVert": "‖", "rVert": "‖",
                "lfloor": "floor(", "rfloor": ")", "lceil": "ceil(", "rceil": ")", "operatorname": "", "mathrm": "",
                "text": "", "quad": " ", "qquad": " ", ",": " ", ";": " ", "ell": "ℓ", "top": "T", "intercal": "T",
                "big": "", "Big": "", "bigg": "", "Bigg": "", "bigl": "", "bigr": "", "Bigl": "", "Bigr": "",
                **{size: "" for size in ("big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr")}}
_LATEX_COMMAND = re.compile(r"\\([A-Za-z]+|[,;|])")
# A step-by-step formula: a name indexed by the next or the previous step.
STEP_INDEXED = re.compile(r"_\{?\s*t\s*[+-]\s*1\s*\}?")
# A name indexed by a step further back: `g_{t-2}`, `g_{t−3}` (a value kept k steps, written NAME_prevK).
_STEPS_BACK = re.compile(r"(?<![\w])([\w\u0370-\u03ff]+?)_\{\s*t\s*-\s*([2-9])\s*\}")
# One name read at the step and at the step before: `θ_t − θ_{t-1}`, `g_{t-1} … g_t`.
_TWO_STEPS_OF_ONE_NAME = re.compile(r"(?<![\w])([\w\u0370-\u03ff]+)_\{?\s*t\s*\}?(?![\w+-])[^\n]*(?<![\w])\1_\{?\s*t\s*-\s*1\s*\}?"
                                    r"|(?<![\w])([\w\u0370-\u03ff]+)_\{?\s*t\s*-\s*1\s*\}?[^\n]*(?<![\w])\2_\{?\s*t\s*\}?(?![\w+-])")
_TIME_INDEX = re.compile(r"(?<=[\w\u0370-\u03ff\u0300-\u036f}])_(?:\{\s*t\s*(?:[+-]\s*1\s*)?\}|t(?:[+-]1)?)(?![A-Za-z0-9_\u0370-\u03ff])")
# Two factors side by side: a Greek letter or a closing bracket, then a one-letter name (g, g_t, W2), a bracket,
# a function applied (`λ sqrt(v)`) or a norm (`λ/2 ‖W‖²`).
_SIDE_BY_SIDE = re.compile(r"([\u0370-\u03ff]\w*|\))[ \t]+(?=(?:[A-Za-z](?:_\w+|\d+)?|[\u0370-\u03ff]\w*)(?![\w(])|\(|"
                           r"[A-Za-z_]+\(|‖)")
# A one-letter name before a function it multiplies: `q log(p)`, `y_k exp(z)`; or before a Greek letter: `k_l σ_l`.
_NAME_BEFORE_CALL = re.compile(r"(?<![\w.])([A-Za-z](?:_\w+|\d+)?)[ \t]+(?=(?:log|exp|sqrt|tanh|sigmoid|sin|cos|abs|relu)\(|"
                               r"[\u0370-\u03ff])")


# The largest logit of a wrong class: `max_{k ≠ y} z_k`, `\max_{j \neq y} z_j` (read as z_rival).
_RIVAL = re.compile(r"\\?max_\{?\s*([a-z])\s*(?:≠|!=|\\neq?)\s*y\s*\}?\s*(z|logits)_\{?\1\}?(?![\w])")

# The cross-entropy of the outputs and the targets, written as a call: `CE(z, y)`, `F.cross_entropy(logits, y)`.
_CROSS_ENTROPY_CALL = re.compile(r"(?<![\w.])(?:(?:torch\.)?(?:nn\.)?(?:functional|F)\.)?(?:CE|L_?CE|cross_?entropy|xent)\s*\("
                                 r"\s*(?:z|logits|out|output|ŷ|y_hat|p)\s*,"
                                 r"\s*(?:y|target|labels?)\s*\)", re.IGNORECASE)


_LATEX_FONT = re.compile(r"\\(?:mathcal|mathbf|mathit|mathsf|mathbb|boldsymbol|bm)\s*\{\s*([A-Za-z1]\w*)\s*\}")
# An indicator of one comparison: `𝟙[g ⊙ w < 0]`, `1[z ≥ c]`, `\mathbb{1}[\, x > 0 \,]` (1 where it holds, else 0).
_INDICATOR = re.compile(r"(?<![\w.])[1𝟙]\s*\[\s*([^\[\]<>≤≥=]+?)\s*(<=|>=|<|>|≤|≥)\s*([^\[\]<>≤≥=]+?)\s*\]")
# A value that is 1 where two values differ, in brackets after its `=`: `flip = (sign(g) != sign(g_prev))`.
_UNEQUAL_VALUE = re.compile(r"(?<==)(?=\s*\()\s*\(\s*((?:[^()=!≠\n]|\([^()\n]*\))+?)\s*(?:!=|≠)\s*((?:[^()=!≠\n]|\([^()\n]*\))+?)\s*\)")
_COMPARED = {"<": "lt", "<=": "le", "≤": "le", ">": "gt", ">=": "ge", "≥": "ge"}
NAMED_FUNCTION = re.compile(r"(?<![\w.])(ReLU|Relu|Tanh|Sigmoid|Softplus|Softmax|Exp|Log)\s*\(")
ASCII_ARROW = re.compile(r"(?<=\s)<-(?=\s)")
# A mean or median over an index written as a subscript, of a name carrying that index or none (`mean_i r_i`,
# `mean_{i} r`, `median_j z_j`), or of an absolute value (`median_j |z_j − m|`).
_INDEXED_MEAN = re.compile(r"(?<![\w.])(mean|median)_\{?([a-z])\}?\s+([A-Za-z_\u0370-\u03ff][\w\u0300-\u036f]*?)(?:_\2)?(?![\w])")
_INDEXED_MEAN_OF_ABS = re.compile(r"(?<![\w.])(mean|median)_\{?([a-z])\}?\s*\|([^|\n]+)\|")
INNER_PRODUCT = re.compile(r"[<⟨]\s*((?:∇\s*)?[A-Za-z_\u0370-\u03ff][\w\u0300-\u036f]*)\s*,\s*((?:∇\s*)?[A-Za-z_\u0370-\u03ff][\w\u0300-\u036f]*)\s*[>⟩]")
# A product of two tensors in brackets beside a name: `(g·u)·g`, `u·(u·g)`. When the name is one of the two, the
# bracket scales it (a projection onto a direction) and is their inner product; `(g·g)`, `(g·u)·v` stay entry-wise.
_NAME = r"(?:∇\s*)?[A-Za-z\u0370-\u03ff][\w\u0300-\u036f]*"  # a name (marked: `m̂`), or the gradient of one (`∇f`)
_PROJECTED = re.compile(rf"(?:(?<![\w])(?P<before>{_NAME})\s*[·⋅*]?\s*)?\(\s*(?P<a>{_NAME})\s*[·⋅]\s*(?P<b>{_NAME})\s*\)"
                        rf"(?=(?:\s*[·⋅*]?\s*(?P<after>{_NAME})(?![\w]))?)")


# The count of a top-k selection given by name inside its call: `topk(|e|, k = ⌈p·numel⌉)`.
_TOPK_COUNT_NAMED = re.compile(r"(?<![\w.])(topk\s*\([^()=,]+(?:\([^()]*\)[^()=,]*)*,)\s*k\s*=(?!=)")


def plain_products_and_counts(text: str) -> str:
    """`text` with the products and counts a formula writes in other ways made plain: each bracketed product of two
    tensors that scales one of them written as their inner product
    (`u + γ·(g·u)·g` as `u + γ·⟨g, u⟩·g`, `u·(u·g)` as `u·⟨u, g⟩`), and a top-k count named in its call given plainly
    (`topk(|e|, k = n)` as `topk(|e|, n)`): the products and calls a line may hold without being two assignments."""
    def inner(m: re.Match[str]) -> str:
        if m["a"] == m["b"] or not {m["before"], m["after"]} & {m["a"], m["b"]}:
            return m[0]
        before_bracket = m[0][:m.start("a") - m.start()].rsplit("(", 1)[0]
        return f"{before_bracket}⟨{m['a']}, {m['b']}⟩"
    return _TOPK_COUNT_NAMED.sub(r"\1 ", _PROJECTED.sub(inner, text))


# Mathematical alphanumeric symbols (`𝓛`, `𝐖`, `𝑥`, `𝔼`, `𝟙`): styled letters and digits, read as the plain ones.
_STYLED_LETTER = re.compile("[\U0001D400-\U0001D7FF]")


def plain_letters(text: str) -> str:
    """`text` with its styled mathematical letters and digits written plainly (`𝓛 = CE + λ·R` as `L = CE + λ·R`),
    except a letter the text also uses plainly as a name of its own (`𝓛 = CE + λ·R/L`: 𝓛 and L differ)."""
    plain = {styled: unicodedata.normalize("NFKC", styled) for styled in set(_STYLED_LETTER.findall(text))}
    kept = {styled for styled, letter in plain.items() if re.search(rf"(?<![\w]){re.escape(letter)}(?![\w])", text)}
    return _STYLED_LETTER.sub(lambda m: m[0] if m[0] in kept else plain[m[0]], text)


# A layer index written with the script ℓ: `W_ℓ`, or in brackets after a name, `n₀(ℓ)` (the layer's n₀).
_SCRIPT_L_INDEX = re.compile(r"(?<=_)ℓ(?![\w])|(?<=[A-Za-z0-9_\u0370-\u03ff\u2080-\u2089])\(\s*ℓ\s*\)")
# The value at the start written as a bracketed superscript: `W⁽⁰⁾`, the weights at initialisation.
_AT_ZERO_SUPERSCRIPT = re.compile(r"(?<=[\w\u2080-\u2089])(_ℓ)?⁽⁰⁾")


def letter_subscripts(text: str) -> str:
    """`text` with its subscript letters written as indices (`Σₖ qₖ` as `Σ_k q_k`, `W_ℓ` and `n₀(ℓ)` as `W_l`
    and `n₀_l`, `W⁽⁰⁾` as `W_0`)."""
    text = _AT_ZERO_SUPERSCRIPT.sub(lambda m: "_0" + (m[1] or ""), text)  # before the layer index: `W_ℓ⁽⁰⁾` as `W_0_l`
    text = _SCRIPT_L_INDEX.sub(lambda m: "l" if m[0] == "ℓ" else "_l", text)
    return re.sub("([ₖₙₘₗ])", lambda m: "_" + _LETTER_SUBSCRIPTS[m[1]], text)


# A norm written with `||` and a subscript or power after it: `||g||₂²`, `||w||²`.
_SUBSCRIPTED_BARS = re.compile(r"\|\|([^|\n]+)\|\|(?=[₀-₉²])")


# A mean over several indices, each sample's and unit's (`mean_{b, j} relu(|z| − c)²`, `mean_{样本, 单元} …`), of a call:
# the mean of all its entries.
_MEAN_OVER_INDICES = re.compile(r"(?<![\w.])(mean|median)_\{([^{}\n]*(?:,|，)[^{}\n]*)\}\s*(?=[A-Za-z_]\w*\s*\()")
_POWER_AFTER = re.compile(r"\s*(?:[²³]|\^\s*\{?\s*\d+\s*\}?)")


def _closing(text: str, start: int, opening: str, closing: str) -> int | None:
    """The index of the bracket that closes the one at `start`, or None when the text never closes it."""
    depth = 0
    for index in range(start, len(text)):
        depth += 1 if text[index] == opening else -1 if text[index] == closing else 0
        if depth == 0:
            return index
    return None


def _means_over_indices(text: str) -> str:
    """Each mean over several indices of a call (`mean_{b, j} relu(|z| − c)²`) as the mean of the call, its power
    included (`mean(relu(|z| − c)²)`)."""
    while match := _MEAN_OVER_INDICES.search(text):
        end = _closing(text, text.index("(", match.end()), "(", ")")
        if end is None:
            return text  # unbalanced: left as written
        end += 1
        power = _POWER_AFTER.match(text, end)
        end = power.end() if power else end
        text = f"{text[:match.start()]}{match[1]}({text[match.end():end]}){text[end:]}"
    return text


def plain_formula(text: str) -> str:
    """`text` with the notations above written plainly; the rest unchanged."""
    text = _means_over_indices(_RIVAL.sub(lambda m: f"{m[2]}_rival", text))
    text = ASCII_ARROW.sub("←", text)  # m <- β m + g: an assignment written in ASCII
    text = _STARRED.sub("_star", text)  # α*·x, α* = 0.1: a name of its own, not a product
    text = INNER_PRODUCT.sub(r"dot(\1, \2)", plain_products_and_counts(text))  # <g, m>, ⟨g, m⟩: the inner product of two tensors
    text = "\n".join(map(_norms_beside_inner_product, text.split("\n")))
    text = _LATEX_FONT.sub(r"\1", text)  # \mathcal{L}, \mathbf{W}: the letter itself
    text = NAMED_FUNCTION.sub(lambda m: m[1].lower() + "(", text)  # ReLU(…), Tanh(…): the functions as formulas write them
    text = re.sub(r"\\Delta\s+(?=[A-Za-z])", "Δ", text)  # `\Delta W_l`: LaTeX's increment, spaced as LaTeX needs
    text = re.sub(r"Δ(?=[A-Za-z\u0370-\u03ff])", "Delta_", text)  # Δθ, Δg: the change of a value, one name
    text = _INDEXED_SIGMA.sub("singular_value(", text)  # σᵢ(H), σ_max(W): a singular value, no logistic function
    text = _SUBSCRIPTED_BARS.sub(r"‖\1‖", text).replace("‖²₂", "‖₂²")  # ||g||₂ as ‖g‖₂; ‖ŷ‖²₂ as ‖ŷ‖₂²
    text = letter_subscripts(text)
    text = "\n".join(line if "ⱼ" in line else _ELEMENT_INDEX.sub("_i" if _ROW_NORM.search(line) else "", line)
                     for line in text.split("\n"))  # `‖wᵢ‖`: the norm of a row, so ᵢ indexes rows
    text = _EXPECTATION.sub(lambda m: "E_" + re.sub(r"\W", "", m[1].translate(_SUBSCRIPTS).replace("²", "2")), text)
    text = _sums_as_calls(latex_spacing(text.replace("$", "").replace("\\sum", "Σ")))  # `\sum_k a_k\, b_k`: one summand
    text = _INDEXED_MEAN.sub(r"\1(\3)", _INDEXED_MEAN_OF_ABS.sub(r"\1(abs(\3))", text))  # mean_i r_i: the mean over the index
    text = without_time_indices(text)
    text = _MARKED_LETTER.sub(lambda m: m[1] + _MARKS[m[2]], unicodedata.normalize("NFD", text))
    text = _PRIMED_LETTER.sub(r"\1_prime", text)
    text = _signs_named(text)
    text = re.sub(r"([₀-₉])(?=[A-Za-z])", r"\1 ", text)  # W₁x: a subscripted name, then what it multiplies
    text = _CROSS_ENTROPY_CALL.sub("CE", _latex_to_plain(text).translate(_SUBSCRIPTS))
    text = "\n".join(map(_transposes_named, text.split("\n")))
    for old, new in _SYMBOLS.items():
        text = text.replace(old, new)
    text = _powers_of_calls(text)
    text = re.sub(r"√\s*(\(|[\w\u0370-\u03ff]+)", lambda m: "sqrt(" if m[1] == "(" else f"sqrt({m[1]})", text)
    text = re.sub(r"(?<![\w.])e\s*\^\s*(\([^()]*\)|[\w\u0370-\u03ff]+)", r"exp(\1)", text)  # e^x, e^(...)
    text = re.sub(r"(?<![\w.])ln(?=\s*\(|[ \t]+\w)", "log", text)  # ln(x), ln 2
    text = re.sub(r"(?<![\w.])med\s*\(", "median(", text)  # med(a, b, c): the median
    text = re.sub(r"σ\s*\(", "sigmoid(", text)  # σ(x): the logistic function
    text = re.sub(r"Φ\s*(?:\^\s*[{(]?\s*[-−]\s*1\s*[})]?|⁻¹)\s*\(", "ndtri(", text)  # Φ⁻¹(u): the inverse normal CDF
    text = re.sub(r"Φ\s*\(", "ndtr(", text)  # Φ(x): the standard normal CDF
    text = _GRADIENT_OF_LOSS.sub("g", text)  # ∇L(w), ∇_θ L: the gradient the hook is given
    text = _CALL_WITHOUT_BRACKETS.sub(r"\1(\2)", text)  # log p, exp z
    text = _CALL_OF_CALL.sub(r"\1(\2)", text)
    text = _POSITIVE_PART.sub(r"relu(\1)", text)  # [1 − a·g²]₊: the positive part
    text = _GROUPING_BRACKETS.sub(r"(\1)", text)
    text = re.sub(r"one[-_]?hot\s*\(\s*y\s*\)", "onehot_y", text, flags=re.IGNORECASE)  # a class index as a one-hot row
    text = re.sub(r"‖\s*(W\w*)\s*‖_?\{?2\}?(?![\w.])", r"specnorm(\1)", text)  # ‖W‖₂: a matrix's spectral norm
    text = re.sub(r"‖([^‖]+)‖_?\{?[2F]?\}?", r"‖\1‖", text)  # ‖W‖_F, ‖g‖_2: the norm over every entry
    text = re.sub(r"(?<=[\w\u0370-\u03ff])_?∞", "_inf", text)  # ρ∞, ρ_∞: a name of its own
    text = re.sub(r"(?<![A-Za-z_\u0370-\u03ff])([A-Za-z])(?=[\u0370-\u03ff])", r"\1*", text)  # 2tβ: t times β
    text = re.sub(r"([\u0370-\u03ff)])(?=[A-Za-z\u0370-\u03ff(])(?!\([^()]*\)\s*=(?!=))", r"\1*", text)  # βv, (1-β)g: products; η(t) = …: η's formula
    text = re.sub(r"\)(?=\()", ")*", text)  # (a - b)(1 + c): a product
    text = re.sub(r"(?<![\w.])(\d+(?:\.\d+)?)(?![eE][-+]?\d)[ \t]*(?=[A-Za-z](?!\w))", r"\1*", text)  # 1.702x, 0.1 x, not 1e-6
    text = re.sub(r"(?<![\w.])(\d+(?:\.\d+)?)(?=(?:sqrt|exp|log)\()", r"\1*", text)  # 2√2, 2e^x: a number times a call
    text = _INDICATOR.sub(lambda m: f"{_COMPARED[m[2]]}({m[1]}, {m[3]})", text)
    text = _UNEQUAL_VALUE.sub(r"ne(\1, \2)", text)
    return _NAME_BEFORE_CALL.sub(r"\1*", _SIDE_BY_SIDE.sub(r"\1*", text))


def _norms_beside_inner_product(line: str) -> str:
    """`line` with the lengths of the tensors it takes an inner product of written as norms, side by side a product:
    `dot(g, m) / (|g| |m|)` is the cosine of g and m, `dot(g, m) / (‖g‖ ‖m‖)` the same."""
    for name in {name for pair in re.findall(r"dot\((\w+), (\w+)\)", line) for name in pair}:
        line = re.sub(rf"\|\s*{name}\s*\|", f"‖{name}‖", line)
    return re.sub(r"(‖[^‖\n]+‖)[ \t]*(?=‖)", r"\1*", line) if "dot(" in line else line


def latex_marks(text: str) -> str:
    """`text` with each letter LaTeX marks written as a name of its own: `\\hat{y}`, `\\hat y` as y_hat, `\\hat\\eta`
    as η_hat (so `\\hat m_t` is no step of m)."""
    text = re.sub(r"\\(hat|tilde|bar)\s*\{?\s*([A-Za-z])\s*\}?", r"\2_\1", text)
    return re.sub(r"\\(hat|tilde|bar)\s*\{?\s*\\([a-z]+)\s*\}?",
                  lambda m: f"{_LATEX_GREEK[m[2]]}_{m[1]}" if m[2] in _LATEX_GREEK else m[0], text)


def without_time_indices(text: str) -> str:
    """In a formula written step by step (`w_{t+1}`, `m_{t-1}` somewhere in `text`), every name without its time
    index (`m_t`, `g_t²`), also on the lines that index no other step (`m̂ = m_t/(1-β1^t)`). Where a formula
    reads one name at two steps (`Δθ_t = θ_t − θ_{t-1}`), its value at the step before is NAME_prev (`θ − θ_prev`)."""
    text = _steps_plain(text)
    if not STEP_INDEXED.search(text) and not _STEPS_BACK.search(text):
        return text
    return _TIME_INDEX.sub("", "\n".join("".join(map(_previous_named, re.split(r"(?<=[，；;])|(?<=\$,)", line)))
                                         for line in text.split("\n")))


def written_in_place(formulas: str) -> str:
    """An update rule's formulas written in place (`u_t = sign(g_t)·…`, then `w ← w − η·u_t`), with every name at this
    step: their time indices dropped (formulas written step by step are read by without_time_indices)."""
    formulas = _steps_plain(formulas)
    in_place = "←" in formulas or ASCII_ARROW.search(formulas) or "\\leftarrow" in formulas
    step_by_step = STEP_INDEXED.search(formulas) or _STEPS_BACK.search(formulas)
    return _TIME_INDEX.sub("", formulas) if in_place and not step_by_step else formulas


def _steps_plain(text: str) -> str:
    """`text` with LaTeX's marks plain and a step before written with a minus sign (`m_{t−1}`) as `m_{t-1}`."""
    return re.sub(r"(_\{\s*t\s*)−(?=\s*\d\s*\})|(_t)−(?=1(?!\d))", r"\1\2-", latex_marks(text))


def _previous_named(line: str) -> str:
    """`line` (one formula: a line's formulas are split at "，", ";" and between math spans, "$, $") with each name its right-hand side reads at
    the step and at the step before, at the step before, written NAME_prev (`d_t = g_t − g_{t-1}`: `d_t = g_t − g_prev`)."""
    assigned = re.search(r"←|=", line)  # `w ← w − η·(2·g_t − g_{t-1}) = …`: what the first arrow or `=` assigns
    left, equals, right = (line[:assigned.start()], assigned[0], line[assigned.end():]) if assigned else ("", "", line)
    for name in dict.fromkeys(found[1] for found in _STEPS_BACK.finditer(right)):  # g_{t-2}: g_prev2, and g_{t-1}: g_prev
        right = _STEPS_BACK.sub(lambda m: f"{m[1]}_prev{m[2]}" if m[1] == name else m[0], right)
        right = re.sub(rf"(?<![\w]){re.escape(name)}_\{{?\s*t\s*-\s*1\s*\}}?", f"{name}_prev", right)
    while found := _TWO_STEPS_OF_ONE_NAME.search(right):
        name = found[1] or found[2]
        right = re.sub(rf"(?<![\w]){re.escape(name)}_\{{?\s*t\s*-\s*1\s*\}}?", f"{name}_prev", right)
    return left + equals + right


# A piecewise formula in LaTeX: `f(x) = \begin{cases} x, & x > 0 \\ -α log(1 - x), & x \le 0 \end{cases}`.
_CASES = re.compile(r"(?P<target>[^=\n]*=)\s*\\begin\{cases\}(?P<rows>.*?)\\end\{cases\}", re.DOTALL)
_CASE_WORDS = re.compile(r"\\(?:text|mathrm)\{\s*(?:if|when|for)?\s*\}|\b(?:if|when|for)\b", re.IGNORECASE)
_OTHERWISE_ROW = re.compile(r"^\s*(?:\\(?:text|mathrm)\{\s*)?(?:otherwise|else|否则|其他)\s*\}?\s*$", re.IGNORECASE)


_LATEX_COMPARISONS = {"le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "lt": "<", "gt": ">", "ne": "≠", "neq": "≠"}


# The cases of one value said on one line: `f(x) = x for x ≥ 0, exp(x) − 1 for x < 0`, `f(x) = x, x ≥ 0; f(x) = …, x < 0`,
# `x ≥ 0 时 f(x) = x，x < 0 时 f(x) = exp(x) − 1`, `… if x ≥ 0, … otherwise`.
_ONE_LINE_TARGET = re.compile(r"^(?P<lead>\s*(?:[-*]\s*)?)(?P<target>[A-Za-z\u0370-\u03ff][\w\u0370-\u03ff]*(?:\([^()=\n]*\))?)\s*=(?!=)\s*")
_CONDITION_ONLY = r"[^,，;；=<>≤≥\n]{1,24}[<>≤≥]=?[^,，;；=<>≤≥\n]{1,24}"
_PIECE_FORMS = (re.compile(rf"^(?P<value>.+?)\s+(?:for|when|if)\s+(?P<condition>{_CONDITION_ONLY})$", re.IGNORECASE),
                re.compile(rf"^(?P<value>.+?)\s*[,，]\s*(?P<condition>{_CONDITION_ONLY})$"),
                re.compile(r"^(?P<value>.+?)\s+(?P<otherwise>otherwise)$|^(?:otherwise|否则|其他情况)\s*[,，]?\s*(?P<value2>.+)$",
                           re.IGNORECASE))
_PIECE_BREAK = re.compile(r"\s*(?:[;；]|[,，](?:\s*and\b)?|\band\b)\s*", re.IGNORECASE)
_SEMICOLON = re.compile(r"\s*[;；]\s*")


def _top_level_split(text: str, separator: re.Pattern[str]) -> list[str]:
    """The parts of `text` between the separators outside brackets; empty when there is no such separator."""
    pieces, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += 1 if char in "([{（" else -1 if char in ")]}）" else 0
        if depth == 0 and i >= start and (found := separator.match(text, i)) and found.end() > i:
            pieces.append(text[start:i])
            start = found.end()
    return [piece for piece in pieces + [text[start:]] if piece.strip()] if pieces else []


def _cases_on_one_line(line: str) -> str:
    """`line` as one line per case when it says two or more cases of one value (_ONE_LINE_TARGET), each case's condition
    in brackets and a case that holds otherwise followed by `，otherwise`; unchanged where any piece does not read so."""
    condition_first = re.match(rf"^(?P<lead>\s*(?:[-*]\s*)?)(?P<condition>{_CONDITION_ONLY})\s*时\s*", line)
    head = _ONE_LINE_TARGET.match(line[condition_first.end():] if condition_first else line)
    if not head:
        return line
    target, lead = head["target"], (condition_first or head)["lead"]
    body = line[len(lead):].strip().rstrip("。.")
    pieces = _top_level_split(body, _SEMICOLON) or _top_level_split(body, _PIECE_BREAK)
    same_target = re.compile(rf"^{re.escape(target)}\s*=(?!=)\s*")
    cases = []
    for piece in pieces:
        piece = piece.strip()
        first = re.match(rf"^(?P<condition>{_CONDITION_ONLY})\s*时\s*", piece)
        rest = same_target.sub("", piece[first.end():] if first else piece)
        if first:
            cases.append((rest.strip(), first["condition"].strip()))
            continue
        read = next((m for form in _PIECE_FORMS if (m := form.match(rest))), None)
        if read is None:
            return line
        groups = read.groupdict()
        value = groups.get("value") or groups.get("value2")
        condition = None if groups.get("otherwise") or groups.get("value2") else groups["condition"]
        cases.append((value.strip(), condition and condition.strip()))
    if len(cases) < 2 or not any(condition for _, condition in cases):
        return line
    return "\n".join(f"{lead}{target} = {value}" + (f"（{condition}）" if condition else "，otherwise") for value, condition in cases)


def cases_as_lines(text: str) -> str:
    """`text` with each LaTeX cases formula, and each line that says several cases of one value (_cases_on_one_line),
    written as one line per case, its condition in brackets (`f(x) = x（x > 0）`), a case that holds otherwise followed
    by `，otherwise`; rows it cannot split stay as they were."""
    def lines(match: re.Match[str]) -> str:
        out = []
        for row in (r for r in re.split(r"\\\\(?:\[[^\]]*\])?", match["rows"]) if r.strip()):  # `\\[6pt]`: a row's end
            value, _, condition = row.partition("&")
            condition = re.sub(r"\\(leq?|geq?|lt|gt|neq?)(?![A-Za-z])", lambda m: _LATEX_COMPARISONS[m[1]], condition)
            value, condition = value.strip().rstrip(",，").strip(), _CASE_WORDS.sub(" ", condition).strip().rstrip(".,，")
            if not value or not condition:
                return match[0]
            out.append(f"{match['target']} {value}，otherwise" if _OTHERWISE_ROW.match(condition)
                       else f"{match['target']} {value}（{condition.strip()}）")
        return "\n".join(out)
    return "\n".join(map(_cases_on_one_line, _CASES.sub(lines, text).split("\n")))


def latex_as_plain(text: str) -> str:
    """`text` with its LaTeX written plainly and its `$` left out, sums and their indices kept
    (`\\sum_i |w^{(l)}_i|` as `Σ_i |w_i|`): for readers that handle the sums themselves."""
    return _latex_to_plain(_means_over_indices(text)).replace("$", "")


def plain_symbols(text: str) -> str:
    """`text` with only its symbols made plain (LaTeX Greek letters, subscript digits, no `$`), so that prose
    around them keeps its form: `$\\beta_1 = 0.9$` and `β₁ = 0.9` read as `β_1 = 0.9` and `β1 = 0.9`."""
    text = re.sub(r"\\([A-Za-z]+)", lambda m: _LATEX_GREEK.get(m[1], m[0]), _STARRED.sub("_star", text.replace("$", "")))
    text = _signs_named(text)
    return re.sub(r"_\{(\w+)\}", r"_\1", text).translate(_SUBSCRIPTS)


def _transposes_named(line: str) -> str:
    """`line` with each matrix transposed (`Wᵀ`, `W^T`) named W_T; on such a line of matrix algebra, a matrix before a
    bracket multiplies it (`W(WᵀW − I)`), no function applied."""
    if not _TRANSPOSED.search(line):
        return line
    return re.sub(r"(?<![\w])([A-Z](?:_?\d+)?)\(", r"\1 (", _TRANSPOSED.sub(r"\1_T ", line))


def _signs_named(text: str) -> str:
    """`η⁺`, `η⁻` as the names `η_plus`, `η_minus`."""
    return _SIGNED_LETTER.sub(lambda m: m[1] + ("_plus" if m[2] == "⁺" else "_minus"), text)


def _powers_of_calls(text: str) -> str:
    """`sin^2(a*x)` (a function's power written before its argument, `sin²(ax)`) as `(sin(a*x))^2`."""
    while match := re.search(r"(?<![\w])([a-z]{2,})\^(\d)\s*\(", text):
        depth, end = 0, match.end() - 1
        for end in range(match.end() - 1, len(text)):
            depth += {"(": 1, ")": -1}.get(text[end], 0)
            if depth == 0:
                break
        if depth:
            return text
        text = f"{text[:match.start()]}({match[1]}{text[match.end() - 1:end + 1]})^{match[2]}{text[end + 1:]}"
    return text


def summand_end(text: str, start: int) -> int:
    """Where the summand of a sum sign ending at `start` ends: at the next `+`, `-`, comparison, separator or prose
    outside brackets and bars (`Σ_i |x_i − w_i|` sums the whole bar), or at a bracket that closes one opened before."""
    depth, end, bars = 0, start, {"|": False, "‖": False}
    while end < len(text):
        ch = text[end]
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch in bars:
            bars[ch] = not bars[ch]
        if depth < 0 or (depth == 0 and not any(bars.values()) and _SUMMAND_END.match(ch) and text[start:end].strip()):
            break
        end += 1
    return end


def _sums_as_calls(text: str) -> str:
    """Each sum `Σ_k q_k log p_k` (`∑`, its index written `_k`, `_{k}` or `_{k=1}^{K}` or left out) as
    `sum_over(q log p)`: the summand runs to the next `+` or `-` outside brackets and bars, and loses the index; a sum
    over every class but the right one (`Σ_{k≠y}`) masks that class out."""
    while match := _SUM_SIGN.search(text):
        end = summand_end(text, match.end())
        summand = text[match.end():end].strip()
        if match["index"]:
            summand = re.sub(rf"(?<=\w)_{re.escape(match['index'])}(?!\w)", "", summand)
        if match["excluded"]:  # Σ_{k≠y}: every class but the right one
            summand = f"({summand})*(1 - onehot_y)"
        text = f"{text[:match.start()]}sum_over({summand}){text[end:]}"
    return text


def latex_spacing(text: str) -> str:
    """`text` without LaTeX's spacing commands (`\\,`, `\\;`, `\\!`, `\\ `), which would read as separators; a
    thin space between a number and a name is a product (`0.1\\,\\eta_0`)."""
    text = re.sub(r"(\d)\s*\\,\s*(?=[A-Za-z\\])", r"\1*", text)
    # a thin space between two factors is their product (`\eta\, r_t\, \hat m_t`), not before words (`\,\text{if}`)
    text = re.sub(r"([\w})])\s*\\,\s*(?=[A-Za-z(]|\\(?!text|quad|qquad|mbox|hbox|if|for|when|and)[A-Za-z])", r"\1*", text)
    return re.sub(r"\\[,;:! ]", " ", text)


def _latex_to_plain(text: str) -> str:
    """LaTeX math as plain notation: \\frac{a}{b} as ((a)/(b)), \\sqrt{a} as sqrt(a), commands as symbols,
    braces as brackets (a subscript's as part of the name)."""
    if "\\" not in text and "{" not in text:
        return text
    text = re.sub(r"\\[dt]frac(?![A-Za-z])", r"\\frac", latex_spacing(text))  # \dfrac, \tfrac: a fraction
    text = re.sub(r"\^\{\s*\(\s*[A-Za-z]\w*\s*\)\s*\}", "", text)  # w^{(l)}_i: the layer's label, no power
    text = re.sub(r"_(?:\{\s*\\infty\s*\}|\\infty(?![A-Za-z]))", "_inf", text)  # ρ_∞: a name of its own
    text = _braced_calls(text, "\\frac", lambda a, b: f"(({a})/({b}))", 2)
    text = _braced_calls(text, "\\sqrt", lambda a: f"sqrt({a})", 1)
    text = re.sub(r"\\(?:mathrm|operatorname|text|mathit)\s*\{\s*([A-Za-z_]\w*)\s*\}", r"\1", text)  # \mathrm{sign}: a name
    text = latex_marks(text)
    text = _LATEX_COMMAND.sub(lambda m: _LATEX_GREEK.get(m[1], _LATEX_WORDS.get(m[1], "‖" if m[1] == "|" else m[0])), text)
    text = re.sub(r"_\{(\w+)\}", r"_\1", text)  # w_{ij}, η_{0}
    return text.replace("{", "(").replace("}", ")")


def _braced_calls(text: str, command: str, write, arguments: int) -> str:
    """`text` with each `command{a}{b}...` (its arguments in balanced braces) replaced by write(a, ...)."""
    while (start := text.find(command + "{")) >= 0:
        position, found = start + len(command), []
        for _ in range(arguments):
            if position >= len(text) or text[position] != "{":
                return text
            end = _closing(text, position, "{", "}")
            if end is None:
                return text
            found.append(_latex_to_plain(text[position + 1:end]))
            position = end + 1
        text = text[:start] + write(*found) + text[position:]
    return text
