"""An initialisation the notes say in words: which layers, their weights or biases, to what value.

Notes often give an initialisation without a formula: "只把输出层的权重 W 和 bias b 都初始化为 0",
"every Linear's weight is initialised orthogonal, gain = 1; biases 0". Each clause that initialises
something is read for three things, all of which must be certain: the layers (the output layer, the first,
the hidden ones, or all of them), the tensors (weights, biases, or both), and the value (a number, or an
initialisation torch names: orthogonal, identity). A clause that keeps the default says nothing new.
Anything else (a drawn value, a clause whose layers or value is not plain) gives no body, and the model is
asked (guards/formula_code.py).
"""

from __future__ import annotations

import re

from agentnotes.experiments.guards.constants import NUMBER, note_constants

# The layer sets a clause may name, as slices of the init skeleton's `layers` (input side first).
_LAYER_SETS = (
    (re.compile(r"输出层|最后一层|最后一个\s*(?:Linear|线性层)|output layer|last (?:linear )?layer|final layer", re.I), "layers[-1:]"),
    (re.compile(r"第一层|第一个\s*(?:Linear|线性层)|first (?:linear )?layer|input layer", re.I), "layers[:1]"),
    (re.compile(r"隐藏层|hidden layers?", re.I), "layers[:-1]"),
    (re.compile(r"每个\s*(?:Linear|线性层|层)|所有的?\s*(?:Linear|线性层|层)|每一层|全部层|"
                r"(?:every|each|all(?: the)?) (?:linear |nn\.Linear )?(?:layers?|Linears?)", re.I), "layers"),
)
_WEIGHTS = re.compile(r"权重|(?<![\w])W(?![\w])|weights?", re.I)
_BIASES = re.compile(r"偏置|(?<![\w])b(?![\w])|bias(?:es)?", re.I)
_INITIALISES = re.compile(r"初始化|初值|initiali[sz]|(?<![\w])init(?![\w])|set to|设为|置为|置成", re.I)
_DEFAULT = re.compile(r"默认|不变|default|unchanged|as (?:in )?the baseline", re.I)
# A number times something (`3·σ_init`) is no value by itself.
_VALUE = re.compile(rf"(?:为|成|是|to|=|：|:)\s*(?:全\s*)?({NUMBER})(?![\w.])(?!\s*[·*×⋅]\s*\S)|(?:全|all\s+)(0|1)(?![\w.])|"
                    r"(zeros?|ones?)\b|全零|全0", re.I)
# A bound on the weights (`clamp：|w| ≤ w_max = 3`, "clip to ±1"), not the value they start at.
_BOUND = re.compile(r"[≤≥<>]|\b(?:clamp|clip|max|min)\b|裁剪|截断|上界|下界", re.I)
# Initialisations torch names, by the words notes use for them, with the constants they may take.
_NAMED = (
    (re.compile(r"正交|orthogonal", re.I), "torch.nn.init.orthogonal_({tensor}, gain={gain})"),
    (re.compile(r"单位矩阵|identity matrix|(?<![\w])eye(?![\w])", re.I), "torch.nn.init.eye_({tensor})"),
)
# Words of a drawn or scaled value: a number in such a clause is a parameter of it, not the value.
_NOT_A_CONSTANT = re.compile(r"分布|均值|方差|标准差|随机|正态|高斯|均匀|倍|distribut|mean|std|variance|random|normal|gaussian|"
                             r"uniform|times|scaled|×", re.I)
_CLAUSES = re.compile(r"[，,;；。\n]|\.\s")


def prose_init_body(note_text: str) -> tuple[str, str] | None:
    """(the body of the init skeleton's `init_weights(layers)`, the clauses it comes from) when every clause
    of the notes that initialises something names its value plainly, and the layers are certain; None otherwise."""
    named_sets = {code for pattern, code in _LAYER_SETS if pattern.search(note_text)}
    gain = repr(float(note_constants(note_text).get("gain", "1.0")))
    lines, shown = [], []
    for clause in (c.strip().rstrip(".") for c in _CLAUSES.split(note_text)):
        if not _INITIALISES.search(clause) or _DEFAULT.search(clause) or clause.lstrip().startswith("#"):
            continue  # a heading names the idea; the body says it
        if _BOUND.search(clause):
            return None  # "clamp：|w| ≤ w_max = 3·σ_init（按初始化尺度）": a bound said beside the initialisation
        tensors = [name for name, pattern in (("weight", _WEIGHTS), ("bias", _BIASES)) if pattern.search(clause)]
        value = _value(clause, gain)
        sets = [code for pattern, code in _LAYER_SETS if pattern.search(clause)]
        if not tensors and sets and value:
            tensors = ["weight", "bias"] if value[1] else ["weight"]  # "输出层初始化为 0": the layer as a whole
        if not tensors and value is None:
            continue  # "只改初始化": says what changes, not how
        if len(sets) > 1 or not tensors or value is None or (not sets and len(named_sets) > 1):
            return None
        layers = sets[0] if sets else next(iter(named_sets), "layers")
        template, a_number = value
        for tensor in tensors:
            if tensor == "bias" and not a_number:
                return None  # a bias is a vector: only a number fills it
            fill = template.format(tensor=f"layer.{tensor}")
            guard = "if layer.bias is not None:\n        " if tensor == "bias" else ""
            lines.append(f"for layer in {layers}:\n    {guard}{fill}")
        shown.append(clause)
    if not lines:
        return None
    return "\n".join(lines), "; ".join(shown)


def _value(clause: str, gain: str) -> tuple[str, bool] | None:
    """What the clause sets its tensors to, as a torch call with `{tensor}` to fill, and whether it is a number;
    None when it names none."""
    for pattern, call in _NAMED:
        if pattern.search(clause):
            return call.replace("{gain}", gain), False
    found = _VALUE.search(clause)
    if found is None or _NOT_A_CONSTANT.search(clause):
        return None
    number = found[1] or found[2] or ("0" if found[0] in ("全零", "全0") or found[3].lower().startswith("zero") else "1")
    return f"torch.nn.init.constant_({{tensor}}, {float(number)!r})", True
