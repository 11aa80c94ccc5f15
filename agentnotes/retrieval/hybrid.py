"""Hybrid retrieval: dense (multilingual embeddings) and keyword (BM25) rankings fused by
reciprocal rank fusion, which needs no score calibration between the two."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from agentnotes.notes.types import Chunk, Hit
from agentnotes.retrieval.keywords import KeywordIndex

DenseSearch = Callable[[str, int], list[tuple[Chunk, float]]]
RRF_K = 60
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

    def search(self, query: str, k: int) -> list[Hit]:
        fused: dict[str, float] = {}
        ranks: dict[str, dict[str, int]] = {}
        chunks: dict[str, Chunk] = {}
        for name, ranking in self.rankings(query).items():
            for rank, (chunk, _score) in enumerate(ranking, start=1):
                key = chunk.chunk_id
                chunks[key] = chunk
                fused[key] = fused.get(key, 0.0) + self.weights[name] / (RRF_K + rank)
                ranks.setdefault(key, {})[name] = rank
        best = sorted(fused, key=lambda key: -fused[key])[:k]
        return [Hit(chunks[key], fused[key], ranks[key]) for key in best]
