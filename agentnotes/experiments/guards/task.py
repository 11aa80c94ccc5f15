"""The lab task an idea's note asks for, read by a program (the planner often keeps the default).

The note's own words decide: a task it names as one ("on the sequence task") first; else images or
convolutions need image-shaped inputs, sequences or recurrent/attention models need the sequence
task, classification needs a classification task. The note's setup part ("## Setup", "设置：") names the data the
idea is tried on, where another part may use a task's word in another sense ("a low-discrepancy sequence"): the
task it names wins, unless the whole note only makes it more specific (digits that convolutions read as images).
None when the note names none of them (the planner's choice stands).
"""

from __future__ import annotations

import re

_TASK_CUES = (  # (task, cue) in order: the most specific shape first
    ("digits_image", re.compile(r"\b(?:images?|conv(?:olution(?:al)?|net)?s?|pixels?|cnn)\b|图像|图片|卷积|像素", re.IGNORECASE)),
    ("sequence", re.compile(r"\b(?:sequences?|tokens?|rnn|gru|lstm|recurrent|time series)\b|"
                             r"序列(?![^。；;\n]{0,16}(?:打乱|置换|permut))|时序|循环网络", re.IGNORECASE)),  # not "标签打乱的序列"
    ("digits", re.compile(r"\bdigits\b|手写数字|\b(?:fashion-?)?mnist\b", re.IGNORECASE)),  # the lab's digits stand for MNIST
    ("classification", re.compile(r"\bclassif(?:y|ication|ier)\b|\b(?:accuracy|classes|labels?)\b|分类|准确率|类别", re.IGNORECASE)),
    ("regression", re.compile(r"\bregression\b|回归", re.IGNORECASE)),
)

# Images read as flat vectors ("digits as 64-d vectors", "平铺 64 维", "64 个像素", "64 inputs", an MLP): the flat task,
# unless convolutions are named.
_FLAT = re.compile(r"\b64[- ]?(?:d|dim(?:ensional)?)\b|64\s*维|\bflat(?:tened)?\b|平铺|展平|\b64 (?:pixels|inputs)\b|"
                   r"64\s*个像素|\bmlp\b|\b64\s*(?:→|->|—|–|-)\s*\[?\d|\b64\s*(?:→|->)\s*(?:Linear|FC|Dense)\b|"  # 64 → 100 → 10, 64 → Linear(128)
                   r"\bLinear\s*\(\s*64\s*,|[∈]\s*(?:ℝ|R|\[[^\]\n]*\])\s*\^\s*\{?64\b", re.IGNORECASE)  # Linear(64, 128); x ∈ [0,1]^64
_CONVOLUTION = re.compile(r"\bconv(?:olution(?:al)?|net)?s?\b|\bcnn\b|卷积", re.IGNORECASE)

# A task the note names as one ("the sequence task", "regression 任务"): it wins over the cues above.
# A sequence classification task is the sequence task ("合成序列分类任务", "the sequence classification task").
_NAMED_TASK = re.compile(r"\b(sequence classification|digits_image|digits|sequence|classification|regression)\s+task\b|"
                         r"(digits_image|digits|sequence|classification|regression|序列分类|序列|回归|分类)\s*任务",
                         re.IGNORECASE)
_CHINESE_TASKS = {"序列": "sequence", "序列分类": "sequence", "sequence classification": "sequence", "回归": "regression",
                  "分类": "classification"}


# The header of a note's setup part: a heading, a bullet or a line that starts with the word.
_SETUP = re.compile(r"^([ \t]*)(#+[ \t]*|[-*][ \t]*)?(\*\*|__)?(?:(?:small|quick|first|minimal|pilot|cheap)[ \t]+(?=experiment|set-?up|plan))?"
                    r"(?:experimental set-?up|set-?up|experiments?|datasets?|data|how to test|"
                    r"实验设置|设置|小?实验|数据集|数据|怎么测试?|如何测试?|测试方法|实验(?:计划|设计|方案|安排)|(?:experiment(?:al)? )?plan|"
                    r"toy (?:version|setup|experiment)|[^#\n]{0,16}玩具版)[ \t]*(?:[（(][^）)\n]{0,20}[）)][ \t]*|,[^:：\n]{0,40}(?=[:：]))?"
                    r"(?(3)[:：.。]?\3(?:[ \t]*[:：])?.*|(?:[:：].*)?)$",
                    re.IGNORECASE | re.MULTILINE)  # `实验（两个设定）：`, `Experiment, as planned:`: an aside after the label;
# `**Setup.** digits …`, `**设置**：…`: a label in bold, closed by its full stop or colon.
# A training line, the setup part of a note that has no setup part named so ("Training: Adam lr 1e-3, 5000 steps").
_TRAINING = re.compile(r"^([ \t]*)(#+[ \t]*|[-*][ \t]*)?(?:training|训练)[ \t]*(?:[:：].*)?$", re.IGNORECASE | re.MULTILINE)
_LIST_ITEM = re.compile(r"[ \t]*(?:[-*•]|\d+[.)、])[ \t]")
# (setup's task, whole note's task): the whole note's is the same task, said more specifically.
_MORE_SPECIFIC = {("digits", "digits_image"), ("classification", "digits"), ("classification", "digits_image"),
                  ("classification", "sequence")}  # classes read off a sequence: the sequence task


def setup_part(text: str) -> str:
    """The note's setup part: a setup heading's section, or a setup line with the lines indented or listed under it,
    or the paragraph under it when it ends in a colon (a training line when no setup part is named so)."""
    if not (header := _SETUP.search(text) or _TRAINING.search(text)):
        return ""
    lines, heading = [header[0]], (header[2] or "").startswith("#")
    opens = not header[2] and header[0].rstrip().rstrip("*_").endswith((":", "："))  # "Experiment:" then its paragraph, unlisted
    for line in text[header.end():].splitlines()[1:]:
        under_line = line.strip() and len(line) - len(line.lstrip()) > len(header[1])  # indented under a setup line
        listed = not header[2] and _LIST_ITEM.match(line)  # a list right under a setup line ("实验设置：" then "- 数据：…")
        if line.lstrip().startswith("#") or not (heading or under_line or listed or opens and line.strip()):
            break
        lines.append(line)
    return "\n".join(lines)


# A clause of the setup that adds a second, smaller test ("再测一个 1D 例子：合成序列分类", "Also test on a sequence task").
ALSO_TESTED = re.compile(r"(?:[^。；;.\n]|\.(?!\s))*(?:再测|也测|另测|再跑|也跑|另跑|顺便|\balso (?:test|try|run|on|the|a|an)\b|\badditionally\b)"
                         r"(?:[^。；;.\n]|\.(?!\s))*[。；;.]?",
                         re.IGNORECASE)


# A line that says where else the idea would hold ("注意：conv net 上同样适用（按输出通道）", "it applies to conv nets
# too"): not the task it is tried on.
_APPLIES_TOO = re.compile(r"^.*(?:(?:同样|也|一样)(?:适用|成立|可用)|\b(?:also|equally)\s+(?:applies|works|holds)\b|"
                          r"\b(?:applies|works|holds)\s+(?:also|equally|too)\b).*$\n?", re.IGNORECASE | re.MULTILINE)


def task_in_notes(text: str) -> str | None:
    """The task the note's setup part names (not a second test it adds), else the one the whole note names (see the
    module's docstring); the whole note's more specific task unless the setup part reads the images as flat vectors.
    A line saying where else the idea holds names no task."""
    text = _APPLIES_TOO.sub("", text)
    whole, setup_text = _task_in(text), ALSO_TESTED.sub("", setup_part(text))
    setup = _task_in(setup_text)
    specific = (setup, whole) in _MORE_SPECIFIC and not _reads_flat(setup_text)
    return whole if setup is None or specific else setup


def _reads_flat(text: str) -> bool:
    """Whether `text` reads images as flat vectors and names no convolution."""
    return bool(_FLAT.search(text) and not _CONVOLUTION.search(text))


def _task_in(text: str) -> str | None:
    """The task the note text names as a task, else the first task whose cue it names, or None. A named
    digits task of an idea about images or convolutions is the image-shaped one, unless the note reads the images
    as flat vectors and names no convolution."""
    flat = _reads_flat(text)
    cued = next((task for task, cue in _TASK_CUES if cue.search(text) and not (flat and task == "digits_image")), None)
    if named := _NAMED_TASK.search(text):
        task = (named[1] or named[2]).lower()
        task = _CHINESE_TASKS.get(task, task)
        return "digits_image" if task == "digits" and cued == "digits_image" else task
    return cued
