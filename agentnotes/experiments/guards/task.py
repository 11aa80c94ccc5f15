"""The lab task an idea's note asks for, read by a program (the planner often keeps the default).

The note's own words decide: images or convolutions need image-shaped inputs, sequences or
recurrent/attention models need the sequence task, classification needs a classification task.
None when the note names none of them (the planner's choice stands).
"""

from __future__ import annotations

import re

_TASK_CUES = (  # (task, cue) in order: the most specific shape first
    ("digits_image", re.compile(r"\b(?:images?|conv(?:olution(?:al)?|net)?s?|pixels?|cnn)\b|图像|图片|卷积|像素", re.IGNORECASE)),
    ("sequence", re.compile(r"\b(?:sequences?|tokens?|rnn|gru|lstm|recurrent|time series)\b|序列|时序|循环网络", re.IGNORECASE)),
    ("digits", re.compile(r"\bdigits\b|手写数字", re.IGNORECASE)),
    ("classification", re.compile(r"\bclassif(?:y|ication|ier)\b|\b(?:accuracy|classes|labels?)\b|分类|准确率|类别", re.IGNORECASE)),
    ("regression", re.compile(r"\bregression\b|回归", re.IGNORECASE)),
)


def task_in_notes(text: str) -> str | None:
    """The first task whose cue the note text names, or None."""
    return next((task for task, cue in _TASK_CUES if cue.search(text)), None)
