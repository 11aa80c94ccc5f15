"""What the lab cannot test, said before any code is written.

The lab trains small models on offline synthetic or bundled data for a few minutes. An idea that
needs something else (a large pretrained model, data from the web, people, an interactive
environment, real hardware speed, many machines) cannot be tested there; forcing it into an MLP
on synthetic data would report on a different experiment. Each limit is one entry: the cues
that show a note needs it (English and Chinese) and the reason the user reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agentnotes.experiments.guards.task import setup_part, task_in_notes


@dataclass(frozen=True)
class LabLimit:
    """One thing the lab does not have, and how a note shows that it needs it."""

    name: str
    cue: re.Pattern[str]
    reason: str


def _cue(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(alternatives), re.IGNORECASE)


# 延迟 as a machine's latency ("推理延迟", "降低延迟", "延迟 3 ms"), not a delay in the training ("延迟一步的 Adam",
# "延迟泛化": grokking's delayed generalisation).
_LATENCY_ZH = (r"(?:推理|推断|响应|请求|网络|通信|端到端|首\s*token|解码|生成|访存|降低|减少|减小|缩短|更低的?)\s*(?:的\s*)?延迟|"
               r"延迟\s*[（(]?\s*(?:[<>≤≥~≈]?\s*\d+(?:\.\d+)?\s*)?(?:ms|毫秒|μs|us|微秒)\b|延迟(?:和|与|、)\s*吞吐|吞吐(?:和|与|、)\s*延迟")


LIMITS = (
    LabLimit("pretrained", _cue(r"\bpre-?trained (?:large |language |vision )?models?\b", r"\bfine-?tun(?:e|es|ing) (?:a |the )?(?:LLM|GPT|BERT|LLaMA|large)",
                                r"\b\d+(?:\.\d+)?\s*B\s*(?:parameters?|params?|models?)\b", r"预训练(?:的)?(?:大)?模型", r"大(?:语言)?模型",
                                r"\bprotein language models?\b", r"蛋白(?:质)?语言模型",
                                r"\bpre-?trained (?:LLMs?|transformers?|checkpoints?|backbones?)\b",
                                r"\b[A-Za-z][\w.]*(?:-[\w.]+)*-\d+(?:\.\d+)?B\b"),  # a model named with its size: Mistral-7B
             "it needs a large pretrained model, and the lab trains small models from scratch offline"),
    LabLimit("external_data", _cue(r"\bImageNet\b", r"\bCIFAR\b", r"\bCOCO\b", r"\bweb[- ](?:data|text|crawl|scale)\b", r"\bCommon ?Crawl\b",
                                   r"爬取", r"网页数据", r"互联网(?:上的)?数据",
                                   r"\b(?:MMLU|GSM8K|HellaSwag|AlpacaEval|MT-Bench|GLUE|SQuAD|WikiText)\b"),
             "it needs a dataset that must be downloaded, and the lab only has synthetic data and sklearn's bundled digits"),
    LabLimit("people", _cue(r"\bhuman (?:study|studies|raters?|participants?|evaluation|annotators?|subjects?)\b", r"\buser (?:study|survey)\b",
                            r"\binterviews? with\b", r"\bRCTs?\b", r"\brandomi[sz]ed (?:controlled )?trials?\b", r"随机对照(?:试验|实验)", r"\bhuman (?:preferences?|evals?|judg(?:e|ment)s?)\b", r"用户研究", r"问卷", r"受试者", r"人工(?:评估|标注|打分)", r"找人",
                            r"\bIRB\b", r"\b\d+\s*(?:annotators|raters|participants)\b",
                            r"\b(?:judged|rated|labell?ed) by (?:fresh |real |human )?(?:humans|people|raters|annotators)\b"),
             "it needs people (raters, participants or annotators), and the lab only runs programs"),
    LabLimit("wet_lab", _cue(r"\bwet[- ]lab\b", r"湿实验", r"\bassays?\b", r"\bmutagenesis\b", r"\bin vitro\b", r"\bin vivo\b",
                             r"\bclinical trials?\b", r"临床试验", r"动物实验", r"\b(?:cell|tissue) cultures?\b", r"细胞培养",
                             r"酵母展示|噬菌体展示|\b(?:yeast|phage) display\b"),
             "it needs laboratory experiments (assays, cells, organisms or patients), and the lab only runs programs"),
    LabLimit("deployment", _cue(r"真实部署|上真机|真实用户|日活|线上\s*A/?B", r"\bA/B tests? (?:with|on) (?:real |live )?users\b",
                                r"\b(?:real|live|actual) (?:users|developers|customers|patients|clinicians|students)\b",
                                r"\bin production\b", r"\b(?:live|online) A/?B\b", r"\btelemetry\b",
                                r"\bfield (?:trials?|tests?|deployments?)\b", r"\bshadow mode\b", r"\b(?:switchback|A/B) trials?\b",
                                r"\breal[- ]world (?:deployment|trials?)\b", r"(?:实地|田间|现场)(?:试验|测试|部署|对比|验证|评估|运行)",
                                # an evaluation that waits for events in the world: "前瞻性对比", "实时运行 12 个月", "run live for a year"
                                r"前瞻性(?:的)?(?:实地|现场)?(?:对比|试验|评估|研究|验证)",
                                r"\bprospective(?:ly)? (?:field |real[- ]world )?(?:trials?|stud(?:y|ies)|evaluations?|comparisons?|validations?)\b",
                                r"实时运行\s*\d+\s*(?:个月|年)", r"\b(?:run|runs|running|deployed) live for\b",
                                # trial designs that randomise whole sites or roll out over time
                                r"\bcluster[- ]randomi[sz]ed\b", r"\bstepped[- ]wedge\b", r"整群随机",
                                # data gathered over seasons of real time: "a spring-long deployment", "two seasons", "完整一季"
                                r"\b(?:spring|summer|autumn|winter|season|year|months?)[- ]long\b",
                                r"\b(?:one|two|three|several|a|a full|a whole|an entire|the whole) (?:growing |breeding |field )?seasons?\b",
                                r"生长季|(?:一整个|整个|完整的?一?个?|两|三|几)\s*个?\s*季(?!度|节性)"),
             "it needs a deployed product or a trial in the world, and the lab runs offline"),
    LabLimit("environment", _cue(r"\breinforcement learning\b", r"\bRL\s*(?:agents?\b|environments?\b|polic(?:y|ies)\b|controllers?\b|策略|控制|智能体)", r"\bAtari\b", r"\bMuJoCo\b", r"\bgym\b",
                                 r"\brobots?\b", r"强化学习", r"机器人", r"游戏环境"),
             "it needs an interactive environment (reinforcement learning, a robot or a game), and the lab trains supervised models"),
    LabLimit("hardware", _cue(r"\blatency\b", r"\bthroughput\b", r"\bCUDA kernels?\b", r"\bFPGA\b", r"\bASIC\b", r"\benergy (?:use|consumption|per (?:update|inference|step|token))\b",
                              r"\bmemory bandwidth\b", _LATENCY_ZH, r"吞吐", r"功耗", r"显存带宽", r"(?:写|手写|优化).{0,4}(?:kernel|算子)"),
             "it measures hardware speed or energy, and the lab's wall times on a shared machine do not measure that"),
    LabLimit("device", _cue(r"\bhardware[- ]in[- ]the[- ]loop\b", r"\bon (?:the |an? )?(?:actual|real|physical) (?:chip|device|hardware)s?\b",
                            r"\b(?:test chips?|hardware access)\b", r"(?:在|用)(?:真实|实际)的?(?:芯片|硬件|器件)上", r"流片",
                            r"\bfabricated\b[^.\n]{0,30}\bchips?\b", r"\bon-chip (?:training|learning)\b"),
             "it runs on a physical device (a chip or other hardware) that the lab does not have"),
    LabLimit("scale", _cue(r"\bmulti-?(?:GPU|node)\b", r"\bdistributed training\b", r"\bthousands of GPUs\b", r"多卡", r"多机", r"分布式训练",
                           r"\b(?:days|weeks) of training\b", r"训练(?:几|数|好几)(?:天|周)", r"\b\d+\+?\s*(?:GPUs|TPUs)\b",
                           r"\bGPU[- ·]?(?:days|hours)\b", r"GPU\s*[·×*]?\s*(?:天|小时)", r"(?:几|数)(?:十|百|千)\s*(?:张|块|个)?\s*(?:GPU|卡)",
                           r"\bfor (?:several|many|a few) (?:days|weeks)\b",
                           r"\b\d+\s*[×x]\s*(?:A100|H100|V100|GPUs?)\b", r"\b\d+(?:\.\d+)?\s*[BT]\s+tokens\b",
                           r"\d+\s*(?:张|块)\s*(?:GPU|卡)|\d{2,}\s*卡", r"(?:GPU|计算|训练|大)\s*集群|\b(?:GPU|compute) clusters?\b",
                           r"(?:跑|训)\s*(?:几|数|好几)\s*(?:天|周|个月)",
                           r"\b\d+(?:\.\d+)?\s*B\s+(?:[A-Za-z-]+\s+)?(?:模型|LLMs?|transformers?)"),
             "it needs many machines or days of training, and a lab run lasts minutes on one device"),
    LabLimit("said", _cue(r"(?:小(?:规模)?实验|小模型|CPU\s*上)[^。\n]{0,12}(?:没法|无法|做不了|模拟不了|测不出|不能)",
                          r"(?:小(?:规模)?|CPU|笔记本|单机)[^。\n]{0,8}实验[^。\n]{0,4}(?:测不了|测试不了|没法测|无法测)",
                          r"(?:电脑|笔记本|CPU|本地|离线|单机)上[^。\n]{0,30}?(?:回答不了|答不了|测不了|验证不了|没法回答|无法回答)",
                          r"\buntestable\b", r"\bcan(?:'|no)t (?:really )?test (?:this|it) (?:here|on a laptop|offline|locally)\b",
                          r"模拟不出来?|\bcan(?:'|no)t be (?:a |an )?(?:toy|notebook|small|offline|laptop)\b",
                          r"\bsmall(?:-scale)? (?:experiments?|models?)\b[^.\n]{0,20}\b(?:cannot|can't|won't)\b"),
             "the notes themselves say a small experiment cannot test it"),
)


# Words that say a note does without what follows: "不手写 kernel", "无需预训练模型", "no need for a CUDA kernel".
_DONE_WITHOUT = re.compile(r"(?:不|无需|不用|不加|不做|不带|不使用|没有|不需要|没必要|不必|去掉|去除|拿掉|\bno|\bnot|\bwithout|"
                           r"\bno need (?:for|to)|\bdrop(?:s|ping)?|\bremov(?:e|es|ing))\s*(?:a\s+|an\s+|any\s+|the\s+)?$",
                           re.IGNORECASE)


def done_without(text: str, start: int) -> bool:
    """Whether the words just before `start` say the note does without what follows ("不手写 kernel", "no activation")."""
    return bool(_DONE_WITHOUT.search(text[max(0, start - 16):start]))


def lab_limits(text: str) -> list[LabLimit]:
    """The limits whose cue occurs in `text` (the idea's own note sections), in LIMITS order; a cue the note says it
    does without ("不手写 kernel") does not count, nor a dataset or a large model named outside a setup part that names
    the data it uses ("others trained it on ImageNet", "或者只在大模型上才有" in the motivation; "Setup: digits"), nor a
    dataset named on a line beside data the lab has ("MNIST MLP 和小 CNN on CIFAR-10"), nor one named only in the setup
    part: there it is where the note would run the idea, and the lab runs it on its own data ("数据：CIFAR-10" under
    a loss or an update rule; the task reading maps it to the lab's nearest task), nor a large model, a dataset or an
    environment named beside where the note runs the idea: its setup part naming the lab's task, or a sentence running a
    small version on the lab's data ("大模型上的结论……想在 digits 上做一个玩具版"; "他们在 Atari 上发现……" beside
    "实验：digits")."""
    setup = setup_part(text)
    ran_on = (setup if task_in_notes(setup) else "", *(m[0] for m in _TOY_ON_LAB_DATA.finditer(text)))
    return [limit for limit in LIMITS
            if any(not done_without(text, m.start()) and not (limit.name == "external_data" and _setup_choice(text, setup, m.start()))
                   and not (limit.name in _NAMED_BESIDE_SETUP and _CITATION.search(_line_at(text, m.start())))
                   for m in limit.cue.finditer(text))
            and not (limit.name in _NAMED_BESIDE_SETUP and any(part and not limit.cue.search(part) for part in ran_on))]


def _line_at(text: str, start: int) -> str:
    end = text.find("\n", start)
    return text[text.rfind("\n", 0, start) + 1:None if end < 0 else end]


def _setup_choice(text: str, setup: str, start: int) -> bool:
    """Whether the dataset named at `start` is the note's choice of data to run the idea on: named on a line beside
    data the lab has, or on a line of the setup part."""
    line = _line_at(text, start)
    return bool(_LAB_DATA.search(line)) or bool(line.strip()) and line in setup


# A paper cited on the line ("Zhu et al. 2025（…）：LN 在大模型里…"): what the paper ran on, not what the note needs.
_CITATION = re.compile(r"\bet al\.?\s*[,(（]?\s*(?:19|20)\d\d\b")
_NAMED_BESIDE_SETUP = ("external_data", "pretrained", "environment")  # limits a note may name beside the setup it runs
# Data the lab has (its digits stand for MNIST), named in a setup beside a dataset it lacks ("MNIST MLP 和 CIFAR-10 小
# CNN"): the lab runs that part.
_LAB_DATA = re.compile(r"\bdigits\b|手写数字|\b(?:fashion-?)?mnist\b|\bsynthetic\b|合成数据", re.IGNORECASE)
# A sentence that runs a small version of the idea on data the lab has ("想在 digits 上做一个玩具版", "a toy version on
# synthetic data"): where the note runs it, as a setup part is.
_SMALL_VERSION = r"玩具|小尺度|小规模|\btoy\b|\bsmall[- ]scale\b"
_TOY_ON_LAB_DATA = re.compile(rf"(?:^|(?<=[。？！?!]))(?=[^。？！?!\n]*(?:{_LAB_DATA.pattern}))(?=[^。？！?!\n]*(?:{_SMALL_VERSION}))"
                              r"[^。？！?!\n]+", re.IGNORECASE | re.MULTILINE)


def refusal(text: str) -> str | None:
    """Why the lab cannot test the idea these note sections describe, or None when it can."""
    limits = lab_limits(text)
    if not limits:
        return None
    return "Not testable in the lab: " + "; ".join(limit.reason for limit in limits) + "."
