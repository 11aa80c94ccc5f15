"""The baseline a request names ("sign-SGD vs Adam", "my norm vs LayerNorm"), read by a program.

The baseline arm follows the request; a request that names none gets the lab's plain baseline
(an MLP with SGD), or the one optimizer the note's setup trains with ("Setup: … Adam lr 1e-3"). Only the side after
"vs" is read, so an idea named after an optimizer is not mistaken for its own baseline.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from agentnotes.experiments.guards.constants import BASELINE_LABEL

COMPARISON = re.compile(r"\s+(?:vs\.?|versus|against|compared (?:to|with)|对比|相比)\s*", re.IGNORECASE)
_OPTIMIZERS = (  # (lab name, cue) in match order: AdamW before Adam
    ("adamw", re.compile(r"\badamw\b", re.IGNORECASE)),
    ("adam", re.compile(r"\badam\b", re.IGNORECASE)),
    ("rmsprop", re.compile(r"\brms-?prop\b", re.IGNORECASE)),
    ("momentum", re.compile(r"\bmomentum\b|\bsgdm\b|动量", re.IGNORECASE)),
    ("sgd", re.compile(r"\bsgd\b", re.IGNORECASE)),
)
# The coefficient a momentum baseline is given: "momentum 0.95", "constant momentum=0.99", "β = 0.95", "动量 0.95".
_MOMENTUM_VALUE = re.compile(r"(?:momentum|动量|β|beta)\s*(?:=|:|of|系数|取)?\s*(0?\.\d+)", re.IGNORECASE)
_ACTIVATIONS = (  # (lab name, cue) in match order: leaky ReLU before ReLU
    ("leaky_relu", re.compile(r"\bleaky[ -_]?relu\b", re.IGNORECASE)),
    ("relu", re.compile(r"\brelu\b", re.IGNORECASE)),
    ("tanh", re.compile(r"\btanh\b", re.IGNORECASE)),
    ("sigmoid", re.compile(r"\bsigmoid\b|\blogistic\b", re.IGNORECASE)),
    ("gelu", re.compile(r"\bgelu\b", re.IGNORECASE)),
    ("elu", re.compile(r"\belu\b", re.IGNORECASE)),
    ("silu", re.compile(r"\bsilu\b|\bswish\b", re.IGNORECASE)),
    ("softplus", re.compile(r"\bsoftplus\b", re.IGNORECASE)),
)
_NORMS = (
    ("layernorm", re.compile(r"\blayer ?norm\b|\bLN\b|层归一化", re.IGNORECASE)),
    ("batchnorm", re.compile(r"\bbatch ?norm\b|\bBN\b|批归一化", re.IGNORECASE)),
)

_SCHEDULES = (  # (lab name, cue): the learning-rate schedules the lab's baseline can follow
    ("cosine", re.compile(r"\bcos(?:ine)?\b|余弦", re.IGNORECASE)),
    ("linear", re.compile(r"\blinear(?:ly)?[ -](?:decay|decreasing|schedule|annealing)|线性(?:衰减|下降|退火)", re.IGNORECASE)),
    ("step", re.compile(r"\b(?:multi-?)?step[ -](?:decay|schedule|lr)|阶梯|分段常数", re.IGNORECASE)),
)

# A baseline the request wants as large as the idea: "vs param-matched MLP", "vs an MLP with the same number of parameters".
_MATCHED = re.compile(r"\bparam(?:eter)?s?[- ]?match|\bmatched (?:in |for |by )?(?:the )?(?:number of )?param|"
                      r"\b(?:same|equal|matching) (?:number of |count of )?param|\biso-?param|"
                      r"参数量?(?:相同|相等|匹配|一致|相当|对齐)|同等?参数量?|等参数", re.IGNORECASE)


@dataclass(frozen=True)
class Baseline:
    """What the baseline arm uses: the lab's BASELINE_OPTIMIZER, BASELINE_NORM, BASELINE_MOMENTUM,
    BASELINE_ACTIVATION and BASELINE_SCHEDULE."""

    optimizer: str = "sgd"
    norm: str | None = None
    momentum: float = 0.9  # the "momentum" optimizer's coefficient
    activation: str = "relu"
    schedule: str | None = None  # None: a constant rate
    matched: bool = False  # the baseline widened to the idea's parameter count

    def describe(self) -> str:
        parts = [f"{self.activation} activations"] if self.activation != "relu" else []
        parts += [self.norm] if self.norm else []
        coefficient = f" {self.momentum:g}" if self.optimizer == "momentum" and self.momentum != 0.9 else ""
        made = f" with {' and '.join(parts)}" if parts else ""
        schedule = f" on a {self.schedule} learning-rate schedule" if self.schedule else ""
        size = ", as wide as matches the idea's parameter count" if self.matched else ""
        return f"the task's baseline model{made}{size}, trained with {self.optimizer}{coefficient}{schedule}"


def split_request(request: str) -> tuple[str, str]:
    """(idea side, baseline side) of a request: "mirror vs baseline" -> ("mirror", "baseline")."""
    sides = COMPARISON.split(request.strip(), maxsplit=1)
    return sides[0], sides[1] if len(sides) > 1 else ""


# Words around an activation's name on a request's baseline side that name nothing else: "plain ReLU", "the tanh activation".
_ACTIVATION_WORDS = re.compile(r"\b(?:plain|standard|usual|the|a|an|ordinary|vanilla|default|baseline|activations?|"
                               r"functions?|nonlinearity)\b|激活函数|激活|普通的?|标准的?", re.IGNORECASE)


# The adaptive optimizers an update rule's name may say it changes ("Adam with update clipping", "Adam的 eps 用…",
# "RAdam：把 Adam 前期的…"), AdamW before Adam; and the words that make a name the one compared with or replaced
# instead ("SignSGD vs Adam", "比 Adam 快", "instead of RMSprop").
_CHANGED_OPTIMIZERS = (("adamw", re.compile(r"(?<![A-Za-z])AdamW(?![A-Za-z])", re.IGNORECASE)),
                       ("adam", re.compile(r"(?<![A-Za-z])Adam(?![A-Za-z])", re.IGNORECASE)),
                       ("rmsprop", re.compile(r"(?<![A-Za-z])RMS-?prop(?![A-Za-z])", re.IGNORECASE)))
_COMPARED_WITH = re.compile(r"(?:\bthan|\binstead of|\bover|\bbeats?|\breplac(?:e|es|ing)|比|替代|代替|取代|胜过|替换)\s*"
                            r"(?:plain\s+|the\s+)?$", re.IGNORECASE)


def changed_optimizer(name: str) -> str | None:
    """The adaptive optimizer (lab name) an idea's name says the idea changes, not one it is compared with; None for
    none. Its step is the idea's starting point, and the baseline it is measured against."""
    side = split_request(name)[0]
    for lab_name, cue in _CHANGED_OPTIMIZERS:
        if (named := cue.search(side)) and not _COMPARED_WITH.search(side[:named.start()]):
            return lab_name
    return None


def compares_with_an_activation(request: str) -> bool:
    """The request's baseline side names an activation and nothing else ("… vs ReLU", "… vs plain tanh"; not "vs
    Linear+ReLU" nor "vs a ReLU MLP"): the idea is an activation."""
    side = _ACTIVATION_WORDS.sub(" ", split_request(request)[1]).strip()
    return any(cue.fullmatch(side) for _, cue in _ACTIVATIONS)


# Momentum said absent: "plain SGD (no momentum)", "普通 SGD（无动量）".
_NO_MOMENTUM = re.compile(r"\b(?:without|no|w/o|zero)\s+momentum\b|(?:无|不带|不用|没有|不加)\s*(?:动量|momentum\b)", re.IGNORECASE)


# The line listing the baselines: "baseline：p = 2（就是 SGD+momentum）、Adam", "Baselines: SGD+momentum, plain SGD, Adam".
_BASELINES_LISTED = re.compile(BASELINE_LABEL + r"[^\n。]*")


def baselines_listed(text: str) -> str:
    """The lines of `text` that list the baselines ("baseline：SGD+momentum、Adam")."""
    return "\n".join(m[0] for m in _BASELINES_LISTED.finditer(text))


def optimizer_said(text: str) -> str | None:
    """The one optimizer `text` names ("Adam lr 1e-3", "SGD with momentum 0.9", "SGD (no momentum)"), or of several the
    first one a list of baselines names ("baseline：SGD+momentum、Adam"); None for none, or several and no such list."""
    text = _NO_MOMENTUM.sub(" ", text)
    named = {name for name, cue in _OPTIMIZERS if cue.search(text)}
    named -= {"sgd"} if "momentum" in named else set()
    if len(named) > 1 and (listed := _BASELINES_LISTED.search(text)):
        items = re.split(r"[,，、;；]\s*(?![^()（）]*[)）])", re.sub(BASELINE_LABEL, "", listed[0], count=1))
        return next((said for item in items if (said := optimizer_said(item))), None)
    return named.pop() if len(named) == 1 else None


def baseline_from_request(request: str, kinds: Sequence[str] = ("activation",), setup: str = "", baselines: str = "") \
        -> Baseline:
    """The optimizer, normalisation, momentum coefficient, activation, schedule and size (as many parameters as
    the idea) the request's baseline side names; the lab's defaults otherwise. The activation only for an activation
    idea (`kinds`): "penalised tanh vs tanh" compares two activations, "softmax attention vs sigmoid gating" names a
    part, not the network's activation; the schedule only for a schedule idea ("vs cosine similarity" names none).
    A request that names no optimizer gets the one an update rule's name says it changes (changed_optimizer: "Adam
    with update clipping" is measured against Adam), else the one the note's `setup` part names, if only one, else the
    first one its list of `baselines` names."""
    side = split_request(request)[1]
    optimizer = next((name for name, cue in _OPTIMIZERS if cue.search(side)), None)
    if optimizer:
        told = side
    elif "update_rule" in kinds and (optimizer := changed_optimizer(request)):
        told = request
    elif optimizer := optimizer_said(setup):
        told = setup
    else:
        optimizer, told = optimizer_said(baselines) or "sgd", baselines
    norm = next((name for name, cue in _NORMS if cue.search(side)), None)
    said = _MOMENTUM_VALUE.search(told) if optimizer == "momentum" else None
    activation = next((name for name, cue in _ACTIVATIONS if cue.search(side)), "relu") if "activation" in kinds else "relu"
    schedule = next((name for name, cue in _SCHEDULES if cue.search(side)), None) if "schedule" in kinds else None
    return Baseline(optimizer, norm, float(said[1]) if said and float(said[1]) < 1 else 0.9, activation, schedule,
                    bool(_MATCHED.search(side)))
