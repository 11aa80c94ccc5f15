"""Retrieval on the knowledge-base eval set: R@5, MRR@10 and seconds per query, on the tuned and
the held-out part separately, for the default configuration and the candidates measured against it.

Run: python benchmarks/kb_eval/retrieval.py [--candidates default,heading-join,chunks-450] [--no-rewrite] [--limit N]
(candidate rerank-llm costs an LLM call per query: measure it with --limit)
Choose on the tuned part; the held-out part only checks the choice. LLM rewrites are cached by
prompt and question (~/.cache/agentnotes-bench/), with the seconds each took when it was made.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from evalset import ingested_home, parts

OPEN = contextlib.ExitStack()  # the knowledge bases searched by this run
CACHE = Path.home() / ".cache" / "agentnotes-bench" / "kb_eval_rewrites.json"
LARGER_CHUNKS = 450  # characters: the chunk-size candidate (default agentnotes.notes.chunker.MAX_CHARS)


class Rewrites:
    """The LLM rewrite of each question, made once per prompt text and kept with its seconds."""

    def __init__(self) -> None:
        self.data = json.loads(CACHE.read_text(encoding="utf-8")) if CACHE.exists() else {}
        self.model = None

    def get(self, question: str) -> tuple[str, float]:
        from agentnotes.prompts import load_shipped

        prompt = load_shipped("query_rewrite")
        key = hashlib.sha1(f"{prompt.text}\0{question}".encode("utf-8")).hexdigest()
        if key not in self.data and CACHE.exists():  # another run may have made it meanwhile
            self.data = json.loads(CACHE.read_text(encoding="utf-8"))
        if key not in self.data:
            from agentnotes.retrieval.rewrite import rewrite_query

            start = time.perf_counter()
            text = rewrite_query(self.chat_model(), prompt, question)
            self.data[key] = {"question": question, "rewrite": text, "seconds": time.perf_counter() - start}
            CACHE.parent.mkdir(parents=True, exist_ok=True)
            CACHE.write_text(json.dumps(self.data, ensure_ascii=False, indent=1), encoding="utf-8")
        return self.data[key]["rewrite"], self.data[key]["seconds"]

    def chat_model(self):
        from agentnotes.llm.provider import get_chat_model
        from agentnotes.settings import load_settings

        self.model = self.model or get_chat_model(load_settings())
        return self.model


def measure(questions: list, search: Callable[[str, int], tuple[list, float]]) -> dict:
    """R@5, R@10, MRR@10 and mean seconds per query; `search` returns hits and its seconds."""
    from agentnotes.evaluation.retrieval_eval import evaluate

    seconds: list[float] = []

    def timed(query: str, depth: int) -> list:
        hits, s = search(query, depth)
        seconds.append(s)
        return hits

    result = evaluate([q.question for q in questions], timed, k=5)
    ranks = [r.rank for r in result.results]
    return {"n": len(ranks), "R@5": round(result.recall_at_k, 3), "R@10": round(sum(r is not None for r in ranks) / len(ranks), 3),
            "MRR@10": round(result.mrr_at_10, 3), "s/query": round(sum(seconds) / len(seconds), 2),
            "missed@5": [r.question.question for r in result.results if not r.rank or r.rank > 5]}


def hybrid_search(rewrites: Rewrites | None) -> Callable[[str, int], tuple[list, float]]:
    """The default retrieval of the current home (with or without the LLM rewrite), timed."""
    from agentnotes.index.knowledge_base import open_knowledge_base
    from agentnotes.retrieval.hybrid import HybridRetriever
    from agentnotes.settings import load_settings

    kb = OPEN.enter_context(open_knowledge_base(load_settings()))  # open until the run ends
    retriever = HybridRetriever(kb.chunks(), kb.dense_search)

    def search(query: str, depth: int) -> tuple[list, float]:
        rewrite, rewrite_s = rewrites.get(query) if rewrites else ("", 0.0)
        start = time.perf_counter()
        hits = retriever.search(query, depth, rewrite)
        return hits, rewrite_s + time.perf_counter() - start

    return search


def default_home(homes: dict[str, Path] = {}) -> None:  # noqa: B006 - one ingest per run, shared by the candidates
    """Point AGENTNOTES_HOME at the default ingest, made on first use."""
    if "default" not in homes:
        homes["default"] = ingested_home("kb-eval-default")
    os.environ["AGENTNOTES_HOME"] = str(homes["default"])


def seeded(name: str) -> None:
    """A candidate's home starts with the default home's cached embeddings (files, chunks and index
    left out), so its ingest embeds only the chunks the candidate changes."""
    import sqlite3
    import tempfile

    default = Path(tempfile.gettempdir()) / "agentnotes-kb-eval-default" / "store" / "catalog.sqlite"
    if not default.exists():
        default_home()
    store = Path(tempfile.gettempdir()) / f"agentnotes-{name}" / "store"
    if store.exists():
        return
    store.mkdir(parents=True)
    source = sqlite3.connect(default)
    target = sqlite3.connect(store / "catalog.sqlite")
    source.backup(target)
    target.executescript("DELETE FROM files; DELETE FROM chunks; DELETE FROM meta;")
    target.close()
    source.close()


def candidate(name: str, rewrites: Rewrites | None) -> Callable[[str, int], tuple[list, float]]:
    """The search of candidate `name`; `rewrites` None searches without the LLM rewrite."""
    if name == "default":
        default_home()
        return hybrid_search(rewrites)
    if name in ("chunks-450", "heading-join"):
        from unittest.mock import patch

        import agentnotes.notes.chunker as chunker
        from chunking import keep_headings

        attribute, value = ("MAX_CHARS", LARGER_CHUNKS) if name == "chunks-450" else ("_pack", keep_headings(chunker._pack))
        with patch.object(chunker, attribute, value):  # the chunker of this candidate, for its own home only
            seeded(f"kb-eval-{name}")
            ingested_home(f"kb-eval-{name}")
        return hybrid_search(rewrites)
    if name == "rerank-llm":
        from rerank import SHOWN, rerank

        default_home()
        base, model = hybrid_search(rewrites), rewrites or Rewrites()

        def reranked(query: str, depth: int) -> tuple[list, float]:
            hits, seconds = base(query, max(depth, SHOWN))
            start = time.perf_counter()
            hits, _reply = rerank(model.chat_model(), query, hits)
            return hits[:depth], seconds + time.perf_counter() - start

        return reranked
    raise SystemExit(f"unknown candidate {name}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--candidates", default="default,heading-join")
    parser.add_argument("--no-rewrite", action="store_true", help="search without the LLM rewrite (every candidate)")
    parser.add_argument("--parts", default="tuned,held-out", help="tuned, held-out or both")
    parser.add_argument("--limit", type=int, help="only the first N questions of each part (for costly candidates)")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    parser.add_argument("--rewrites-only", action="store_true", help="only make the LLM rewrites of the questions")
    args = parser.parse_args()
    split = parts()
    answerable = {name: [q for q in items if q.question.answerable][: args.limit] for name, items in split.items()}
    print(f"questions with a passage: tuned {len(answerable['tuned'])}, held-out {len(answerable['held-out'])}")
    rewrites, figures = Rewrites(), {}
    print("with the LLM rewrite" if not args.no_rewrite else "without the LLM rewrite")
    if args.rewrites_only:  # fill the cache (e.g. while another run ingests)
        for pair in zip(answerable["tuned"], answerable["held-out"]):  # both parts alike when stopped early
            for item in pair:
                rewrites.get(item.question.question)
        return
    for name in args.candidates.split(","):
        search = candidate(name, None if args.no_rewrite else rewrites)
        figures[name] = {}
        for part in args.parts.split(","):
            f = figures[name][part] = measure(answerable[part], search)
            print(f"{name:<14} {part:<9} n={f['n']:<4} R@5 {f['R@5']:.3f}  R@10 {f['R@10']:.3f}  "
                  f"MRR@10 {f['MRR@10']:.3f}  {f['s/query']:.2f} s/query", flush=True)
    for part in args.parts.split(","):
        for question in figures[args.candidates.split(",")[0]][part]["missed@5"]:
            print(f"  missed@5 ({part}): {question}")
    if args.out:
        args.out.write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
