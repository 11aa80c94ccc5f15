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
    audit: dict = {}  # the audit agents' verdict for every pair: "conflict" and "example"; none found by default

    @property
    def _llm_type(self) -> str:
        return "instruction-follower"

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        system = str(messages[0].content)
        if "follow both of them" in system:
            text = json.dumps(self.audit.get("conflict", {"conflict": False, "why": "-", "keep": "a"}))
        elif "imitates examples" in system:
            text = json.dumps(self.audit.get("example", {"follows": True, "why": "-", "fixed_example": ""}))
        elif "You improve the prompt" in system:
            edit = {"problem": "it says the notes do not say", "edit": "add", "old_line": "", "new_line": self.proposal}
            text = f"```json\n{json.dumps(edit)}\n```"
        elif GOOD_RULE in system:
            text = "The mirror layer keeps two weights [1]."
        else:
            text = "NOT IN NOTES: the notes do not say."
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])


def _setup(tmp_path: Path, monkeypatch, proposal: str, audit: dict | None = None) -> Path:
    questions = [{"question": f"question {i} about the mirror layer", "source": "ideas.md", "contains": "two weights"}
                 for i in range(9)]
    eval_file = tmp_path / "qa.jsonl"
    eval_file.write_text("\n".join(json.dumps(q) for q in questions), encoding="utf-8")
    hit = Hit(Chunk("/notes/ideas.md", 1, 3, "mirror: two weights w1 and w2"), 1.0)
    monkeypatch.setattr("agentnotes.retrieval.service.retrieve", lambda settings, question, k, rewrite=None: [hit])
    monkeypatch.setattr("agentnotes.llm.provider.get_chat_model", lambda settings, **kw: InstructionFollower(proposal=proposal, audit=audit or {}))
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


REMINDER = 'If they do not answer the question, reply "NOT IN NOTES: the notes do not say."'


class ObeysTheLastWords(InstructionFollower):
    """Declines whenever the user message, the last words it reads, tells it how to decline."""

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        if "NOT IN NOTES" in str(messages[-1].content) or "You improve" in str(messages[0].content):
            return super()._generate(messages, stop, run_manager, **kwargs)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content="The mirror layer keeps two weights [1]."))])


def test_a_rule_repeated_in_the_user_part_is_stated_once_and_kept_when_it_scores_better(tmp_path: Path, monkeypatch) -> None:
    from agentnotes.prompts import load_shipped

    eval_file = _setup(tmp_path, monkeypatch, proposal="Say you do not know.")
    monkeypatch.setattr("agentnotes.llm.provider.get_chat_model", lambda settings, **kw: ObeysTheLastWords(proposal="Say you do not know."))
    shipped = load_shipped("answer").text
    final = next(line for line in shipped.splitlines() if line.startswith("Answer from the excerpts only."))
    versions = PromptVersions(load_settings().prompts_dir, "answer")
    versions.use(versions.add(shipped.replace(final, f"{final} {REMINDER}")))
    result = optimize_run.optimize_prompt(load_settings(), "answer", eval_file, budget=40)
    assert result.findings[0].startswith(f"repeated: '{REMINDER}' repeats the instruction 'Only when no excerpt")
    assert result.edits[0].startswith("audit, repeated") and (result.val_before, result.val_after) == (0.0, 1.0)
    assert versions.text(result.saved_version) == shipped  # the reminder's other sentences and the {{variables}} stay


def test_repeated_rules_are_found_only_where_the_user_part_repeats_an_instruction() -> None:
    from agentnotes.optimize.prompt_audit import repeated_rules
    from agentnotes.prompts import load_shipped

    assert repeated_rules(load_shipped("answer").text) == []  # its reminder shares at most 4 words with a rule
    text = ("<!-- system -->\n# Instructions\n- Use only facts stated in the excerpts.\n- Be brief.\n"
            "<!-- user -->\n{{question}}\nBe brief. Use only the facts stated in the excerpts, nothing else.\n")
    (finding,) = repeated_rules(text)
    assert finding.kind == "repeated" and finding.apply(text).endswith("{{question}}\nBe brief.\n")


def test_a_worse_prompt_is_never_accepted(tmp_path: Path, monkeypatch) -> None:
    eval_file = _setup(tmp_path, monkeypatch, proposal="Say you do not know.")
    result = optimize_run.optimize_prompt(load_settings(), "answer", eval_file, budget=40)
    assert result.saved_version is None and result.val_after == result.val_before
    assert PromptVersions(load_settings().prompts_dir, "answer").versions() == ["shipped"]


EXAMPLE_LINE = "Answer: At inference time dropout drops nothing; units are only dropped at random during training [1]."


def test_the_audit_fix_is_tried_first_and_kept_because_it_scores_better(tmp_path: Path, monkeypatch) -> None:
    fixed = f"{EXAMPLE_LINE} {GOOD_RULE}"
    audit = {"example": {"follows": False, "why": "it should show the citation rule", "fixed_example": fixed}}
    eval_file = _setup(tmp_path, monkeypatch, proposal="Say you do not know.", audit=audit)
    result = optimize_run.optimize_prompt(load_settings(), "answer", eval_file, budget=40, audit=True)
    assert len(result.findings) == 1 and result.findings[0].startswith("example_mismatch: it should show the citation rule")
    assert result.edits[0].startswith("audit, example_mismatch") and result.saved_version == "v1"
    text = PromptVersions(load_settings().prompts_dir, "answer").text("v1")
    assert fixed in text and text.count(EXAMPLE_LINE) == 1 and result.val_after == 1.0
    assert optimize_run.optimize_prompt(load_settings(), "answer", eval_file, budget=40, fresh=True).findings == []


class OrderSensitive(InstructionFollower):
    """Sees a conflict only when the brevity rule comes first."""

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        user = str(messages[-1].content)
        conflict = user.index("Instruction a") < user.index("one short sentence") < user.index("Instruction b")
        text = json.dumps({"conflict": conflict, "why": "length", "keep": "a"})
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])


def test_a_contradiction_counts_only_when_seen_in_either_order_and_removes_the_line_not_kept() -> None:
    from agentnotes.optimize.prompt_audit import audit_prompt, example_outputs, instructions_of

    text = "# Instructions\n- Answer in one short sentence.\n- Explain every step in detail.\n\n# Example\nAnswer: two weights.\n"
    assert instructions_of(text) == ["- Answer in one short sentence.", "- Explain every step in detail."]
    assert example_outputs(text) == ["Answer: two weights."]
    assert audit_prompt(OrderSensitive(proposal=""), text)[0] == []
    always = InstructionFollower(proposal="", audit={"conflict": {"conflict": True, "why": "length", "keep": "a"}})
    checked: list[tuple[int, int]] = []
    (finding,), replies = audit_prompt(always, text, on_check=lambda done, total: checked.append((done, total)))
    assert finding.kind == "contradiction" and finding.apply(text) == text.replace("- Explain every step in detail.\n", "")
    assert checked[-1] == (3, 3) and len(replies) == 4  # one pair asked in both orders, one example against two rules
    assert finding.apply("# Instructions\n- other\n") is None


def test_unsupported_prompt_and_too_small_budget_are_clear_errors(tmp_path: Path, monkeypatch) -> None:
    from agentnotes.errors import InputError

    eval_file = _setup(tmp_path, monkeypatch, proposal="x")
    with pytest.raises(InputError, match="supports answer"):
        optimize_run.optimize_prompt(load_settings(), "plan_experiment", eval_file, budget=40)
    with pytest.raises(InputError, match="too small"):
        optimize_run.optimize_prompt(load_settings(), "answer", eval_file, budget=5)


INSTRUCTIONS = "# Instructions\n- Use only the excerpts.\n- If unsure, reply NOT IN NOTES.\n\n# Example\n- not an instruction\n"


def test_an_add_edit_becomes_the_last_instruction_and_the_example_stays() -> None:
    from agentnotes.optimize.prompt_edit import PromptEdit, apply_edit

    edited = apply_edit(INSTRUCTIONS, PromptEdit(problem="p", edit="add", new_line="- Answer when any excerpt is related."))
    assert edited.splitlines()[:4] == ["# Instructions", "- Use only the excerpts.", "- If unsure, reply NOT IN NOTES.",
                                       "- Answer when any excerpt is related."]
    assert edited.endswith("# Example\n- not an instruction\n")
    assert apply_edit(edited, PromptEdit(problem="p", edit="add", new_line="Answer when any excerpt is related.")) == edited


def test_a_replace_edit_swaps_the_line_it_quotes_and_falls_back_to_adding() -> None:
    from agentnotes.optimize.prompt_edit import PromptEdit, apply_edit

    edit = PromptEdit(problem="p", edit="replace", old_line="If unsure, reply NOT IN NOTES.", new_line="Reply NOT IN NOTES only when no excerpt is related.")
    assert "- If unsure" not in apply_edit(INSTRUCTIONS, edit)
    assert "- Reply NOT IN NOTES only when no excerpt is related." in apply_edit(INSTRUCTIONS, edit)
    unknown = edit.model_copy(update={"old_line": "a line that is not in the prompt at all"})
    assert "- If unsure" in apply_edit(INSTRUCTIONS, unknown) and "only when no excerpt" in apply_edit(INSTRUCTIONS, unknown)
    placeholder = edit.model_copy(update={"new_line": "Answer {{question}} directly please."})
    assert apply_edit(INSTRUCTIONS, placeholder) == INSTRUCTIONS


def test_a_replace_edit_changes_one_sentence_of_a_reminder_and_never_a_line_with_variables() -> None:
    from agentnotes.optimize.prompt_edit import PromptEdit, apply_edit

    text = "- Be brief.\n{{context}} answer from the context\nAnswer from the excerpts. If unsure, reply NOT IN NOTES.\n"
    edit = PromptEdit(problem="p", edit="replace", old_line="If unsure, reply NOT IN NOTES.", new_line="Decline only when no excerpt is related.")
    assert apply_edit(text, edit).splitlines()[2] == "Answer from the excerpts. Decline only when no excerpt is related."
    on_variables = edit.model_copy(update={"old_line": "answer from the context"})
    assert apply_edit(text, on_variables).splitlines()[:3] == ["- Be brief.", "- Decline only when no excerpt is related.",
                                                                "{{context}} answer from the context"]


def test_an_edit_that_says_again_what_another_line_says_is_recognised() -> None:
    from agentnotes.optimize.prompt_edit import PromptEdit, repeats_prompt

    text = ("- End every sentence with the number of the excerpt it comes from: [1], [2].\n- If unsure, reply NOT IN NOTES.\n"
            "# Example\nAnswer: At inference time dropout drops nothing; units are dropped during training [1].\n")
    add = PromptEdit(problem="p", edit="add", new_line="End every sentence with the number of the excerpt it comes from: [1].")
    example = add.model_copy(update={"new_line": "At inference time dropout drops nothing at all."})
    new_rule = add.model_copy(update={"new_line": "Reply NOT IN NOTES only when no excerpt is related."})
    reworded = PromptEdit(problem="p", edit="replace", old_line="End every sentence with the number",
                          new_line="End every sentence with the number of its excerpt, even a translated one.")
    assert repeats_prompt(text, add) and repeats_prompt(text, example)
    assert not repeats_prompt(text, new_rule) and not repeats_prompt(text, reworded)


def test_only_failures_reach_the_reflection_model() -> None:
    from agentnotes.optimize.prompt_edit import failures_text

    rows = [{"Inputs": "q1", "Generated Outputs": "a1 [1]", "Feedback": "Correct: cites it."},
            {"Inputs": "q2", "Generated Outputs": "NOT IN NOTES", "Feedback": "Wrong: an excerpt holds it."}]
    assert failures_text(rows) == "Question: q2\nAnswer: NOT IN NOTES\nWhat was wrong: Wrong: an excerpt holds it."
    assert failures_text(rows[:1]) == ""


def test_the_metric_rewards_citing_the_answer_and_abstaining_when_no_excerpt_holds_it() -> None:
    from agentnotes.agents.answer import Answer, Citation
    from agentnotes.agents.llm_call import LLMReply
    from agentnotes.optimize.answer_metric import AnswerTask, score_answer

    reply = LLMReply(text="", prompt_tokens=0, completion_tokens=0, first_token_s=None, total_s=0.0)
    right = Hit(Chunk("/n/ideas.md", 1, 3, "mirror: two weights"), 1.0)
    other = Hit(Chunk("/n/log.md", 1, 2, "unrelated"), 1.0)
    cites = Answer("q", "two weights [1]", (Citation(1, "/n/ideas.md", 1, 3, "mirror: two weights"),), True, reply)
    abstains = Answer("q", "NOT IN NOTES", (), False, reply)
    answerable = AnswerTask("q", "ideas.md", "two weights", (right, other))
    unanswerable = AnswerTask("q", "ideas.md", "two weights", (other,))
    assert score_answer(cites, answerable)[0] == 1.0 and score_answer(abstains, answerable)[0] == 0.0
    assert score_answer(abstains, unanswerable)[0] == 1.0 and score_answer(cites, unanswerable)[0] == 0.0
    not_in_notes = AnswerTask("q", "", "", (right, other))  # an eval line with source and contains null
    assert score_answer(abstains, not_in_notes)[0] == 1.0 and score_answer(cites, not_in_notes)[0] == 0.0


def test_eval_lines_may_mark_a_question_the_notes_do_not_answer(tmp_path: Path) -> None:
    from agentnotes.errors import InputError
    from agentnotes.evaluation.retrieval_eval import evaluate, load_questions

    path = tmp_path / "qa.jsonl"
    path.write_text('{"question": "a", "source": "ideas.md", "contains": "two weights"}\n'
                    '{"question": "b", "source": null, "contains": null}\n', encoding="utf-8")
    answerable, declined = load_questions(path)
    assert answerable.answerable and not declined.answerable and (declined.source, declined.contains) == ("", "")
    hit = Hit(Chunk("/n/ideas.md", 1, 3, "mirror: two weights"), 1.0)
    result = evaluate([answerable, declined], lambda question, depth: [hit])
    assert [r.question for r in result.results] == [answerable] and result.recall_at_k == 1.0  # b has no right chunk
    with pytest.raises(InputError, match="nothing to evaluate"):
        evaluate([declined], lambda question, depth: [hit])
    path.write_text('{"question": "c", "source": "ideas.md", "contains": null}\n', encoding="utf-8")
    with pytest.raises(InputError, match="qa.jsonl:1: .*both null"):
        load_questions(path)


def test_an_edit_that_pastes_in_a_failed_answer_or_question_is_recognised() -> None:
    from agentnotes.optimize.prompt_edit import copies_failures

    failures = "Question: imperative versus symbolic programs, TensorFlow vs PyTorch\nAnswer: TensorFlow is a symbolic framework [1]."
    assert copies_failures("TensorFlow is a symbolic framework while PyTorch is not.", failures)
    assert copies_failures("问题：镜像层预测的时候用几个权重", "Question: 镜像层预测的时候用几个权重？")
    assert not copies_failures("Reply NOT IN NOTES only when no excerpt is related to the question.", failures)


def test_an_ablation_leaves_out_one_instruction_in_turn() -> None:
    from agentnotes.optimize.prompt_edit import drop_instruction

    assert drop_instruction(INSTRUCTIONS, 0) == (INSTRUCTIONS.replace("- Use only the excerpts.\n", ""), "Use only the excerpts.")
    assert drop_instruction(INSTRUCTIONS, 3)[1] == "If unsure, reply NOT IN NOTES."
    assert drop_instruction("# Instructions\n- only one\n", 0) is None


def test_when_the_model_only_repeats_an_instruction_the_adapter_tries_an_ablation() -> None:
    from agentnotes.optimize.gepa_adapter import COMPONENT, AnswerPromptAdapter
    from agentnotes.prompts import load_shipped

    model = InstructionFollower(proposal="Use only the excerpts.")
    adapter = AnswerPromptAdapter(model, load_shipped("answer"), load_shipped("optimize_reflect"))
    rows = [{"Inputs": "q", "Generated Outputs": "NOT IN NOTES", "Feedback": "Wrong: an excerpt holds it."}]
    proposed = adapter.propose_new_texts({COMPONENT: INSTRUCTIONS}, {COMPONENT: rows}, [COMPONENT])
    assert proposed == {COMPONENT: INSTRUCTIONS.replace("- Use only the excerpts.\n", "")}
    assert len(adapter.edits) == 3 and adapter.edits[-1] == "(no usable edit) -> leave out: Use only the excerpts."
    assert adapter.propose_new_texts({COMPONENT: INSTRUCTIONS}, {COMPONENT: []}, [COMPONENT]) == {}


class Uncited(InstructionFollower):
    """Answers from the excerpt but forgets the citation, as small models often do."""

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content="The mirror layer keeps two weights, w1 and w2."))])


def test_candidates_are_scored_on_answers_as_ask_writes_them_with_attributed_citations() -> None:
    from agentnotes.index.embedders import get_embedder
    from agentnotes.optimize.answer_metric import AnswerTask
    from agentnotes.optimize.gepa_adapter import COMPONENT, AnswerPromptAdapter
    from agentnotes.prompts import load_shipped

    hit = Hit(Chunk("/notes/ideas.md", 1, 3, "mirror layer: two weights w1 and w2"), 1.0)
    task = AnswerTask("How many weights does the mirror layer keep?", "ideas.md", "two weights", (hit,))
    prompt = load_shipped("answer")
    as_ask = AnswerPromptAdapter(Uncited(proposal=""), prompt, load_shipped("optimize_reflect"),
                                 embeddings=get_embedder(load_settings()))
    assert as_ask.evaluate([task], {COMPONENT: prompt.text}).scores == [1.0]  # the sentence is attributed to [1]
    bare = AnswerPromptAdapter(Uncited(proposal=""), prompt, load_shipped("optimize_reflect"))
    assert bare.evaluate([task], {COMPONENT: prompt.text}).scores == [0.0]


def test_the_command_prints_only_json_with_json(tmp_path: Path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from agentnotes.cli import app

    eval_file = _setup(tmp_path, monkeypatch, proposal=f"Answer from the excerpts. {GOOD_RULE}")
    result = CliRunner().invoke(app, ["optimize-prompt", "answer", "--eval", str(eval_file), "--budget", "40", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)  # the search's own log goes to its state folder, not to stdout
    assert report["saved_version"] == "v1" and report["val_after"] == 1.0
    assert "Iteration" in (Path(report["state_dir"]) / "gepa_log.txt").read_text(encoding="utf-8")


def test_prompts_check_lists_a_repeated_rule_with_its_fix(monkeypatch) -> None:
    from typer.testing import CliRunner

    from agentnotes.cli import app
    from agentnotes.prompts import load_shipped

    monkeypatch.setattr("agentnotes.llm.provider.get_chat_model", lambda settings, **kw: InstructionFollower(proposal=""))
    shipped = load_shipped("answer").text
    final = next(line for line in shipped.splitlines() if line.startswith("Answer from the excerpts only."))
    versions = PromptVersions(load_settings().prompts_dir, "answer")
    versions.use(versions.add(shipped.replace(final, f"{final} {REMINDER}")))
    result = CliRunner().invoke(app, ["prompts", "check", "answer", "--json"])
    assert result.exit_code == 0, result.output
    (finding,) = json.loads(result.stdout)["findings"]
    assert finding["kind"] == "repeated" and finding["line"] == f"{final} {REMINDER}" and finding["fix"] == final
