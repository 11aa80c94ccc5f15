"""The prompt optimizer's logic with a fake model whose answers depend on the instructions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from agentnotes.notes.types import Chunk, Hit
from agentnotes.optimize import run as optimize_run
from agentnotes.prompt_versions import PromptVersions
from agentnotes.settings import load_settings

GOOD_RULE = "Always cite excerpt [1]."


class InstructionFollower(BaseChatModel):
    """Answers with a citation only when told to; as the reflection model, proposes `proposal`."""

    proposal: str

    @property
    def _llm_type(self) -> str:
        return "instruction-follower"

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        system = str(messages[0].content)
        if "You improve the instructions" in system:
            text = f"Here you go:\n```\n{self.proposal}\n```"
        elif GOOD_RULE in system:
            text = "The mirror layer keeps two weights [1]."
        else:
            text = "NOT IN NOTES: the notes do not say."
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])


def _setup(tmp_path: Path, monkeypatch, proposal: str) -> Path:
    questions = [{"question": f"question {i} about the mirror layer", "source": "ideas.md", "contains": "two weights"}
                 for i in range(9)]
    eval_file = tmp_path / "qa.jsonl"
    eval_file.write_text("\n".join(json.dumps(q) for q in questions), encoding="utf-8")
    hit = Hit(Chunk("/notes/ideas.md", 1, 3, "mirror: two weights w1 and w2"), 1.0)
    monkeypatch.setattr("agentnotes.retrieval.service.retrieve", lambda settings, question, k, rewrite=None: [hit])
    monkeypatch.setattr("agentnotes.llm.provider.get_chat_model", lambda settings, **kw: InstructionFollower(proposal=proposal))
    return eval_file


def test_split_is_deterministic_and_holds_out_about_a_third() -> None:
    items = [f"q{i}" for i in range(30)]
    train, val = optimize_run.split(items, key=str)
    assert optimize_run.split(items, key=str) == (train, val)
    assert set(train) | set(val) == set(items) and not set(train) & set(val) and 5 <= len(val) <= 15


def test_a_better_prompt_is_saved_with_its_held_out_score_within_budget(tmp_path: Path, monkeypatch) -> None:
    eval_file = _setup(tmp_path, monkeypatch, proposal=f"Answer from the excerpts. {GOOD_RULE}")
    result = optimize_run.optimize_prompt(load_settings(), "answer", eval_file, budget=40)
    assert result.val_before == 0.0 and result.val_after == 1.0 and result.saved_version == "v1"
    assert result.metric_calls <= 40
    versions = PromptVersions(load_settings().prompts_dir, "answer")
    assert GOOD_RULE in versions.text("v1") and "{{question}}" in versions.text("v1")
    assert versions.active() == "shipped"  # saved, not activated
    assert [s["score"] for s in versions.scores()] == [0.0, 1.0]
    calls: list[float] = []  # the same search again resumes: the found candidate is remembered, the budget spent
    again = optimize_run.optimize_prompt(load_settings(), "answer", eval_file, budget=40, on_call=calls.append)
    assert again.val_after == 1.0 and again.candidates == result.candidates and len(calls) <= result.val_questions
    assert again.saved_version == "v1" and versions.versions() == ["shipped", "v1"]


def test_a_worse_prompt_is_never_accepted(tmp_path: Path, monkeypatch) -> None:
    eval_file = _setup(tmp_path, monkeypatch, proposal="Say you do not know.")
    result = optimize_run.optimize_prompt(load_settings(), "answer", eval_file, budget=40)
    assert result.saved_version is None and result.val_after == result.val_before
    assert PromptVersions(load_settings().prompts_dir, "answer").versions() == ["shipped"]


def test_unsupported_prompt_and_too_small_budget_are_clear_errors(tmp_path: Path, monkeypatch) -> None:
    from agentnotes.errors import InputError

    eval_file = _setup(tmp_path, monkeypatch, proposal="x")
    with pytest.raises(InputError, match="supports answer"):
        optimize_run.optimize_prompt(load_settings(), "plan_experiment", eval_file, budget=40)
    with pytest.raises(InputError, match="too small"):
        optimize_run.optimize_prompt(load_settings(), "answer", eval_file, budget=5)
