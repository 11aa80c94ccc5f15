"""gepa adapter: evaluates a candidate system text of a prompt on answer tasks with our model."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from agentnotes.agents.answer import answer_question
from agentnotes.optimize.answer_metric import AnswerTask, score_answer
from agentnotes.prompts import Prompt

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

COMPONENT = "system"  # the instructions; the user part with the variables stays as shipped


class AnswerPromptAdapter:
    """Runs the answer agent with a candidate system text; scores with score_answer."""

    def __init__(self, model: BaseChatModel, base: Prompt, on_call: Callable[[float], None] | None = None) -> None:
        self.model, self.base, self.on_call = model, base, on_call
        self.propose_new_texts = None  # gepa: use its reflective proposer

    def evaluate(self, batch: list[AnswerTask], candidate: dict[str, str], capture_traces: bool = False):
        from gepa import EvaluationBatch

        prompt = replace(self.base, system=candidate[COMPONENT], version="candidate")
        outputs, scores, traces = [], [], []
        for task in batch:
            if "{{" in candidate[COMPONENT]:  # variables belong to the user part
                answer_text, score, feedback = "", 0.0, "The instructions must not contain {{variables}}."
            else:
                answer = answer_question(self.model, prompt, task.question, task.hits)
                score, feedback = score_answer(answer, task)
                answer_text = answer.text
            if self.on_call:
                self.on_call(score)
            outputs.append(answer_text)
            scores.append(score)
            traces.append({"question": task.question, "answer": answer_text, "feedback": feedback})
        return EvaluationBatch(outputs=outputs, scores=scores, trajectories=traces if capture_traces else None)

    def make_reflective_dataset(self, candidate: dict[str, str], eval_batch: Any,
                                components_to_update: list[str]) -> Mapping[str, Sequence[Mapping[str, Any]]]:
        rows = [{"Inputs": t["question"], "Generated Outputs": t["answer"], "Feedback": t["feedback"]}
                for t in eval_batch.trajectories or []]
        return {name: rows for name in components_to_update}
