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


# A condition on the inputs: inputs close to zero, said in the note's words (input scale 0.01), or scaled up by a factor.
_SMALL_INPUTS = re.compile(
    r"输入[^。\n，,]{0,8}?(?:很小|非常小|接近\s*0|接近零|趋近\s*0|≈\s*0)|(?<![\w])x\s*(?:≈|很接近|接近|趋近)\s*(?:0|零)|"
    r"\binputs?\s+(?:(?:are|is|very|that are)\s+)*(?:close|near)\s+(?:to\s+)?(?:0|zero)\b|\b(?:small|tiny|near-zero)\s+inputs?\b|"
    r"\binput\s+scale\s+(?:is\s+)?(?:small|tiny)\b", re.IGNORECASE)
SMALL_INPUT_SCALE = 0.01


# Inputs scaled up, with the factor on the line: "输入放大：把像素值整体乘 10", "inputs scaled up ×10", "输入放大 100 倍".
_LARGE_INPUTS = re.compile(r"输入[^。\n，,]{0,4}(?:放大|扩大)|放大输入|\binputs?\s+(?:are\s+|is\s+)?(?:scaled|multiplied)\s+up\b|"
                           r"\bscaled[- ]up\s+inputs?\b|\bscal(?:e|ing)\s+(?:the\s+)?inputs?\s+up\b", re.IGNORECASE)
_FACTOR = re.compile(r"(?:乘以?|乘上|[×xX*]|\bby|\btimes)\s*(\d{1,4})(?![\d.%])|(?<![\d.])(\d{1,4})\s*(?:倍|[×xX](?!\w)|times\b)")
LARGE_INPUT_SCALES = (2.0, 1000.0)


def input_condition(note_text: str) -> tuple[float, str] | None:
    """(the input scale, the note's words) when the note says the idea is for inputs close to zero, or runs it with
    its inputs scaled up by a factor it names; None otherwise."""
    if found := _SMALL_INPUTS.search(note_text):
        return SMALL_INPUT_SCALE, found.group(0)
    for line in note_text.splitlines():
        if _LARGE_INPUTS.search(line):
            for factor in _FACTOR.finditer(line):
                if LARGE_INPUT_SCALES[0] <= (scale := float(factor[1] or factor[2])) <= LARGE_INPUT_SCALES[1]:
                    return scale, _clause(line, factor.start(), factor.end())
    return None


_CLAUSE_END = re.compile(r"[，。；;：]|[,:.]\s")


def _clause(line: str, begin: int, end: int) -> str:
    """The clauses of `line` that hold line[begin:end] (up to the punctuation around it), as the note's words."""
    start = max((m.end() for m in _CLAUSE_END.finditer(line, 0, begin)), default=0)
    stop = next((m.start() for m in _CLAUSE_END.finditer(line, end)), len(line))
    return line[start:stop].strip().lstrip("-*• ")[:120]


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


# A training set made class-imbalanced, said with its imbalance ratio on one line: "imbalance ratio 100", "不平衡比 10",
# "10:1 class imbalance", "n_c = n_max · ρ^{−c/9}，ρ = 100", "每类保留 150·(0.1)^{j/9}", "类 0–4 全量，5–9 只留 10%",
# "classes 0–4 subsampled 5×", "keep 100% of classes 0–4, 10% of classes 5–9" (not "层间不平衡": no classes or training data named on the line).
_IMBALANCED = re.compile(r"不平衡|不均衡|失衡|长尾|long[- ]?tail(?:ed)?|\bimbalance[d]?\b|-LT\b", re.IGNORECASE)
_CLASS_DATA = re.compile(r"类|样本|训练集|数据|长尾|\bclass(?:es)?\b|\bdata(?:set)?\b|\bdigits\b|\btrain(?:ing)?\b|long[- ]?tail",
                         re.IGNORECASE)
_RATIO_SAID = (
    (re.compile(r"(?:ratio|比例?|ρ|\brho\b)\s*(?:=|:|：|为|of|是|∈|\bin\b)?\s*[{(]?\s*(\d{1,4}(?:\.\d+)?)(?![\d.]|\s*[%^])", re.IGNORECASE),
     lambda m: float(m[1])),
    (re.compile(r"(?<![\d.])(\d{1,4})\s*[:：]\s*1(?![\d.])"), lambda m: float(m[1])),
    (re.compile(r"(?<![\d.])(0\.\d+)\)?\s*\^\s*\{?\s*[a-z]\s*/\s*\d+\s*\}?", re.IGNORECASE), lambda m: 1 / float(m[1])),
    (re.compile(r"(?:subsampled|downsampled|下采样)\s*(\d{1,3})\s*[×x倍]", re.IGNORECASE), lambda m: float(m[1])),
    (re.compile(r"(?:保留|只留|留|下采样到|降到|subsampled to|downsampled to|keep(?:ing)?|kept)\s*(?:各\s*)?(\d{1,2})\s*%", re.IGNORECASE),
     lambda m: 100 / float(m[1])),
    (re.compile(r"(?<![\d.])(\d{1,2})\s*%\s*(?:of\s+(?:the\s+)?classes|的类)", re.IGNORECASE), lambda m: 100 / float(m[1])),
)
IMBALANCE_RATIOS = (2.0, 1000.0)  # a ratio outside is no imbalance the lab's data can hold


def class_imbalance_condition(note_text: str) -> tuple[float, str] | None:
    """(the imbalance ratio of the training set, the note's words) where a line of the note makes the training data
    class-imbalanced and says by how much: the largest class that many times the smallest. None where none says so."""
    for line in note_text.splitlines():
        if not ((cue := _IMBALANCED.search(line)) and _CLASS_DATA.search(line)):
            continue
        for pattern, ratio_of in _RATIO_SAID:
            for found in pattern.finditer(line):
                if IMBALANCE_RATIOS[0] <= (ratio := round(ratio_of(found), 1)) <= IMBALANCE_RATIOS[1]:
                    return ratio, _clause(line, min(cue.start(), found.start()), max(cue.end(), found.end()))
    return None


_ASSIGNMENT = re.compile(r"(?<![\w'])([^\W\d][\w']*)\s*(=|←)\s*([^，。,;；\n]+)")


def math_formulas(text: str) -> set[str]:
    """The assignments in `text` whose right side computes something (`g = g / (||g|| + eps)`, `θ ← θ − η·g`, not
    `Gonnor = GradientONly NORmalization`), named by any letter (`η`, `𝓛`), as written without spaces, for comparing
    a plan with its note."""
    return {re.sub(r"\s+", "", "".join(m.groups())) for m in _ASSIGNMENT.finditer(text) if re.search(r"[-+*/^|()\d−·]", m[3])}
