"""The answer critic's logic with a fake chat model: lexical checks, verdicts, retries, best-of-N."""

from __future__ import annotations

import json

from langchain_core.language_models.fake_chat_models import FakeListChatModel

from agentnotes.agents.answer import answer_question
from agentnotes.agents.answer_check import check_answer, pick_best, unknown_facts
from agentnotes.notes.types import Chunk, Hit
from agentnotes.prompts import load_shipped

HITS = [
    Hit(Chunk("/n/ideas.md", 3, 6, "mirror 层：训练时用两个权重 w1 和 w2，每 50 步合并一次 w = (w1+w2)/2。", ("mirror",)), 0.9),
    Hit(Chunk("/n/log.md", 10, 11, "Gonnor 把梯度除以 L2 范数，再做 SGD。", ()), 0.5),
]


def _answer(text: str):
    return answer_question(FakeListChatModel(responses=[text]), load_shipped("answer"), "How does the mirror layer work?", HITS)


def _verdicts(*verdicts: str) -> str:
    return json.dumps({"verdicts": [{"statement": i, "verdict": v, "reason": "r"} for i, v in enumerate(verdicts, 1)]})


def test_numbers_and_names_missing_from_the_cited_notes_are_flagged_without_the_model() -> None:
    assert unknown_facts("It merges every 50 steps with SGD [1].", "每 50 步 SGD") == []
    assert unknown_facts("It merges every 20 steps with Adam and MAE [1].", "每 50 步") == ["20", "MAE"]
    assert unknown_facts("Accuracy fell by 3 points, from 96.10% [1].", "准确率只掉了 0.3 个点，原来 96.1%") == ["3"]
    answer = _answer("It keeps two weights w1 and w2 [1]. They are merged every 20 steps [1].")
    verdict = check_answer(FakeListChatModel(responses=[_verdicts("supported", "supported")]),
                           load_shipped("verify_answer"), answer, HITS)
    assert [s.verdict for s in verdict.statements] == ["supported", "unsupported"]
    assert "20" in verdict.flagged[0].reason and verdict.support == 0.5


def test_model_verdicts_mark_the_answer_and_only_cited_excerpts_are_evidence() -> None:
    answer = _answer("It keeps two weights w1 and w2 [1]. The merge makes training twice as fast [1].")
    # the flagged statement is judged again on its own; the second opinion agrees, so it stays flagged
    verdict = check_answer(FakeListChatModel(responses=[_verdicts("supported", "unsupported"), _verdicts("unsupported")]),
                           load_shipped("verify_answer"), answer, HITS)
    assert verdict.checked and len(verdict.replies) == 2 and [s.verdict for s in verdict.statements] == ["supported", "unsupported"]
    assert verdict.marked_text().endswith("twice as fast [1]. [unsupported]")
    assert verdict.as_dict()["statements"][1]["verdict"] == "unsupported"
    # only [1] is cited: a fact that exists only in the uncited excerpt [2] is not evidence
    gonnor = _answer("It divides the gradient by its L2 norm [1].")
    flagged = check_answer(FakeListChatModel(responses=[_verdicts("supported")]), load_shipped("verify_answer"), gonnor, HITS)
    assert [s.verdict for s in flagged.statements] == ["unsupported"]


def test_malformed_replies_are_retried_then_the_answer_survives_unchecked() -> None:
    answer = _answer("It keeps two weights w1 and w2 [1].")
    retried = check_answer(FakeListChatModel(responses=["not json", _verdicts("contradicted"), _verdicts("contradicted")]),
                           load_shipped("verify_answer"), answer, HITS)
    assert retried.checked and retried.statements[0].verdict == "contradicted" and len(retried.replies) == 3
    failed = check_answer(FakeListChatModel(responses=["nope", "still nope", "{}"]), load_shipped("verify_answer"), answer, HITS)
    assert not failed.checked and failed.statements[0].verdict == "supported" and failed.statements[0].reason == "not checked"


def test_a_flag_the_second_opinion_does_not_share_is_cleared() -> None:
    answer = _answer("It keeps two weights w1 and w2 [1]. They are merged into one weight [1].")
    verdict = check_answer(FakeListChatModel(responses=[_verdicts("supported", "unsupported"), _verdicts("supported")]),
                           load_shipped("verify_answer"), answer, HITS)
    assert [s.verdict for s in verdict.statements] == ["supported", "supported"] and len(verdict.replies) == 2


def test_best_of_n_prefers_supported_then_cited_then_short() -> None:
    answers = [_answer("It merges every 20 steps [1]."), _answer("It keeps two weights w1 and w2 [1]."),
               _answer("It keeps two weights w1 and w2, as the note says [1].")]
    model = FakeListChatModel(responses=[_verdicts("supported")] * 3)
    checks = [check_answer(model, load_shipped("verify_answer"), a, HITS) for a in answers]
    assert [c.support for c in checks] == [0.0, 1.0, 1.0]
    assert pick_best(answers, checks) == 1


def test_line_numbers_of_the_excerpt_headers_are_not_evidence() -> None:
    hits = [Hit(Chunk("/n/log.md", 3, 6, "准确率只掉了 0.3 个点。"), 1.0)]
    answer = answer_question(FakeListChatModel(responses=["Accuracy dropped by 3 points [1]."]), load_shipped("answer"),
                             "How much accuracy was lost?", hits)
    verdict = check_answer(FakeListChatModel(responses=[_verdicts("supported")]), load_shipped("verify_answer"), answer, hits)
    assert verdict.statements[0].verdict == "unsupported" and "3" in verdict.statements[0].reason
