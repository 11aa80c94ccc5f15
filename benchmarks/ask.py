"""`ask` with the embedded model on this machine's CPU: where the time goes, and what a longer prompt buys.

Run: python benchmarks/ask.py [--questions N]   (N questions spread over the eval files, default 8)
For each question, as `ask` does it: retrieval (with the LLM query rewrite), the answer (time to
first token, total, prompt and completion tokens) and the critic's check. The same questions are
answered with `ask`'s default k and with k=5 (a longer prompt), in the same run; quality is
whether a citation points at the right chunk (the eval's source file and string), how many
statements the critic found supported, and how many questions the notes do not answer
(benchmarks/unanswerable.jsonl) the answer declines.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from _common import NOTES, QUESTIONS, UNANSWERABLE, require_notes, row, temp_home

WIDTHS = (26, 14, 12, 12)
LONGER_K = 5  # the longer prompt the default is compared with


def spread(items: list, n: int) -> list:
    """n items evenly spaced over the list (all of them when n >= its length)."""
    return items if n >= len(items) else [items[i * len(items) // n] for i in range(n)]


def cites_right_chunk(answer, question) -> bool:
    return any(Path(c.source).name == question.source and question.contains in c.text for c in answer.citations)


def ask_once(settings, model, embeddings, question, k: int, check: bool) -> dict:
    from agentnotes.agents.answer import ANSWER_SEED, answer_question
    from agentnotes.agents.answer_check import check_answer
    from agentnotes.prompts import load_prompt
    from agentnotes.retrieval.service import retrieve

    start = time.perf_counter()
    hits = retrieve(settings, question.question, k, model=model)
    retrieval_s = time.perf_counter() - start
    answer = answer_question(model, load_prompt("answer", settings.prompts_dir), question.question, hits,
                             embeddings=embeddings, seed=ANSWER_SEED, on_token=lambda _token: None)  # streamed, as `ask` does
    measured = {"retrieval_s": retrieval_s, "first_token_s": answer.reply.first_token_s or 0.0,
                "answer_s": answer.reply.total_s, "prompt_tokens": answer.reply.prompt_tokens,
                "completion_tokens": answer.reply.completion_tokens, "cites_right": cites_right_chunk(answer, question),
                "in_notes": answer.in_notes}
    if check:
        start = time.perf_counter()
        verdict = check_answer(model, load_prompt("verify_answer", settings.prompts_dir), answer, hits)
        measured |= {"check_s": time.perf_counter() - start, "support": verdict.support}
    return measured


def mean(runs: list[dict], key: str) -> float:
    return statistics.fmean(float(r[key]) for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=8)
    args = parser.parse_args()
    require_notes()
    temp_home("ask")
    from agentnotes.agents.answer import ANSWER_K, ANSWER_SEED
    from agentnotes.evaluation.retrieval_eval import load_questions
    from agentnotes.index.embedders import get_embedder
    from agentnotes.index.ingest import ingest
    from agentnotes.llm.provider import get_chat_model
    from agentnotes.settings import load_settings

    settings = load_settings()
    questions = spread([q for path in QUESTIONS if path.exists() for q in load_questions(path)], args.questions)
    ingest(settings, [NOTES])
    model, embeddings = get_chat_model(settings, seed=ANSWER_SEED), get_embedder(settings)
    ask_once(settings, model, embeddings, questions[0], 1, check=False)  # load the model and warm its caches
    ks = (ANSWER_K, LONGER_K)
    runs = {k: [ask_once(settings, model, embeddings, q, k, check=(k == ANSWER_K)) for q in questions] for k in ks}
    declined = {k: [not ask_once(settings, model, embeddings, q, k, check=False)["in_notes"]
                    for q in load_questions(UNANSWERABLE)] for k in ks}

    default, longer = runs[ANSWER_K], runs[LONGER_K]
    d, o = f"k={ANSWER_K}", f"k={LONGER_K}"
    print(f"{len(questions)} questions on {NOTES.name}/, embedded model, {settings.threads} threads")
    print(row("mean per question", f"{d} (default)", o, f"{o} / {d}", widths=WIDTHS))
    for key in ("retrieval_s", "first_token_s", "answer_s", "prompt_tokens", "completion_tokens"):
        a, b = mean(default, key), mean(longer, key)
        print(row(key, f"{a:.1f}", f"{b:.1f}", f"{b / a:.2f}" if a else "n/a", widths=WIDTHS))
    for key in ("cites_right", "in_notes"):
        print(row(key, f"{mean(default, key):.0%}", f"{mean(longer, key):.0%}", "", widths=WIDTHS))
    print(row("declines unanswerable", *(f"{sum(declined[k])}/{len(declined[k])}" for k in ks), "", widths=WIDTHS))
    for q, r in zip(questions, default):
        print(f"  {d} {'cites right' if r['cites_right'] else 'NOT IN NOTES' if not r['in_notes'] else 'cites other'}"
              f"  support {r['support']:.0%}  {q.question[:60]}")
    total = mean(default, "retrieval_s") + mean(default, "answer_s") + mean(default, "check_s")
    print(f"{d} with the critic: {total:.1f} s per question = retrieval {mean(default, 'retrieval_s') / total:.0%}, "
          f"answer {mean(default, 'answer_s') / total:.0%} (first token {mean(default, 'first_token_s'):.1f} s), "
          f"critic {mean(default, 'check_s') / total:.0%}; statements supported {mean(default, 'support'):.0%}")


if __name__ == "__main__":
    main()
