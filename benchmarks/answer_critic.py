"""The answer critic on answers with planted unsupported claims and on clean ones.

Run: python benchmarks/answer_critic.py   (embedded model; cases in benchmarks/critic_cases.jsonl)
Prints the catch rate (planted claims flagged) and the false-alarm rate (clean statements flagged),
for the whole critic and for its lexical check alone (numbers and names that the notes lack).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from _common import row, temp_home

CASES = Path(__file__).resolve().with_name("critic_cases.jsonl")


def build_answer(case: dict):
    from agentnotes.agents.answer import Answer, Citation
    from agentnotes.agents.llm_call import LLMReply
    from agentnotes.notes.types import Chunk, Hit

    hits = [Hit(Chunk(e["source"], e["start_line"], e["end_line"], e["text"]), 1.0) for e in case["excerpts"]]
    citations = tuple(Citation(n, h.chunk.source, h.chunk.start_line, h.chunk.end_line, h.chunk.text)
                      for n, h in enumerate(hits, start=1))
    reply = LLMReply(text=case["answer"], prompt_tokens=0, completion_tokens=0, first_token_s=None, total_s=0.0)
    return Answer(case["question"], case["answer"], citations, True, reply), hits


def rates(flags: list[tuple[int | None, list[bool]]]) -> tuple[float, float, int, int]:
    """(catch rate, false-alarm rate, planted count, clean statement count)."""
    planted = [f[p] for p, f in flags if p is not None]
    clean = [flag for p, f in flags for i, flag in enumerate(f) if i != p]
    return sum(planted) / len(planted), sum(clean) / len(clean), len(planted), len(clean)


def main() -> None:
    temp_home("critic")
    from agentnotes.agents.answer_check import check_answer, unknown_facts
    from agentnotes.agents.answer import split_sentences
    from agentnotes.llm.provider import get_chat_model
    from agentnotes.prompts import load_shipped
    from agentnotes.settings import load_settings

    cases = [json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines() if line.strip()]
    model = get_chat_model(load_settings())
    prompt = load_shipped("verify_answer")
    critic, lexical, seconds = [], [], []
    for case in cases:
        answer, hits = build_answer(case)
        start = time.perf_counter()
        verdict = check_answer(model, prompt, answer, hits)
        seconds.append(time.perf_counter() - start)
        critic.append((case["planted"], [s.verdict != "supported" for s in verdict.statements]))
        notes_text = "\n".join(h.chunk.embed_text for h in hits)
        lexical.append((case["planted"], [bool(unknown_facts(s, notes_text)) for s in split_sentences(answer.text)]))
        missed = case["planted"] is not None and not critic[-1][1][case["planted"]]
        alarms = [s.text for i, s in enumerate(verdict.statements) if i != case["planted"] and s.verdict != "supported"]
        if missed or alarms:
            print(f"  {'missed' if missed else 'false alarm'}: {case['question']} -> {alarms or case['answer']}")
    print(row("checker", "catch", "false alarm", "cases", widths=(28, 10, 14, 10)))
    for name, flags in (("critic (lexical + LLM)", critic), ("lexical check alone", lexical)):
        catch, alarm, n_planted, n_clean = rates(flags)
        print(row(name, f"{catch:.0%}", f"{alarm:.0%}", f"{n_planted} planted / {n_clean} clean", widths=(28, 10, 14, 10)))
    print(f"{sum(seconds) / len(seconds):.1f} s per answer with the embedded model (targets: catch >= 80%, false alarms <= 20%)")


if __name__ == "__main__":
    main()
