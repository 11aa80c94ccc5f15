"""`eval answers`: the fact, the cited passage and declining, scored on answers from fake chat models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from agentnotes.agents.answer import NOT_IN_NOTES, answer_question
from agentnotes.errors import InputError
from agentnotes.evaluation.answer_eval import (
    DECLINED, MISSED, OTHER_EXCERPT, WRONG_FACT, AnswerQuestion, evaluate_answers, load_answer_questions,
    missing_keywords, score_answer,
)
from agentnotes.evaluation.retrieval_eval import Question
from agentnotes.notes.types import Chunk, Hit
from agentnotes.prompts import load_shipped

MIRROR = Hit(Chunk("/notes/ideas.txt", 5, 7, "镜像层：输入 x 接近 0 时，和 x 相乘的权重得不到更新。"), 1.0)
GATE = Hit(Chunk("/notes/ideas.txt", 20, 22, "门层：xor 用乘法实现。"), 0.5)
ITEM = AnswerQuestion(Question("What problem does the mirror layer solve?", "ideas.txt", "接近 0 时"),
                      (("near zero", "close to zero", "接近 0"), ("update", "更新")))
UNANSWERABLE = AnswerQuestion(Question("What is my favourite pasta?", "", ""), ())


def _answer(reply: str, hits: list[Hit]):
    return answer_question(FakeListChatModel(responses=[reply]), load_shipped("answer"), "q", hits)


def test_every_keyword_group_must_match_ignoring_case_and_spaces() -> None:
    groups = (("near zero", "零附近"), ("update",))
    assert missing_keywords("Inputs NEAR  zero get almost no Update.", groups) == ()
    assert missing_keywords("输入在零附近时权重没有 update", groups) == ()
    assert missing_keywords("inputs near zero stall training", groups) == (("update",),)
    assert missing_keywords("n_h-k_h+1", (("n_h - k_h + 1",),)) == ()


def test_a_right_answer_citing_the_passage_scores_fact_and_citation() -> None:
    result = score_answer(ITEM, _answer("When x is close to zero its weight gets no update [1].", [MIRROR, GATE]), [MIRROR, GATE])
    assert result.fact and result.cited and result.failure is None and result.passage_given


def test_each_wrong_answer_gets_the_stage_where_it_went_wrong() -> None:
    missed = score_answer(ITEM, _answer("The gate layer uses products [1].", [GATE]), [GATE])
    assert (missed.fact, missed.failure) == (False, MISSED)
    declined = score_answer(ITEM, _answer(f"{NOT_IN_NOTES}.", [MIRROR]), [MIRROR])
    assert (declined.fact, declined.failure) == (False, DECLINED)
    other = score_answer(ITEM, _answer("It is about xor [2].", [MIRROR, GATE]), [MIRROR, GATE])
    assert (other.cited, other.failure) == (False, OTHER_EXCERPT)
    invented = score_answer(ITEM, _answer("It improves communication between units [1].", [MIRROR, GATE]), [MIRROR, GATE])
    assert (invented.cited, invented.fact, invented.failure) == (True, False, WRONG_FACT)
    assert invented.missing == ITEM.keywords


def test_a_right_fact_citing_another_excerpt_counts_as_fact_but_not_as_citation() -> None:
    result = score_answer(ITEM, _answer("Near zero the weight gets no update [2].", [MIRROR, GATE]), [MIRROR, GATE])
    assert result.fact and not result.cited


def test_unanswerable_questions_must_be_declined() -> None:
    assert score_answer(UNANSWERABLE, _answer(f"{NOT_IN_NOTES}: the notes do not say.", [GATE]), [GATE]).fact
    assert not score_answer(UNANSWERABLE, _answer("Carbonara [1].", [GATE]), [GATE]).fact


def test_summary_rates_answerable_and_unanswerable_separately() -> None:
    replies = {ITEM.question.question: "Near zero there is no update [1].", UNANSWERABLE.question.question: "Carbonara [1]."}
    seen: list = []
    report = evaluate_answers([ITEM, UNANSWERABLE], lambda q: (_answer(replies[q], [MIRROR]), [MIRROR]), seen.append)
    summary = report.summary()
    assert len(seen) == 2
    assert (summary["fact_correct"], summary["cites_passage"], summary["declined_unanswerable"]) == (1.0, 1.0, 0.0)
    assert summary["failures"] == {} and summary["declined_answerable"] == 0.0


def test_loading_requires_keywords_for_answerable_questions(tmp_path: Path) -> None:
    path = tmp_path / "qa.jsonl"
    path.write_text(json.dumps({"question": "a?", "source": "n.txt", "contains": "abc", "answer_keywords": [["x", "y"], "z"]}) + "\n"
                    + json.dumps({"question": "b?", "source": None, "contains": None, "answerable": False}) + "\n",
                    encoding="utf-8")
    first, second = load_answer_questions(path)
    assert first.keywords == (("x", "y"), ("z",)) and not second.question.answerable
    path.write_text(json.dumps({"question": "a?", "source": "n.txt", "contains": "abc"}) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"qa.jsonl:1: .*answer_keywords"):
        load_answer_questions(path)


def test_the_command_answers_from_the_real_index_and_prints_json(tmp_path: Path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from agentnotes.cli import app
    from agentnotes.index.ingest import ingest
    from agentnotes.settings import load_settings

    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "ideas.txt").write_text("【【【镜像层】】】\n\n镜像层：输入 x 接近 0 时，和 x 相乘的权重得不到更新。\n\n"
                                     "【【【门层】】】\n\n门层：xor 用乘法实现，and 用 tanh。\n", encoding="utf-8")
    monkeypatch.setenv("AGENTNOTES_QUERY_REWRITE", "false")
    ingest(load_settings(), [notes])
    lines = [{"question": "镜像层解决什么问题？", "source": "ideas.txt", "contains": "接近 0 时",
              "answer_keywords": [["接近 0", "near zero"], ["更新", "update"]]},
             {"question": "How is xor built in the gate layer?", "source": "ideas.txt", "contains": "xor 用乘法",
              "answer_keywords": [["multipl", "乘法"]]},
             {"question": "What is my favourite pasta?", "source": None, "contains": None, "answerable": False}]
    eval_file = tmp_path / "qa.jsonl"
    eval_file.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    replies = ["输入接近 0 时权重得不到更新 [1]。", "It uses addition.", f"{NOT_IN_NOTES}: the notes do not say."]
    monkeypatch.setattr("agentnotes.llm.provider.get_chat_model", lambda settings, **kw: FakeListChatModel(responses=replies))

    result = CliRunner().invoke(app, ["eval", "answers", str(eval_file), "--json", "--limit", "2"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["questions"], report["fact_correct"], report["cites_passage"]) == (2, 0.5, 0.5)
    first, second = report["per_question"]
    assert first["correct"] and first["cited"] and first["citations"][0]["source"].endswith("ideas.txt")
    assert not second["correct"] and second["missing_keywords"] == [["multipl", "乘法"]] and second["failure"]

    result = CliRunner().invoke(app, ["eval", "answers", str(eval_file), "--json"])
    assert json.loads(result.stdout)["declined_unanswerable"] == 1.0
