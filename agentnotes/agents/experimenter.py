"""Experiment agents: the planner, the code generator and the experiment critic."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, Field

from agentnotes.agents.answer import format_context
from agentnotes.agents.llm_call import LLMReply, call_llm
from agentnotes.agents.structured import ask_structured
from agentnotes.notes.types import Hit
from agentnotes.prompts import SHIPPED_DIR, Prompt

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

TASKS = ("regression", "classification", "digits")
IdeaPart = Literal["layer", "activation", "optimizer"]
EXAMPLES_DIR = SHIPPED_DIR / "idea_examples"
_CODE_BLOCK = re.compile(r"```(?:python|py)?\s*\n(.*?)```", re.DOTALL)


class Plan(BaseModel):
    """What the experiment tests and how."""

    idea_name: str
    hypothesis: str = Field(max_length=300)
    idea_rule: str = Field(min_length=30, max_length=500)  # the notes' own formulas and constants, not a one-word label
    parts: list[IdeaPart] = Field(min_length=1)
    baseline: str
    task: Literal["regression", "classification", "digits"]
    metric: str
    input_scale: float = Field(default=1.0, gt=0, le=100)
    risks: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list, max_length=3)

    def as_text(self) -> str:
        return json.dumps(self.model_dump(), ensure_ascii=False, indent=2)


class CodeReview(BaseModel):
    """The critic's verdict on code against the note."""

    matches_note: bool
    problems: list[str] = Field(default_factory=list)


class ResultsReview(BaseModel):
    """The critic's verdict on measured results."""

    valid: bool
    concerns: list[str] = Field(default_factory=list)
    request: Literal["none", "more_seeds", "fix_bug"] = "none"
    summary: str = ""


def passages_text(hits: Sequence[Hit]) -> str:
    return format_context(hits)


def make_plan(model: BaseChatModel, prompt: Prompt, request: str, hits: Sequence[Hit], seed: int = 0) -> tuple[Plan, list[LLMReply]]:
    return ask_structured(model, prompt, {"passages": passages_text(hits), "request": request}, Plan, seed=seed)


def extract_code(text: str) -> str:
    """All ```python blocks of a reply joined in order (small models split one program into
    several; a later definition overrides an earlier one), or the reply itself without fences."""
    blocks = _CODE_BLOCK.findall(text)
    return ("\n\n".join(b.strip() for b in blocks) if blocks else text).strip() + "\n"


EXAMPLE_RULE_MARK = "# the example's own rule"


def idea_examples(parts: Sequence[str]) -> str:
    """The worked examples for the parts of the model the idea changes (an example of another
    kind of idea gets copied into this one by small models, so only the matching ones are shown)."""
    return "\n".join((EXAMPLES_DIR / f"{part}.md").read_text(encoding="utf-8") for part in dict.fromkeys(parts))


def copied_example_rules(code: str, examples: str) -> list[str]:
    """Lines the examples mark as their own rule that reappear in `code` (a copied example), with or
    without the mark, also with the module's attributes renamed (`self.w1` for the example's `self.fast`)."""
    marked = {_masked(line) for line in examples.splitlines() if EXAMPLE_RULE_MARK in line}
    return [line.strip() for line in code.splitlines() if _masked(line) in marked]


def _masked(line: str) -> str:
    """The code of a line without its comment, every `self.NAME` written `self._`."""
    return re.sub(r"\bself\.\w+", "self._", line.split("#")[0].strip())


def write_idea_code(
    model: BaseChatModel,
    prompt: Prompt,
    plan: Plan,
    hits: Sequence[Hit],
    interface: str,
    feedback: str = "",
    seed: int = 0,
    temperature: float | None = None,
) -> tuple[str, LLMReply]:
    values = {
        "interface": interface,
        "examples": idea_examples(plan.parts),
        "passages": passages_text(hits),
        "plan": plan.as_text(),
        "feedback": feedback or "(first attempt)",
        "idea_name": plan.idea_name,
    }
    reply = call_llm(model, prompt, values, seed=seed, temperature=temperature)
    return extract_code(reply.text), reply


def review_code(model: BaseChatModel, prompt: Prompt, plan: Plan, hits: Sequence[Hit], code: str, seed: int = 0) -> tuple[CodeReview, list[LLMReply]]:
    values = {"passages": passages_text(hits), "plan": plan.as_text(), "code": code}
    return ask_structured(model, prompt, values, CodeReview, seed=seed)


def review_results(model: BaseChatModel, prompt: Prompt, plan: Plan, results: str, seed: int = 0) -> tuple[ResultsReview, list[LLMReply]]:
    return ask_structured(model, prompt, {"plan": plan.as_text(), "results": results}, ResultsReview, seed=seed)
