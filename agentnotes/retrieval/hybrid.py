"""Hybrid retrieval: dense (multilingual embeddings) and keyword (BM25) rankings fused by
reciprocal rank fusion, which needs no score calibration between the two.

A rewrite of the question (see rewrite.py) is searched as a second query, not appended to the
first: a term the rewrite drops or a translation that goes wrong then cannot bury a chunk the
original question finds. The question and its rewrite together are a third query: a chunk that
matches a term of each language at once (an English name inside a Chinese sentence) ranks there
above chunks that match only one (benchmarks/kb_eval/README.md). RRF_K is small because only a few
rankings are fused and a chunk that one of them puts first must not lose to chunks that all of
them rank mediocre (benchmarks/retrieval.py).
A passage pasted twice into the notes is returned once, so it does not take two of the k places.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from agentnotes.notes.types import Chunk, Hit
from agentnotes.retrieval.keywords import KeywordIndex

DenseSearch = Callable[[str, int], list[tuple[Chunk, float]]]
RRF_K = 10
CANDIDATES = 50


class HybridRetriever:
    """Fuses dense and BM25 rankings; `weights` lets either side count more."""

    def __init__(self, chunks: Sequence[Chunk], dense_search: DenseSearch,
                 weights: dict[str, float] | None = None, candidates: int = CANDIDATES) -> None:
        self.keywords = KeywordIndex(chunks)
        self.dense_search = dense_search
        self.weights = weights or {"dense": 1.0, "bm25": 1.0}
        self.candidates = candidates

    def rankings(self, query: str) -> dict[str, list[tuple[Chunk, float]]]:
        out = {}
        if self.weights.get("dense"):
            out["dense"] = self.dense_search(query, self.candidates)
        if self.weights.get("bm25"):
            out["bm25"] = self.keywords.search(query, self.candidates)
        return out

    def search(self, query: str, k: int, rewrite: str = "") -> list[Hit]:
        """Top-k chunks of distinct text for `query`, and for `rewrite` as a second query when given.
        Each hit's ranks name the ranking and its place there: {"bm25": 1, "dense (rewrite)": 4}; the question and
        the rewrite searched together are labelled "(both)"."""
        fused: dict[str, float] = {}
        ranks: dict[str, dict[str, int]] = {}
        chunks: dict[str, Chunk] = {}
        both = f"{query} {rewrite}" if rewrite.strip() else ""
        for text, label in ((query, ""), (rewrite, " (rewrite)"), (both, " (both)")):
            for name, ranking in (self.rankings(text) if text.strip() else {}).items():
                for rank, (chunk, _score) in enumerate(ranking, start=1):
                    key = chunk.chunk_id
                    chunks[key] = chunk
                    fused[key] = fused.get(key, 0.0) + self.weights[name] / (RRF_K + rank)
                    ranks.setdefault(key, {})[name + label] = rank
        best: dict[str, str] = {}  # same text (a passage pasted twice in the notes) -> its best chunk
        for key in sorted(fused, key=lambda key: -fused[key]):
            if len(best) == k:
                break
            best.setdefault(" ".join(chunks[key].text.split()), key)
        return [Hit(chunks[key], fused[key], ranks[key]) for key in best.values()]
