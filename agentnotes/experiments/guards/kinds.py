"""The kinds of idea, in one registry: how a note shows each, what the code needs, what guards apply.

An idea note says what kind of idea it is through the shape of its formulas and a few words:
an output computed from weights is a layer, an assignment to the gradient is an update rule,
something done to the weights every N steps is a weight operation. Each kind names the lab hooks
that express it, the worked example shown to the code writer, the confound categories it may
change (guards/confounds.py), and the mechanical fixes (guards/autofix.py) and idea-specific
static checks (guards/static_check.py) written for it: a fix or a check runs only for the kinds
that list it. Adding a kind is one entry here, its example file, and a lab hook when it needs one.

Cues are matched as whole words in Latin script (`sign` is not found in `design`), as plain
substrings in Chinese (which has no spaces between words).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from agentnotes.experiments.guards.notation import DRAW_FAMILIES, plain_formula
from agentnotes.experiments.guards.testability import done_without
from agentnotes.notes.chunker import fence_after

_LEFT, _RIGHT = r"(?<![A-Za-z0-9_])", r"(?![A-Za-z0-9_])"
# The weights' distance from their start ("distance from init", "‖W − W_0‖ since initialisation"): no initialisation idea.
_FROM_THE_START = r"(?<!from )(?<!since )(?<!distance to )"
# A product of a matrix with itself (`G = WᵀW`, `G = A.T @ A`): its Gram matrix, no gradient.
_GRAM = r"(?!\s*(?P<gram>[A-Za-zθ]\w*)\s*(?:\.T|ᵀ|⊤|\^T)?\s*[@·*×]?\s*(?P=gram)\s*(?:\.T|ᵀ|⊤|\^T)?[ \t]*(?:\n|$))"
# What notes call the training loss (`loss = …`, `L_reg(θ) = …`, `ℓ = …`, `l = F.cross_entropy(…)`); a lowercase l
# is one only where a loss is its value: otherwise an index (`l_star = argmin_l r_l`, "head l = L": a layer).
_LOSS_NAME = r"(?:loss|(?-i:L)|ℓ|(?-i:l)(?![_\w])(?=\s*:?=\s*[^\n]*(?:entropy|CE|MSE|mse|loss|log)))"
_OPTIMIZER_CLASS = re.compile(r"\bclass\s+\w+\s*\(\s*(?:torch\.)?optim\.Optimizer\s*\)")  # the notes' own optimizer
_ASSIGN = r"\s*(?:=|←|:=|\+=|-=)(?!=)"


def _words(*words: str) -> str:
    """A pattern for any of `words` (regular expressions) standing as whole words in Latin script."""
    return f"{_LEFT}(?:{'|'.join(words)}){_RIGHT}"


def _cue(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


@dataclass(frozen=True)
class Kind:
    """One kind of idea. `hooks`: the lab hooks that express it (the code must define at least one);
    `example`: its worked example, a file of agentnotes/prompt_files/idea_examples; `changes`: the confound
    categories its arm may differ in; `fixes` / `checks`: the autofix functions and static checks
    (by name) that apply to it; `also_hooks`: hooks that express one form of it too, left out where kinds share a
    skeleton (a regulariser's mask drawn while training sits in build_model's activations)."""

    name: str
    description: str
    cue: re.Pattern[str]
    hooks: tuple[str, ...]
    example: str
    changes: tuple[str, ...]
    fixes: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()
    also_hooks: tuple[str, ...] = ()

    @property
    def all_hooks(self) -> tuple[str, ...]:
        """Every hook that may express the kind: its own, then those that express one form of it too."""
        return (*self.hooks, *self.also_hooks)


# Something done to the weights every N steps, not every step: "every 50 steps", "每训练 N 步" (not what is done to
# each image or sample k times: "每张图执行 k 次").
PERIOD_LETTER = "[NnKkHhMmPpTτ]"  # the letter a note names its period with: every N, K, H (local SGD), M, P, T or τ steps
PERIODIC = (rf"\bevery\s+(?:\d+|{PERIOD_LETTER})(?:\s*=\s*\d+)?\s+(?:(?:optimi[sz]er|training|sgd|gradient)\s+)?(?:steps|updates|iterations)"
            rf"|每(?![^。\n步次]{{0,6}}?(?:张|图|样本|像素|执行|重复))[^。\n步次]{{0,6}}?(?:\d+|{PERIOD_LETTER}|几|若干)\s*(?:=\s*\d+\s*)?(?:个\s*)?(?:训练|优化器?|更新)?\s*(?:步|次|steps?\b|iter(?:ation)?s?\b)")
# Something done every N epochs: periodic too, but over a number of steps the lab does not know.
PERIODIC_EPOCHS = (rf"\bevery\s+(?:\d+|{PERIOD_LETTER})(?:\s*=\s*\d+)?\s+epochs\b|每[^。\n]{{0,6}}?(?:\d+|{PERIOD_LETTER})\s*"
                   r"(?:=\s*\d+\s*)?(?:个\s*)?(?:epochs?|轮)")
# Something done after every single step: "after every step", "每一步更新之后".
EVERY_STEP = (r"\b(?:after |at )?(?:every|each) (?:single |optimi[sz]er |training |sgd )?(?:step|update|iteration)\b"
              r"|每一步|每步|每次更新|每次迭代|每个 ?step")
_DROP_AFTER_STEP = "drop_unrequested_after_step"
# A layer's formula that reads the network's input beside a hidden layer's output, or two hidden layers' outputs
# (`h2 = ReLU(W2 h1 + P x + b2)`, `y = W4 · [x; h1; h2]`): wiring across layers, an architecture.
CROSS_LAYER = (r"=[^=\n]*(?:(?<![\w])x(?![\w])[^=\n]*(?<![\w])h_?\d|(?<![\w])h_?\d[^=\n]*(?<![\w])x(?![\w])|"
               r"(?<![\w])h_?(\d)[^=\n]*(?<![\w])h_?(?!\1)\d|"
               # a_l = Σ_{k=0..l} α[l,k]·h_k: the outputs of the layers up to l, weighted
               r"(?:Σ|∑|\\sum|\bsum)_\{?(?P<layer>[a-z])\s*(?:=\s*\d+\s*(?:\.\.\.?|…|\}?\s*\^\s*\{?)\s*[lL]|[<≤]\s*l)\b"
               r"[^\n]*?(?<![\w])h_\{?(?P=layer)\b)")
# An output read from every hidden layer: "all-layer readout", "deep supervision", `logits = Σ_l a_l V_l h_l`
# (a loss summed over the layers' outputs is no readout).
READOUT_OF_LAYERS = (_words(r"(?:all|every|each)[- ](?:hidden[- ])?layers?['’]?s?\s+(?:readouts?|heads?|outputs?|votes?)",
                            "deep supervision", r"readouts?\s+(?:from|of)\s+(?:all|every|each)\s+(?:the\s+)?(?:hidden\s+)?layers?")
                     + r"|(?:logits|out(?:put)?|y|ŷ|z)\s*=\s*(?:sum|Σ|∑)_?\{?l\b(?:=[^}\s]*\}?)?[^\n=]*\bh_\{?l\b|所有隐藏层[^。\n]{0,8}(?:输出|读出)|每一层[^。\n]{0,6}都[^。\n]{0,6}(?:输出|读出)|"
                        r"每一层的输出[^。\n]{0,30}(?:concat|拼接)|(?:所有|每一?个)\s*(?:hidden|隐藏?)\s*层[^。\n]{0,10}(?:接到|连到|直接进)"
                        r"[^。\n]{0,6}(?:分类头|head|classifier)")  # 每一层的输出…都 concat 起来再进最后的 Linear
# A hidden state computed from the one before it, in a note that names no gradient (an optimizer's running `h_t = ρ·h_{t-1}
# + …` does): a recurrent cell (`h_t = … h_{t−1}`, `h[t-1]`), whose formulas are no layer's.
RECURRENCE = r"(?<![A-Za-z0-9_])h_?(?:\{\s*t\s*[-−]\s*1\s*\}|\(\s*t\s*[-−]\s*1\s*\)|\[\s*t\s*[-−]\s*1\s*\]|t[-−]1)"
# A batch size that changes over training: "growing the batch size", "batch size 16 → 32 → 64", "逐步增大 batch".
BATCH_SIZE_CHANGE = (r"\b(?:grow|increas|ramp|doubl|shrink|decreas|halv)\w*\s+(?:the\s+)?(?:mini-?)?batch(?:[ _-]?sizes?)?\b|"
                     r"\bbatch[ _-]?sizes?\b[^.。\n]{0,40}?(?:\b(?:grows?|increas\w*|ramps?|doubl\w*|shrinks?|decreas\w*|"
                     r"halv\w*|schedule)\b|\d+\s*(?:→|->|,)\s*\d+\s*(?:→|->|,)\s*\d+)|"
                     r"(?:增大|加大|增加|减小|逐步|逐渐|翻倍)[^。，,\n]{0,6}batch|batch[ _]?size[^。\n]{0,12}(?:增大|加大|翻倍|逐步|逐渐|随)")
# Which training examples make up a batch: "build each batch from pairs", "change which examples share a batch",
# "class-balanced batches", "每个 batch 由…组成", "按 loss 挑样本组 batch" (not online hard example mining: a loss over
# the drawn batch's hardest).
BATCH_CHOICE = (r"\b(?:build|compose|construct|form|assemble|fill)s?\s+(?:each|every|the|a)\s+(?:mini-?)?batch(?:es)?\s+"
                r"(?:from|of|with|to|so|by)\b|选出?[^。\n]{0,30}?(?:当|作为|做)\s*(?:一个|这个)?\s*batch|\bwhich\s+(?:training\s+)?(?:examples|samples)\s+(?:share|form|go into|make up)\s+"
                r"(?:a|the|each)\s+(?:mini-?)?batch|\bbatch\s+(?:composition|construction|selection)\b|"
                r"\bclass[- ]balanced\s+(?:mini-?)?batch|\bstratified\s+(?:sampling|(?:mini-?)?batch)|分层采样|"
                r"\b(?:each|every)\s+(?:mini-?)?batch\b[^.\n]{0,30}?\b(?:takes|draws|contains)\s+(?:exactly\s+)?\S+\s+(?:examples|samples)\s+from|"
                r"(?:每个|每一个)\s*batch\s*(?:都)?由|(?:组成|构成|组|拼)\s*(?:一个|每个)?\s*batch|batch\s*的?(?:组成|构成)|"
                # "each batch = 96 fresh samples + the same 32", "a fixed handful of samples in every batch"
                r"\b(?:each|every)\s+(?:mini-?)?batch\s*(?:=|is\s+made\s+of|consists\s+of)\s*\d+|"
                r"\b(?:samples|examples)\s+in\s+(?:each|every)\s+(?:mini-?)?batch\b|"
                # how often each example is drawn: "采样概率 P(i) ∝ …", "按预测的方差采样 batch", "per-example sampling probability"
                r"采样概率|按[^。\n]{1,24}采样\s*(?:batch|样本)|\b(?:per-?(?:sample|example)|examples?'?)\s+sampling\s+probabilit")

# A normalisation's affine form: `Ĥ = γ ⊙ H / (σ_max(H)/√B + ε) + β`, `y = γ·(x − μ)/s + β`.
NORM_FORMULA = re.compile(r"=\s*(?:γ|gamma)\s*[⊙·*]\s*\(?\s*[A-Za-z]\w*\s*(?:[-−]\s*[^)/\n]+\))?\s*/[^\n]*\+\s*(?:β|beta)(?![\w])")
# A module the model repeats, bracketed in its chain: `→ [RevBlock] × D →`, `[conv-relu] x 3`.
# A layer's activations computed from the layer's before it: `h_{l+1} = max(h_l, f(h_l))`, `x_{l+1} = x_l + F(x_l)`.
_NEXT_LAYER_FROM_LAST = r"(?<![\w])(?P<layer_output>[hxza])_\{\s*l\s*\+\s*1\s*\}(?:\[\w+\])?\s*=(?!=)[^=\n]*(?<![\w])(?P=layer_output)_\{?l\b(?!\s*\+)"
_REPEATED_BLOCK = r"\[\s*(?!(?:None|True|False)\s*\])[A-Za-z][\w -]{0,30}\]\s*[×x*]\s*(?:(?-i:[A-Z])|\d+)(?![\w.\[])"

# A regulariser that drops or masks hidden units (or blocks of a feature map) at random while training, a dropout of
# its own named in the title or said in words (its skeleton: unit_mask, a mask in the activations, none in evaluation).
_DROPOUT_TITLE = re.compile(r"(?m:^#[^\n]*(?:dropout|drop-?block)\b)", re.IGNORECASE)  # "# DropBlock on a small convnet"
DROPS_UNITS = re.compile(_DROPOUT_TITLE.pattern + r"|\bdrop(?:s|ping|ped)?\s+(?:out\s+)?(?:the\s+|some\s+|random\s+|each\s+|whole\s+)?"
                        r"(?:hidden\s+)?(?:units?|neurons?|channels?|blocks?|regions?|activations?)\b|"
                        r"\bmask(?:s|ing|ed)?\s+(?:out\s+)?(?:the\s+|some\s+|random\s+)?(?:hidden\s+)?(?:units?|neurons?|channels?|activations?)\b|"
                        r"(?:丢弃|丢掉|屏蔽|置零|mask\s*掉)[^。，,\n]{0,8}?(?:单元|神经元|通道|隐藏|激活|特征|块)|"
                        r"(?:单元|神经元|通道|激活)[^。，,\n]{0,8}?(?:丢弃|丢掉|屏蔽|置零)", re.IGNORECASE)
KINDS: tuple[Kind, ...] = (
    Kind("update_rule", "changes how the optimizer turns gradients into weight updates",
         _cue(_LEFT + r"(?:g|grad|gradient|g_t|gt|g')" + _ASSIGN + r"(?!\s*[-−]?(?:√|sqrt\()?\d+(?:\.\d+)?\)?(?!\s*[*/+\-−^·×(]|[A-Za-z0-9_.]))"
              r"(?!\s*(?:torch\.)?(?:autograd\.grad|Generator)\b)(?![^\n]*\bself\.(?!state\b))" + _GRAM
              + r"(?!\s*(?:an?\s+|the\s+)?(?:[A-Za-z0-9→-]+\s+){0,3}(?:head|projector|MLP|network|module|encoder)s?\b)",  # not G = 16, g = √2, g = 8 modules,
              # g = autograd.grad(L, …) (taken, not changed), g = torch.Generator() (a random generator), G = WᵀW, a gate
              # of a module's own parameters (`g = F.relu(r − F.softplus(self.t)) / r`), a module said in words (`g = small
              # MLP head 128→64`)
              # w ← w − …, W[i, :] = W[i, :] − … (a row of a weight matrix)
              _LEFT + r"(?P<weight>w|W|θ|theta|p|param)(?P<row>\[[^\]\n]*\]|_[ijk])?(?:_\{?t\+1\}?|_new|')?\s*(?:=|←|:=)\s*"
                      r"(?P=weight)(?:(?P=row))?\s*[-−+]",
              _LEFT + r"(?:w|θ|theta|p|param)\s*-=",
              # the optimizer's state summing the gradient: `n ← n + g²`, `z ← z + g − σ·w`, `v ← β·v + (1−β)·g`
              _LEFT + r"(?P<acc>[A-Za-z]\w*)\s*(?:←|:=)\s*(?:[^\n←=]*?[·*]\s*)?(?P=acc)\s*\+[^\n←=]*?(?<![\w])g(?:_t)?(?:²|\^2)?(?![\w])",
              # a gradient changed from itself, a row's or a renamed one: `g̃_j = g_j − α·mean_k g_k`, `g_i ← g_i + …`
              _LEFT + r"(?:g|grad)(?:_?(?:tilde|hat|new|mod))?(?:_[ijk])?\s*(?:=|←|:=)\s*(?:g|grad)(?:_[ijk])?\s*[-−+]",
              # w ← w ⊙ exp(−η·sign(w)⊙g/√v̂): the weights scaled by a factor of the gradient (a shrink by the rate alone,
              # `w ← w·max(0, 1 − ηλ/‖w‖)`, is a weight operation's)
              _LEFT + r"(?P<scaled>w|W|θ|theta|p|param)(?:_\{?t\+1\}?|_new|')?\s*(?:=|←|:=)\s*(?P=scaled)\s*[⊙·*×]"
                      r"(?=[^\n]*(?:∇|\bgrad\b|(?<![\w])g(?![\w])))",
              _words("update rule", "momentum", r"(?:add\w*|inject\w*|anneal\w*|decay\w*|scal\w*|with|plus|\+)\s+(?:\w+\s+){0,2}gradient noise(?! scale)|gradient noise\s+(?:injection|is\s+added|schedule)", "gradient clipping", "optimi[sz]er step", "line search"),
              "更新规则|更新公式|(?<![移变运流活波浮扰抖振转])动量|梯度噪声|梯度裁剪|线搜索",  # not 移动量 (an amount moved)
              # an optimizer class of the notes; a step written as the weights' change (`Δw_i = −η·g_i·…`)
              _OPTIMIZER_CLASS.pattern, _LEFT + r"Δ\s*(?:w|W|θ|theta)\w*\s*=\s*[-−]",
              # an Adam moment's coefficient given per step: `β₂_t = min(β₂_max, 1 − t^{−c})`
              _LEFT + r"(?:β|beta)_?\{?[12]\}?_?(?:\{t\}|t|\(t\))\s*=(?!=)",
              # a heading naming the idea an optimizer: "# 抖动符号 SGD（dithered signSGD）", "# Heun trapezoid SGD"
              r"(?m:^#+[ \t](?![^\n]*\bvs\.?\b)[^\n]*?(?:SGD|Adam\w*|RMSprop|optimi[sz]er|优化器)(?![\w-]))"),
         ("make_optimizer",), "update_rule.md", ("optimizer",),
         fixes=("add_optimizer_hook", "fix_note_names_in_update", "store_new_weights", "use_tuned_step_size",
                "fix_matrix_only_update", _DROP_AFTER_STEP),
         checks=("own_optimizer", "overwritten_weights")),
    Kind("layer", "replaces the linear layer by a module computing its output from its own weights",
         _cue(_LEFT + r"(?:y|out|output)(?:_\{?[ijk]\}?)?\s*=[^\n]*" + _LEFT + "w(?![a-z]{2})",  # y = …w…, y_j = …w_ji… (not "with")
              _LEFT + r"[A-Za-z]\w*\s*=[^\n]*" + _LEFT + r"W\w*\s*[*·@]?\s*\(?\s*(?-i:x)(?:_\{?[ijk]\}?)?(?![\w{])",  # z = W x, s_j = Σ_i W_ji x_i
              _LEFT + r"(?:y|h|z|out|output)\s*=\s*\([^()\n]*[A-Z][^()\n]*\)\s*[*·@]?\s*x(?!\w)",  # y = (A ⊙ B) x + b
              # u = ((x*r) @ W.T + …): the input times a mask of its own, then the weights, written as code
              _LEFT + r"[A-Za-z]\w*\s*=[^\n]*\(\s*(?-i:x)\s*[*⊙]\s*\(?[\w\s−-]+\)?\s*\)\s*@\s*(?-i:W)\w*\s*(?:\.T\b|ᵀ|⊤)",
              _LEFT + r"(?:y|h|z|out|output)\s*=[^\n]*" + _LEFT + r"[A-Z]\s*\(\s*[A-Z]\s*[*·@]?\s*x\s*\)",  # y = U(Vx) + b
              # b_jk = σ(w_jkᵀ x + c_jk): a unit's weights against its input
              _LEFT + r"[A-Za-z]\w*(?:_\{[^{}\n]*\}|_\([^()\n]*\))?\s*=[^\n]*" + _LEFT + r"[wW]\w*(?:_\{[^{}\n]*\}|_\([^()\n]*\))?\s*(?:\^\s*\{?\s*(?:T|\\top)\s*\}?|ᵀ|⊤)"
                      r"\s*[*·]?\s*x(?![A-Za-z])",
              _words("new layer", "custom layer", "layer (?:that|which|computes)", r"(?<!-)norm(?:ali[sz]ation)?\s+layers?",
                     r"drop-?in (?:replacement )?for (?:an? |the |each |every )?(?:nn\.Linear|linear|dense)(?: layers?)?",
                     r"\w*(?:layer|group|rms|batch|instance)[- ]?norm(?:ali[sz]ation)?"),
              r"(?:norm|归一化|标准化)\s*层",
              NORM_FORMULA.pattern,
              # "Replace the last `Linear(H, 10)` by 10 small matrices": the layer the idea replaces
              r"\breplace[sd]?\s+(?:the\s+|each\s+|every\s+)?(?:(?:last|final|output|first|hidden)\s+)?`?(?:nn\.)?Linear\b",
              r"把(?:最后|第一|输出|隐藏)?[的个层一]{0,3}\s*`?(?:nn\.)?Linear`?\s*层?\s*(?:换成|替换成|替换为|改成)",  # 把最后的 nn.Linear 换成…
              # class InputGatedLinear(nn.Module), class RankNorm(nn.Module), class CoactDropout(nn.Module)
              r"\bclass\s+\w*(?:Linear|Dense|Layer|Norm|Dropout)\w*\s*\(\s*nn\.Module\s*\)",
              r"(?m:^#[^\n]*\b(?-i:[A-Z]\w*(?:Linear|Dense|Layer))\b)",
              # a heading naming the layer the idea is: "# Class-slot last layer: …", "# Noisy-OR 隐藏层（digits）"
              r"(?m:^#[^\n]*(?:(?<!for the )(?<!to the )(?<!on the )(?<!of the )(?<!in the )(?<!the last )(?<!the final )(?<!the first )\b(?:last|output|final|first|hidden)\s+layer|"
              r"隐藏层|隐层|最后一层|输出层)[ \t]*(?:[:：(（—–]|$))",  # a heading naming a new layer: "# HouseholderLinear：…",
              # not "# … nonlinear-CG momentum"
              r"(?m:^#[^\n]*(?:的|\ba|\ban|\bnew)\s*(?:Linear|Dense)\s*(?:层|layer)?\s*$)",  # "# …：一个鲁棒的 Linear"
              r"\breplace[sd]?\s+(?:the\s+|every\s+|each\s+)?[^.\n]{0,40}?(?:(?:weight|dense|hidden\S*)\s+matri(?:x|ces)|"
              r"linear layers?|dense layers?|nn\.Linear)\s+(?:by|with)\b",  # replace the dense hidden→hidden matrix by …
              r"\breplac(?:e[sd]?|ing)\s+(?:an?\s+|the\s+|each\s+|every\s+)?nn\.Linear\b",  # (replace nn.Linear)
              "(?:(?<![更刷创重])新的?|这种|一种)[^。\n]{0,6}层|(?:换成|替换成|替换为|改成)[^。，,\n]{0,12}层",  # 第一层换成可学习 RBF 层
              "(?:隐藏|隐|中间|hidden\\s*)(?:一)?层\\s*(?:都|全)?(?:换成|替换成|替换为|改成)",  # 中间一层换成 mixture-of-experts
              # 两个 block-diagonal 夹一个 permutation 代替 dense; instead of nn.Linear
              r"(?:代替|替代|取代|替换)\s*(?:掉\s*)?(?:[^。，,\n]{0,8}?的\s*)?(?:\d+\s*[×x]\s*\d+\s*)?(?:nn\.Linear|dense(?![ _-]?\w)|linear\s*(?:层|layer)|全连接|线性层|稠密)|"
              r"\b(?:instead of|in place of)\s+(?:an?\s+|the\s+|each\s+)?(?:nn\.Linear|(?:dense|linear)\s+layers?\b)"),
         ("build_model",), "layer.md", ("layers", "init"),
         fixes=("fix_weight_names", "fix_weight_products", "fix_weight_init", "fix_two_input_forward",
                "add_module_hook", _DROP_AFTER_STEP),
         checks=("note_formulas", "commented_returns")),
    Kind("activation", "replaces the nonlinearity applied between layers",
         _cue(_words("relu", "tanh", "sigmoid", "gelu", "softplus", "silu", "swish", "elu", "sin", "softsign")
              + r"\s*\(\s*-?\s*(?:[\w.]+\s*[*·]\s*)?(?:x|h|u|a)\w*\s*\)",
              _LEFT + r"(?:f|act|φ|phi|σ)(?:_\{?[^\W\d_]\}?)?\s*\(\s*(?:x|z)\s*\)\s*=(?!=)",  # f(x) = …, f_j(z) = …, f_τ(x) = …
              # f(h) = (a/b)·h: of a hidden value, with no weights (not a block `f(h) = W₂ relu(W₁ h)`)
              _LEFT + r"(?:f|act|φ|phi|σ)(?:_\{?[^\W\d_]\}?)?\s*\(\s*(?:h|u)\s*\)\s*=(?!=)(?![^\n]*" + _LEFT + "W)",
              _LEFT + r"max\s*\(\s*0(?:\.0)?\s*,\s*(?:x|z|u)\s*\)",  # h = max(0, x)
              _LEFT + r"(?:y|a|out)\s*=\s*(?:clip|clamp|min|max)\s*\(\s*(?:x|h|z|u)\s*,",  # y = clip(x, 0, α)
              # squash(x) = ..., no weights; not a network part (MaxBlurPool(x) = …, ConvBlock(x) = …)
              _LEFT + r"(?![A-Za-z]*(?:pool|conv|block|attn|attention|norm|layer|net|sample|logit|output|pred|score|model)\w*\s*\()"
                      r"(?!(?:var|mean|std|cov|avg|median|loss|err|acc)\s*\()"  # var(x) = φᵀ Σ φ: a statistic of x
                      r"[A-Za-z][a-z_]{2,}\s*\(\s*x\s*\)\s*=(?!=)(?![^\n]*" + _LEFT + "W)"
                      r"(?!\s*(?![xz]\b)[A-Za-z0-9]\w{0,2}\s*(?:[，,;；。)}]|$))",  # not `ỹ(x) = i，…`: a condition on a label
              r"\bclass\s+\w*(?:ReLU|Sigmoid|Tanh|GELU|Swish|SiLU|Softplus|Activation)\w*\s*\(",
              # "pre-activation 分成组。组内：h_i = x_i · softmax(x_grp/τ)_i": the units' outputs from it, no weights
              r"pre-?activations?[^\n]*" + _LEFT + r"h(?:_\{?\w+\}?)?\s*=(?![^\n]*" + _LEFT + r"[Ww](?![a-z]))[^\n]*" + _LEFT + "x",  # class SurReLU(autograd.Function)
              r"ReLU\s*(?:都|全部|全都)?\s*(?:换成|替换成|替换为|改成)|\breplace[sd]?\s+(?:the\s+|every\s+|all\s+|each\s+)?"
              r"ReLUs?\s+(?:with|by)\b",
              _words("activation functions?", "new activation", "activation (?:that|which|is)", r"pair(?:ed|wise)? activations?"),
              r"(?<!进入)(?<!输入)(?<!送入)激活函数(?!\s*(?:之后|之前|以后|以前|后|前|的?输出))|成对激活",  # not what enters it  # not where a value is taken: 激活函数之后的输出
              # a heading that names the idea an activation: "# MaxMin 成对激活（GroupSort）", "# TanhExp activation"
              r"(?m:^#+[ \t][^\n]*?(?:激活(?:函数)?|activation(?:\s+function)?s?)[ \t]*(?:(?:[（(:：—–]|-(?![\w-]))[^\n]*)?$)"),
         ("build_model",), "activation.md", ("activation",),
         fixes=("fix_two_input_forward", "fix_unit_indexing", "add_module_hook", _DROP_AFTER_STEP),
         checks=("note_formulas", "commented_returns")),
    Kind("weight_op", "changes the weights directly after every step or every N steps",
         _cue(PERIODIC, PERIODIC_EPOCHS,
              # θ ← λ·θ + σ·ε: the weights made from themselves, with no rate or gradient (not an update rule)
              _LEFT + r"(?P<own>w|W|θ|theta)\s*(?:=|←)(?![^\n]*(?:lr|η|eta|学习率|∇|grad|(?<![\w])g(?![\w])))[^\n]*?"
                      r"[·*⋅]\s*(?P=own)(?![\w])",
              _words(r"after (?:every|each) (?:optimi[sz]er |training |update |sgd )?(?:step|update|iteration)",
                     "weight clipping", "weight projection", "weight averaging", "slow weights"),
              r"每(?:一|个)?(?:步|次(?:更新|迭代)?)[^。，,\n]{0,8}?之?后|权重裁剪|权重投影|权重平均|慢权重|"
              r"每(?:一|个)?次\s*`?(?:opt|optimi[sz]er)\w*(?:\.|\s+)step(?:\(\))?`?\s*(?:之后|以后|后)",  # 每次 optimizer step 之后
              r"`?\b(?:opt|optimi[sz]er)\w*\.step\(\)`?\s*(?:之后|以后|后)|\bafter\s+(?:each\s+|every\s+)?`?(?:opt|optimi[sz]er)\w*\.step\(\)",
              # W1 -= W1.mean(dim=1): the weights made from themselves, no rate or gradient
              _LEFT + r"(?P<minus>[wW]\w*|θ)\s*-=(?![^\n]*(?:lr|η|eta|学习率|∇|grad|(?<![\w])g(?![\w])))[^\n]*(?<![\w])(?P=minus)(?![\w])",
              # w ← w/‖w‖, W = clip(W, …), w = F.normalize(w) (not `w = (1 + r)^γ / normaliser`, a value named so)
              _LEFT + r"(?:w|W|θ|weights?)\s*(?:=|←)(?![^\n]*(?:lr|η|学习率))[^\n]*(?:‖|\|\||norm(?![a-z])|normali[sz]e\s*\(|clip|clamp|proj)"),
         ("after_step",), "weight_op.md", ("weights",),
         fixes=("fix_sync_to_average", "fix_matrix_only_weight_op"), checks=("note_formulas",)),
    Kind("init", "changes the initial values of the weights, not the model",
         _cue(_FROM_THE_START + _words("(?<!at )(?<![.'\"])init(?! seeds?)(?!['\"])", "initiali[sz]ation", "initiali[sz]ed? (?:the )?(?:weights?|W)", "initial weights"),
              "只改[^。，,\n]{0,8}初始化|(?:权重|参数)初始化|初始化(?:权重|参数|方法|方式)|第.层[^。\n]{0,12}初始化|"
              r"(?:只|仅仅?|就)是\s*(?:一个|一种)?\s*初始化|\b(?:only|just|merely) an? init(?:iali[sz]ation)?\b|"  # "这只是一个初始化"
              r"(?<!非)零初始化|(?m:^\s*初始化\s*[：:]\s*\S)|(?im:^#+[ \t][^\n]*?(?:init|初始化)[ \t]*(?:[：:（(—–]|-(?![\w-])|$))|(?m:^\s*#[^\n]*(?<!离)(?<!距)(?<!距离)(?<!相对)初始化)",  # 最后一层零初始化;
              # 初始化：W_2 = 0; 一个标题 (not "按离初始化距离……的学习率": the distance the weights moved)
              # not a learnable's start, nor something else started from the weights (中心用 W 的分位数初始化)
              r"(?<!用)(?<!用 )" + _LEFT + r"(?:W|w|b|bias|权重|(?<!可学习)(?<!可训练)参数)" + _RIGHT + r"[^。，,；;\n]{0,15}初始化",
              _LEFT + r"(?:W|w)(?:_?0|\(0\))\s*(?:=|~)", _LEFT + r"(?:W|w)\s*~\s*[NU]\("),
         ("build_model",), "init.md", ("init",), fixes=(_DROP_AFTER_STEP,)),
    Kind("loss", "changes the training loss (the evaluation metric stays)",
         _cue(_words("loss function", "new loss", r"loss (?:instead of|in place of|replacing) (?:the )?(?:cross[- ]entropy|CE|MSE)"),
              # a heading on label smoothing, soft targets computed by a formula (`y_i^soft = (1 − α)·e_y + …`); not
              # label smoothing named as a comparison
              r"(?m:^#[^\n]*(?:label[- ]smooth\w*|soft[- ](?:targets?|labels?)|标签平滑|软标签|软目标))",
              _LEFT + r"y\w*?(?:\^\{?soft\}?|_soft|_smooth\w*)(?:\^\{?soft\}?)?\s*=(?!=)",
              r"损失函数|(?:损失|\bloss)\s*(?:改为|改成|换成)|(?:替代|代替|取代|换掉)[^。\n]{0,6}?(?:\w+\s+)?(?:交叉熵|CE|MSE|NLL|负对数似然)",
              _words(r"(?:proper |strictly proper )?scoring rules?"),
              # a negative log-likelihood written out (`−log p(y|x) = ½·log(2πσ²) + …`), a title training by one
              r"(?<![\w)])[-−]\s*log\s*p\w*\s*\(\s*y[^()\n=]*\)\s*=(?!=)",
              r"(?m:^#[^\n]*\btrain(?:ed|ing)?\s+(?:by|with|on)\s+(?:an?\s+|the\s+)?(?:\w+\s+)?(?:NLL|(?:log-)?likelihood)\b)",
              # "# Spherical scoring rule instead of cross-entropy"
              r"\b(?:instead of|in place of|replacing)\s+(?:the\s+)?(?:softmax\s+)?(?:cross[- ]entropy|CE|MSE|log[- ]loss|(?:Gaussian\s+)?NLL)\b",
              # a heading naming the idea a loss: "# Gambler's loss：…", "# 排序损失（…）"
              r"(?m:^#+[ \t][^\n]*?\S[ \t]*(?:\bloss|损失)[ \t]*(?:[：:（(—–]|-(?![\w-])|$))",
              # L = −6: a constant; L(t) = …: a value at step t (a sequence length), no loss
              r"(?<!初始)(?<!初始 )(?<!最终)(?<!最终 )(?<!initial )(?<!final )(?<!step 0 )"
              + _LEFT + _LOSS_NAME + r"(?!_?(?:val|valid|validation|test|best|eval|dev|held\w*)(?![A-Za-z]))"  # L_val = …: measured
              r"(?:_\w+)?(?:\((?!\s*(?:t|step)\s*\))[^()=\n]*\))?\s*(?:=|:=)(?!=)(?!\s*[-−]?\d[\d.]*(?![\d.])(?!\s*[-−+*/·×]))"),  # not `Loss = 1 − p_y/‖p‖`
         ("compute_loss",), "loss.md", ("loss",), fixes=(_DROP_AFTER_STEP,)),
    Kind("data", "changes the training batches: augmentation, noise, mixing, curriculum, batch size",
         _cue(BATCH_SIZE_CHANGE, BATCH_CHOICE,
              _words("augment(?:ation|ed|s)?", "mixup", "cutout", "cutmix", "curriculum", "input noise", "label noise",
                     r"(?:flip|flipping|flips|perturb|perturbs|perturbing|replace|replaces|replacing|resample|resamples)"
                     r" (?:the |a |some |each )?(?:training )?labels?", "label (?:flipping|flips|perturbation)"),
              r"(?:扰动|翻转|随机换|重抽)[^。\n]{0,6}标签|"
              "数据增强|课程|输入噪声|标签噪声|输入加噪|(?:旋转|平移|缩放|翻转|裁剪|遮挡|扰动|混合|形变|变形|模糊|仿射|擦除|抖动)增强|随机[^。，,\n]{0,12}增强",
              r"batch[^。\n]{0,16}随[^。\n]{0,12}(?:步|训练)",  # 每个 batch 的序列长度随训练步数增长
              r"(?m:^#+[ \t][^\n]*?\S[ \t]*增强[ \t]*(?:[：:（(—–-]|$))",  # a heading naming an augmentation: "# Seam carving 增强："
              r"(?m:^[ \t]*(?:[-*][ \t]*)?(?:数据)?增强[ \t]*[（(：:])",  # a line labelled with the augmentation: "增强（每个 batch 在线做）："
              # "标签不变", "the label stays the same": a new input made for the same target
              r"标签(?:保持)?不变|\blabels?\s+(?:is\s+|are\s+|stays?\s+|remains?\s+)?(?:unchanged|kept|preserved|the same)\b",
              # def quad_swap(x, y, p=0.5); not def lin_cka(X, Y), of two matrices
              r"\bdef\s+\w+\s*\(\s*(?-i:x|inputs?|xb)\s*,\s*(?-i:y|labels?|targets?|yb)\s*[,)]",
              # a mixing weight λ, not a diagonal matrix Λ (`x_t = Λ ⊙ x_{t−1} + B u_t`: a recurrence); not a case (`（x=0）`)
              _LEFT + r"(?:x|X)(?:'|_aug|_new|_noisy|_tilde|\u0303)?\s*(?:=|←)(?!\s*\d+\s*[)）,，。；;])[^\n]*(?:noise|噪声|ε|epsilon|randn|(?<![A-Za-z])N\(|(?-i:λ|lambda)|flip|mix|~)",
              _LEFT + r"y(?:'|_noisy)?\s*(?:=|←)\s*y\s*[+*][^\n]*(?:noise|噪声|ε|epsilon|randn|N\(|~)",
              _LEFT + r"(?:x|X)\s*(?:=|←)[^\n]*" + _LEFT + r"x_?[ij]" + _RIGHT,  # a pair of the batch's samples
              # a value drawn on one line and a new x computed on the next: `m ~ Bernoulli(0.9)`, `x = m ⊙ x`
              r"~\s*(?:" + DRAW_FAMILIES + r")\s*\([^\n]*\n\s*(?:x|X)\s*(?:=|←)"),
         ("transform_batch", "batch_size_at", "choose_batch"), "data.md", ("batch",), fixes=(_DROP_AFTER_STEP,)),
    Kind("schedule", "changes the learning rate over the steps",
         _cue(_words("learning[- ]rate schedule", "lr schedule", r"warm-?up(?![- ](?:forward|pass|batch))", "cosine (?:decay|annealing|schedule)",
                     "step decay", "(?:learning[- ]rate|lr) (?:curve|profile)"),
              "学习率(?:调度|衰减|预热|退火|计划|变化)|余弦退火|预热|(?:lr|学习率)\\s*的?\\s*(?:曲线|schedule)|"
              "(?<!相)当作?\\s*[^。，,\\n]{0,12}?的\\s*schedule|(?:学习率|\\blr\\b)[^。\n]{0,12}?(?:减半|衰减|下降|降低|降到|降至|乘以|除以)|"
              "(?:按|根据|用)[^。，,\n]{0,12}控制学习率",  # 按预测翻转率控制学习率
              # the rate of the next epoch or step from this one's: `η_{e+1} = η_e · (f*/f)^κ`
              _LEFT + r"(?:lr|η|eta)_\{?[tek]\s*\+\s*1\}?\s*=\s*(?:lr|η|eta)_\{?[tek]\}?(?![\w{])",
              r"\b(?:learning[- ]rate|lr)\s+(?:is\s+|gets\s+)?(?:halved|decayed|reduced|lowered|divided|multiplied|"
              r"decays|drops|shrinks)\b",
              # a rate that rises: "lr ramps *up* linearly all run", "学习率线性上升"
              r"\b(?:learning[- ]rate|lr|η)\s+(?:ramps?|rises?|grows?|increases?|goes)\s+\*{0,2}(?:up|linearly)\b",
              # "bump the LR", "kick the LR back up", "anneal the learning rate"
              r"(?<!instead of )(?<!rather than )(?<!than )(?<!as )(?<!like )"  # not "growing the batch instead of decaying the LR"
              r"\b(?:bump|kick|reheat|anneal|decay|halve|cut|drop)(?:s|ed|ing)?\s+(?:the\s+)?(?:LR|learning[- ]rate)\b(?![- ](?:grid|search|sweep|range))",
              # "linear decay η₀ → 0.05·η₀", "linear decay η_r → 0": the rate going to a share of itself or to zero (not
              # a limit, "η → 0: the mean of the rivals")
              r"(?:decay|ramp|anneal|linear|cosine|衰减|退火|线性|余弦)[^\n→]*?" + _LEFT + r"(?:η|lr)\w*\s*(?:→|->)\s*(?:0(?![.\d])|[\d.]+\s*[·*×]?\s*(?:η|lr)\w*)",
              "学习率[^。，,\n]{0,8}?(?:上升|增大|升高|递增|线性增加)",
              _LEFT + r"(?:lr|η|eta)(?:_t|_\{t\}|\((?:[a-z]\s*,\s*)?(?:t|step|epoch)\)|_step|\[t\])\s*=(?!=)",
              _LEFT + r"(?:lr|η|eta)\s*=(?!=)[^\n,，;；→、]*" + _words("t", "step", "epoch"),
              # the rate made from itself: `η ← min(η · ρ_up, η_max)`, `lr = lr * 0.5`
              _LEFT + r"(?:lr|η|eta)\s*(?:←|<-|=(?!=))\s*(?:min|max|clip|clamp)?\s*\(?\s*(?:lr|η|eta)\s*[·*×/⋅]"),
         ("lr_at",), "schedule.md", ("lr",), fixes=(_DROP_AFTER_STEP,)),
    Kind("regulariser", "adds a penalty on the weights or outputs to the training loss, or shrinks the weights",
         _cue(_words("regulari[sz](?:er|ation) term", "(?:weight|l1|l2|norm|sparsity) penalty", "penalty (?:on|term|of)",
                     "penali[sz]e[sd]? (?:the )?(?:weights?|large|norms?|parameters?)"),
              "正则项|正则化项|惩罚项|罚项|(?:罚|惩罚)[^。，,\n]{0,8}?(?:范数|norm)",  # 罚核范数: a norm penalised
              # a penalty R = λ·… of the weights
              _LEFT + r"(?:R|Ω)\s*=\s*(?:λ|lambda|lam)(?![a-z])[^\n]*" + _LEFT + r"(?:W|w|θ)\w*",
              r"(?m:^#+\s*(?:the\s+)?(?:penalty|regulari[sz]er)\s*$)",  # `## Penalty`: its section
              # a formula labelled as the penalty: `- 惩罚：P = λ · (1/n) Σ_j (κ_j − κ*)²`, `Penalty: R = …`
              r"(?im:^\s*(?:[-*]\s*)?(?:惩罚|penalty)\s*[：:]\s*[^\W\d]\w*\s*=(?!=))",
              # L = CE + λ·‖W‖²; not the weights moved by λ·(…): `W ← W + λ·(c(W) − W)` is a weight operation's step; not a
              # subproblem the step solves (`α = argmin ‖…‖² + λ‖α‖²`), nor a number plus λ (`divided by 1 + λ·(…)`)
              r"(?m:^(?![^\n]*" + _LEFT + r"(?:W|w|θ|theta)\w*\s*(?:←|:?=)\s*(?:W|w|θ|theta)" + _RIGHT + r")"
              r"(?![^\n]*\barg\s*m(?:in|ax)(?![a-z]))[^\n]*?(?<![\d.]\s)(?<![\d.])\+=?\s*(?:λ|lambda|lam(?![a-z]))\w*\s*[*·]?\s*(?:\(\s*1\s*/\s*\w+\s*\)\s*[*·]?\s*)?"
              r"(?:‖|\|\||Σ|sum|\(|[A-Za-zΩ]\w*\s*\(\s*(?:W|w|θ|theta)))", _words("elastic net"),
              # 总 loss = CE + R(W): the task's loss plus a function of the weights
              _LEFT + r"(?:loss|L|ℓ)\s*=(?!=)[^\n]*\+\s*[A-Za-zΩℛ]\w*\s*\(\s*(?:W|w|θ|theta)\w*\s*\)",
              # 总 loss = CE + R, with R a term of its own: the task's loss plus a named penalty
              _LEFT + r"(?:loss|L|ℓ)\s*=\s*(?:CE|MSE|(?:L|ℓ|loss)_?(?:task|ce|CE|mse|data))\s*\+\s*(?:R|Ω|ℛ|L_?reg|R_?\w+)"
              + _RIGHT + r"(?!\s*\()"),
         ("compute_loss", "after_step"), "regulariser.md", ("loss", "weights", "activation"),
         also_hooks=("build_model",)),  # a mask drawn while training (a dropout of its own): in the model's activations
    Kind("architecture", "changes the model's structure: convolutions, sequence models, residual paths",
         _cue(_words("(?<!circular )(?<!cyclic )conv(?:olution(?:al)?)?(?: ?net(?:work)?| layers?)?", "attention", "recurrent", "rnn", "lstm",
                     "gru", "transformer", "residual (?:connections?|blocks?|paths?|branch(?:es)?|streams?|channels?)", "skip connections?"),
              _words("densenet", "dense(?:ly)? connect(?:ed|ions?)", r"concatenat\w* (?:of )?(?:the )?(?:inputs?|outputs|"
                     r"all (?:the )?(?:previous|earlier))", "shortcuts?", "skip (?:connections?|paths?)",
                     r"(?:reversible|coupling|invertible) (?:blocks?|layers?|nets?|networks?)", r"hyper-?net(?:work)?s?",
                     r"top-down (?:path|pathway|connections?|feedback|channel)", r"feedback (?:path|pathway|connections?|loop)",
                     r"input injection", r"architectur(?:al|e) (?:change|modification)", r"(?:sequence|token|time) mix(?:er|ing)", r"(?:inject|feed)s? (?:the )?(?:raw )?inputs? (?:in)?to (?:every|each|all) (?:hidden )?layers?"),
              CROSS_LAYER, READOUT_OF_LAYERS, _REPEATED_BLOCK, _NEXT_LAYER_FROM_LAST,
              # the network's output a sum of the MLP and another model: `z(x) = z_LR(x)/T + MLP(x)`
              r"=(?!=)[^\n]*(?:[+]\s*(?-i:MLP)\s*\(\s*x\s*\)|(?-i:MLP)\s*\(\s*x\s*\)\s*[+])",
              # a memory the network reads and writes ("a differentiable stack", "可微栈", "external memory"), and a recurrent
              # model fed what it adds (`h_t = GRU([x_t ; top(S_{t−1})], h_{t−1})`)
              r"(?:differentiable|neural|soft|continuous|external)\s+(?:stack|queue|deque|memory|tape)s?\b|"
              r"(?:stack|memory)-augmented|可微(?:的)?\s*(?:栈|堆栈|队列|记忆|存储)|外部(?:记忆|存储)|"
              r"(?-i:GRU|LSTM|RNN)(?:Cell)?\s*\(\s*\[",
              # 在 MLP 中间插一层 VQ; insert a quantising layer between the hidden layers: a module the network gains
              "(?:中间|之间|后面?)\\s*(?:插|插入|加)\\s*一?\\s*层",
              r"\binsert(?:s|ed|ing)?\s+(?:a|an|one)\s+[\w-]+\s+layer\s+(?:between|after|before|in)\b",
              "(?<!核)(?<!高斯)(?<!循环)卷积|注意力|架构上?的?(?:改动|修改|变化|改变)|循环网络|残差(?:连接|块|结构|通道|路径|流)|跳跃连接|超网络|top-down ?(?:通道|连接|路径)|反馈(?:通道|连接|路径)|(?:原始输入|之前[^。\n]{0,6}层)[^。\n]{0,16}拼接|"
              "输入[^。\n]{0,12}(?:加|注入|喂|送)(?:到|进|给)?每一?层|每一?层都?(?:注入|加上?|喂)[^。\n]{0,6}原始输入"),
         ("build_model",), "architecture.md", ("architecture", "layers", "init"), fixes=(_DROP_AFTER_STEP,)),
)
BY_NAME = {kind.name: kind for kind in KINDS}
# A line writing the new layer's formula (`y_i = (W x + b)_i · |c_i|^{γ_i}, …`).
_LAYER_FORMULA = re.compile(rf"^(?=[^\n]*=)[^\n]*?(?:{BY_NAME['layer'].cue.pattern})", re.IGNORECASE | re.MULTILINE)
# Plans written before the kinds were named so: their part "optimizer" is the update_rule kind.
ALIASES = {"optimizer": "update_rule"}
# Kinds a note's words give one idea interchangeably: a penalty is a loss to some notes and a regulariser to others.
ONE_FAMILY = frozenset({"loss", "regulariser"})


def canonical(names: Iterable[str]) -> list[str]:
    """Known kind names in registry order, without repeats, old part names mapped (optimizer -> update_rule)."""
    wanted = {ALIASES.get(name, name) for name in names}
    return [kind.name for kind in KINDS if kind.name in wanted]


def kinds_of(names: Iterable[str]) -> list[Kind]:
    return [BY_NAME[name] for name in canonical(names)]


# A line that says why the idea should work, what to expect, how it is set up or what else might be tried, not what
# the idea does: `Why: … ReLU(I·h) = h`, `直觉：…`, `**动机**：…`, `Task: digits, baseline MLP (2×64, ReLU)`, `实验设置：`, `变体：…`,
# `Success = (c) ≥ (a) on test NLL`.
# Its section goes on over the lines below it to a blank line, a heading or another labelled line.
_ASIDE = re.compile(r"^\s*(?:[-*]\s*)?(?:\*\*|__)?(?:(?:算?成功|success)\s*=(?!=)|(?:动机|背景|起因|缘起|直觉|预期|猜测?|我猜|预测|为什么[^：:\n，,。]{0,12}?|以后|可选|风险|副作用|担心|注意|小?实验(?:设置|配置|设计|[^：:\n，,。]{0,4}?任务)?|设置|配置|任务|(?:第.个)?对照(?:组)?\s*\d?|对比|测什么|测|怎么测试?|如何测试?|测试(?:方法)?|基线|变体|消融|不变|要?问自己|(?:实验|测试)?计划|(?:想|要)验证(?:的是)?|看(?:什么)?|(?:踩)?坑|陷阱|"
                    r"(?:评估)?指标|测量|记录|判据|算(?:作|是)?成功|成功(?:条件)?|(?:另外|顺便|还|也)想?看(?:一眼|一下)?|(?:保留|成功|判断|验收|留下)的?标准|值得(?:保留|继续|留)的?(?:标准|条件)|keep(?:ing)?(?: it)? if|success(?: (?:if|means|looks like))?|side questions?|also (?:check|look at|see)|worth (?:keeping|it) if|(?:success )?criteri(?:on|a)|(?:what|things) (?:would )?make (?:it|this) worth (?:it|keeping)|要(?:测|量|看)(?:的(?:东西|量))?|不确定(?:的地方|之处|的点)?|(?:我的|几个)?(?:疑问|担心|顾虑|疑虑)|存疑|想(?:弄|搞)?(?:清楚|知道|回答|确认)的(?:问题|事情?|几件事)?|没(?:想|搞|弄)(?:清楚|明白)的?(?:地方|问题|点)?|没把握(?:的地方)?|(?:可能|预计|预期)的问题|"
                    r"(?:和|与|跟)[^：:\n]{0,12}?的?(?:区别|不同|关系)|相关工作|已知(?:的)?问题|(?:合成|玩具|模拟)数据(?:集)?|数据集|数据生成|"
                    r"motivation|background|intuition|(?:my )?guess(?:es)?|predictions?|hunch|later|optional(?:ly)?|expect(?:s|ed|ations?)?|why(?: (?:it|this) (?:might|should|could|would|may) (?:work|help))?|caveats?|pitfalls?|gotchas?|(?:[a-z]+ )?side[- ]effects?|risks?|tasks?|setup|settings?|experiments?|controls?|tests?|testing|how to test|compar(?:e|isons?)|contrasts?|"
                    r"baselines?(?:\s+\w)?|(?:variants?|ablations?)(?:\s+[a-z]+){0,3}|what stays the same|metrics?|measure(?:s|ments?)?|"
                    r"(?:what|things) to (?:measure|log|track|watch)|log(?:ged|ging)?|track(?:ed|ing)?|open(?: questions?)?|questions? to (?:my)?self|watch(?:ing)?|runs?|plan|"
                    r"related work|prior work|(?:synthetic|toy|simulated) (?:data(?:sets?)?|task)|datasets?|data generation|known (?:problems?|issues?)|(?:problems?|issues?) (?:I|we) (?:expect|foresee)|(?:expected|possible|potential) (?:problems?|issues?)|test plan|worr(?:y|ies)|concerns?|doubts?|things I (?:don't|do not|can't|cannot) (?:trust|know|answer)[^:\n]{0,40}|questions? (?:I want|I'd like|to answer)[^:\n]{0,20}|(?:what|things) I want to (?:know|find out|understand)|(?:difference|differences) (?:from|to|with) [^:\n]{1,30}|compared (?:with|to|against) [^:\n]{1,60}|equivalent(?:ly| view| form(?:ulation)?)?|"
                    r"(?:kept|unchanged|same as (?:the )?baseline))"
                    r"\s*(?:[（(][^（）()\n]{1,80}[）)]\s*)?(?:\*\*|__)?(?:[：:]|$))", re.IGNORECASE)  # 任务（两个）：, 对照（digits，MLP …，5 seeds）：an aside before the colon


def is_aside_heading(heading: str) -> bool:
    """A heading that is an aside section's label and nothing more, or several joined ("## Setup", "## Baseline",
    "## 预期", "## 担心 / 没想清楚的"; not "# 实验：镜像层")."""
    labels = _JOINED_LABELS.split(heading.strip().rstrip("：:"))
    return all((found := _ASIDE.match(label.strip() + ":")) and found.end() == len(label.strip()) + 1 for label in labels)


_JOINED_LABELS = re.compile(r"\s*(?:/|、|&|＆)\s*|\s+(?:and)\s+", re.IGNORECASE)  # "担心 / 没想清楚的", "Doubts & open questions"


# An experiment described on its label's own line, which may say the idea beside the setup ("新方法把两处 ReLU 都换成
# SmeLU"); one that only gives the setup and its conditions ("标签噪声 0% 和 20%", "对比 … L1 penalty") says no kind.
_EXPERIMENT_SAID = re.compile(r"^\s*(?:[-*]\s*)?(?:实验|experiments?)\s*[：:]\s*\S", re.IGNORECASE)
_CHANGE_SAID = re.compile(r"新方法|换成|替换|改成|改为|换为|\breplac\w*|\bswap\w*|\binstead of\b", re.IGNORECASE)
# A line that opens a section of its own (`公式：`, `常数：β = 0.9`), not a bullet under one.
_LABELLED = re.compile(r"^\s*[^\s：:，,。.*-][^：:，,。.\n]{0,19}[：:]\s*$|^\s*[\w\u4e00-\u9fff]{1,8}\s*[：:]")
_HEADING = re.compile(r"^\s*(?:#|【【【)")  # a Markdown heading or a 【【【title】】】 marker
_BULLET = re.compile(r"^(\s*)[-*]\s")  # a list item, with its indentation
_CHECKBOX = re.compile(r"^(\s*[-*]\s+)\[[ xX]\]\s*")  # a task list's box: `- [ ] 测：…` is the item `- 测：…`


# A model written as a chain of its modules: `x(64) → Linear(64→128) → [RevBlock] × D → LayerNorm → Linear(128→10)`.
_MODULE_CHAIN = re.compile(r"→[^→\n]*→[^→\n]*→")


# A variant the notes mention beside the idea (`变体：α 可学习`, `变体 B（简化）：…`, `所以再加一个变体：…`, `Variant: a learnable
# β`, `一个软版本（先不用）：…`): not the idea itself.
VARIANT = re.compile(r"^\s*(?:[-*]\s*)?(?:(?:[^：:=\n]{0,8}?(?:加|做|试|跑)一?个|可选的?)?(?:变体|变种|消融)(?:\s*[A-Za-z0-9]{1,3})?(?:\s*[（(][^（）()\n]{0,40}[）)])?|"
                     r"可选|以后再试|下一步|(?:variants?|ablations?)(?:\s+[a-z]+){0,3}|optional(?:ly)?|"
                     r"later|next step|follow-?up|also try\b[^:：\n]*|(?:另外|另|也|(?:也|还)可以)(?:再)?试[^:：\n]*|"
                     # `一个软版本（可导，但先不用）：`, `A smooth version (not used here):`: another form of the idea
                     r"(?:(?:一|另一|另外一)[个种])?(?:软|硬|平滑|光滑|可导|可微|简化|近似|连续|离散)的?(?:版本|形式)(?:备选|候选|备用)?"
                     r"(?:\s*[（(][^（）()\n]{0,40}[）)])?|"
                     r"(?:an?\s+|the\s+)?(?:soft|smooth(?:ed)?|hard|differentiable|relaxed|continuous|simpler|cheaper|alternative)\s+"
                     r"(?:version|variant|form)(?:\s*\([^()\n]{0,40}\))?)\s*[：:]",
                     re.IGNORECASE)


def idea_lines(text: str, asides: re.Pattern[str] = _ASIDE, aside_headings: bool = False) -> list[str]:
    """The note's lines without its aside sections (`asides`: by default setups, expectations, variants, what stays
    the same): each labelled line (or a label alone on its line) and the lines below it up to a blank line, a heading,
    another labelled line or, for a list item, the list's next item; an experiment said on its label's line is kept,
    not the lines below it; with `aside_headings`, also an aside heading's section (`## Setup`, `## 预期`) up to the
    next heading. A task list's items are read as plain list items; a code block's lines open no section."""
    kept, aside, aside_section, aside_bullet = [], False, False, None
    fence = ""  # the open code fence's marker, "" outside code
    for line in text.splitlines():
        line = _CHECKBOX.sub(r"\1", line)
        in_code, fence = bool(fence), fence_after(line, fence)
        if in_code:  # a code block's lines go with the section they are in: a comment (`# Setup`) is no heading
            if not (aside_section or aside):
                kept.append(line)
            continue
        if _HEADING.match(line):
            aside = aside_section = aside_headings and is_aside_heading(line.strip().strip("#【】 \t"))
        if aside_section:
            continue
        bullet = _BULLET.match(line)
        if not line.strip() or _HEADING.match(line):
            aside = False
        elif asides.match(line):
            if not (aside and aside_bullet is None):  # a labelled item inside a label's section stays in that section
                aside_bullet = bullet and len(bullet[1])
            aside = True
            if _EXPERIMENT_SAID.match(line) and _CHANGE_SAID.search(line):  # `实验：…把两处 ReLU 都换成 SmeLU`: the idea
                kept.append(line)
                continue
        elif (_LABELLED.match(line) and not (aside and aside_bullet is None and line[:1].isspace())) \
                or (aside_bullet is not None and bullet and len(bullet[1]) <= aside_bullet):
            aside = False  # another label (not one indented under an aside's label), or the next item of an aside's list
        if not aside:
            kept.append(line)
    return kept


# What the notes expect or fear (`- 预期：λ=0.1 可能略掉点`, `Risk: …`): a value said there is no constant of the idea.
_EXPECTED = r"^\s*(?:[-*]\s*)?(?:预期|猜测?|我猜|预测|风险|担心|expect(?:s|ed|ations?)?|(?:my )?guess(?:es)?|predictions?|risks?|caveats?)\s*[：:]"
_NOT_THE_IDEAS = re.compile(f"{VARIANT.pattern}|{_EXPECTED}", re.IGNORECASE)


def without_variants(note_text: str) -> str:
    """The note without the variants and ablations it mentions and what it expects: their values are not the idea's."""
    return "\n".join(idea_lines(note_text, asides=_NOT_THE_IDEAS))


def idea_text(text: str) -> str:
    """The note without its aside sections and aside headings' sections: what it says the idea is."""
    return "\n".join(idea_lines(text, aside_headings=True))


# What a note keeps as in the baseline, to the end of its line: "其余不变（init、SGD lr=0.05、batch、epoch 数）",
# "其余（通道数、初始化方式）都和 baseline 一样", "保持不变：GRU 隐藏维 64、交叉熵、…".
_KEPT = re.compile(r"(?:其余|其他|其它|别的)\s*(?:[（(][^）)\n]*[）)])?\s*(?:都|全部|全都|完全)?\s*(?:(?:和|与|跟|同)\s*(?:baseline|基线)\s*)?"
                   r"(?:不变|照旧|一样|相同|同\s*baseline)[^\n]*|"
                   r"\b(?:everything|all) else (?:is |stays |unchanged|as |the same)[^\n]*|"
                   r"^\s*(?:[-*]\s*)?(?:保持不变|不变|unchanged|kept)\s*[：:][^\n]*|"
                   r"^\s*(?:[-*]\s*)?[^\n]{0,40}?(?:全部|全都|都|均|完全)(?:一致|相同|一样)\s*[。.]?\s*$|"  # init、lr、seed 全部一致。
                   # the optimizer and its state left as they are: "优化器的 momentum 状态不清零", "optimizer unchanged"
                   r"[^，。,;；\n]*优化器[^，。,;；\n]*(?:不清零|不重置|不变|照旧|保留)[^，。,;；\n]*|不(?:改|动|换)\s*优化器|"
                   r"[^,.;\n]*\boptimi[sz]er(?:'s)?\b[^,.;\n]*\b(?:unchanged|untouched|not reset|as it is)\b[^,.;\n]*",
                   re.IGNORECASE)
# What the note says the idea is not: "这是架构上的改动，不是正则项", "而不是 loss", "it is not a regulariser".
_DENIED = re.compile(r"(?:不是|并非|而非|而不是)[^。，,；;：:\n]{0,30}|(?:\b(?:is|it's|this is)\s+|^\s*(?:[-*]\s*)?)not\s+an?\s+[a-z]+(?:\s+[a-z]+)?",
                     re.IGNORECASE)
# A method named as a comparison arm ("hence the RMSNorm+Swish control", "a LayerNorm baseline"): not the idea's.
_ARM = re.compile(r"(?<![\w-])[A-Za-z][\w+\-]*\s+(?:control|baseline)s?\b", re.IGNORECASE)
# A learnable value's start ("β per layer, learnable, init 4", "可学习，初始化为 0.5"): no initialisation of the weights.
_LEARNABLE_START = re.compile(r"(?:learnable|trainable|learned|可学习|可训练)[^。.;；\n]{0,24}?(?:init(?:iali[sz]ed)?(?:\s+(?:at|to|as))?|"
                              r"初始化为?|初值)\s*[=:：]?\s*[-−]?\d[\d.]*", re.IGNORECASE)
# The training's optimizer named with its settings ("SGD 动量 0.9", "SGD with momentum 0.9"): the setup, no update rule;
# so is the momentum of a normalisation's running statistics ("running stats … (EMA of μ, σ², momentum 0.1)").
_OPTIMIZER_SETTING = re.compile(r"\b(?:SGD|Adam\w*|RMSprop)\b[^\n，。,;；]{0,12}?(?:momentum|动量)(?:\s*[=:：]?\s*\d|\s*(?=[；;，,。)）]|$))|"
                                r"(?:running\s+(?:stat(?:istic)?s|means?|var(?:iance)?s?|averages?)|滑动(?:均值|平均|统计))"
                                r"[^\n。]{0,60}?(?:momentum|动量)\s*[=:：]?\s*\d[\d.]*|"
                                r"\b(?:(?:add|use|with|plus)\s+)?momentum\s*[=:]?\s*0(?:\.\d+)?(?![\d.])",  # "Momentum 0 at first", "add momentum 0.9"
                                re.IGNORECASE | re.MULTILINE)  # "SGD momentum 0.9", "…，SGD momentum；"
# What the note says could also be done, or would do if the idea misbehaved, to the end of its sentence ("也可以只在前 50
# 步 warmup 之后才开始推", "one could also clip it", "if it's a bug, add a radial lane: η_r = 0.1·η", "如果不稳定就加 clip"):
# an option or a contingency beside the idea, not the idea.
ALSO_POSSIBLE = re.compile(r"(?:也可以|还可以|也不妨|\b(?:could|might|can|may) also\b|\balso (?:could|might|can|may)\b|(?:\bif\b|如果|要是)[^。.\n]{0,40}?"
                           r"(?:\bbug|\bproblem|unstable|diverg|blows? up|too (?:slow|noisy)|不稳定|发散|太慢|太吵|有问题))"
                           r"[^。\n()（）]*(?:[（(][^()（）\n]*[)）][^。\n()（）]*)*", re.IGNORECASE)  # to a bracket it is inside
# Noise named as the condition an idea is tried under ("抗标签噪声", "在 40% 标签噪声下", "robust to label noise",
# "under input noise"): the setup's, no data idea.
_NOISE_CONDITION = re.compile(r"(?:抗|对抗|鲁棒于|在[^。，,\n]{0,8}?)(?:对称|随机)?(?:标签|输入)噪声(?:下|时|中)?|"
                              r"\b(?:robust(?:ness)?\s+(?:to|against)|under|against|with|resist(?:s|ant to|ance to)?)\s+"
                              r"(?:\d+\s*%\s*)?(?:symmetric\s+|random\s+)?(?:label|input)\s+noise\b", re.IGNORECASE)
# A value kept as a running average of itself (`L̄ = β·L̄_prev + (1−β)·L`, `ℓ̄ ← 0.9·ℓ̄ + 0.1·ℓ`).
_RUNNING_AVERAGE = re.compile(r"(?<![\w])([A-Za-zℓ]\w*)\s*(?:=|←|:=)(?!=)[^\n，,；;]*?(?<![\w])\1(?:_prev|_\{?t\s*[-−]\s*1\}?)?(?![\w])")


def _without_running_averages(text: str) -> str:
    """`text` without its running averages (_RUNNING_AVERAGE) and the starts they are given (`ℓ_0 = 0`)."""
    return _started_averages(text).sub(" ", _RUNNING_AVERAGE.sub(" ", text))


def _started_averages(text: str) -> re.Pattern[str]:
    """The starts given to the running averages of `text` (`s_0 = 0` for `s = β s + …`); a pattern matching nothing
    when it has none."""
    averaged = "|".join(re.escape(m[1]) for m in _RUNNING_AVERAGE.finditer(text))
    return re.compile(rf"(?<![\w])(?:{averaged})_\{{?[01]\}}?\s*(?:=|←)" if averaged else r"(?!)")


_READOUT_OF_LAYERS = re.compile(READOUT_OF_LAYERS, re.IGNORECASE)
# A penalty on the hidden layers' outputs, not on the weights ("隐层激活的 L2 惩罚", "penalise the hidden activations"):
# the activity_penalty skeleton.
PENALISED_ACTIVATIONS = re.compile(r"(?:惩罚|penal\w*|regulari[sz]\w*|正则)[^。\n]{0,32}?(?:激活|activations?|hidden (?:outputs?|"
                                   r"representations?|units?)|隐层(?:输出|表示))|(?:激活|activations?|hidden (?:outputs?|"
                                   r"representations?)|隐层(?:输出|表示|激活))[^。\n，,]{0,12}?(?:L[12]|惩罚|罚项|penalty|正则)|"
                                   # `a_{n,u}：样本 n 在隐藏单元 u 的 pre-activation`: what the penalty reads
                                   r"(?:隐藏|隐层|hidden)\s*(?:单元|units?)[^。\n，,]{0,8}?(?:pre-?activations?|激活值?|activations?)|"
                                   # "隐藏单元类别选择性的熵罚项": a penalty of the hidden units, not of their weights
                                   r"(?:隐藏|隐层|hidden)\s*(?:单元|units?)(?![^。\n]{0,16}?(?:权重|weights?))[^。\n]{0,16}?(?:罚项|惩罚|penalty)|"
                                   # "隐藏层"联合分布 vs 逐维打乱"的 MMD 独立性罚项": a penalty of a hidden layer's outputs
                                   r"(?:隐藏层|隐层|hidden\s+layers?)(?![^。\n]{0,24}?(?:权重|weights?))[^。\n，,]{0,24}?(?:罚项|惩罚|penalty)",
                                   re.IGNORECASE)
# A value said to be learned: a new module's parameter.
_LEARNABLE = re.compile(r"\blearn(?:able|ed)\b|可学习|nn\.Parameter", re.IGNORECASE)
# An activation said in words: without one, a loss note's `log_t(x) = …` is a helper of the loss, no activation.
_ACTIVATION_SAID = re.compile(r"(?<!pre-)(?<!pre)activation|nonlinearit|\brelu|(?<!预)激活|非线性", re.IGNORECASE)
# A line that states a relation between values (`relu(v_j·x) ≈ c·relu(v_i·x)`), not a rule.
_RELATION = re.compile(r"≈|≃|∝")
# A formula line that computes a named value (`p_j = …`), neither a function of the input (`f(x) = …`) nor an output
# (`y = clip(x, 0, α)`).
_VALUE_ASSIGNED = re.compile(r"^\s*(?:[-*]\s*)?(?:[^=\n]*?[\u4e00-\u9fff，：:]\s*)?(?!(?:y|h|z|a|out|output|act|f|φ|phi|σ|sigma)(?![\w{]))"
                             r"[A-Za-z_\u0370-\u03ff][\w{}]*(?:\([^()=\n]*\))?\s*=(?!=)")  # μ_(j,c) = …
# A recurrent model named as a model of its own ("Clockwork RNN", "Quasi-RNN"), not the lab's: an architecture idea.
_NAMED_RECURRENT = re.compile(r"\b(?!(?:A|An|The|Small|Tiny|Vanilla|Plain|Standard|Simple|Single|Same|Baseline|Deep|Shallow|"
                              r"Bidirectional|Stacked|Our|This)\b)[A-Z][a-z]+[- ](?:RNN|GRU|LSTM)s?\b")
# The lab's own models, named as where an idea runs ("在 GRU 序列分类上", "on the small conv net"): no architecture change
# by themselves; an architecture cue left once they are gone is one.
_BASELINE_MODELS = re.compile(r"\b(?:gru|rnn|recurrent(?: net(?:work)?)?|(?:small )?conv(?:olutional)? ?net(?:work)?|cnn|"
                              r"conv(?:olution)? (?:kernel|filter)|conv weight)s?\b|"
                              r"\b(?:for|in|on) (?:a |the )?conv(?:olution(?:al)?)?s?(?: layers?)?\b|"  # "for conv, one channel is a row"
                              r"(?:小)?卷积网(?:络)?|卷积核|循环网络|小\s*conv\b|"
                              r"(?:conv(?:olution)?s?|卷积)\s*(?:层\s*)?的话|linear\s*/\s*conv\w*|conv\w*\s*/\s*linear|(?:对于?)\s*(?:conv(?:olution)?s?|卷积)(?:\s*层)?",  # "conv 的话…"
                              re.IGNORECASE)
# A model named as where a function or trick comes from ("ON-LSTM 里的 cumax", "the forget gate from LSTMs", "as in
# Transformers"): the source of a part the idea borrows, no structure of its own.
_SOURCE_MODEL = re.compile(r"[\w-]*(?:LSTM|GRU|RNN|Transformer|ResNet)s?\s*(?:里|中|里面|当中)的|"
                           r"\b(?:from|borrowed from|as in|like in)\s+(?:the\s+)?[\w-]*(?:LSTM|GRU|RNN|Transformer|ResNet)s?\b",
                           re.IGNORECASE)
# A model named as what an idea is like ("给 MLP 一点 conv 的先验", "a conv-like prior"): no architecture change by itself.
_LIKE_A_MODEL = re.compile(r"(?:conv\w*|卷积|attention|注意力)[- ]?(?:like|style|式|似的)|(?:conv\w*|卷积|attention|注意力)\s*的?\s*"
                           r"(?:先验|priors?|inductive bias|归纳偏置)", re.IGNORECASE)
# Weights initialised again during training: "重新 Kaiming 初始化", "re-initialise the dead units".
_TIMED = re.compile(PERIODIC + "|" + EVERY_STEP + r"|during training|训练(?:过程)?中", re.IGNORECASE)
# An optimizer's state named in words: "per-coordinate state", "状态", "momentum buffer".
_OPTIMIZER_STATE = re.compile(r"\bstates?\b|状态|\bbuffers?\b|\baccumulators?\b|累积量", re.IGNORECASE)
_REINITIALISED = re.compile(r"重新[^。\n]{0,12}?初始化|\bre-?initiali[sz]|\bre-?init\b|\breinit", re.IGNORECASE)
# Weights named in words or symbols.
# A weight named (w, W2, w_t, θ, "weights"), not an English word that starts with w ("with", "window").
_WEIGHTS_SAID = re.compile(_LEFT + r"(?:[wW](?:_\w+|\d\w*)?|θ|theta|weights?|params?|parameters?)" + _RIGHT + r"|权重|参数",
                           re.IGNORECASE)
# A name passed to a call as it is (`torch.autograd.grad(loss, params)`): what the call reads, not what the idea changes.
_PASSED = re.compile(r"[(,]\s*[\w.]+\s*(?=[,)])")


def _weights_said(text: str) -> bool:
    """Whether `text` speaks of the weights other than as a name passed to a call."""
    return bool(_WEIGHTS_SAID.search(_PASSED.sub("(", text)))


# A gradient said in words or symbols, and a formula that changes a gradient by itself (`g = g + σε`, `g ← κ g`).
_GRADIENT_SAID = re.compile(r"(?<!no )(?<!no_)(?:gradient|\bgrad\b)|(?<!不求)(?<!不算)梯度|∇", re.IGNORECASE)  # not "no grad (buffer)"
_GRADIENT_CHANGED = re.compile(_LEFT + r"(g\w*)\s*(?:=|←)[^\n]*" + _LEFT + r"\1" + _RIGHT)
# g summed into a value made from itself (`m ← β·m + g`): a gradient the optimizer's state accumulates, not a gate.
_GRADIENT_ACCUMULATED = re.compile(_LEFT + r"([A-Za-z\u0370-\u03ff]\w*)\s*(?:=|←)(?=[^\n]*" + _LEFT + r"\1" + _RIGHT + r")"
                                   r"(?=[^\n]*" + _LEFT + r"g(?:_t)?" + _RIGHT + r")")
# A value other than the learning rate given as a function of the step (`beta(t) = …`), and a learning rate assigned.
_OTHER_VALUE_OVER_STEPS = re.compile(_LEFT + r"(?!(?:lr|η|eta)\W)[A-Za-z\u0370-\u03ff]\w*\s*\(\s*(?:t|step)\s*\)\s*=(?!=)")
# The learning rate as a function of the step (`η_t = η_0·(1 − t/T)`, `lr(step) = …`; not `η_t = α/(√v̂_t + ε)`, whose t
# only indexes the optimizer's own values), and schedule words other than a warmup's.
_RATE_OF_STEP = re.compile(_LEFT + r"(?:lr|η|eta)\w*(?:\s*\([^()\n]*\))?\s*(?:=|←)(?!=)[^\n]*(?<![_\w{^])(?:t|step|epoch|T)(?![\w}])")
_SCHEDULE_BEYOND_WARMUP = re.compile(r"schedule|decay|anneal|调度|衰减|退火|减半|halv", re.IGNORECASE)
_RATE_ASSIGNED = re.compile(_LEFT + r"(?:lr|η|eta|learning[ _]rate)\w*(?:\s*\([^()\n]*\))?\s*(?:=|←)(?!=)", re.IGNORECASE)
# A gradient named in a note: an update rule turns one into a step.
# A loss that reads the gradient: `L_reg(θ) = L(θ) + (λ/2)·‖∇θ L(θ)‖²`, `loss = CE + λ·‖g‖²`.
_LOSS_OF_GRADIENT = re.compile(_LEFT + _LOSS_NAME + r"(?:_\w+)?(?:\([^()=\n]*\))?\s*=(?!=)[^=\n]*(?:∇|" + _LEFT + r"(?:g|grad)" + _RIGHT + ")")
_GRADIENT = re.compile(r"(?<![A-Za-z_])(?:g|g_t|grad\w*|gradients?)(?![A-Za-z])|∇|梯度", re.IGNORECASE)  # not `no_grad`


def _without_what_shows_no_kind(line: str) -> str:
    """`line` without a learnable value's start, a denial, a comparison arm, a question, what the idea implicitly is, what
    could also be done, what is kept, the optimizer's settings and the noise the idea is tried under, in that order."""
    for said in (_LEARNABLE_START, _DENIED, _ARM, _QUESTIONED, _IMPLICIT, ALSO_POSSIBLE, _KEPT, _OPTIMIZER_SETTING,
                 _NOISE_CONDITION):
        line = said.sub("", line)
    return line


def kinds_in_notes(text: str) -> list[str]:
    """The kinds whose cue appears in a note text, as written or with its notation made plain (LaTeX, time
    indices: guards/notation.py), in registry order. A weight formula `w = w - ...` in a note that names no
    gradient at all is an operation on the weights, not an update rule; a `g = ...` beside a layer's formula in a
    note that names no gradient and never changes g by itself is the layer's own value (a gate); something done
    every N steps in a note about the learning rate that names no weights is the schedule's, not the weights'; weights
    initialised again during training are the weight operation's step, not an initialisation idea; a weight formula
    in an initialisation note that names no step to apply it at is the initial value, not a weight operation; the plain
    layers an architecture note writes out (`h2 = relu(W2 · [x; h1])`, `h2 = ReLU(W2 h1 + P x)`) are its wiring, not a
    layer or activation idea, and the initial values it gives its new parameters no initialisation idea. The setup
    sections and the noise an idea is tried under ("robust to label noise") show no kind; a function a loss note
    defines (`log_t(x) = …`) is the loss's own, unless the note says an activation; a running average of the loss
    (`L̄_t = β·L̄_{t−1} + (1−β)·L_t`) is a value the idea reads, not a new loss. Beside another kind, the task's own
    loss in a sketch (`loss = F.cross_entropy(…)`), a point between two values (`w̄ + λ(w − w̄)`), PyTorch's own modules
    inside a structure, a running average's momentum, a value of the outputs named `g` and each sample's weight in the
    loss show no kind of their own. Of several kinds read, the one the idea's title alone shows is the idea ("# 相对论动量：…"
    with a refresh "every K steps" in its rule). A bound kept on an activation's or layer's own parameter after each
    step ("每步之后 clamp β ≤ 2.5α") is no weight operation. A penalty on a line of its own (`R = λ · mean relu(r − K)²`), where
    nothing else shows a kind, is a regulariser; so is a dropout of the note's own said in the idea's part (DROPS_UNITS).
    """
    text = _kind_text(text)
    plain = plain_formula(text)
    found = [kind.name for kind in KINDS if _shown(kind.cue, text) or _shown(kind.cue, plain)]
    if "loss" in found and not any(_shown(BY_NAME["loss"].cue, _without_running_averages(part)) for part in (text, plain)):
        found.remove("loss")  # `L̄_t = β·L̄_{t−1} + (1−β)·L_t`: the training loss averaged for the idea to read
    if "activation" in found and {"loss", "regulariser"} & set(found) \
            and _only_on_lines(BY_NAME["activation"].cue, text, PENALISED_ACTIVATIONS):
        found.remove("activation")  # "Penalise low effective rank of hidden activations": what a penalty is on
    if "loss" in found and "activation" in found and not _ACTIVATION_SAID.search(text):
        found.remove("activation")  # `log_t(x) = (x^(1-t) - 1)/(1-t)` beside the loss: the loss's own function
    if "activation" in found and len(found) > 1 and _only_on_lines(BY_NAME["activation"].cue, plain, _RELATION):
        found.remove("activation")  # `relu(v_j·x) ≈ c·relu(v_i·x)`: what the network's activation lets the idea do
    if "activation" in found and {"regulariser", "update_rule", "weight_op"} & set(found) \
            and _only_on_lines(BY_NAME["activation"].cue, plain, _VALUE_ASSIGNED):
        found.remove("activation")  # `p_j = (1/B) Σ_b tanh(k·a_bj)` for `R = λ Σ_j p_j²`, `mask = σ(k·a)` for the step: a
        # value the penalty or the rule reads
    if "activation" in found and _only_on_lines(BY_NAME["activation"].cue, text, _SYNTHETIC_TARGET):
        found.remove("activation")  # `y = x·sin(x) + ε`: the synthetic task's target, no nonlinearity of the network
    if "data" in found and _only_on_lines(BY_NAME["data"].cue, text, _TEST_INPUTS):
        found.remove("data")  # "测试集另做一套 contrast sweep：x' = c·x + N(0, 0.05²)": how the idea is evaluated
    if "schedule" in found and _only_on_lines(BY_NAME["schedule"].cue, text, _OTHER_VALUE_ANNEALED):
        found.remove("schedule")  # "τ 从 0.3 余弦退火到 0.02": the idea's own constant over the steps, the rate as it was
    if "weight_op" in found and _only_on_lines(BY_NAME["weight_op"].cue, text, _PERIODIC_MEASURE):
        found.remove("weight_op")  # "每 20 步算一次 cos(…)": a measurement taken every 20 steps
    if "weight_op" in found and {"activation", "layer"} & set(found) \
            and _only_on_lines(BY_NAME["weight_op"].cue, text, _OWN_VALUE_BOUNDED):
        found.remove("weight_op")  # "每步之后 clamp β ≤ 2.5α": a bound on the activation's own parameter
    if "update_rule" in found and _only_on_lines(BY_NAME["update_rule"].cue, text, _ORDINARY_STEP_ON):
        found.remove("update_rule")  # "Take the optimizer step on those 64 only": the usual step, on what the idea chose
    if "update_rule" in found and len(found) > 1 and _only_on_lines(BY_NAME["update_rule"].cue, plain, PLAIN_SGD):
        found.remove("update_rule")  # `θ ← θ − η ∇_θ L` beside a new loss: the training's step as it was
    if "update_rule" in found and "weight_op" in found and _steps_without_gradient(plain):
        found.remove("update_rule")  # `w ← w − γ·(w − Q(w))` after each optimizer step: the operation's step, no gradient in it
    if "weight_op" in found and "update_rule" in found and _only_on_lines(BY_NAME["weight_op"].cue, text, _PERIODIC_REFRESH):
        found.remove("weight_op")  # "每 50 步更新一次近邻表" beside `g̃_j = g_j − …`: what the rule reads, refreshed now and then
    if "schedule" in found and "weight_op" in found and not _weights_said(plain):
        found.remove("weight_op")  # "the learning rate is halved every 100 steps": the rate changes, not the weights
    if "update_rule" in found and "schedule" in found and not _GRADIENT.search(text):
        found.remove("update_rule")  # a rate that changes over the steps, the optimizer's rule as it was
    if "update_rule" in found and "schedule" in found and _OTHER_VALUE_OVER_STEPS.search(plain) \
            and not _RATE_ASSIGNED.search(plain):
        found.remove("schedule")  # `beta(t) = …` warmed up, the rate constant: the update rule's own coefficient
    if "update_rule" in found and "schedule" in found and not _RATE_OF_STEP.search(plain) \
            and (not _shown(_SCHEDULE_BEYOND_WARMUP, text) or _rate_of_computed_value(plain)):
        found.remove("schedule")  # "不用 warmup", "acts as an automatic warmup": the optimizer's own rule, the rate as it was;
        # `η_t = η / (1 + κ·d_t)` with `d_t = ‖W_t − W_0‖ / ‖W_0‖`: the rule's own rate, "annealed" by what the weights did
    if "init" in found and "weight_op" in found and (_REINITIALISED.search(text) or _only_in_timed_steps(BY_NAME["init"].cue, text)):
        found.remove("init")  # units re-initialised every N steps, new weights set to 0 in its step: the operation's own
    elif "init" in found and "weight_op" in found and not _TIMED.search(text):
        found.remove("weight_op")  # `w = √2·(x_a − x_b)/‖x_a − x_b‖` with no step to do it at: the initial value
    if len(found) > 1:  # "（和 spectral norm 层一样的 trick）": a kind said only in brackets beside another is an aside
        found = [kind for kind in found if _shown(BY_NAME[kind].cue, _PROSE_BRACKETED.sub(" ", text))
                 or _shown(BY_NAME[kind].cue, _PROSE_BRACKETED.sub(" ", plain))] or found
    if "layer" in found and "weight_op" in found and not _TIMED.search(text):
        found.remove("weight_op")  # `W = U·diag(s)·Vᵀ` with no step to do it at: how the new layer makes its weights
    if "update_rule" in found and "loss" in found and (_LOSS_OF_GRADIENT.search(text) or _LOSS_OF_GRADIENT.search(plain)):
        found.remove("update_rule")  # `L_reg = L + (λ/2)·‖∇θ L‖²`: a penalty on the gradient, whose own gradient it derives
    if "init" in found and len(found) > 1 and (not _shown(BY_NAME["init"].cue, _BRACKETED.sub(" ", text))
                                               or (_only_on_lines(BY_NAME["init"].cue, text, _INIT_ASIDE)
                                                   and not _titled_init(text))):
        found.remove("init")  # "(so zero-init rows can still move)", "bias 初始化为 0 的话…", "按 init std 归一化": an aside
        # beside another kind (not "# 偏置初始化：…", a title naming the biases' initialisation as the idea)
    if "init" in found and {"layer", "activation"} & set(found) and (_only_on_lines(BY_NAME["init"].cue, text, _STARTS_OF_OTHERS)
                                                                     or _only_on_lines(BY_NAME["init"].cue, text, _OWN_VALUE_INIT)):
        found.remove("init")  # `初始化：a = −2，c = 1.0` beside a layer's gate: where its own learnable values start
    if "update_rule" in found and "init" in found and (_only_on_lines(BY_NAME["init"].cue, text, _OPTIMIZER_STATE)
                                                       or _only_on_lines(BY_NAME["init"].cue, plain, _started_averages(plain))):
        found.remove("init")  # "Per-coordinate state, init: L = 1e-8，R = 0", "Init s_0 = 0": where the optimizer's state starts
    if "update_rule" in found and {"layer", "data"} & set(found) and not _GRADIENT_SAID.search(text) \
            and not _GRADIENT_CHANGED.search(plain) and not _GRADIENT_ACCUMULATED.search(plain):
        found.remove("update_rule")  # `g = sigmoid(a)` beside a layer's output, `g = upsample(z).exp()` beside an
        # augmentation: g names a gate or a gain, not a gradient
    if "update_rule" in found and "layer" in found and (_only_on_lines(BY_NAME["update_rule"].cue, plain, _BACKWARD_LINE)
                                                         or _only_derivatives(BY_NAME["update_rule"].cue, text, plain)):
        found.remove("update_rule")  # "Backward: straight-through, g := g", `∂L/∂θ_ij = −G_ij · r_i · sin θ_ij`: the new
        # layer's gradient, no optimizer's step
    if "architecture" in found and len(found) > 1 and not _NAMED_RECURRENT.search(text) \
            and not BY_NAME["architecture"].cue.search(_BASELINE_MODELS.sub("", _LIKE_A_MODEL.sub("", _SOURCE_MODEL.sub("", text)))):
        found.remove("architecture")  # "Padam 在 GRU 序列分类上": the task's own model is where the idea runs; "ON-LSTM 里的
        # cumax": where a part comes from
    if "architecture" in found and len(found) > 1 and _STRUCTURE_KEPT.search(text):
        found.remove("architecture")  # "结构不动，只是每隔 N 步对卷积核做一次…": the model as it is, where the idea runs
    if "architecture" in found and {"loss", "regulariser"} & set(found) \
            and not _shown(BY_NAME["architecture"].cue, _PENALTY_FUNCTION.sub("", text)):
        found.remove("architecture")  # `def nsr_penalty(h1, h2): N = 0.5 * (h1 - h2)…`: a penalty's inputs, no wiring
    if "layer" in found and "architecture" in found and _only_on_lines(BY_NAME["layer"].cue, text, _HEADING):
        found.remove("layer")  # "# 向量量化隐层：…" with "在 MLP 中间插一层 VQ": the layer the network gains
    if "layer" in found and len(found) > 1 and _only_on_lines(BY_NAME["layer"].cue, text, _LEFT_OUT):
        found.remove("layer")  # "bias 和 LayerNorm 参数……先排除": the parameters the idea leaves alone
    if "layer" in found and "regulariser" in found and _only_on_lines(BY_NAME["layer"].cue, plain, _PENALTY_LINE):
        found.remove("layer")  # `R = λ Σ e_i W_ji², the diagonal part of E‖Wx‖²`: what the penalty is of
    if "layer" in found and "activation" in found and _only_on_lines(BY_NAME["layer"].cue, text, _PLAIN_LAYER):
        found.remove("layer")  # `h = W x + b` and then the new nonlinearity on h: the linear layer as it was
    if "layer" in found and "architecture" in found and (_only_on_lines(BY_NAME["layer"].cue, text, _MODULE_CHAIN)
                                                         or _only_on_lines(BY_NAME["layer"].cue, text, _READOUT_OF_LAYERS)):
        found.remove("layer")  # `… → [RevBlock] × D → LayerNorm → …`, "改成：每一层的输出都 concat 起来": the wiring's
    if "layer" in found and "init" in found and (_only_on_lines(BY_NAME["init"].cue, text, _LEARNABLE)
                                                 or _only_on_lines(BY_NAME["init"].cue, text, _LAYER_FORMULA)):
        found.remove("init")  # "α ∈ R^d: learnable, init 0.5", `y = (W x)·|c|^γ, γ = softplus(ρ), init γ ≈ 0.5`: where
        # the new layer's own parameter starts
    if "architecture" in found and {"loss", "regulariser"} & set(found) \
            and _only_on_lines(BY_NAME["architecture"].cue, text, _LOSS_LINE):
        found.remove("architecture")  # `L = CE + μ·Σ_l max(0, CKA(H_l, H_{l+1}) − κ)`: what a penalty reads of the layers
    if "architecture" in found and "init" in found and _titled_init(text):
        found.remove("architecture")  # "# Delta-orthogonal 初始化（只在卷积核中心…）": an initialisation, of the task's model
    elif "architecture" in found and "init" in found:
        found.remove("init")  # `P, Q initialised to zero`: the new structure's own starting values
    if "layer" in found and "init" in found and _titled_init(text):
        found.remove("layer")  # "# 过采样 + 贪心挑选的初始化" with `A_ik = relu(w_k·x_i + b_k)`: what the init computes
    elif "layer" in found and "init" in found:
        found.remove("init")  # "## 初始化（两版）" of `W_ij = r_i · cos θ_ij`: where the new layer's own parameters start
    if "regulariser" in found and "loss" in found and _only_on_lines(BY_NAME["regulariser"].cue, plain, _TERM_OF_OUTPUTS):
        found.remove("regulariser")  # `L = MSE + λ·(1/B) Σ_k (ŷ_(k) − y_(k))²`: a term of the outputs, no weights'
    if re.search(RECURRENCE, text) and not _GRADIENT.search(text) and not _titled_init(text):  # `h_t = (1 − z_t) ⊙ h_{t−1}
        # + z_t ⊙ h̃_t`: a cell (in a note titled as an initialisation, the cell the init is for)
        found = [kind for kind in found if kind != "layer"] + ["architecture"] * ("architecture" not in found)
    if "layer" in found and "weight_op" in found and _only_on_lines(BY_NAME["layer"].cue, text, _PLAIN_PRODUCT):
        found.remove("layer")  # "算 a_j = w_j·x（不含 bias）的分位数": a value the operation on the weights measures
    if "architecture" in found and _only_plain_layers(text):
        found = [kind for kind in found if kind not in ("layer", "activation")]  # h2 = relu(W2 · [x; h1]): the wiring
    if "loss" in found and len(found) > 1 and _only_on_lines(BY_NAME["loss"].cue, text, _TASK_LOSS_AS_IT_WAS):
        found.remove("loss")  # `loss = F.cross_entropy(probe(batch.x), batch.y)` in a sketch: the task's loss as it was
    if "regulariser" in found and len(found) > 1 and _only_on_lines(BY_NAME["regulariser"].cue, plain, _INTERPOLATION):
        found.remove("regulariser")  # `g = ∇L(w̄ + λ(w − w̄))`: a point between two values, no penalty
    if "layer" in found and "architecture" in found and _only_on_lines(BY_NAME["layer"].cue, text, _STOCK_MODULE):
        found.remove("layer")  # `nn.Sequential(nn.LayerNorm(d), nn.Linear(d, 10))`: PyTorch's own parts of the structure
    if "update_rule" in found and len(found) > 1 and _only_on_lines(BY_NAME["update_rule"].cue, text, _MOMENTUM_OR_OUTPUTS_G) \
            and (_RUNNING_AVERAGE_SAID.search(text) or _OUTPUTS_G.search(text)) and not _OPTIMIZER_SAID.search(text):
        found.remove("update_rule")  # "lo_j 用 batch 分位数的 EMA（动量 0.99）": a running average's momentum, no optimizer's;
        # `g = 1 - logits.softmax(1).gather(…)`: a value of the outputs named g, no gradient step
    if "weight_op" in found and "loss" in found and _only_on_lines(BY_NAME["weight_op"].cue, text, _SAMPLE_WEIGHTS):
        found.remove("weight_op")  # `w = len(y) / (self.acc[b].clamp(min=1e-6) * nonempty)`: each sample's weight in the loss
    if len(found) > 1:  # "Defazio & Bottou (2019) … 大 ResNet + BN + 数据增强": what a cited paper ran, beside the idea
        found = [kind for kind in found if not _only_on_lines(BY_NAME[kind].cue, text, _CITED)] or found
    if len(found) > 1 and len(titled := _kinds_in_title(text)) == 1 and titled[0] in found:
        found = titled  # "# 相对论动量：…" with a refresh "every K=20 steps" in its rule: the idea is what its title names
    if not found and _shown(_PENALTY_OF_ITS_OWN, plain):
        found = ["regulariser"]  # `R = λ · mean_{i<j} relu(r_ij − K)²` and no other kind: a penalty of what the idea computes
    if "architecture" in found and _DROPOUT_TITLE.search(text):
        found = [kind for kind in found if kind != "architecture"] + ["regulariser"] * ("regulariser" not in found)
        # "# DropBlock on a small convnet": a dropout of its own, the convnet where it runs
    if not found and DROPS_UNITS.search(idea_text(text)):
        found = ["regulariser"]  # "# Targeted Dropout", "随机屏蔽隐藏单元" and no other kind: a dropout of its own
    return found


# A line of prose that cites a paper ("Zhang et al. (2019)", "Defazio & Bottou (2019)", "Pan et al. 2022"), no formula in it.
_CITED = re.compile(r"^(?!.*[=~←])(?=.*(?:\bet al\.?|\b[A-Z][a-z]+\s*(?:&|and)\s*[A-Z][a-z]+)\s*[,(（]?\s*(?:19|20)\d\d\b)")
# A penalty on a line of its own, whatever it penalises (`R = λ · mean_{i<j} relu(r_ij − K)²`).
_PENALTY_OF_ITS_OWN = re.compile(r"(?m:^\s*(?:[-*]\s*)?(?:R|Ω|ℛ)\s*=\s*(?:λ|lambda|lam)(?![a-z])\s*[·*×⋅])")


def _kind_text(text: str) -> str:
    """The note's idea lines, each without what shows no kind (`_without_what_shows_no_kind`): where kinds are read."""
    return "\n".join(map(_without_what_shows_no_kind, idea_lines(text, aside_headings=True)))


def cue_lines(text: str, kind: str, most: int = 2) -> list[str]:
    """The first `most` idea lines of a note on which the cue of `kind` shows: where a kind was read, the evidence shown
    to whoever chooses among several kinds read."""
    cue = BY_NAME[kind].cue
    return [line.strip() for line in _kind_text(text).splitlines()
            if _shown(cue, line) or _shown(cue, plain_formula(line))][:most]


# The task's own loss in a sketch, nothing added: `loss = F.cross_entropy(model(x), y)` (not with `label_smoothing=…`).
_TASK_LOSS_AS_IT_WAS = re.compile(r"^\s*\w*\s*=\s*(?:F|nn\.functional|torch\.nn\.functional)\.(?:cross_entropy|mse_loss|nll_loss|"
                                  r"binary_cross_entropy\w*|l1_loss|smooth_l1_loss)\s*\([^\n+#=]*\)\s*(?:#[^\n]*)?$")
# A point between two values: `w̄ + λ(w − w̄)`, `pe + lam * (p - pe)`.
_INTERPOLATION = re.compile(r"(?<![\w])(?P<start>[A-Za-z]\w*)\s*\+\s*(?:λ|lambda|lam|α|alpha|β|beta|τ|tau)\w*\s*[*·]?\s*"
                            r"\(\s*[A-Za-z]\w*\s*[-−]\s*(?P=start)\s*\)")
# PyTorch's own modules called as parts: `nn.LayerNorm(d)`, `nn.Linear(d, 10)`.
_STOCK_MODULE = re.compile(r"\bnn\.(?:LayerNorm|BatchNorm\w*|GroupNorm|RMSNorm|Dropout|Linear|Sequential|MultiheadAttention|"
                           r"Embedding|Conv\w*|GRU|LSTM|RNN)\s*\(")
# A weight computed from the batch's targets or outputs: each sample's weight in the loss, not the model's.
_SAMPLE_WEIGHTS = re.compile(r"(?<![\w.])w\w*\s*=(?!=)[^\n]*(?:len\(\s*y\s*\)|(?<![\w.])y(?![\w])|logits|(?<![\w.])out(?![\w]))")
# A value named g computed from the network's outputs (`g = 1 - logits.softmax(1).gather(1, y[:, None])`): no gradient.
_OUTPUTS_G = re.compile(r"(?<![\w.])g\w*\s*=(?!=)[^\n]*(?:logits|softmax|\bout\b|outputs?|p_?y|probs?)", re.IGNORECASE)
_MOMENTUM_OR_OUTPUTS_G = re.compile(rf"momentum|动量|{_OUTPUTS_G.pattern}", re.IGNORECASE)
_RUNNING_AVERAGE_SAID = re.compile(r"\bEMA\b|\brunning\b|moving average|滑动|移动平均", re.IGNORECASE)
_OPTIMIZER_SAID = re.compile(r"optimi[sz]er|优化器|\bSGD\b|\bAdam\w*", re.IGNORECASE)
# A line that says what the idea leaves out ("LayerNorm 参数先排除", "except the LayerNorm gains").
# A line defining the training loss: `总损失：L = CE + …`, `loss = …`.
_LOSS_LINE = re.compile(_LEFT + _LOSS_NAME + r"(?:_\w+)?\s*=(?!=)", re.IGNORECASE)
# A loss line whose λ-term reads the network's outputs and no weights (up to the prose after it):
# `L = MSE + λ·(1/B) Σ_k (ŷ_(k) − y_(k))²`.
_TERM_OF_OUTPUTS = re.compile(r"[+]\s*(?:λ|lambda|lam(?![a-z]))\w*(?![^\n\u4e00-\u9fff]*" + _LEFT + r"(?:W|w|θ|theta)\w*" + _RIGHT
                              + r")[^\n\u4e00-\u9fff]*" + _LEFT + r"(?:y_hat|yhat|ŷ|pred|logits|out(?:put)?s?|p_?y)(?![A-Za-z0-9])")
_LEFT_OUT = re.compile(r"排除|除外|不包括|\bexclud(?:e|es|ed|ing)\b|\bexcept\b|\bleft out\b|\bleave out\b", re.IGNORECASE)
# A line about the biases' start and not the weights' ("bias 初始化为 0 的话乘性更新永远是 0").
_BIASES_ALONE = re.compile(r"^(?=[^\n]*(?:\bbias(?:es)?\b|偏置))(?![^\n]*(?:" + _LEFT + r"[wW]" + _RIGHT + r"|weights?\b|权重))",
                           re.IGNORECASE)
# The initialisation's scale read as a unit of the idea ("按层用 init std s 归一化", "divide by the init scale"): a value of
# the weights as they start, not a new initialisation; with the biases' start, an aside beside another kind.
_INIT_SCALE_READ = re.compile(r"\binit(?:iali[sz]ation)?(?:'s)?\s+(?:std|scale|norm|variance)\b|初始化?的?\s*(?:std|标准差|尺度|方差|范数)",
                              re.IGNORECASE)
# The biases' start said beside the weights ("w = 0 附近…，零初始化的 bias 动不了", "zero-init biases"): an aside too.
_BIASES_START = re.compile(r"(?:初始化|init\w*)的?\s*(?:bias(?:es)?|偏置)|(?:bias(?:es)?|偏置)\s*的?\s*(?:初始化|初值|init)",
                           re.IGNORECASE)
# A standard initialisation the setup's network starts from ("default PyTorch init", "standard Xavier init", "a proper
# init (LSUV)", "默认初始化"): how the model is built, not an idea about it.
_STANDARD_INIT = re.compile(r"\b(?:default|standard|usual|plain|ordinary|PyTorch(?:'s)?|proper|friendly)\b"
                            r"(?:\s+[\w-]+){0,2}?\s+init(?:iali[sz]ation)?\b|(?:默认|标准|常规|普通)的?\s*(?:[A-Za-z]+\s*)?初始化",
                            re.IGNORECASE)
_INIT_ASIDE = re.compile(f"{_BIASES_ALONE.pattern}|{_INIT_SCALE_READ.pattern}|{_BIASES_START.pattern}|{_STANDARD_INIT.pattern}",
                         re.IGNORECASE)
# A question in brackets, a guess beside the idea: "far-wrong samples (label noise?) don't dominate".
_QUESTIONED = re.compile(r"[（(][^（）()\n]*[?？][）)]")
# What the idea amounts to without being it: "这算是一种隐式的 simplicity curriculum", "a kind of implicit regularisation".
_IMPLICIT = re.compile(r"(?:一种|一个|a\s+(?:kind|form|sort)\s+of|an?)\s*(?:隐式|implicit)的?\s*[^。.;；，,\n]{0,32}", re.IGNORECASE)
# A line on the test inputs only ("测试集另做一套 contrast sweep：x' = c·x + N(0, 0.05²)"): an evaluation, no training batch.
# The note says the model's structure stays as it is: "结构不动", "不改结构", "the architecture is unchanged".
_STRUCTURE_KEPT = re.compile(r"(?:结构|架构|网络结构|模型结构)\s*(?:保持)?\s*(?:不动|不变)|不(?:改|动|变)\s*(?:网络|模型)?\s*(?:结构|架构)|"
                             r"\b(?:architecture|structure|model)\s+(?:is\s+|stays\s+|remains\s+)?(?:unchanged|untouched|as it is)\b|"
                             r"\bsame (?:architecture|structure)\b", re.IGNORECASE)
# A synthetic task's target, made from x with noise: `y = x·sin(x) + ε` (a function of the data, no activation).
_SYNTHETIC_TARGET = re.compile(r"(?<![\w])y\s*=(?!=)[^\n]*(?:[+]\s*(?:[\d.]+\s*[·*]?\s*)?(?:ε|epsilon|noise|噪声)|N\(\s*0\s*,)")
_TEST_INPUTS = re.compile(r"测试集|测试时|\b(?:on|at|for)\s+(?:the\s+)?test(?:\s+(?:set|time|inputs?|data))?\b|\btest[- ](?:set|time|inputs?)\b|"
                          r"\beval(?:uation)?\s+(?:set|inputs?|data)\b", re.IGNORECASE)
# Another value than the rate annealed or warmed up over the steps ("τ 从 0.3 余弦退火到 0.02", "anneal τ from 2 to
# 0.01", "KL 系数从 0 线性 warmup 到 1"): no schedule.
_OTHER_VALUE_ANNEALED = re.compile(r"(?<![\w])(?!(?:lr|η|eta)(?![\w]))[A-Za-zα-ωΑ-Ω]\w*\s*(?:系数|权重|项|coefficient|weight|term)?\s*"
                                   r"(?:从|from)\s*[-−]?[\d.]+[^。\n]{0,12}?(?:退火|衰减|anneal|decay|warm-?up|预热)|\banneal(?:s|ed|ing)?\s+(?!(?:the\s+)?(?:lr|η|eta|learning)\b)"
                                   r"[A-Za-zα-ωΑ-Ω]\w*\s+from\b", re.IGNORECASE)
# A value computed every N steps to look at ("每 20 步算一次 cos(代理梯度, 真梯度)"): a measurement, no weight operation.
_PERIODIC_MEASURE = re.compile(r"每\s*\d+\s*步\s*(?:算|计算|记录|测|评估|看)|\bevery\s+\d+\s+steps?,?\s*(?:compute|record|log|measure|"
                               r"evaluate|track)", re.IGNORECASE)
# A bound kept on one of the idea's own values after each step ("每步之后 clamp β ≤ 2.5α", "a, b 每步后 clip 到 ≥ 0.1"):
# a constraint of the activation's or layer's parameters, not an operation on the network's weights.
_OWN_VALUE = r"(?!(?:w|W|θ|theta)(?![\w]))[A-Za-zα-ω](?:_\w+)?"
_OWN_VALUE_BOUNDED = re.compile(rf"(?:clamp|clip)\w*\s*\(?\s*{_OWN_VALUE}\s*(?:≤|<=|≥|>=|∈|,)|"
                                rf"(?<![\w]){_OWN_VALUE}(?:\s*[,、，]\s*{_OWN_VALUE})*\s[^\n]{{0,10}}?(?:clamp|clip)\w*\s*(?:到|to)",
                                re.IGNORECASE)
# A table or statistic the idea keeps, refreshed every N steps ("每 50 步更新一次近邻表", "近邻表每 50 步刷新", "every 100
# steps, recompute the neighbour lists"): no operation on the weights.
_REFRESHED = r"(?:表|统计量?|列表|索引|近邻|分组|聚类|\b(?:tables?|lists?|statistics|stats|index|neighbou?rs?|groups?|clusters?)\b)"
_PERIODIC_REFRESH = re.compile(rf"每\s*\d+\s*步\s*(?:更新|刷新|重算|重新计算)(?:一次)?\s*[^\s。，,;；：:]{{0,6}}?{_REFRESHED}|"
                               rf"{_REFRESHED}\s*每\s*\d+\s*步\s*(?:刷新|更新|重算)|"
                               rf"\bevery\s+\d+\s+steps?,?\s*(?:refresh|recompute|rebuild|update)\s+(?:the\s+)?\w*\s*{_REFRESHED}",
                               re.IGNORECASE)
# The ordinary step taken on what the idea chose ("Take the optimizer step on those 64 only"): no update rule.
_ORDINARY_STEP_ON = re.compile(r"\btak(?:e|es|ing)\s+(?:the|an|one|a)\s+(?:(?:plain|normal|usual|ordinary)\s+)?"
                               r"optimi[sz]er\s+step\s+on\b", re.IGNORECASE)
# A line giving other values than the weights their start (`初始化：a = −2，c = 1.0`): a layer's own learnable values.
_STARTS_OF_OTHERS = re.compile(r"^(?![^\n]*" + _LEFT + r"(?:[Ww]\w*|b|bias(?:es)?|θ|theta)\s*(?:=|~|∼|←))(?=[^\n]*"
                               + _LEFT + r"[A-Za-zα-ωΑ-Ω]\w*\s*=\s*[-−]?\d)")
# A new value's start named with the word init ("Init $U_c$ ~ N(0, 0.02²)", "init τ = 1"), not the weights' (W, w, θ).
_OWN_VALUE_INIT = re.compile(r"\binit(?:iali[sz]e)?\s+\$?(?![Ww](?![A-Za-z])|θ|theta\b|weights?\b)[A-Za-zα-ωΑ-Ω]\w*\$?\s*(?:~|∼|=|\bto\b|\bas\b|\bat\b)",
                             re.IGNORECASE)
# An aside in brackets: `(so zero-init rows can still move)`, `（原文用过）`.
_BRACKETED = re.compile(r"[（(][^（）()\n]*[）)]")
# A gradient passed straight through a rounding or a sign, as the notes may say of their layer.
STRAIGHT_THROUGH = re.compile(r"straight[- ]through|\bSTE\b|直通", re.IGNORECASE)
# A line on a layer's backward pass: "Backward: straight-through, g := g", "反向：…".
_BACKWARD_LINE = re.compile(r"^\s*(?:[-*]\s*)?(?:backward(?: pass)?|反向(?:传播)?)\s*[:：(（]|" + STRAIGHT_THROUGH.pattern,
                            re.IGNORECASE)
# A derivative of the loss written out (`∂L/∂θ_ij = −G_ij · r_i · sin θ_ij`, "梯度（G = ∂L/∂W）"), no step taken with it.
_DERIVATIVE_LINE = re.compile(r"^(?![^\n]*(?:←|<-|-=|\+=|:=|_\{?t\s*\+\s*1))[^\n]*∂\s*(?:L|ℓ|loss)\s*/\s*∂", re.IGNORECASE)
# A comparison in brackets, no formula: `（和 spectral norm 层一样的 trick）`, `(as in group norm layers)`.
_PROSE_BRACKETED = re.compile(r"[（(]\s*(?:和|跟|与|像|类似|同|like\b|as in\b|cf\.?|similar to\b)[^（）()\n=]*[）)]", re.IGNORECASE)
# A plain layer as an architecture note writes its wiring: `h2 = relu(W2 · [x; h1])`, `y = W4 · [x; h1; h2] + b`.
_CROSS_LAYER = re.compile(CROSS_LAYER)
_PLAIN_LAYER = re.compile(r"^\s*(?:[-*]\s*)?[\w']+\s*=\s*(?:(?:relu|tanh|sigmoid|gelu|σ|φ|phi)\s*\(\s*)?W\w*\s*[·*@]?\s*"
                          r"(?:x\w*|h[\w']*(?:\{[^}\n]*\})?|\[[^\]\n]*\]|(?:[A-Za-z]\w*\s*)?\([^()\n]*\))\s*(?:\+\s*b\w*\s*)?\)?\s*"
                          r"(?:[，,;；(（].*)?$", re.IGNORECASE)  # `y = W_out · LN(h_K)`: a plain readout of a normalised state
# A label before a line's formulas (`pass 1:  h_1 = …`, `第二遍：`), and the separators between formulas on one line.
_FORMULA_LABEL = re.compile(r"^\s*(?:[-*]\s*)?[^=\n:：]{1,20}[:：]\s*(?=[^=\n]*=)")
_BETWEEN_FORMULAS = re.compile(r"[，,;；]\s+(?![^()\[\]]*[)\]])")


# A unit's or a layer's plain product with its input, said in a line (`算 a_j = w_j·x（不含 bias）`, `z = W x + b`).
# A function the notes name as a penalty or a loss, with its indented body: what it reads are its inputs.
_PENALTY_FUNCTION = re.compile(r"^([ \t]*)def\s+\w*(?:pen|loss|reg)\w*\s*\([^\n]*(?:\n(?:\1[ \t]+[^\n]*|[ \t]*))*",
                               re.MULTILINE | re.IGNORECASE)
# A penalty's formula: `R = λ Σ …`, `Ω(W) = λ·…`.
_PENALTY_LINE = re.compile(r"(?<![\w])(?:R|Ω|P|pen\w*)\s*(?:\([^)\n]*\))?\s*=\s*(?:λ|lambda|lam)(?![a-z])")
# The plain gradient step, written out (`θ ← θ − η ∇_θ L`, `w = w - lr * g`).
PLAIN_SGD = re.compile(r"^\s*(?:[-*]\s*)?(?P<w>θ|theta|w|W|p)\s*(?:←|=|:=)\s*(?P=w)\s*[-−]\s*(?:η|eta|lr|α|alpha)\s*[·*]?\s*"
                        r"(?:∇_?\{?(?:θ|theta|w|W|p)?\}?\s*(?:L|loss|ℓ)\w*(?:\([^()\n]*\))?|grad\w*|g(?:_t)?)\s*$")
_PLAIN_PRODUCT = re.compile(r"(?<![\w])\w+\s*=\s*[wW]\w*\s*[·*@]?\s*x\w*(?:\s*\+\s*b\w*)?\s*(?:$|[，,;；。(（`]|\s+[^\s*·@⊙+\-/])")


# A title whose name ends on the initialisation: "# 卷积展开初始化：把全连接第一层…", "# Orthogonal-conv init (…)".
_NAMED_AN_INIT = re.compile(r"^\s*#+[^:：（(\n]*?(?:初始化|\binit(?:iali[sz]ation)?)\s*(?:[:：（(]|$|(?:for|of)\s+(?:an?\s+|the\s+)?)",
                            re.IGNORECASE)  # "# Mimetic init for a tiny transformer": the structure it starts


def title_of(text: str) -> str:
    """The first heading of the idea's text: the name the note gives the idea."""
    return next((line for line in text.splitlines() if _HEADING.match(line)), "")


def _kinds_in_title(text: str) -> list[str]:
    """The kinds the idea's title shows by their cues, or names ("可学激活": an activation)."""
    title = title_of(text)
    return [kind.name for kind in KINDS if _shown(kind.cue, title) or _shown(kind.cue, plain_formula(title))
            or (kind.name == "activation" and _ACTIVATION_SAID.search(title))] if title else []


def _titled_init(text: str) -> bool:
    """Whether the note's title names an initialisation and no change of structure beside the task's own models, or
    is named as one (its name ends on the initialisation, whatever it emulates)."""
    title = title_of(text)
    return bool(BY_NAME["init"].cue.search(title)) and (
        not BY_NAME["architecture"].cue.search(_BASELINE_MODELS.sub("", title)) or bool(_NAMED_AN_INIT.match(title)))


def _only_plain_layers(text: str) -> bool:
    """Whether every formula that shows a layer or an activation (each of a line's, after its label) is a plain layer
    `h = act(W · input)` or wiring across layers (CROSS_LAYER), and one does: the layers of an architecture, written
    out, not a new layer or nonlinearity."""
    parts = [part for line in text.splitlines() for part in _BETWEEN_FORMULAS.split(_FORMULA_LABEL.sub("", line))]
    shown = [part for part in parts if BY_NAME["layer"].cue.search(part) or BY_NAME["activation"].cue.search(part)]
    return bool(shown) and all(_PLAIN_LAYER.match(part) or _CROSS_LAYER.search(part) for part in shown)


# The name a formula line assigns (`m ← β·m + g`, `- h = …`), and any name a formula reads.
_ASSIGNED_NAME = re.compile(r"^\s*(?:[-*]\s*)?([A-Za-z_\u0370-\u03ff]\w*)\s*(?:←|<-|:?=(?!=))")
_NAME = re.compile(r"[A-Za-z_\u0370-\u03ff]\w*")


def _rate_of_computed_value(plain: str) -> bool:
    """Whether a learning rate the note assigns reads a value another of its lines computes (`η_t = η / (1 + κ·d_t)`
    with `d_t = …`)."""
    lines = plain.splitlines()
    computed = {found[1] for line in lines if (found := _ASSIGNED_NAME.match(line)) and not _RATE_ASSIGNED.match(line.strip())}
    return any(computed & set(_NAME.findall(line[rate.end():]))
               for line in lines if (rate := _RATE_ASSIGNED.search(line)))




def _steps_without_gradient(plain: str) -> bool:
    """Whether every weight step the update-rule cue shows on reads neither the gradient nor a value a line computes
    from it (`θ ← θ − η·m/h` with `m ← β·m + g` reads it); never where the notes write an optimizer class, whose step
    reads the gradients it is given."""
    if _OPTIMIZER_CLASS.search(plain):
        return False
    lines = plain.splitlines()
    from_gradient = {found[1] for line in lines if _GRADIENT.search(line) and (found := _ASSIGNED_NAME.match(line))}
    steps = [line for line in lines if BY_NAME["update_rule"].cue.search(line)]
    return all(not _GRADIENT.search(line) and not from_gradient & set(_NAME.findall(line))
               for line in steps)


def _only_on_lines(cue: re.Pattern[str], text: str, said: re.Pattern[str]) -> bool:
    """Whether `cue` shows on some line of `text` and every line it shows on also says `said`."""
    shown = [line for line in text.splitlines() if cue.search(line)]
    return bool(shown) and all(said.search(line) for line in shown)


def _only_derivatives(cue: re.Pattern[str], text: str, plain: str) -> bool:
    """Whether every line the cue shows on, as written or made plain (where ∂L/∂θ reads as g), writes out a derivative
    of the loss and takes no step with it (_DERIVATIVE_LINE)."""
    lines, plain_lines = text.splitlines(), plain.splitlines()
    pairs = list(zip(lines, plain_lines if len(plain_lines) == len(lines) else lines))
    shown = [line for line, plain_line in pairs if cue.search(line) or cue.search(plain_line)]
    return bool(shown) and all(_DERIVATIVE_LINE.search(line) for line in shown)


def _only_in_timed_steps(cue: re.Pattern[str], text: str) -> bool:
    """Whether every line showing `cue` times a step before it or is indented under a line that does ("每 ΔT = 100 steps
    做一次：" and below it "grow: … w 初始化为 0"): part of what is done at that step."""
    lines, shown = text.splitlines(), False
    for number, line in enumerate(lines):
        if not cue.search(line):
            continue
        shown, indent = True, len(line) - len(line.lstrip())
        if (timed := _TIMED.search(line)) and timed.start() < cue.search(line).end():
            continue  # "每步之后把权重的分布拉回初始化分布": the line times it before it says it
        parents = []
        for above in reversed(lines[:number]):
            depth = len(above) - len(above.lstrip())
            if above.strip() and depth < indent:
                parents.append(above)
                indent = depth
        if not any(_TIMED.search(parent) for parent in parents):
            return False
    return shown


def _shown(cue: re.Pattern[str], text: str) -> bool:
    """Whether the cue occurs in `text` other than where the note does without it ("so no activation is needed")."""
    return any(not done_without(text, match.start()) for match in cue.finditer(text))


def hooks_for(kinds: Iterable[str]) -> list[str]:
    """Every hook that may express the kinds, in the kinds' order, without repeats."""
    return list(dict.fromkeys(hook for kind in kinds_of(kinds) for hook in kind.all_hooks))


def examples_for(kinds: Iterable[str]) -> list[str]:
    """The worked-example file names of the kinds."""
    return [kind.example for kind in kinds_of(kinds)]


def allowed_changes(kinds: Iterable[str]) -> set[str]:
    """The confound categories in which the idea arm may differ from the baseline."""
    return {change for kind in kinds_of(kinds) for change in kind.changes}


def fixes_for(kinds: Iterable[str]) -> set[str]:
    """The names of the mechanical fixes that apply to the kinds."""
    return {fix for kind in kinds_of(kinds) for fix in kind.fixes}


def checks_for(kinds: Iterable[str]) -> set[str]:
    """The names of the idea-specific static checks that apply to the kinds."""
    return {check for kind in kinds_of(kinds) for check in kind.checks}
