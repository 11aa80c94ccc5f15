"""Skeletons: per-kind idea code in which the program owns the wiring and the model writes bodies.

A skeleton (agentnotes/prompt_files/idea_skeletons/KIND.py) defines the hooks of its kind and calls
the functions the idea needs: those whose body is `...` must be written; those whose body is a bare
`return` may be. The model is shown the skeleton and answers with those functions; `fill` puts their
bodies into the skeleton under its own signatures, so a reply cannot break the wiring (a renamed
hook, a missing build_model, an optimizer that is never used). The reply's own helpers, constants
and imports are kept; its definitions of the skeleton's other names are not.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache

from agentnotes.experiments.guards.baseline import changed_optimizer
from agentnotes.experiments.guards.kinds import (BATCH_CHOICE, BATCH_SIZE_CHANGE, DROPS_UNITS, NORM_FORMULA,
                                                PENALISED_ACTIVATIONS, PLAIN_SGD, idea_text, kinds_of)
from agentnotes.experiments.guards.formula_lines import _start
from agentnotes.experiments.guards.notation import plain_symbols
from agentnotes.experiments.guards.note_program import reads_input_unweighted
from agentnotes.experiments.guards.note_symbols import every_step_cue, note_period, periodic_cue
from agentnotes.experiments.guards.penalty_code import hidden_function
from agentnotes.experiments.guards.weight_scope import SCOPES, weight_scope
from agentnotes.experiments.lab.template import harness_names, hook_names
from agentnotes.prompts import SHIPPED_DIR

SKELETONS_DIR = SHIPPED_DIR / "idea_skeletons"
_IN_PLACE = re.compile(r"change (\w+) in place")  # a skeleton docstring naming the argument to change in place
# A residual or gated block `y = x + ...`: the layer kind's block skeleton instead of its linear one.
_BLOCK_FORM = re.compile(r"(?<![\w.])(?:y|h|out|output|x_\{?(?:l\+1|t\+1|next)\}?)\s*(?:=|←)\s*x\s*\+")


# A weight the notes multiply the input by: `w1*(x+h)`, `W_fast x`, `w_2·x`.
_LEFT_EDGE = r"(?<![\w.])"
_WEIGHT_TIMES_INPUT = re.compile(_LEFT_EDGE + r"([wW]_?(?:\d|\{\d\}|fast|slow|[a-z]))\s*(?:[*·@]\s*)?\(?\s*x(?!\w)")
_ONE_WEIGHT = "self.weight = nn.Parameter(base.weight"
_ONE_BIAS = "self.bias = nn.Parameter(base.bias"
# A layer's scope as its notes state it: no activation after the layer (its own nonlinearity takes that
# place), and an output layer left as the baseline's.
_NO_ACTIVATION = re.compile(r"(?:不再|不|无需|不用|去掉|没有|\bno|\bwithout|\bdrop|\bremove|\bnot add|n't add)\s*"
                            r"(?:另外|额外|单独|extra|separate|additional|other|any)?\s*(?:加|an?|the)?\s*(?:的)?\s*(?:激活|activation|ReLU)", re.IGNORECASE)
_OUTPUT_KEPT = re.compile(r"(?:输出层|output layer)[^。.;；\n]{0,16}(?:还是|仍|不变|保持|普通|照旧|unchanged|stays|remains|"
                          r"plain|ordinary|as it is|as before)", re.IGNORECASE)
# The notes' model written as the idea's layer, then a plain linear output layer: `QP(64→64) → ReLU → Linear(64→10)`.
# Or with the widths alone around it: `64 → DN(128) → 10`, `64 → CondLinear(128, E) → 10`.
_LINEAR_HEAD_AFTER = re.compile(r"(?<![\w.])(?!(?:Linear|FC|fc|Dense|Conv\w*|nn)\b)[A-Z]\w*\s*\(\s*\d+\s*(?:→|->|to|,)\s*\d+\s*\)"
                                r"\s*(?:→|->)\s*(?:(?:ReLU|GELU|tanh|Tanh)\s*(?:→|->)\s*)?(?:nn\.)?(?:Linear|FC|fc|Dense)\s*\(|"
                                r"\d+\s*(?:→|->)\s*(?!(?:Linear|FC|fc|Dense|Conv\w*|nn|MLP|mlp)\b)[A-Za-z]\w*\s*\(\s*\d+[^()\n]*\)"
                                r"\s*(?:→|->)\s*(?:(?:ReLU|GELU|tanh|Tanh)\s*(?:→|->)\s*)?\d+(?![\w(.])")
# The layer the idea replaces, written with its activation ("从 / h = σ(W x + b) / 换成"): the idea's layer replaces both.
_ACTIVATED_REPLACED = re.compile(r"(?:从|把|\breplace|\binstead of)\s*[:：]?\s*\n?\s*[`$]*\s*[a-z]\w*\s*=\s*"
                                 r"(?:σ|φ|relu|tanh|sigmoid|act|f)\s*\(\s*W|"
                                 r"(?:Linear|线性层)\s*\+\s*(?:ReLU|激活|activation)\s*[)）]?\s*(?:换成|替换|改成|by|with)|"
                                 r"\bdrop-?in (?:replacement )?for\s+(?:an?\s+|the\s+)?Linear\s*\+\s*ReLU\b",
                                 re.IGNORECASE)  # 每个隐藏层（Linear + ReLU）换成 maxout; a drop-in for Linear+ReLU
# A layer idea for the hidden layers: the output layer stays as it was.
_HIDDEN_LAYERS = re.compile(r"(?:每个|每一个|所有|every|each|all(?: the)?)\s*(?:hidden\s*layers?|隐藏层|隐层)", re.IGNORECASE)
# An update rule that takes the loss's gradient a second time, at moved weights (a closure): the two_point skeleton.
_SECOND_GRADIENT = re.compile(r"(?<!无)(?<!无 )(?<!no )(?<!without )\bclosure\b|\bre-?evaluat|gradient (?:of the loss )?at (?:the weights |w|θ|theta|p)\s*\+|"
                              r"(?:w|θ|p)\s*\+\s*\w+\s*(?:处|上)的梯度|两次梯度|再算一次梯度", re.IGNORECASE)
# An update rule whose step reads this batch's loss (`η = min(ℓ_B(w)/(c‖g‖²), γ)`, a Polyak step, `r_t = L_t / L_{t−1}`) or the norm of the
# whole gradient, all the parameters together ("global norm", "所有参数的梯度拼起来"): the update_global skeleton.
_WHOLE_STEP = re.compile(r"(?<![A-Za-z\\])(?:η|\\eta|eta|α|\\alpha|lr|step|γ)[\w_{}ₜ]*\s*(?:=|←|:=)\s*[^=\n。；;]*?(?:ℓ|\bL_?\w{0,3}\s*\(\s*(?:w|θ|x|theta)|"
                         r"\bloss\b|\bf\s*\(\s*(?:w|θ|x|theta))|\bPolyak\b|"
                         r"(?:global|total|whole|full|entire)\s+(?:gradient\s+)?norm|norm of (?:the )?(?:whole|full|entire|total|"
                         r"global|concatenated) gradient|all (?:the )?parameters(?:'|’)? gradients?|"
                         r"全局(?:梯度)?(?:范数|norm)|所有参数[^。\n]{0,12}(?:梯度|范数)|梯度[^。\n]{0,6}拼(?:起来|接)|"
                         # any formula reading the batch's loss at a step: `r_t = L_t / L_{t−1}`, `ℓ_t − ℓ_{t-1}`
                         r"(?:=|←)[^=\n。；;]*?(?<![A-Za-z\\])(?:L|ℓ|\\ell|loss)_\{?t\}?(?![\w{])", re.IGNORECASE)
# What the idea is set against, not what it does: "与其做 global norm clipping，", "instead of the global norm", "而不是 …".
_NOT_DONE = re.compile(r"与其[^，,。\n]*[，,]|而不是[^，,。；;\n]*|\b(?:instead of|rather than)\b[^,.;\n]*", re.IGNORECASE)
# An initialisation computed from the training data (principal directions, samples as weights, a layer pretrained on
# the inputs): the init_data skeleton.
_FROM_DATA = re.compile(r"\bPCA\b|主成分|协方差|\bcovariance\b|principal (?:components?|directions?)|data-dependent|数据相关|"
                        r"auto-?encoders?|自编码|预训练|\bpre-?train\w*|\bunsupervised\b|无监督|"  # weights pretrained on the inputs
                        r"训练(?:集|数据|样本)|training (?:set|data|samples?|inputs?|examples?)|在一个\s*batch\s*上(?:算|计算|统计)|"
                        r"(?:on|over|from) (?:a|one) (?:mini-?)?batch of (?:the )?(?:training )?(?:data|inputs|examples)",
                        re.IGNORECASE)
# A loss that reads the network's outputs for other inputs than the batch's (`KL(sg[p(x)] ‖ p(x + σ·ε))`, `f(x̃)`, a
# gradient with respect to the inputs, a consistency term), or the gradient with respect to the parameters
# (`‖∇θ L‖²`): the loss_inputs skeleton, whose loss gets the model and x.
_OTHER_INPUTS = re.compile(r"(?<![\w])(?:f|p|q|model|net)\s*\(\s*(?:x(?:_i|ᵢ)?\s*[+−\-·*^]|-\s*x|x̃|x'|x_?(?:tilde|aug\w*|adv\w*|"
                           r"nois\w*|pert\w*))|∂\s*(?:ℓ|L|loss)\w*\s*/\s*∂\s*x|∇_?\{?x\b|对输入的梯度|"
                           r"∇\s*_?\{?(?:θ|\\theta|theta|w|W)(?![A-Za-z])|对参数的梯度|"
                           r"(?:gradient|derivative)s? of the loss (?:with respect to|w\.r\.t\.?) (?:the )?inputs?|"
                           r"consistency (?:loss|regulari[sz]\w*|term|penalty)|一致性", re.IGNORECASE)
# A weight operation on hidden units, each with its incoming row and its outgoing column ("dead units", "下一层对应的
# 出权重列", "the outgoing weights of each unit", `W_l[j, :]` beside `W_{l+1}[:, j]`; a unit's incoming weights alone
# are rows of one weight matrix): the unit_op skeleton, which hands it both layers and the units' outputs.
_ON_UNITS = re.compile(r"(?:dead|silent|dormant|inactive|redundant|duplicated?|similar)\s+(?:hidden\s+)?(?:units?|neurons?)|"
                       r"(?:死|沉默|休眠|冗余|重复|相似)[^。\n]{0,6}(?:单元|神经元)|(?:单元|神经元)[^。，,\n]{0,8}(?:死|不激活|不再激活)|"
                       r"\b(?:units?|neurons?)\s+(?:that\s+)?(?:die|dies|never (?:fire|activate)s?)\b|"
                       r"(?:outgoing|fan-?out)\s+weights?|(?:单元|神经元)[^。\n]{0,16}(?:出权重|输出权重|输出侧)|"
                       r"(?:下一层|next layer)[^。\n]{0,16}(?:列|columns?)|(?:出|输出)权重列|"
                       # a unit's bias changed by its row's factor: "偏置 b_j 用同样的因子缩放", "biases by the same factor"
                       r"(?:偏置|bias(?:es)?)[^。.\n]{0,16}(?:同样|相同|一样)的?(?:因子|系数|比例|倍数)|"
                       r"bias(?:es)?[^.\n]{0,30}\bsame (?:factor|scale|ratio)|"
                       # a matrix written by a unit's row and another by its column: `W_l[j, :]`, `W_{l+1}[:, j]`
                       r"\w\s*\[\s*([a-z])\s*(?:,\s*:\s*)?\][\s\S]*?\w\s*\[\s*:\s*,\s*\1\s*\]|"
                       r"\w\s*\[\s*:\s*,\s*([a-z])\s*\][\s\S]*?\w\s*\[\s*\2\s*(?:,\s*:\s*)?\]", re.IGNORECASE)
# A schedule that follows the training loss ("if the loss went up, halve η", "训练 loss 平台期就减半", "看 loss 的波动"),
# said in the idea's own sections (not "mean loss increase under perturbations" measured in the setup): the
# schedule_loss skeleton, whose rule gets each step's loss and keeps state between steps.
# A layer idea titled as a normalisation ("# ScaleNorm 层", "# MAD-Norm：…", "# 只做中心化的 norm 层", "# Divisive
# normalization inside the hidden layer"), not as a linear layer, a gate or a residual block with a norm inside: the
# norm skeleton, after each hidden layer's weights.
_NORM_TITLE = re.compile(r"^#(?![^\n]*(?:\b[Ll]inear\b|\b[Gg]at(?:e|ed|ing)\b|门控|\b[Rr]esidual\b|残差|\b[Bb]lock\b))[^\n]*?"
                         r"(?:(?<![a-z])[A-Z][A-Za-z]*-?Norm(?![a-z])|(?<![A-Za-z])Norm(?![a-z-])|\bnormali[sz]ation\b|"
                         r"归一化层|\bnorm\s*(?:层|layer)|\bnorm(?=\s*(?:[:：(（]|$)))", re.MULTILINE)
_NORM_CLASS = re.compile(r"\bclass\s+\w*Norm\w*\s*\(\s*nn\.Module\s*\)")  # the notes' own normalisation module
_FOLLOWS_LOSS = re.compile(r"(?:loss|损失|L̄|\bL_)[^。\n]{0,40}?(?:went (?:up|down)|goes (?:up|down)|rises|rose|falls|fell|"
                           r"increas|decreas|improv|plateau|stops? (?:improving|falling|decreasing)|上升|下降|变大|变小|"
                           r"增加|减少|平台|不再|停滞)|(?:L̄|\bL)_?\{?[jt]\}?\s*[<>]=?\s*(?:L̄|L)_?\{?[jt]\s*-\s*1|"
                           r"(?:ema|best)\s*[<>]|(?:loss|损失)[^。\n]{0,12}(?:噪声|波动|抖|\bnoise|fluctuat|varian|方差)",
                           re.IGNORECASE)
# A data idea that changes how many examples a batch holds: the batch_size skeleton.
_BATCH_SIZE = re.compile(BATCH_SIZE_CHANGE, re.IGNORECASE)
_BATCH_CHOICE = re.compile(BATCH_CHOICE, re.IGNORECASE)
# A skeleton docstring's advice on periodic operations, replaced by what the notes say of the timing.
_PERIOD_ADVICE = re.compile(r"An operation\s+every N steps starts\s+with: if step % N != 0: return( \([^)]*\))?")
_MLP_OF_LAYER = re.compile(r"mlp\(in_dim, hidden, out_dim, linear=(\w+)\)")
# A network on flat inputs written as its equations: a first hidden layer `h1 = …`, then an output read through a
# matrix (`y = W3 h2 + Q x + b3`, `y = W4 · [x; h1; h2]`).
_NETWORK_EQUATIONS = re.compile(r"^\s*(?:[-*]\s*)?h_?1\s*=[^\n]*\n(?:[^\n]*\n)*?\s*(?:[-*]\s*)?(?:y|out|output|logits)\s*="
                                r"[^\n]*[A-Z]", re.MULTILINE)
_EVERY_LINEAR = "in place of every nn.Linear(in_features, out_features) of the baseline's network."

# Kinds that need different hooks but make one common shape of idea, and their skeleton: a layer with its
# own operation on its weights between steps (a periodic merge, reset or decay of the layer's parameters).
COMBINED = {frozenset({"layer", "weight_op"}): "layer_op"}
# The part of a task's baseline an architecture idea replaces, by its skeleton: the convnet's convolution
# for image inputs, the recurrent encoder for sequences.
ARCHITECTURE_PARTS = {"digits_image": "conv", "sequence": "cell"}


@dataclass(frozen=True)
class Skeleton:
    """A skeleton's code, its worked example, and the functions the model writes (`Class.method` for methods)."""

    name: str
    code: str
    example: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    parts: tuple[Skeleton, ...] = ()  # the skeletons side by side in this one, when it holds several

    @property
    def functions(self) -> tuple[str, ...]:
        return self.required + self.optional

    @property
    def hooks(self) -> set[str]:
        """The lab hooks this skeleton defines."""
        return _top_names(ast.parse(self.code)) & set(hook_names())

    def split_at_steps(self) -> tuple[Skeleton, Skeleton] | None:
        """This skeleton as two asks: the functions the model computes with (a layer's forward and extra
        parameters), then those called between optimizer steps (a `step` argument); None unless it has both."""
        between = {q for q, fn in _functions(ast.parse(self.code)) if "step" in {a.arg for a in fn.args.args}}
        computing = tuple(q for q in self.required if q not in between)
        stepwise = tuple(q for q in self.required if q in between)
        if not computing or not stepwise:
            return None
        return (replace(self, required=computing, optional=tuple(q for q in self.optional if q not in between)),
                replace(self, required=stepwise, optional=()))


# What a note compares the idea with, to the end of its line ("对比：普通 Linear、只有一个单纯形（y = s·softmax(a)·x）"):
# no form of the idea's own layer.
_COMPARED = re.compile(r"(?:对比|对照|\bcompar(?:e|ed|isons?)(?:\s+(?:with|against|to))?|\bbaselines?|\bvs\.?)\s*[：:][^\n]*",
                       re.IGNORECASE)


def _without_plain_steps(note_text: str) -> str:
    """The note without its lines writing out the plain gradient step (`θ ← θ − η ∇_θ L`): no gradient a loss reads."""
    return "\n".join(line for line in note_text.splitlines() if not PLAIN_SGD.match(plain_symbols(line)))


def skeleton_for(kinds: Sequence[str], note_text: str = "", task: str = "") -> Skeleton | None:
    """The skeleton for the idea's kinds, or None when one of them has none.

    Kinds that COMBINED pairs (a layer that also merges its weights every N steps) share its skeleton;
    a kind whose hooks another part also has, with more (a loss idea also called a regulariser), adds
    nothing; each other kind adds its own skeleton beside the rest (a layer with its own update rule),
    so long as no two parts define the same name. A layer idea whose notes write it as a residual form
    `y = x + ...`, or whose output formula passes the input through otherwise, gets the block skeleton;
    an update rule that takes the gradient again at moved weights (a closure, "the gradient at w + e")
    the two_point skeleton, one whose step reads the batch's loss or the norm of the whole gradient the update_global
    skeleton; an architecture idea gets the skeleton of
    the part of the task's baseline it replaces (ARCHITECTURE_PARTS), on flat inputs the block skeleton where the notes
    write a residual form and no network's equations, else the network skeleton (the whole network: its layers and its
    forward) unless another kind also builds the model (a new activation in it) and the
    notes do not write the network as its equations, then none; an
    initialisation computed from the training data the init_data skeleton (build_model gets the data);
    a data idea that changes the batch size the batch_size skeleton; a schedule that follows the training loss the
    schedule_loss skeleton; a weight operation on hidden units (their incoming rows and outgoing columns) the unit_op
    skeleton; a loss or regulariser idea that penalises the
    hidden layers' outputs the activity_penalty skeleton, one that reads the network's outputs for other inputs (a
    consistency term, a gradient with respect to the inputs) the loss_inputs skeleton; a regulariser that drops or masks
    hidden units at random while training (a dropout of its own) the unit_mask skeleton.
    """
    found = kinds_of(kinds)
    names = {kind.name for kind in found}
    parts: list[tuple[str, set[str]]] = []  # (skeleton name, the hooks its kinds need)
    for pair, combined in COMBINED.items():
        if pair <= names:
            parts.append((combined, {hook for kind in found if kind.name in pair for hook in kind.hooks}))
            found = [kind for kind in found if kind.name not in pair]
    idea_part = idea_text(note_text)  # not what the setup measures or expects
    for kind in found:
        if any(set(kind.hooks) <= hooks for _, hooks in parts):
            continue
        block = kind.name == "layer" and (_BLOCK_FORM.search(note_text) or reads_input_unweighted(_COMPARED.sub("", note_text)))
        name = "block" if block else "norm" if kind.name == "layer" and (_NORM_TITLE.search(note_text) or _NORM_CLASS.search(
            note_text) or NORM_FORMULA.search(idea_part)) else kind.name
        name = "update_global" if kind.name == "update_rule" and _WHOLE_STEP.search(_NOT_DONE.sub(" ", idea_part)) else name
        name = "two_point" if kind.name == "update_rule" and _SECOND_GRADIENT.search(note_text) else name
        if kind.name == "architecture":  # the baseline's part it replaces; on flat inputs the whole network
            alone = not any(set(other.hooks) & set(kind.hooks) for other in found if other is not kind)
            network = _NETWORK_EQUATIONS.search(note_text)
            block = alone and not network and _BLOCK_FORM.search(note_text)  # `y = x + 0.5·tanh(W x + b)`: a hidden block
            name = ARCHITECTURE_PARTS.get(task, "block" if block else "network" if alone or network else name)
        name = "init_data" if kind.name == "init" and _FROM_DATA.search(note_text) else name
        name = "batch_size" if kind.name == "data" and _BATCH_SIZE.search(note_text) else name
        name = "batch_choice" if kind.name == "data" and _BATCH_CHOICE.search(idea_part) else name
        name = "schedule_loss" if kind.name == "schedule" and _FOLLOWS_LOSS.search(idea_part) else name
        name = "unit_op" if kind.name == "weight_op" and _ON_UNITS.search(idea_part) else name
        name = "activity_penalty" if kind.name in ("loss", "regulariser") and (PENALISED_ACTIVATIONS.search(note_text)
                                                                               or hidden_function(note_text)) else name
        name = "loss_inputs" if kind.name in ("loss", "regulariser") and _OTHER_INPUTS.search(_without_plain_steps(note_text)) \
            else name
        name = "unit_mask" if kind.name == "regulariser" and DROPS_UNITS.search(idea_part) else name
        parts.append((name, set(kind.hooks)))
    parts = [(name, hooks) for i, (name, hooks) in enumerate(parts)  # a loss idea that is also a regulariser's penalty
             if not any(hooks < other or (hooks == other and j < i) for j, (_, other) in enumerate(parts) if j != i)]
    if not parts or any(not (SKELETONS_DIR / f"{name}.py").exists() for name, _ in parts):
        return None
    skeletons = [with_base_optimizer(with_weight_scope(with_step_timing(with_layer_scope(with_note_weights(
        load_skeleton(name), note_text), note_text), note_text), note_text), note_text) for name, _ in parts]
    return skeletons[0] if len(skeletons) == 1 else _side_by_side(skeletons)


def _side_by_side(skeletons: Sequence[Skeleton]) -> Skeleton | None:
    """One skeleton holding several, or None when two of them define the same top-level name. Its
    example is the first part's only: a small model shown two worked examples merges them into the idea."""
    defined = [_top_names(ast.parse(skeleton.code)) for skeleton in skeletons]
    if sum(map(len, defined)) != len(set().union(*defined)):
        return None
    return Skeleton("+".join(s.name for s in skeletons), "\n\n\n".join(s.code.strip() for s in skeletons) + "\n",
                    skeletons[0].example, tuple(q for s in skeletons for q in s.required),
                    tuple(q for s in skeletons for q in s.optional), tuple(skeletons))


def note_weights(note_text: str) -> tuple[list[str], bool]:
    """The weights a layer's formulas multiply the input by, when there are several (`w1*(x+h) + w2*(x-h)`:
    ["w1", "w2"]), and whether the notes make them copies of one weight (`w1 = w2 = w`)."""
    note_text = plain_symbols(note_text)  # W₁x, W_{1} x
    names = list(dict.fromkeys(_WEIGHT_TIMES_INPUT.findall(note_text)))
    if len(names) < 2:
        return [], False
    copies = any(re.search(rf"{_LEFT_EDGE}{re.escape(name)}\s*=\s*(?:[wW]\w*\s*=\s*)*[wW]\w*(?![\w(*])", note_text)
                 for name in names)
    return list(dict.fromkeys(re.sub(r"_?\{?(\d)\}?$", r"\1", name) for name in names)), copies


def with_note_weights(skeleton: Skeleton, note_text: str) -> Skeleton:
    """A layer skeleton with one parameter per weight the notes' formulas name (guards: `note_weights`)
    in place of its single `self.weight`: each a copy of the baseline layer's initial weight when the notes
    copy one weight, else each with its own nn.Linear initial values. Other skeletons are returned as they are."""
    names, copies = note_weights(note_text)
    line = next((l for l in skeleton.code.splitlines() if l.strip().startswith(_ONE_WEIGHT)), None)
    if not names or line is None:
        return skeleton
    indent = line[:len(line) - len(line.lstrip())]
    start = "base.weight.detach().clone()" if copies else "nn.Linear(in_features, out_features).weight.detach().clone()"
    made = [f"{indent}self.{name} = nn.Parameter({start})  # the notes' {name}: (out_features, in_features)"
            for name in names]
    code = skeleton.code.replace(line, "\n".join(made)).replace("self.weight", f"self.{names[0]}")
    code = code.replace("F.linear(x, W)", f"F.linear(x, self.{names[0]})")
    return replace(skeleton, code=_with_note_biases(code, names, copies, note_text))


def _with_note_biases(code: str, weights: Sequence[str], copies: bool, note_text: str) -> str:
    """`code` with one bias per weight in place of its single `self.bias` when the notes name a bias for
    each weight (`W1*x + b1`, `W2*x + b2`: b1, b2), each started where the notes start it, else as the weights are."""
    biases = ["b" + weight[1:] for weight in weights]
    starts = {b: _start(b, note_text) for b in biases}  # `Init: b_b = 1, b_a = 0`
    note_text = plain_symbols(note_text)
    line = next((l for l in code.splitlines() if l.strip().startswith(_ONE_BIAS)), None)
    named = all(re.search(rf"{_LEFT_EDGE}b_?\{{?{re.escape(b[1:])}\}}?(?!\w)", note_text) for b in biases)
    if line is None or not named:
        return code
    indent = line[:len(line) - len(line.lstrip())]
    start = "base.bias.detach().clone()" if copies else "nn.Linear(in_features, out_features).bias.detach().clone()"
    made = [f"{indent}self.{b} = nn.Parameter(torch.full((out_features,), {starts[b]}))  # the notes' {b}, started as "
            "they say" if starts[b] else f"{indent}self.{b} = nn.Parameter({start})  # the notes' {b}: (out_features,)"
            for b in biases]
    return code.replace(line, "\n".join(made)).replace("self.bias", f"self.{biases[0]}")


def with_step_timing(skeleton: Skeleton, note_text: str) -> Skeleton:
    """A skeleton whose advice on operations every N steps says what the notes do: the notes' period with
    its number, or no test on the step when the notes do it after every step (a small model otherwise
    invents a period). Unchanged when the notes say neither, or name a period without its number."""
    period = note_period(note_text) if periodic_cue(note_text) else None
    if period:
        advice = f"The notes do it every {period} steps: start with if step % {period} != 0: return (what they keep up " \
            "every step, such as a running score, comes before it)"
    elif every_step_cue(note_text):
        advice = "The notes do it after every step: no test on the step"
    else:
        advice = ""
    return replace(skeleton, code=_PERIOD_ADVICE.sub(advice, skeleton.code)) if advice else skeleton


_UPDATE_DOC_END = 't the step number, 1, 2, ..."""'
_ADAM_ADVICE = ("t the step number, 1, 2, ... The notes change Adam: keep Adam's moments m = beta1*m + (1 - beta1)*g and\n"
                "    v = beta2*v + (1 - beta2)*g*g in state, its bias corrections m_hat = m / (1 - beta1**t), v_hat = v / (1 - beta2**t)\n"
                "    and its step p -= lr * m_hat / (v_hat.sqrt() + eps) (beta1 0.9, beta2 0.999, eps 1e-8), except where\n"
                '    the notes write them otherwise, and change only what the notes change."""')


def with_base_optimizer(skeleton: Skeleton, note_text: str) -> Skeleton:
    """An update rule's skeleton whose notes' title names Adam as what the idea changes: its docstring writes out Adam's
    step, to be kept where the notes do not change it (a note that writes only its change, "then the usual
    m̂/(√v̂ + ε) step", would otherwise leave the model to invent the rest). Other skeletons are returned as they are."""
    title = next((line for line in note_text.splitlines() if line.strip()), "")
    if _UPDATE_DOC_END not in skeleton.code or changed_optimizer(title) not in {"adam", "adamw"}:
        return skeleton
    return replace(skeleton, code=skeleton.code.replace(_UPDATE_DOC_END, _ADAM_ADVICE))


def with_layer_scope(skeleton: Skeleton, note_text: str) -> Skeleton:
    """A layer skeleton whose network follows the notes' scope for the layer: no activation after it when
    the notes say so or replace a layer written with its activation (the layer's own nonlinearity takes its place),
    and a plain nn.Linear output layer when the notes keep the output layer as it was or name the hidden layers.
    Other skeletons are returned as they are."""
    idea_part = idea_text(note_text)  # not a baseline's or variant's "without the ReLU"
    options = (", activation=None" if _NO_ACTIVATION.search(idea_part) or _ACTIVATED_REPLACED.search(idea_part) else "") \
        + (", head=nn.Linear" if _OUTPUT_KEPT.search(note_text) or _HIDDEN_LAYERS.search(note_text)
           or _LINEAR_HEAD_AFTER.search(note_text) else "")
    if not options or not _MLP_OF_LAYER.search(skeleton.code):
        return skeleton
    code = _MLP_OF_LAYER.sub(lambda m: m.group(0)[:-1] + options + ")", skeleton.code)
    scope = "in place of each hidden nn.Linear(in_features, out_features) of the baseline's network (the output " \
            "layer stays nn.Linear)." if "head=" in options else _EVERY_LINEAR
    if "activation=None" in options:
        scope += " It is the layer's nonlinearity too: no activation follows it."
    return replace(skeleton, code=code.replace(_EVERY_LINEAR, scope))


# The skeletons whose hook loops over the model's parameters (a weight operation's, a penalty's): they may act on
# some layers only (guards/weight_scope.py), said in a comment by the slice of the layers.
_SCOPED_SKELETONS = ("weight_op", "regulariser")
_ALL_PARAMETERS = "model.parameters()"


def with_weight_scope(skeleton: Skeleton, note_text: str) -> Skeleton:
    """A weight operation's or penalty's skeleton whose hook acts on the layers the notes restrict it to (the first
    layer only, every layer but the output layer): the hook loops over those layers' parameters only. Other
    skeletons, and notes that restrict nothing, are returned as they are."""
    scope = weight_scope(note_text) if skeleton.name in _SCOPED_SKELETONS else None
    if scope is None:
        return skeleton
    scoped = f"[p for layer in [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]{scope} " \
             "for p in layer.parameters()]"
    lines = skeleton.code.splitlines()
    for fn in ast.parse(skeleton.code).body:
        if isinstance(fn, ast.FunctionDef) and fn.name in hook_names() and fn.name != "build_model":
            for number in range(fn.lineno - 1, fn.end_lineno):
                if _ALL_PARAMETERS in lines[number]:
                    lines[number] = lines[number].replace(_ALL_PARAMETERS, scoped) + f"  # {SCOPES[scope]}, as the notes say"
    return replace(skeleton, code="\n".join(lines) + "\n")


@cache
def load_skeleton(name: str) -> Skeleton:
    code = (SKELETONS_DIR / f"{name}.py").read_text(encoding="utf-8")
    example = (SKELETONS_DIR / f"{name}.md").read_text(encoding="utf-8")
    required, optional = [], []
    for qualname, fn in _functions(ast.parse(code)):
        body = _body(fn)
        if _is_stub(fn):
            required.append(qualname)
        elif len(body) == 1 and isinstance(body[0], ast.Return) and body[0].value is None:
            optional.append(qualname)
    return Skeleton(name, code, example, tuple(required), tuple(optional))


def _is_stub(fn: ast.FunctionDef) -> bool:
    """The function's body is `...` (after its docstring): the model has yet to write it."""
    body = _body(fn)
    return len(body) == 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
        and body[0].value.value is Ellipsis


def parameters_of(code: str, class_name: str) -> list[str]:
    """The names of the `self.NAME = nn.Parameter(...)` of a class of `code`, in order."""
    cls = next((n for n in ast.parse(code).body if isinstance(n, ast.ClassDef) and n.name == class_name), None)
    pairs = []  # (target, value), tuples unpacked: self.a, self.b = nn.Parameter(...), nn.Parameter(...)
    for node in ast.walk(cls) if cls else ():
        if isinstance(node, ast.Assign):
            for target in node.targets:
                both = isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple)
                pairs += zip(target.elts, node.value.elts) if both else [(target, node.value)]
    return [target.attr for target, value in pairs if isinstance(target, ast.Attribute) and ast.unparse(target.value) == "self"
            and isinstance(value, ast.Call) and ast.unparse(value.func).split(".")[-1] == "Parameter"]


def stubs(code: str) -> set[str]:
    """The qualnames of the functions of `code` still to be written (body `...`)."""
    return {qualname for qualname, fn in _functions(ast.parse(code)) if _is_stub(fn)}


def defined_functions(code: str) -> set[str]:
    """The qualnames of the top-level functions and methods of `code`."""
    return {qualname for qualname, _ in _functions(ast.parse(code))}


def function_sources(code: str) -> dict[str, str]:
    """The source of each top-level function and method of `code`, comments included, by qualname."""
    return {qualname: ast.get_source_segment(code, fn) or "" for qualname, fn in _functions(ast.parse(code))}


def fill(skeleton: Skeleton, reply: str) -> str:
    """The skeleton with the bodies the reply wrote for its functions, plus the reply's imports, helpers
    and constants. A reply class that writes a skeleton class's method together with its own __init__
    replaces that class whole, under the skeleton's name (its parameters are made there). A reply that
    does not parse is returned as it is (the static check names the error); a required function the
    reply lacks keeps its `...` body (the static check calls it a stub). The reply's own definition of a harness
    function the skeleton calls (`make_activation`) is left out: the wiring calls the harness's."""
    try:
        tree = ast.parse(reply)
    except SyntaxError:
        return reply
    skeleton_tree = ast.parse(skeleton.code)
    lines = skeleton.code.splitlines()
    used: set[str] = set()  # the reply's classes that went into the skeleton
    replaced: dict[str, ast.ClassDef] = {}
    for cls in (n for n in skeleton_tree.body if isinstance(n, ast.ClassDef)):
        methods = {q.split(".")[1] for q in skeleton.functions if q.startswith(cls.name + ".")}
        own = next((c for c in tree.body if isinstance(c, ast.ClassDef) and methods & _method_names(c)
                    and "__init__" in _method_names(c)), None)
        if own is not None:
            replaced[cls.name], used = own, used | {own.name}
    written = _written_functions(reply, tree, skeleton, set(replaced))
    edits: list[tuple[int, int, str]] = []  # (first line, last line, new text), 1-based, inclusive
    for qualname, fn in _functions(skeleton_tree):
        if qualname.split(".")[0] in replaced or qualname not in written:
            continue
        body_start = _body(fn)[0].lineno
        edits.append((body_start, fn.end_lineno, textwrap.indent(written[qualname][1], " " * fn.body[0].col_offset)))
        used |= {written[qualname][0]}
    for hook, own_hook, unused in _hooks_kept_from_reply(tree, skeleton_tree, skeleton, written, replaced):
        edits += [(min([n.lineno, *(d.lineno for d in getattr(n, "decorator_list", []))]), n.end_lineno, "")
                  for n in skeleton_tree.body if _defines(n) & unused]
        text = _source(reply, own_hook)
        for name, own in replaced.items():
            text = re.sub(rf"\b{re.escape(own.name)}\b", name, text)
        edits.append((hook.lineno, hook.end_lineno, text))
    for cls in (n for n in skeleton_tree.body if isinstance(n, ast.ClassDef) and n.name in replaced):
        own = replaced[cls.name]
        text = re.sub(rf"\b{re.escape(own.name)}\b", cls.name, _source(reply, own))
        edits.append((cls.lineno, cls.end_lineno, text))
    for first, last, text in sorted(edits, reverse=True):
        lines[first - 1:last] = text.splitlines()
    taken = _top_names(skeleton_tree) | {q.split(".")[-1] for q, _ in _functions(skeleton_tree)} | used \
        | _harness_calls(skeleton_tree)  # a reply's own `make_activation`: the wiring calls the harness's
    imports = [_source(reply, node) for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    helpers = [_source(reply, node) for node in tree.body
               if not isinstance(node, ast.Import | ast.ImportFrom) and _defines(node) and not _defines(node) & taken]
    for name, own in replaced.items():
        helpers = [re.sub(rf"\b{re.escape(own.name)}\b", name, helper) for helper in helpers]
    parts = ["\n".join(imports), *helpers, "\n".join(lines)]
    joined = "\n\n\n".join(part for part in parts if part.strip())
    return re.sub(r"\n{4,}", "\n\n\n", joined).rstrip("\n") + "\n"  # no gaps where skeleton definitions went


def _harness_calls(tree: ast.Module) -> set[str]:
    """The harness functions the skeleton's own code calls (`baseline_model`, `make_activation`)."""
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    return called & harness_names()


def _hooks_kept_from_reply(tree: ast.Module, skeleton_tree: ast.Module, skeleton: Skeleton, written: dict,
                           replaced: dict[str, ast.ClassDef]) -> list[tuple[ast.FunctionDef, ast.FunctionDef, set[str]]]:
    """(skeleton hook, the reply's hook of the same name, the skeleton's names only that hook used) for
    each hook of the skeleton that calls a required function the reply did not write, when the reply
    wrote that hook itself: a reply whose own layer class merges its weights in its own `after_step`
    keeps it, instead of a skeleton `after_step` calling a method the class lacks; a reply with its own
    optimizer class keeps its `make_optimizer`, and the skeleton's optimizer and unwritten `update` go."""
    still = {q for q, fn in _functions(skeleton_tree) if _is_stub(fn)}  # beyond the functions asked for, when fewer
    unwritten = {q.split(".")[-1] for q in set(skeleton.required) | still if q not in written
                 and not (q.split(".")[0] in replaced and q.split(".")[-1] in _method_names(replaced[q.split(".")[0]]))}
    own = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in hook_names()}
    classes = {n.name: n for n in skeleton_tree.body if isinstance(n, ast.ClassDef)}
    kept = []
    for hook in (n for n in skeleton_tree.body if isinstance(n, ast.FunctionDef) and n.name in own):
        called, seen = _called(hook), set()
        while new := (called & set(classes)) - seen:  # a skeleton class the hook builds calls what its methods call
            seen |= new
            called |= {name for cls in new for name in _called(classes[cls])}
        if called & unwritten:
            kept.append((hook, own[hook.name], (called & unwritten) | seen))
    return kept


def _called(node: ast.AST) -> set[str]:
    """The names of the functions and methods called inside node."""
    return {c.func.attr if isinstance(c.func, ast.Attribute) else getattr(c.func, "id", "")
            for c in ast.walk(node) if isinstance(c, ast.Call)}


def written_part(skeleton: Skeleton, code: str) -> str:
    """The part of filled skeleton code that holds the idea, for a reviewer to read: the model's helpers
    and constants, the skeleton's classes, and its functions with their bodies (no docstrings, no wiring)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code
    wiring = _top_names(ast.parse(skeleton.code)) - {q.split(".")[0] for q in skeleton.functions}
    wanted = set(skeleton.functions)
    parts = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name not in wiring:
            parts.append(_source(code, node))
        elif isinstance(node, ast.FunctionDef) and node.name in wanted:
            parts.append(_without_docstring(code, node))
        elif not isinstance(node, ast.Import | ast.ImportFrom) and _defines(node) and not _defines(node) & wiring:
            parts.append(_source(code, node))
    return "\n\n".join(parts) + "\n"


def _without_docstring(text: str, fn: ast.FunctionDef) -> str:
    """A function's source at indentation 0 with its decorators and without its docstring."""
    header = textwrap.dedent("\n".join(text.splitlines()[min([fn.lineno, *(d.lineno for d in fn.decorator_list)]) - 1:fn.lineno]))
    return header + "\n" + textwrap.indent(_body_source(text, fn), "    ")


def _method_names(cls: ast.ClassDef) -> set[str]:
    return {item.name for item in cls.body if isinstance(item, ast.FunctionDef)}


def _written_functions(reply: str, tree: ast.Module, skeleton: Skeleton,
                       skipped_classes: set[str]) -> dict[str, tuple[str, str]]:
    """qualname -> (the reply's name holding it, body source) of each skeleton function the reply wrote
    (outside the skipped classes): as a method of a class or as a top-level function of the same name;
    a reply of one lone function when the skeleton asks for one takes its place."""
    found: dict[str, tuple[str, ast.FunctionDef]] = {}
    candidates = _functions(tree)
    for qualname in skeleton.functions:
        if qualname.split(".")[0] in skipped_classes:
            continue
        short = qualname.split(".")[-1]
        match = next(((q, fn) for q, fn in candidates if q == qualname), None) \
            or next(((q, fn) for q, fn in candidates if q.split(".")[-1] == short), None)
        if match is not None:
            found[qualname] = match
    skeleton_names = _top_names(ast.parse(skeleton.code))
    lone = [(q, fn) for q, fn in candidates if "." not in q and q not in skeleton_names]
    if not found and not skipped_classes and len(skeleton.required) == 1 and len(lone) == 1:
        found[skeleton.required[0]] = lone[0]
    in_place, signatures = _in_place_arguments(skeleton), dict(_functions(ast.parse(skeleton.code)))
    return {qualname: (q.split(".")[0], _renamed_arguments(signatures[qualname], fn)
                       + _assigned_in_place(_body_source(reply, fn), in_place.get(qualname)))
            for qualname, (q, fn) in found.items()}


def _renamed_arguments(skeleton_fn: ast.FunctionDef, written: ast.FunctionDef) -> str:
    """Lines binding the reply's own argument names to the skeleton's, position by position
    (`param = p` for a reply that wrote `def update(param, grad, ...)`), for the names its body reads."""
    ours = [a.arg for a in skeleton_fn.args.args]
    read = {n.id for n in ast.walk(written) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return "".join(f"{theirs} = {mine}\n" for mine, theirs in zip(ours, (a.arg for a in written.args.args))
                   if theirs != mine and theirs not in ours and theirs in read)


def _in_place_arguments(skeleton: Skeleton) -> dict[str, str]:
    """qualname -> the argument its docstring says to "change ... in place" (the weights it must move)."""
    found = {}
    for qualname, fn in _functions(ast.parse(skeleton.code)):
        if match := _IN_PLACE.search(ast.get_docstring(fn) or ""):
            found[qualname] = match[1]
    return found


def _assigned_in_place(body: str, argument: str | None) -> str:
    """`p = expr` written as `p.copy_(expr)` for the argument the function must change in place: the
    plain assignment only renames the local and the weights never move."""
    if argument is None:
        return body
    try:
        tree = ast.parse(body)
    except SyntaxError:
        return body
    lines = body.splitlines()
    found = [node for node in ast.walk(tree) if isinstance(node, ast.Assign) and len(node.targets) == 1
             and isinstance(node.targets[0], ast.Name) and node.targets[0].id == argument]
    for node in sorted(found, key=lambda n: (n.lineno, n.col_offset), reverse=True):
        last = lines[node.end_lineno - 1]
        lines[node.end_lineno - 1] = last[:node.end_col_offset] + ")" + last[node.end_col_offset:]
        first = lines[node.lineno - 1]  # read after the closing bracket went in: it may be the same line
        lines[node.lineno - 1] = first[:node.col_offset] + f"{argument}.copy_(" + first[node.value.col_offset:]
    return "\n".join(lines)


def _functions(tree: ast.Module) -> list[tuple[str, ast.FunctionDef]]:
    """(qualname, node) of the top-level functions and of the methods of top-level classes."""
    found = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            found.append((node.name, node))
        elif isinstance(node, ast.ClassDef):
            found += [(f"{node.name}.{item.name}", item) for item in node.body if isinstance(item, ast.FunctionDef)]
    return found


def _body(fn: ast.FunctionDef) -> list[ast.stmt]:
    """The statements of a function after its docstring."""
    return fn.body[1:] if ast.get_docstring(fn) is not None else fn.body


def _body_source(text: str, fn: ast.FunctionDef) -> str:
    """A function's body in the reply's own words (comments kept), without its docstring, at indentation 0."""
    body = _body(fn)
    if not body:
        return "pass"
    if body[0].lineno == fn.lineno:  # def f(x): return x
        return "\n".join(ast.unparse(statement) for statement in body)
    return textwrap.dedent("\n".join(text.splitlines()[body[0].lineno - 1:fn.end_lineno]))


def _source(text: str, node: ast.stmt) -> str:
    """A top-level statement's text in the reply, with its decorators."""
    start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    return "\n".join(text.splitlines()[start - 1:node.end_lineno])


def _defines(node: ast.stmt) -> set[str]:
    """The names a top-level statement binds (functions, classes, assigned constants)."""
    if isinstance(node, ast.FunctionDef | ast.ClassDef):
        return {node.name}
    if isinstance(node, ast.Assign):
        return {t.id for t in node.targets if isinstance(t, ast.Name)}
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return {node.target.id}
    return set()


def _top_names(tree: ast.Module) -> set[str]:
    return {name for node in tree.body for name in _defines(node)}


def blameless_parts(skeleton: Skeleton, code: str, evidence: Sequence[str]) -> dict[str, str]:
    """Part name -> its code, for the parts of a side-by-side skeleton's filled `code` that hold none of
    the `evidence` lines (the lines the problems of an attempt point at); {} when a line is found in no
    part (it cannot be placed) or the skeleton has one part."""
    if not skeleton.parts or not evidence:
        return {}
    pieces = _part_codes(skeleton, code)
    if pieces is None:
        return {}
    lines = [line.strip() for line in evidence if line.strip()]
    placed = [{name for name, piece in pieces.items() if line in piece} for line in lines]
    if any(not names for names in placed):
        return {}
    blamed = set().union(*placed)
    return {name: piece for name, piece in pieces.items() if name not in blamed}


def _part_codes(skeleton: Skeleton, code: str) -> dict[str, str] | None:
    """Each part's code in filled side-by-side `code`: the lines after the previous part's last skeleton
    definition (a reply's imports and helpers go before its part) up to its own last one; None when the
    parts cannot be told apart."""
    tree = _parsed(code)
    if tree is None:
        return None
    ends = []
    for part in skeleton.parts:
        names = {n.name for n in ast.parse(part.code).body if isinstance(n, ast.FunctionDef | ast.ClassDef)}
        own = [n.end_lineno for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef) and n.name in names]
        if not own:
            return None
        ends.append(max(own))
    if ends != sorted(ends):
        return None
    lines = code.splitlines()
    bounds = [0, *ends[:-1], len(lines)]
    return {part.name: "\n".join(lines[a:b]) for part, a, b in zip(skeleton.parts, bounds, bounds[1:])}


def _parsed(code: str) -> ast.Module | None:
    try:
        return ast.parse(code)
    except SyntaxError:
        return None
