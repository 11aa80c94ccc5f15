"""One edit to a prompt's instructions, proposed from its failures and applied mechanically.

A small model cannot rewrite a whole prompt without damage (it pastes the failures into it or
drops its examples); it can name the failure pattern and write one instruction that fixes it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, Field

MAX_FAILURES = 4  # shown to the reflection model; more only lengthens its prompt
COPY_WORDS, COPY_CHARS = 4, 8  # an edit sharing this many words (or CJK characters) in a row with the failures copies them
REPEAT_WORDS = 5  # two sentences sharing this many words in a row say the same thing
_BULLET = "- "
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+")


class PromptEdit(BaseModel):
    """Add an instruction, or replace one that causes the failures."""

    problem: str = Field(max_length=300)
    edit: Literal["add", "replace"]
    old_line: str = Field(default="", max_length=400)
    new_line: str = Field(min_length=10, max_length=300)


def failures_text(rows: Sequence[Mapping[str, str]]) -> str:
    """The rows whose feedback is not "Correct", as question / answer / what was wrong."""
    failed = [r for r in rows if not r["Feedback"].startswith("Correct")][:MAX_FAILURES]
    return "\n\n".join(f"Question: {r['Inputs']}\nAnswer: {r['Generated Outputs'][:400]}\nWhat was wrong: {r['Feedback']}"
                       for r in failed)


def copies_failures(new_line: str, failures: str) -> bool:
    """True when the new instruction repeats a run of the failures' text (an answer or a question
    pasted in as an instruction fits those questions only)."""
    haystack = " ".join(failures.lower().split())
    words = new_line.lower().split()
    if any(" ".join(words[i:i + COPY_WORDS]) in haystack for i in range(len(words) - COPY_WORDS + 1)):
        return True
    cjk = "".join(ch for ch in new_line if "\u4e00" <= ch <= "\u9fff")
    return any(cjk[i:i + COPY_CHARS] in haystack for i in range(len(cjk) - COPY_CHARS + 1))


def shares_words(a: str, b: str, n: int = REPEAT_WORDS) -> bool:
    """True when a and b have n words in a row in common (case and punctuation aside)."""
    words_a, words_b = re.findall(r"\w+", a.lower()), re.findall(r"\w+", b.lower())
    runs_b = {tuple(words_b[i:i + n]) for i in range(len(words_b) - n + 1)}
    return any(tuple(words_a[i:i + n]) in runs_b for i in range(len(words_a) - n + 1))


def repeats_prompt(text: str, edit: PromptEdit) -> bool:
    """True when the edit's new line says again what a line of the prompt already says (an
    instruction, or the example's answer pasted in as a rule); the line it replaces does not count."""
    old = bare_line(edit.old_line) if edit.edit == "replace" else ""
    return any(shares_words(edit.new_line, line) for line in text.splitlines() if not (len(old) >= 10 and old in line))


def bare_line(line: str) -> str:
    """A line without its bullet mark and surrounding spaces."""
    return line.strip().lstrip("-*").strip()


def instruction_block(lines: list[str]) -> tuple[int, int] | None:
    """First and last index of the first run of bullet lines (the instructions); None without one."""
    first = next((i for i, line in enumerate(lines) if line.startswith(_BULLET)), None)
    if first is None:
        return None
    end = first
    while end + 1 < len(lines) and lines[end + 1].startswith(_BULLET):
        end += 1
    return first, end


def sentences(text: str) -> list[str]:
    """The sentences of one line of instructions."""
    return [part for part in _SENTENCE_END.split(text.strip()) if part]


def is_fixed(line: str) -> bool:
    """Lines no edit may change: part markers, headings and lines with {{variables}}."""
    stripped = line.strip()
    return stripped.startswith(("<!--", "#")) or "{{" in stripped


def _replace_sentence(line: str, old: str, new: str) -> str:
    """`line` with the sentence that contains `old` replaced by `new`; the whole line when `old`
    spans sentences. A bullet keeps its mark."""
    prefix = _BULLET if line.startswith(_BULLET) else ""
    parts = sentences(line[len(prefix):])
    hit = next((i for i, part in enumerate(parts) if old in part), None)
    if hit is None:
        return prefix + new
    return prefix + " ".join(parts[:hit] + [new] + parts[hit + 1:])


def apply_edit(text: str, edit: PromptEdit) -> str:
    """`text` with the edit made: the sentence containing old_line replaced (anywhere but in fixed
    lines, so the final reminder in the user part can change too), or new_line added as the last
    bullet of the first bullet list (the instructions). Unchanged text when the edit is unusable."""
    new = bare_line(edit.new_line)
    if "{{" in new or "}}" in new or not new:
        return text
    lines = text.splitlines()
    old = bare_line(edit.old_line)
    if edit.edit == "replace" and len(old) >= 10:
        for i, line in enumerate(lines):
            if old in line and not is_fixed(line):
                lines[i] = _replace_sentence(line, old, new)
                return "\n".join(lines) + "\n"
    if any(bare_line(line) == new for line in lines):
        return text
    block = instruction_block(lines)
    end = block[1] if block else len(lines) - 1
    lines.insert(end + 1, _BULLET + new)
    return "\n".join(lines) + "\n"


def drop_instruction(text: str, index: int) -> tuple[str, str] | None:
    """`text` without the (index mod n)-th line of its first bullet list, and that line; None when
    it has fewer than two instructions. An ablation: some instructions hurt a small model."""
    lines = text.splitlines()
    block = instruction_block(lines)
    if block is None or block[0] == block[1]:
        return None
    first, end = block
    dropped = first + index % (end - first + 1)
    return "\n".join(lines[:dropped] + lines[dropped + 1:]) + "\n", bare_line(lines[dropped])
