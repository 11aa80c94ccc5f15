"""Audit agents for a prompt's instructions: pairs of instructions that contradict each other,
example outputs that break an instruction, and (mechanically, with no model) rules stated twice.

A small model asked to find every problem in a whole prompt answers "none"; asked about one pair
at a time it judges. So each pair of instructions, and each (example output, instruction) pair, is
one short structured question, and a conflict must be seen with the pair in either order. Each
finding becomes one candidate edit; the optimizer keeps an edit only when it scores better on the
held-out split, so a wrong finding costs scoring calls, never quality."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from agentnotes.agents.structured import ask_structured
from agentnotes.errors import LLMError
from agentnotes.optimize.prompt_edit import bare_line, instruction_block, is_fixed, sentences, shares_words
from agentnotes.prompts import Prompt, load_prompt, parse_prompt

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

    from agentnotes.agents.llm_call import LLMReply

# An example output line: what the assistant is shown answering.
EXAMPLE_OUTPUT = re.compile(r"^\s*(answer|output|reply|assistant)\s*:", re.IGNORECASE)


class Conflict(BaseModel):
    conflict: bool
    why: str = Field(max_length=300)
    keep: Literal["a", "b"]


class ExampleCheck(BaseModel):
    follows: bool
    why: str = Field(max_length=300)
    fixed_example: str = Field(default="", max_length=800)


@dataclass(frozen=True)
class Finding:
    """One problem found in a prompt and the edit that fixes it: replace the line `old` by `new`
    ("" leaves the line out)."""

    kind: str  # "contradiction" | "example_mismatch" | "repeated"
    description: str
    old: str
    new: str

    def apply(self, text: str) -> str | None:
        """`text` with the edit made, or None when the line is not (or no longer) in it."""
        lines = text.splitlines()
        if self.old not in lines:
            return None
        i = lines.index(self.old)
        return "\n".join(lines[:i] + ([self.new] if self.new else []) + lines[i + 1:]) + "\n"


def instructions_of(text: str) -> list[str]:
    """The lines of the prompt's first bullet list (its instructions)."""
    lines = text.splitlines()
    block = instruction_block(lines)
    return lines[block[0]:block[1] + 1] if block else []


def example_outputs(text: str) -> list[str]:
    """The lines where an example shows the assistant's output (`Answer: ...`, `Output: ...`)."""
    return [line for line in text.splitlines() if EXAMPLE_OUTPUT.match(line)]


def repeated_rules(text: str) -> list[Finding]:
    """Sentences of the user part (a prompt file's text) that repeat one of the instructions, as a
    closing reminder does. A small model weighs a rule stated twice, and last, above the others;
    each finding states the rule once, by leaving the reminder's sentence out."""
    prompt = parse_prompt("audited", text)
    rules = instructions_of(prompt.system)
    findings = []
    for line in prompt.user.splitlines():
        if not line.strip() or is_fixed(line):
            continue
        parts = sentences(line)
        for i, part in enumerate(parts):
            rule = next((r for r in rules if shares_words(part, r)), None)
            if rule:
                rest = " ".join(parts[:i] + parts[i + 1:])
                findings.append(Finding("repeated", f"'{part}' repeats the instruction '{bare_line(rule)}'", line, rest))
    return findings


def contradiction(model: BaseChatModel, prompt: Prompt, line_a: str, line_b: str) -> tuple[Finding | None, list[LLMReply]]:
    """A conflict counts only when the model sees it with the two instructions in either order."""
    verdict, replies = ask_structured(model, prompt, {"rule_a": bare_line(line_a), "rule_b": bare_line(line_b)},
                                      Conflict, retries=1)
    if not verdict.conflict:
        return None, replies
    swapped, more = ask_structured(model, prompt, {"rule_a": bare_line(line_b), "rule_b": bare_line(line_a)},
                                   Conflict, retries=1)
    if not swapped.conflict:
        return None, replies + more
    drop, keep = (line_b, line_a) if verdict.keep == "a" else (line_a, line_b)
    return Finding("contradiction", f"{verdict.why} (kept: {bare_line(keep)})", drop, ""), replies + more


def example_mismatch(model: BaseChatModel, prompt: Prompt, example: str, rule: str) -> tuple[Finding | None, list[LLMReply]]:
    verdict, replies = ask_structured(model, prompt, {"rule": bare_line(rule), "example": example.strip()},
                                      ExampleCheck, retries=1)
    fixed = verdict.fixed_example.strip()
    usable = fixed and "\n" not in fixed and "{{" not in fixed and fixed != example.strip() and EXAMPLE_OUTPUT.match(fixed)
    if verdict.follows or not usable:
        return None, replies
    return Finding("example_mismatch", f"{verdict.why} (rule: {bare_line(rule)})", example, fixed), replies


def audit_prompt(model: BaseChatModel, text: str, prompts_dir: Path | None = None,
                 on_check: Callable[[int, int], None] | None = None) -> tuple[list[Finding], list[LLMReply]]:
    """Every pair of instructions and every (example output, instruction) pair, one question each,
    with the audit prompts active under `prompts_dir` (the shipped ones without it); a question the
    model cannot answer in valid JSON finds nothing. `on_check(done, total)` reports progress."""
    contradictions_prompt = load_prompt("audit_contradictions", prompts_dir)
    examples_prompt = load_prompt("audit_examples", prompts_dir)
    rules = instructions_of(text)
    questions = [(contradiction, contradictions_prompt, a, b) for a, b in itertools.combinations(rules, 2)]
    questions += [(example_mismatch, examples_prompt, e, r) for e in example_outputs(text) for r in rules]
    findings: list[Finding] = []
    replies: list[LLMReply] = []
    for done, (check, prompt, first, second) in enumerate(questions, start=1):
        try:
            finding, used = check(model, prompt, first, second)
        except LLMError:
            finding, used = None, []
        replies += used
        if finding and all(f.old != finding.old for f in findings):
            findings.append(finding)
        if on_check:
            on_check(done, len(questions))
    return findings, replies
