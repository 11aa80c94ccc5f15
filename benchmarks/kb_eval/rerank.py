"""Reranking candidate: the embedded LLM picks, from the top hits shown as short snippets in one
call, those that answer the question; they move to the front, the rest keep their order.

Measured by retrieval.py (candidate rerank-llm) on a subset of the tuned part, as it costs one LLM
call per query; its prompt is rerank_prompt.md.
"""

from __future__ import annotations

import re
from pathlib import Path

SHOWN = 10  # hits shown to the model
SNIPPET_CHARS = 100  # characters of each hit shown
PICKED = 3  # at most this many move to the front


def snippets(hits: list) -> str:
    lines = []
    for number, hit in enumerate(hits, start=1):
        heading = f"({hit.chunk.heading_path[-1]}) " if hit.chunk.heading_path else ""
        lines.append(f"[{number}] {heading}{' '.join(hit.chunk.text.split())[:SNIPPET_CHARS]}")
    return "\n".join(lines)


def rerank(model, question: str, hits: list) -> tuple[list, str]:
    """`hits` with the model's picks first; also the model's reply."""
    from agentnotes.agents.llm_call import call_llm
    from agentnotes.prompts import parse_prompt

    prompt = parse_prompt("rerank", (Path(__file__).parent / "rerank_prompt.md").read_text(encoding="utf-8"))
    shown = hits[:SHOWN]
    reply = call_llm(model, prompt, {"question": question, "excerpts": snippets(shown)}, temperature=0.0, seed=0,
                     max_tokens=12).text
    picked: list[int] = []
    for number in (int(n) for n in re.findall(r"\d+", reply)):
        if 1 <= number <= len(shown) and number not in picked and len(picked) < PICKED:
            picked.append(number)
    front = [shown[n - 1] for n in picked]
    return front + [h for h in hits if h not in front], reply
