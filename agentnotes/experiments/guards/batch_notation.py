"""A loss written over the samples of the batch, as calls the loss program reads.

Notes write a loss through each sample's loss and sums over the batch: `L = (1/B) Σ_i ℓ_i + λ·sqrt((1/B) Σ_i (ℓ_i − ℓ̄)²)`,
`\\frac{1}{t}\\log(\\frac{1}{B}\\sum_{i=1}^{B} e^{t\\,\\ell_i})`. The batch's index is the one of a sum divided by the batch
size (`\\frac{1}{B}\\sum_i`, `(1/N) Σ_n`) or bounded by it (`\\sum_{i=1}^{B}`), or of a sample's loss (`ℓ_i`). On the lines
that use it, a sum over it is `sum_batch(…)` and the mean `mean_batch(…)` (over the batch's axis, the summand losing the
index); a sample's loss (`ℓ_i`, `l_i`, `loss_i`, the task's loss of a sample `CE(z_i, y_i)`) is PER_SAMPLE_LOSS and its
mean over the batch (`ℓ̄`, `\\bar\\ell`) `mean_batch(PER_SAMPLE_LOSS)`. A line that only names a sample's loss
(`ℓ_i = CE(f(x_i), y_i)`) is dropped. Other lines are left as they are.
"""

from __future__ import annotations

import re

from agentnotes.experiments.guards.notation import summand_end

PER_SAMPLE_LOSS = "loss_of_sample"  # each sample's loss under the task's own loss, a column (batch, 1)
_SIZE = r"[BN]"
_DIVIDED = rf"(?:\\[td]?frac\s*\{{\s*1\s*\}}\s*\{{\s*{_SIZE}\s*\}}|\(\s*1\s*/\s*{_SIZE}\s*\)|1\s*/\s*{_SIZE})\s*(?:\\cdot|·|\*)?\s*"
_INDEX = r"(?:_\{\s*(?P<index>[a-z])\s*(?:=\s*1\s*)?\}|_\(\s*(?P<index2>[a-z])\s*(?:=\s*1\s*)?\)|_(?P<index3>[a-z])(?![\w{]))"
_BOUND = rf"(?:\^\{{\s*{_SIZE}\s*\}}|\^\(\s*{_SIZE}\s*\)|\^{_SIZE}(?![\w{{]))"
# A sum, maybe divided by the batch size: `\frac{1}{B}\sum_{i=1}^{B}`, `(1/B) Σ_i`, `Σ_{i=1}^{N}`.
_SUM = re.compile(rf"(?P<divided>{_DIVIDED})?(?:\\sum|Σ|∑)\s*{_INDEX}?\s*(?P<bound>{_BOUND})?\s*")
# A sample's loss with its index: `ℓ_i`, `\ell_{i}`, `ℓᵢ`, `l_i`, `loss_i`.
_SAMPLE_LOSS = r"(?<![\w\\])(?:\\ell|ℓ|l|loss)(?:_\{{\s*{0}\s*\}}|_{0}(?![\w{{])|{1})"
_SUBSCRIPT = {"i": "ᵢ", "j": "ⱼ", "n": "ₙ"}
# The mean of the samples' losses: `ℓ̄`, `\bar\ell`, `\bar{\ell}`, `\overline{\ell}`, `l̄`.
_MEAN_LOSS = re.compile(r"(?:ℓ|l)\u0304|\\(?:bar|overline)\s*(?:\{\s*(?:\\ell|ℓ|l)\s*\}|\\ell(?![A-Za-z])|ℓ)")
# The task's loss of one sample: `CE(z_i, y_i)`, `\mathrm{CE}(f(x_i), y_i)`.
_SAMPLE_TASK_LOSS = r"(?:\\(?:mathrm|text|operatorname)\{{CE\}}|(?<![\w\\])CE)\s*\((?:[^()]|\([^()]*\))*_\{{?{0}\}}?(?:[^()]|\([^()]*\))*\)"
_TRAILING_SIZE = re.compile(r"(?:\\(?:big|Big|bigg|Bigg|right|left)\s*)+$")


def batch_reductions(formulas: str) -> str:
    """`formulas` with the lines that use the batch's index written with batch reductions (see the module docstring)."""
    index = _batch_index(formulas)
    if index is None:
        return formulas
    sample_loss = re.compile(_SAMPLE_LOSS.format(index, _SUBSCRIPT.get(index, "(?!)")))
    lines = []
    for line in formulas.splitlines():
        written = _MEAN_LOSS.sub(f"mean_batch({PER_SAMPLE_LOSS})", line)
        written = sample_loss.sub(PER_SAMPLE_LOSS, re.sub(_SAMPLE_TASK_LOSS.format(index), PER_SAMPLE_LOSS, written))
        written = _sums_over(written, index)
        if re.fullmatch(rf"\W*{PER_SAMPLE_LOSS}\s*(?:=|:=|←)\s*{PER_SAMPLE_LOSS}\W*(?:[,，;；(（].*)?", written):
            continue  # `ℓ_i = CE(f(x_i), y_i)`: only a name for a sample's loss
        lines.append(written)
    return "\n".join(lines)


def _batch_index(formulas: str) -> str | None:
    """The batch's index: a sum's divided by or bounded by the batch size, else a sample loss's; None when none is."""
    for match in _SUM.finditer(formulas):
        letter = match["index"] or match["index2"] or match["index3"]
        if letter and (match["divided"] or match["bound"]):
            return letter
    found = re.search(r"(?<![\w\\])(?:\\ell|ℓ|loss)_\{?\s*([a-z])\s*\}?(?![\w{])", formulas)
    return found[1] if found else None


def _sums_over(line: str, index: str) -> str:
    """Each sum over `index` in `line` as `sum_batch(summand)`, or `mean_batch(summand)` where divided by the batch size,
    the summand losing the index."""
    position = 0
    while match := _SUM.search(line, position):
        letter = match["index"] or match["index2"] or match["index3"]
        if letter != index:
            position = match.end()
            continue
        end = summand_end(line, match.end())
        summand = line[match.end():end].rstrip()
        end = match.end() + len(summand)
        trailing = _TRAILING_SIZE.search(summand)
        if trailing:  # `\Big)`: the bracket's size belongs to the bracket
            end -= len(summand) - trailing.start()
            summand = summand[:trailing.start()]
        summand = re.sub(rf"(?<=[\w}}])_(?:\{{{index}\}}|{index})(?![\w{{])", "", summand).strip()
        reduction = "mean_batch" if match["divided"] else "sum_batch"
        line = f"{line[:match.start()]}{reduction}({summand}){line[end:]}"
        position = match.start() + len(reduction) + 1
    return line
