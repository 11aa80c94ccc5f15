"""gepa adapter: evaluates a candidate prompt text on answer tasks with our model, and proposes new
candidates as one mechanical edit each: first the audit's findings (prompt_audit), then edits from
the failures (prompt_edit)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from agentnotes.agents.answer import answer_question
from agentnotes.agents.structured import ask_structured
from agentnotes.optimize.answer_metric import AnswerTask, score_answer
from agentnotes.optimize.prompt_audit import Finding
from agentnotes.optimize.prompt_edit import (PromptEdit, apply_edit, copies_failures, drop_instruction, failures_text,
                                             repeats_prompt)
from agentnotes.prompts import Prompt, parse_prompt

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings
    from langchain_core.language_models.chat_models import BaseChatModel

COMPONENT = "prompt"  # the whole prompt file's text: the user part's closing reminder is an instruction too;
# edits never change a line with {{variables}} (prompt_edit.is_fixed)
PROPOSAL_TRIES = 2  # an unusable edit (see propose_new_texts) is asked for again once, with another seed


class AnswerPromptAdapter:
    """Runs the answer agent with a candidate prompt text; scores with score_answer; proposes edits
    with the `reflect` prompt. `edits` keeps every proposal, for the user to read."""

    def __init__(self, model: BaseChatModel, base: Prompt, reflect: Prompt,
                 on_call: Callable[[float], None] | None = None, findings: Sequence[Finding] = (),
                 embeddings: Embeddings | None = None) -> None:
        self.model, self.base, self.reflect, self.on_call = model, base, reflect, on_call
        self.embeddings = embeddings  # as in `ask`: sentences left uncited are attributed to their closest excerpt
        self.pending = list(findings)  # audit findings not proposed yet
        self.edits: list[str] = []  # each proposal in words: the failure pattern and the change
        self.ablations = 0

    def evaluate(self, batch: list[AnswerTask], candidate: dict[str, str], capture_traces: bool = False):
        from gepa import EvaluationBatch

        prompt = parse_prompt(self.base.name, candidate[COMPONENT], version="candidate")
        outputs, scores, traces = [], [], []
        for task in batch:
            answer = answer_question(self.model, prompt, task.question, task.hits, embeddings=self.embeddings)
            score, feedback = score_answer(answer, task)
            if self.on_call:
                self.on_call(score)
            outputs.append(answer.text)
            scores.append(score)
            traces.append({"question": task.question, "answer": answer.text, "feedback": feedback})
        return EvaluationBatch(outputs=outputs, scores=scores, trajectories=traces if capture_traces else None)

    def make_reflective_dataset(self, candidate: dict[str, str], eval_batch: Any,
                                components_to_update: list[str]) -> Mapping[str, Sequence[Mapping[str, Any]]]:
        rows = [{"Inputs": t["question"], "Generated Outputs": t["answer"], "Feedback": t["feedback"]}
                for t in eval_batch.trajectories or []]
        return {name: rows for name in components_to_update}

    def propose_new_texts(self, candidate: dict[str, str], reflective_dataset: Mapping[str, Sequence[Mapping[str, Any]]],
                          components_to_update: list[str]) -> dict[str, str]:
        """One edit of the prompt from the failures. An edit is unusable when it changes nothing, copies
        the failures, or says again what another line of the prompt says (an instruction, or the
        example's answer); after two, the next instruction in turn is left out instead (an ablation).
        {} (gepa skips the iteration) when nothing failed. At most PROPOSAL_TRIES x 2 reflection calls.
        Audit findings that still apply come first, one per iteration, with no reflection call."""
        while self.pending:
            finding = self.pending.pop(0)
            edited = finding.apply(candidate[COMPONENT])
            if edited is not None:
                change = f"replace with: {finding.new}" if finding.new else "leave out the line"
                self.edits.append(f"audit, {finding.kind}: {finding.description} -> {change}")
                return {COMPONENT: edited}
        failures = failures_text(reflective_dataset.get(COMPONENT, []))
        if not failures:
            return {}
        values = {"instructions": candidate[COMPONENT], "failures": failures}
        for _ in range(PROPOSAL_TRIES):
            edit, _ = ask_structured(self.model, self.reflect, values, PromptEdit, retries=1, seed=len(self.edits))
            self.edits.append(f"{edit.problem} -> {edit.edit}: {edit.new_line}")
            new_text = apply_edit(candidate[COMPONENT], edit)
            usable = not copies_failures(edit.new_line, failures) and not repeats_prompt(candidate[COMPONENT], edit)
            if new_text != candidate[COMPONENT] and usable:
                return {COMPONENT: new_text}
        ablation = drop_instruction(candidate[COMPONENT], self.ablations)
        if ablation is None:
            return {}
        self.ablations += 1
        self.edits.append(f"(no usable edit) -> leave out: {ablation[1]}")
        return {COMPONENT: ablation[0]}
