"""The plan checked against the note: the direction of its hypothesis, and whether its rule holds the note's formulas.

A small planner sometimes inverts the note ("the idea reduces the convergence speed" for an idea
the note expects to speed training up), and the experiment then reads as a test of the opposite
claim. The note's words decide: a hypothesis that expects the idea to do worse, where the
note's own sections say nothing negative about it, is replaced by the claim stated plainly.
"""

from __future__ import annotations

import re

_WORSE = re.compile(
    r"\b(?:worse|slower|hurts?|harms?|degrades?|impairs?|less (?:accurate|stable)|(?:reduces?|decreases?|lowers?) (?:the )?"
    r"(?:accuracy|convergence|speed|performance|stability))\b|更慢|更差|变差|变慢|降低(?:了)?(?:准确|精度|收敛|性能|稳定)",
    re.IGNORECASE,
)
_EFFECT_WORDS = {"final_metric": "a better final test metric", "convergence": "faster convergence",
                 "stability": "more stable training"}


def inverted(hypothesis: str, note_text: str) -> bool:
    """The hypothesis expects the idea to do worse, and the note's sections never say so."""
    return bool(_WORSE.search(hypothesis)) and not _WORSE.search(note_text)


# What the notes expect the idea to improve, in their words: faster training, or steadier training.
_FASTER = re.compile(r"收敛(?:得)?更快|更快(?:地)?收敛|加速(?:训练|收敛)|收敛速度|\bfaster\s+(?:convergence|training)\b|"
                     r"\bconverges?\s+faster\b|\bspeeds?\s+up\s+(?:the\s+)?(?:training|convergence)\b", re.IGNORECASE)
_STEADIER = re.compile(r"训练更稳定|更稳定|不(?:容易|会)发散|\bmore\s+stable\b|\bfewer\s+divergences\b|\bless\s+likely\s+to\s+diverge\b|"
                       r"\bstabili[sz]es?\s+(?:the\s+)?training\b", re.IGNORECASE)


def expected_effect(note_text: str) -> str:
    """The effect the note's words expect: "convergence" (faster training), "stability" (steadier training), else
    "final_metric" (a better result)."""
    return "convergence" if _FASTER.search(note_text) else "stability" if _STEADIER.search(note_text) else "final_metric"


def stated_claim(idea_name: str, effect: str, condition: str) -> str:
    """The note's claim in one plain sentence: the idea does better than the baseline on its effect, under its condition."""
    where = f" when {condition.rstrip('.')}" if condition.strip() else ""
    return f"{idea_name} gives {_EFFECT_WORDS.get(effect, 'a better result')} than the baseline{where}."


# The one condition the lab can set: inputs close to zero, said in the note's words (input scale 0.01).
_SMALL_INPUTS = re.compile(
    r"输入[^。\n，,]{0,8}?(?:很小|非常小|接近\s*0|接近零|趋近\s*0|≈\s*0)|(?<![\w])x\s*(?:≈|很接近|接近|趋近)\s*(?:0|零)|"
    r"\binputs?\s+(?:(?:are|is|very|that are)\s+)*(?:close|near)\s+(?:to\s+)?(?:0|zero)\b|\b(?:small|tiny|near-zero)\s+inputs?\b|"
    r"\binput\s+scale\s+(?:is\s+)?(?:small|tiny)\b", re.IGNORECASE)
SMALL_INPUT_SCALE = 0.01


def input_condition(note_text: str) -> tuple[float, str] | None:
    """(the input scale, the note's words) when the note says the idea is for inputs close to zero; None otherwise."""
    found = _SMALL_INPUTS.search(note_text)
    return (SMALL_INPUT_SCALE, found.group(0)) if found else None


# A share of wrong training labels the note runs the idea under: "加一组 20% 对称标签噪声", "30% symmetric label noise on
# train", "训练集 30% 标签随机打乱", "标签噪声 0% 和 20%" (a share within the clause, before or after the words; not "1%
# 的 batch 上把标签打乱", a share of batches).
_LABEL_NOISE_WORDS = (r"(?:对称)?(?:标签|label)\s*噪声|标签加噪|(?:symmetric\s+)?label[- ]noise|noisy[- ]labels?|对称\s*噪声|"
                      r"symmetric\s+noise|标签[^。，,；;\n]{0,4}(?:打乱|翻转|替换)|labels?\s+(?:randomly\s+)?(?:flipped|shuffled|corrupted)")
_SHARE = r"(\d{1,2}(?:\.\d+)?)\s*%"
_SHARES = rf"{_SHARE}(?:\s*(?:/|、|,|，|和|与|及|and|or)\s*{_SHARE})*"  # "0% / 20% / 40%", "0% and 20%"
_LABEL_NOISE = re.compile(rf"{_SHARES}(?:(?!batch|步|step)[^。，,；;\n]){{0,14}}?(?:{_LABEL_NOISE_WORDS})|"
                          rf"(?:{_LABEL_NOISE_WORDS})(?:(?!batch|步|step)[^。，,；;\n]){{0,10}}?{_SHARES}", re.IGNORECASE)
_MOST_LABEL_NOISE = 0.6  # beyond it, most labels of a few classes are wrong: no condition a note means


def label_noise_condition(note_text: str) -> tuple[float, str] | None:
    """(the share of training labels made wrong, the note's words) where the note runs the idea with label noise;
    the first share above 0 it names (of "0% / 20% / 40%", 20%). None where it names none."""
    for found in _LABEL_NOISE.finditer(note_text):
        shares = [float(s) / 100 for s in re.findall(_SHARE, found[0])]
        if share := next((s for s in shares if 0 < s <= _MOST_LABEL_NOISE), None):
            return share, found[0].strip()
    return None


# The few training examples a note runs the idea with: "只用 300 个训练样本", "只用 500 张训练", "只用 300 个样本训练",
# "标注只留 100 个", "训练集缩到 200", "only 256 training sequences" (not "只用 512 个样本估计 Fisher": no training set).
_FEW_EXAMPLES = re.compile(
    r"(?:只|仅)(?:用|留|取|保留)\s*(?:前\s*)?(\d{2,5})(?![\d.]|\s*%)\s*(?:个|张|条)?\s*(?:带标签|有标签|标注|训练)|"
    r"(?:只|仅)(?:用|留|取)\s*(\d{2,5})(?![\d.]|\s*%)\s*(?:个|张|条)?\s*(?:样本|图片?|序列)\s*(?:来|去)?训练|"
    r"(?:标注|标签|训练集|训练样本)\s*(?:只|仅)(?:留|用|取|保留)\s*(\d{2,5})(?![\d.]|\s*%)|训练集\s*(?:缩|减|砍)小?(?:到|至|成)\s*(\d{2,5})(?![\d.]|\s*[%步])|"
    r"\bonly\s+(\d{2,5})(?![\d.]|\s*%)\s+(?:labell?ed\s+|training\s+)+(?:samples|examples|images|sequences|digits|points)\b|"
    r"\b(\d{2,5})(?![\d.]|\s*%)\s+training\s+(?:samples|examples|images|sequences|points)\s+only\b", re.IGNORECASE)


def train_size_condition(note_text: str) -> tuple[int, str] | None:
    """(the number of training examples, the note's words) where the note runs the idea on a few of them; None where
    it names no such number."""
    found = _FEW_EXAMPLES.search(note_text)
    return (int(next(g for g in found.groups() if g)), found[0].strip()) if found else None


_ASSIGNMENT = re.compile(r"(?<![\w'])([^\W\d][\w']*)\s*(=|←)\s*([^，。,;；\n]+)")


def math_formulas(text: str) -> set[str]:
    """The assignments in `text` whose right side computes something (`g = g / (||g|| + eps)`, `θ ← θ − η·g`, not
    `Gonnor = GradientONly NORmalization`), named by any letter (`η`, `𝓛`), as written without spaces, for comparing
    a plan with its note."""
    return {re.sub(r"\s+", "", "".join(m.groups())) for m in _ASSIGNMENT.finditer(text) if re.search(r"[-+*/^|()\d−·]", m[3])}
