"""Experiment agents: the planner, the code generator and the experiment critic."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

from agentnotes.agents.answer import format_context
from agentnotes.agents.llm_call import LLMReply, call_llm
from agentnotes.agents.structured import ask_structured
from agentnotes.experiments.guards.idea_sections import formulas_in, text_of
from agentnotes.experiments.guards.kinds import (
    PERIODIC,
    VARIANT,
    examples_for,
    hooks_for,
    idea_lines,
    kinds_in_notes,
    kinds_of,
)
from agentnotes.experiments.guards.formula_code import periodic_reply, program_reply
from agentnotes.experiments.guards.skeleton import Skeleton, fill, stubs
from agentnotes.notes.types import Hit
from agentnotes.prompts import SHIPPED_DIR, Prompt

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

RULE_CHARS = (30, 500)  # the shortest and longest rule a plan states
MAX_KINDS = 3  # the most kinds one idea's plan combines
TASKS = ("regression", "classification", "digits", "digits_image", "sequence")
Kind = Literal["update_rule", "layer", "activation", "weight_op", "init", "loss", "data", "schedule", "regulariser",
               "architecture"]
Effect = Literal["final_metric", "convergence", "stability"]
_KIND_ALIASES = {"optimizer": "update_rule"}  # the part names of earlier plans
EXAMPLES_DIR = SHIPPED_DIR / "idea_examples"
_CODE_BLOCK = re.compile(r"```(?:python|py)?\s*\n(.*?)```", re.DOTALL)
_OPENING_FENCE = re.compile(r"```(?:python|py)?\s*\n")


CLAIM_FIELDS = {"idea_name", "hypothesis", "effect", "condition", "baseline", "task", "label_noise", "train_size",
                "class_imbalance"}


class PlannerReply(BaseModel):
    """What the planner writes: the idea, the claim the notes make about it (effect and condition), and the
    setting. Its schema is the grammar the reply is held to, so every field is bounded and none is the program's
    (a small model otherwise fills an open list, such as the program's corrections, until its token limit)."""

    model_config = ConfigDict(populate_by_name=True)

    idea_name: str = Field(max_length=100)
    hypothesis: str = Field(max_length=300)
    idea_rule: str = Field(min_length=RULE_CHARS[0], max_length=RULE_CHARS[1])  # the notes' own formulas and constants, not a one-word label
    kinds: list[Kind] = Field(min_length=1, max_length=MAX_KINDS, validation_alias=AliasChoices("kinds", "parts"))
    effect: Effect = "final_metric"
    condition: str = Field(default="", max_length=200)  # where the notes say the idea helps; "" for everywhere
    task: Literal["regression", "classification", "digits", "digits_image", "sequence"]
    input_scale: float = Field(default=1.0, gt=0, le=100)

    @field_validator("kinds", mode="before")
    @classmethod
    def _known_kinds(cls, value: object) -> object:
        """Earlier part names ("optimizer") read as today's kinds; repeats dropped."""
        if isinstance(value, list):
            return list(dict.fromkeys(_KIND_ALIASES.get(v, v) if isinstance(v, str) else v for v in value))
        return value


class Plan(PlannerReply):
    """The planner's plan with what the program writes into it: the baseline the request names and each
    correction the note's own sections made (pipeline/experiment.py `_ground_plan`)."""

    baseline: str = ""
    label_noise: float = Field(default=0.0, ge=0, lt=1)  # the share of wrong training labels the note runs the idea with
    train_size: int = Field(default=0, ge=0)  # the training examples the note runs the idea with (0: all)
    class_imbalance: float = Field(default=0.0, ge=0)  # the training set's imbalance ratio the note names (0: balanced)
    corrections: list[str] = Field(default_factory=list)  # what a program changed in the planner's plan, and why

    def as_text(self) -> str:
        return json.dumps(self.model_dump(), ensure_ascii=False, indent=2)

    def claim_text(self) -> str:
        """What the results are judged against: the claim and the setting, without the idea's formulas (a critic
        of the numbers does not read them, and each token of them costs prompt time)."""
        return json.dumps(self.model_dump(include=CLAIM_FIELDS), ensure_ascii=False, indent=2)


class CodeReview(BaseModel):
    """The critic's verdict on code against the note."""

    matches_note: bool
    problems: list[str] = Field(default_factory=list)


class ResultsReview(BaseModel):
    """The critic's verdict on measured results."""

    valid: bool
    concerns: list[str] = Field(default_factory=list)
    request: Literal["none", "fix_bug"] = "none"
    summary: str = ""


def passages_text(hits: Sequence[Hit]) -> str:
    return format_context(hits)


def make_plan(model: BaseChatModel, prompt: Prompt, request: str, hits: Sequence[Hit], seed: int = 0) -> tuple[Plan, list[LLMReply]]:
    reply, replies = ask_structured(model, prompt, {"passages": passages_text(hits), "request": request}, PlannerReply,
                                    seed=seed)
    return Plan.model_validate(reply.model_dump()), replies


def extract_code(text: str) -> str:
    """All ```python blocks of a reply joined in order (small models split one program into
    several; a later definition overrides an earlier one), a last block the reply's end cut off included, or the
    reply itself without fences."""
    blocks = _CODE_BLOCK.findall(text)
    closed = _CODE_BLOCK.sub("", text)
    if unclosed := _OPENING_FENCE.search(closed):  # the reply ended before the block closed
        blocks.append(closed[unclosed.end():])
    return ("\n\n".join(b.strip() for b in blocks) if blocks else text).strip() + "\n"


# A reply that repeats one line this many times in a row, at its end, is stuck in a loop (a small model does that
# until its token limit, minutes later): it is cut there, one copy kept. So is one that repeats a block of lines (a
# class's two methods written again and again) BLOCK_REPEATS_TO_STOP times, the block long enough not to be code
# that repeats itself on purpose (`x = layer(x)` / `x = relu(x)` unrolled).
REPEATS_TO_STOP = 6
BLOCK_REPEATS_TO_STOP = 3
_LONGEST_BLOCK = 30  # lines
_SHORTEST_BLOCK = 80  # characters


def _repeated_block(lines: list[str]) -> tuple[int, int]:
    """(the size in lines of the block `lines` end by repeating in a row, how many times in a row), or (0, 0) when
    they end in no loop (see REPEATS_TO_STOP). A short block that grows at each copy, its shape the same
    (`s_sq = s ** 2`, `s_sq_sq = s_sq ** 2`, … each after its comment), loops too."""
    for size in range(1, min(_LONGEST_BLOCK, len(lines)) + 1):
        block = lines[-size:]
        if any(size % part == 0 and block == block[:part] * (size // part) for part in range(1, size)):
            continue  # a smaller block repeated: that block's size decides
        times = 1
        while lines[-size * (times + 1):len(lines) - size * times] == block:
            times += 1
        enough = REPEATS_TO_STOP if size == 1 else BLOCK_REPEATS_TO_STOP
        if times >= enough and len("".join(block)) > (8 if size == 1 else _SHORTEST_BLOCK):
            return size, times
        if size <= _GROWING_BLOCK and (grown := _times_grown(lines, size)) >= REPEATS_TO_STOP:
            return size, grown
    return 0, 0


_GROWING_BLOCK = 4  # lines


def _times_grown(lines: list[str], size: int) -> int:
    """How many blocks of `size` lines `lines` end with, in a row, each of one shape (names and numbers aside, a
    comment any comment) and each longer than the one before."""
    def shape(block: list[str]) -> list[str]:
        return ["#" if line.startswith("#") else re.sub(r"\d+(?:\.\d+)?", "0", re.sub(r"[^\W\d]\w*", "N", line))
                for line in block]

    blocks = [lines[len(lines) - size * (i + 1):len(lines) - size * i] for i in range(len(lines) // size)]
    times = 1
    while times < len(blocks) and shape(blocks[times]) == shape(blocks[0]) \
            and len("".join(blocks[times])) < len("".join(blocks[times - 1])):
        times += 1
    return times


def _written_lines(text: str) -> list[str]:
    """The reply's non-empty lines, stripped, the line still being written left out."""
    return [line.strip() for line in text.splitlines()[:-1] if line.strip()]


def repeats_itself(text: str) -> bool:
    """Whether the reply so far ends in a loop: one line of more than a few characters written REPEATS_TO_STOP times
    in a row, or a longer block of lines written BLOCK_REPEATS_TO_STOP times (the line still being written left
    out)."""
    return _repeated_block(_written_lines(text))[0] > 0


def code_of_reply(text: str) -> str:
    """The code of a reply (extract_code); a reply cut for repeating itself keeps one copy of the repeated line or
    block and drops the line it was cut in."""
    size, times = _repeated_block(_written_lines(text))
    if size:
        lines = text.splitlines()[:-1]
        written = [i for i, line in enumerate(lines) if line.strip()]
        text = "\n".join(lines[:written[len(written) - size * (times - 1)]])
    return extract_code(text)


EXAMPLE_RULE_MARK = "# the example's own rule"
NO_EXAMPLES = "(No worked example this time: the previous code copied it. Write the idea's own formulas from the notes.)"


def idea_examples(kinds: Sequence[str]) -> str:
    """The worked example of the idea's first kind, in registry order (guards/kinds.py names each kind's
    file). One only: a small model shown two examples merges them into the idea (a layer idea that
    also merges its weights every N steps got the weight-operation example's rule); a hook the code
    then lacks is asked for on its own, with its own kind's example."""
    return "\n".join((EXAMPLES_DIR / name).read_text(encoding="utf-8") for name in examples_for(kinds)[:1])


def copied_example_rules(code: str, examples: str, note_text: str = "") -> list[str]:
    """Lines the examples mark as their own rule that reappear in `code` (a copied example), with or
    without the mark, also with the module's attributes renamed (`self.w1` for the example's `self.fast`).
    A line the user's note says is not copied: its expression appears in `note_text`, or every formula
    of the example's own idea (its heading) does (spaces, case and torch./self. prefixes aside)."""
    note = _squashed(note_text)
    marked: set[str] = set()
    for block in re.split(r"(?m)^(?=## Example)", examples):
        formulas = _FORMULA.findall(block.split("\n", 1)[0])
        if not (note and formulas and all(_squashed(f) in note for f in formulas)):
            marked |= {_masked(line) for line in block.splitlines() if EXAMPLE_RULE_MARK in line}
    return [line.strip() for line in code.splitlines()
            if _masked(line) in marked and not (note and _squashed(_expression(line)) in note)]


def copied_example_terms(code: str, examples: str, note_text: str = "") -> list[str]:
    """The terms of an example's own rule that `code` adds to a value of its own (`relu(x) * exp(…) + 0.1 * x` beside
    the example's `clamp(x, -1, 1)^3 + 0.1*x`): a term added or subtracted at the top of a value, holding a number the
    user's note never writes and reading nothing but its function's inputs (not a value of the idea's own)."""
    terms = {_squashed(ast.unparse(term)) for line in examples.splitlines() if EXAMPLE_RULE_MARK in line
             for term in _added_terms(_parsed(_expression(line))) if _numbers(ast.unparse(term))}
    said, found = _numbers(note_text), set()
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    for function in (node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)):
        inputs = {a.arg for a in function.args.args} - {"self"} | {"torch", "F", "math"}
        for statement in ast.walk(function):
            value = getattr(statement, "value", None) if isinstance(statement, (ast.Return, ast.Assign)) else None
            for term in _added_terms(value):
                text = ast.unparse(term)
                if _squashed(text) in terms and not _numbers(text) <= said \
                        and {n.id for n in ast.walk(term) if isinstance(n, ast.Name)} <= inputs:
                    found.add(text)
    return sorted(found)


def without_terms(code: str, terms: Sequence[str]) -> str:
    """`code` with each of `terms` taken out of the sums that add or subtract it at the top of a value."""
    wanted = {_squashed(term) for term in terms}

    class Drop(ast.NodeTransformer):
        def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
            self.generic_visit(node)
            if isinstance(node.op, (ast.Add, ast.Sub)) and _squashed(ast.unparse(node.right)) in wanted:
                return node.left
            if isinstance(node.op, ast.Add) and _squashed(ast.unparse(node.left)) in wanted:
                return node.right
            return node

    lines = code.splitlines()
    for statement in ast.walk(ast.parse(code)):
        if isinstance(statement, (ast.Return, ast.Assign, ast.AugAssign)) and statement.value is not None \
                and statement.lineno == statement.end_lineno:
            before = ast.unparse(statement)
            statement.value = Drop().visit(statement.value)
            if ast.unparse(statement) != before:  # the line rewritten, its indentation kept
                line = lines[statement.lineno - 1]
                lines[statement.lineno - 1] = line[:len(line) - len(line.lstrip())] + ast.unparse(statement)
    return "\n".join(lines) + "\n"


def _parsed(expression: str) -> ast.expr | None:
    """`expression` as a syntax tree, or None when it is no Python expression."""
    try:
        return ast.parse(expression, mode="eval").body
    except SyntaxError:
        return None


def _added_terms(value: ast.expr | None) -> list[ast.expr]:
    """The terms a sum adds or subtracts at its top (`a * b + 0.1 * x - c`: a * b, 0.1 * x, c); none for one term."""
    terms: list[ast.expr] = []
    while isinstance(value, ast.BinOp) and isinstance(value.op, (ast.Add, ast.Sub)):
        terms.append(value.right)
        value = value.left
    return [value, *terms] if terms else []


def _numbers(text: str) -> set[float]:
    """The numbers written in `text` other than 0, 1 and 2 (which any formula may hold)."""
    return {float(n) for n in re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?:e-?\d+)?", text)} - {0.0, 1.0, 2.0}


def without_lines(code: str, lines: Sequence[str]) -> tuple[str, list[tuple[int, str]]]:
    """`code` without the statements whose line (stripped) is one of `lines`, and (line number, text) of each
    removed; nothing is removed when one of them is a return, is not a one-line statement inside a function or
    class, or is all its block does."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    source, wanted, removed = code.splitlines(), set(lines), []
    for node in ast.walk(tree):
        for block in (getattr(node, field, None) for field in ("body", "orelse", "finalbody")):
            if not isinstance(block, list) or not block or not isinstance(block[0], ast.stmt):
                continue
            found = [stmt for stmt in block if source[stmt.lineno - 1].strip() in wanted]
            doing = [stmt for stmt in block if stmt not in found and not isinstance(stmt, ast.Pass)
                     and not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))]  # not a docstring
            if found and (isinstance(node, ast.Module) or not doing
                          or any(stmt.lineno != stmt.end_lineno or isinstance(stmt, ast.Return) for stmt in found)):
                return code, []
            removed += [(stmt.lineno, source[stmt.lineno - 1].strip()) for stmt in found]
    gone = {line for line, _ in removed}
    kept = "\n".join(text for n, text in enumerate(source, 1) if n not in gone) + "\n"
    return (kept, sorted(removed)) if removed else (code, [])


_FORMULA = re.compile(r"`([^`]+)`")  # the formulas of an example's heading are written in backticks
_ASSIGNED = re.compile(r"^(?:return\s+|[\w.\[\]\"', ]+?(?<![=!<>])=(?!=)\s*)")


def _expression(line: str) -> str:
    """The value a line of code computes: what it returns or assigns, without its comment."""
    return _ASSIGNED.sub("", line.split("#")[0].strip())


def _squashed(text: str) -> str:
    """Text compared as a formula: lower case, no spaces, `**` as `^`, without self./torch./F./math. prefixes."""
    text = re.sub(r"\s+", "", text.lower()).replace("**", "^").replace("×", "*").replace("·", "*").replace("−", "-")
    return re.sub(r"(?<![\w.])(?:self|torch|f|math|np)\.", "", text)


_SHORT_LINE = 24  # a line of fewer characters, its numbers masked, is a generic step (`self.V.mul_(0.5)`)


def _masked(line: str) -> str:
    """The code of a line without its comment, every `self.NAME` written `self._` and every number `0`
    (the example's rule with the idea's constants put in is still the example's rule), except in a short line:
    `self.s.mul_(0.9)` is any decay, the example's only with the example's number."""
    code = re.sub(r"\bself\.\w+", "self._", line.split("#")[0].strip())
    masked = re.sub(r"(?<![\w.])\d+(?:\.\d*)?(?:e-?\d+)?", "0", code)
    return masked if len(re.sub(r"\s+", "", masked)) >= _SHORT_LINE else code


def _idea_values(plan: Plan, hits: Sequence[Hit], feedback: str) -> dict[str, str]:
    """The prompt values both code writers share: the note excerpts without the variants they mention (a small model
    wrote `变体：α 可学习` into the idea), the plan and the feedback."""
    own = [replace(h, chunk=replace(h.chunk, text="\n".join(idea_lines(h.chunk.text, VARIANT)))) for h in hits]
    return {"passages": passages_text(own), "plan": plan.as_text(), "feedback": feedback or "(first attempt)",
            "idea_name": plan.idea_name}


def write_idea_code(
    model: BaseChatModel,
    prompt: Prompt,
    plan: Plan,
    hits: Sequence[Hit],
    interface: str,
    feedback: str = "",
    seed: int = 0,
    temperature: float | None = None,
    show_examples: bool = True,
) -> tuple[str, LLMReply]:
    """The code generator's idea code. Without `show_examples` the worked examples are left out (a
    small model that copied one copies it again when it sees it)."""
    values = {
        **_idea_values(plan, hits, feedback),
        "interface": interface,
        "examples": idea_examples(plan.kinds) if show_examples else NO_EXAMPLES,
        "hooks": ", ".join(hooks_for(plan.kinds)),
    }
    reply = call_llm(model, prompt, values, seed=seed, temperature=temperature, stop_when=repeats_itself)
    return code_of_reply(reply.text), reply


def write_idea_body(
    model: BaseChatModel,
    prompt: Prompt,
    plan: Plan,
    hits: Sequence[Hit],
    skeleton: Skeleton,
    feedback: str = "",
    seed: int = 0,
    temperature: float | None = None,
    show_examples: bool = True,
    keep: Mapping[str, str] | None = None,
    by_program: bool = True,
) -> tuple[str, LLMReply]:
    """The idea code as the kind's skeleton (guards/skeleton.py) with the functions the model wrote.

    A skeleton of several parts (a layer with its own update rule) is asked for part by part, each with
    the note passages about its hooks: asked for both at once, a small model writes one part or runs out
    of tokens. Each part is asked to compute the formulas of its own passages. Within a part, what the
    notes do every N steps comes after the rest: written by the program from the notes' formulas when
    they are certain enough, else asked for on its own, shown the rest and the note lines that say it
    (asked for together, a small model writes the forward pass and copies the example's periodic rule).
    The replies fill the skeleton in turn; the reply returned sums their usage. A part named in `keep`
    (its name -> its code of an earlier attempt that no problem was found in) is not asked for again. Without
    `by_program` (what the program wrote failed), the model writes every function."""
    replies, filled = [], []
    for part in skeleton.parts or (skeleton,):
        if keep and part.name in keep:
            filled.append(keep[part.name].strip())
            continue
        passages = [h for h in hits if any(part.hooks & set(kind.hooks) for kind in kinds_of(kinds_in_notes(h.chunk.text)))]
        own = skeleton.parts and passages
        read = passages if own else hits
        rule = (formulas_in(passages) if own else "") or plan.idea_rule
        periodic = [line for line in formulas_in(read).splitlines() if re.search(PERIODIC, line, re.IGNORECASE)]
        split = part.split_at_steps() if periodic else None
        code = part.code
        if by_program and (written := program_reply(part, formulas_in(read), text_of(read), plan.task)):
            code = fill(part, written)
        for ask, ask_rule in zip(split, (rule, "\n".join(periodic))) if split else [(part, rule)]:
            if by_program and ask_rule != rule and (written := periodic_reply(code, ask.required, periodic)):
                code = fill(replace(ask, code=code), written)  # whatever an earlier reply wrote there
                continue
            if not set(ask.required) & stubs(code):  # an earlier reply wrote them its own way
                continue
            values = {
                **_idea_values(plan, read, feedback),
                "skeleton": code.strip(),
                "example": part.example if show_examples else NO_EXAMPLES,
                "functions": _functions_asked(ask),
                "idea_rule": ask_rule,
            }
            replies.append(call_llm(model, prompt, values, seed=seed, temperature=temperature, stop_when=repeats_itself))
            code = fill(replace(ask, code=code), code_of_reply(replies[-1].text))
            if not _parses(code):  # the static check names the error
                return code, _summed(replies)
        filled.append(code.strip())
    return "\n\n\n".join(filled) + "\n", _summed(replies)


def _functions_asked(skeleton: Skeleton) -> str:
    text = " and ".join(f"`{name}`" for name in skeleton.required)
    if skeleton.optional:
        text += " (and " + " and ".join(f"`{name}`" for name in skeleton.optional) + " if the idea needs it)"
    return text


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except SyntaxError:
        return False
    return True


def _summed(replies: Sequence[LLMReply]) -> LLMReply:
    """One reply standing for several asked in turn: their texts and usage together (none asked: no usage)."""
    if not replies:
        return LLMReply("", 0, 0, None, 0.0)
    if len(replies) == 1:
        return replies[0]
    return LLMReply("\n\n".join(r.text for r in replies), sum(r.prompt_tokens for r in replies),
                    sum(r.completion_tokens for r in replies), replies[0].first_token_s, sum(r.total_s for r in replies))


def review_code(model: BaseChatModel, prompt: Prompt, plan: Plan, hits: Sequence[Hit], code: str, seed: int = 0) -> tuple[CodeReview, list[LLMReply]]:
    values = {"passages": passages_text(hits), "plan": plan.as_text(), "code": code}
    return ask_structured(model, prompt, values, CodeReview, seed=seed)


def review_results(model: BaseChatModel, prompt: Prompt, plan: Plan, results: str, seed: int = 0) -> tuple[ResultsReview, list[LLMReply]]:
    return ask_structured(model, prompt, {"plan": plan.claim_text(), "results": results}, ResultsReview, seed=seed)
