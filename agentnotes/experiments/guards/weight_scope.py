"""Which layers a weight operation or a weight penalty acts on, when the notes say so plainly.

Notes often say it in a clause of their own: "只作用第一层", "只罚第一层", "输出层保持 dense", "不动最后的输出层",
"applied to the hidden layers only", "the output layer is left unconstrained". The operation or penalty then
acts on those layers' parameters only (guards/skeleton.py `with_weight_scope`: the hook loops over them). A heading
that names one layer (`# 每步把第一层权重的每一行减去均值`) says the same. Clauses that name the layers
without restricting them ("每个隐层 W 一个 mask"), or that disagree, leave every layer, as the baseline has them.
"""

from __future__ import annotations

import re

from agentnotes.experiments.guards.kinds import idea_text

# The layer sets a clause may name, as slices of the network's layers (input side first), and how to say them.
SCOPES = {"[:1]": "the first layer only", "[:-1]": "every layer but the output layer", "[-1:]": "the output layer only"}
_LAYER_SETS = {
    "[:1]": re.compile(r"第一层|第一个\s*(?:Linear|线性层)|输入层|first (?:linear |weight )?layer|input layer", re.I),
    "[-1:]": re.compile(r"输出层|最后一层|读出层|分类头|分类层|输出头|output layer|last (?:linear )?layer|final layer|readout layer|"
                        r"classifi(?:er|cation) head", re.I),
    "[:-1]": re.compile(r"隐层|隐藏层|hidden\s*层|hidden layers?", re.I),
}
# "Only" said of the layers the clause names: just before them ("只作用第一层", "only to the first layer") or just
# after ("first layer only"), not anywhere in the clause ("基本只改变 logits 的尺度 —— 但输出层也被缩放").
_ONLY_BEFORE = re.compile(r"(?:只|仅)[^，,;；。]{0,6}$|(?<![\w])(?:only|just|solely)(?![\w])[^,;.]{0,16}$", re.I)
_ONLY_AFTER = re.compile(r"^\s*(?:weights?\s+)?(?:only|alone)(?![\w])", re.I)
# Words that leave the output layer out, beside it: it is kept as in the baseline.
_LEFT_OUT_BEFORE = re.compile(r"(?:不动|不包括|除了|不加在|不作用于|不用在|(?<![\w])(?:except(?: for)?|excluding|but|not on|not to))"
                              r"[^，,;；。]{0,4}$", re.I)
_LEFT_OUT_AFTER = re.compile(r"^[^，,;；。]{0,10}?(?:不动|不加|不做|不管|不约束|不罚|不变|保持|除外|以外|(?<![\w])(?:is |are )?"
                             r"(?:excluded|untouched|unconstrained|unchanged|stays|kept|left alone|left out)(?![\w]))", re.I)
_CLAUSES = re.compile(r"[，,;；。\n]|\.\s|[:：](?!\s*\d)")


def weight_scope(note_text: str) -> str | None:
    """The slice of the network's layers (`[:1]`, `[:-1]`, `[-1:]`) the idea's own lines restrict the operation to,
    or None for every layer: no clause restricts it, or two say different things."""
    found = set()
    for line in idea_text(note_text).splitlines():
        heading = line.lstrip().startswith("#")
        for clause in _CLAUSES.split(line):
            named = {part: found_at for part, pattern in _LAYER_SETS.items() if (found_at := pattern.search(clause))}
            output = named.get("[-1:]")
            if output and (_LEFT_OUT_BEFORE.search(clause[:output.start()]) or _LEFT_OUT_AFTER.search(clause[output.end():])):
                found.add("[:-1]")  # the output layer left as it was
            elif len(named) == 1:
                (part, at), = named.items()
                if heading or _ONLY_BEFORE.search(clause[:at.start()]) or _ONLY_AFTER.search(clause[at.end():]):
                    found.add(part)
    return found.pop() if len(found) == 1 else None
