"""Retrieval quality on the real notes: our default against the plain recipe and single retrievers.

Run: python benchmarks/retrieval.py   (prints recall@5, MRR@10 and ratios against the plain recipe:
RecursiveCharacterTextSplitter 1000/200 + all-MiniLM-L6-v2 dense, measured in the same run)
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from _common import NOTES, QUESTIONS, require_notes, row, temp_home

from agentnotes.evaluation.retrieval_eval import evaluate, load_questions
from agentnotes.notes.reader import discover, read_note
from agentnotes.notes.types import Chunk, Hit


def plain_recipe_search():
    """The recipe users start from: 1000/200 character splits, all-MiniLM dense search."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from agentnotes.index.embedders import SentenceTransformerEmbeddings, minilm_path

    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    chunks = []
    for path in discover([NOTES])[0]:
        note = read_note(path)
        for piece in splitter.split_text(note.text):
            chunks.append(Chunk(str(path), 0, 0, piece))
    model = SentenceTransformerEmbeddings(minilm_path())
    vectors = np.asarray(model.embed_documents([c.text for c in chunks]))

    def search(query: str, k: int) -> list[Hit]:
        scores = vectors @ np.asarray(model.embed_query(query))
        return [Hit(chunks[i], float(scores[i])) for i in np.argsort(-scores)[:k]]

    return search


def main() -> None:
    require_notes()
    temp_home("retrieval")
    from agentnotes.index.ingest import ingest
    from agentnotes.index.knowledge_base import open_knowledge_base
    from agentnotes.llm.provider import get_chat_model
    from agentnotes.prompts import load_shipped
    from agentnotes.retrieval.hybrid import HybridRetriever
    from agentnotes.retrieval.rewrite import rewrite_query
    from agentnotes.settings import load_settings

    questions = [q for path in QUESTIONS if path.exists() for q in load_questions(path)]
    settings = load_settings()
    report = ingest(settings, [NOTES])
    print(f"{len(questions)} questions; {report.chunks_total} chunks from {len(report.new)} files")
    model = get_chat_model(settings)
    prompt = load_shipped("query_rewrite")
    start = time.perf_counter()
    rewritten = {q.question: rewrite_query(model, prompt, q.question) for q in questions}
    rewrite_s = (time.perf_counter() - start) / len(questions)

    results = {}
    with open_knowledge_base(settings) as kb:
        chunks = kb.chunks()
        for name, weights in (("hybrid", None), ("dense only", {"dense": 1.0}), ("bm25 only", {"bm25": 1.0})):
            retriever = HybridRetriever(chunks, kb.dense_search, weights=weights)
            results[f"{name} + rewrite"] = evaluate(questions, lambda q, k, r=retriever: r.search(q, k, rewritten[q]))
            results[name] = evaluate(questions, retriever.search)
    results["plain recipe (1000/200 + MiniLM)"] = evaluate(questions, plain_recipe_search())

    base = results["plain recipe (1000/200 + MiniLM)"]
    print(row("configuration", "R@5", "MRR@10", "R@5 ratio"))
    for name, res in results.items():
        print(row(name, f"{res.recall_at_k:.3f}", f"{res.mrr_at_10:.3f}",
                  f"{res.recall_at_k / base.recall_at_k:.2f}x" if base.recall_at_k else "n/a"))
    print(f"LLM rewrite cost: {rewrite_s:.2f} s per question (embedded model, {settings.threads} threads)")
    print("default configuration = 'hybrid + rewrite'")
    missed = [r for r in results["hybrid + rewrite"].results if not r.rank or r.rank > 5]
    for r in missed:
        print(f"  missed@5: {r.question.question[:70]}  (rank {r.rank})")


if __name__ == "__main__":
    main()
