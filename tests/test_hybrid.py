"""Fusing dense and keyword rankings, for the question and its rewrite."""

from __future__ import annotations

from agentnotes.notes.types import Chunk
from agentnotes.retrieval.hybrid import HybridRetriever

CHUNKS = [Chunk("/n/a.txt", n, n, f"chunk {n}") for n in range(40)]


def retriever_with(rankings: dict[str, dict[str, list[int]]]) -> HybridRetriever:
    """A retriever whose dense and BM25 rankings per query are fixed (chunk numbers, best first)."""
    retriever = HybridRetriever(CHUNKS, lambda query, k: [])
    retriever.rankings = lambda query: {name: [(CHUNKS[i], 1.0) for i in order]  # type: ignore[method-assign]
                                        for name, order in rankings.get(query, {}).items()}
    return retriever


def test_a_chunk_one_ranking_puts_first_beats_a_chunk_both_rank_low() -> None:
    both_low = list(range(20, 40))  # chunk 20 is 14th in both rankings below
    retriever = retriever_with({"q": {"dense": [1, *range(2, 14), *both_low], "bm25": [0, *range(2, 14), *both_low]}})
    top = [hit.chunk.start_line for hit in retriever.search("q", 30)]
    assert top.index(0) < top.index(20) and top.index(1) < top.index(20)


def test_the_rewrite_is_a_second_query_whose_rankings_add_to_the_originals() -> None:
    retriever = retriever_with({"regularize": {"dense": [2, 1], "bm25": [3]}, "权重衰退": {"dense": [1], "bm25": [1]}})
    assert retriever.search("regularize", 1)[0].chunk is CHUNKS[2]
    hit = retriever.search("regularize", 1, "权重衰退")[0]
    assert hit.chunk is CHUNKS[1] and hit.ranks == {"dense": 2, "dense (rewrite)": 1, "bm25 (rewrite)": 1}
    assert retriever.search("regularize", 4, " ") == retriever.search("regularize", 4)


def test_a_passage_pasted_twice_is_returned_once_and_the_next_chunk_takes_its_place() -> None:
    pasted = [Chunk("/n/a.txt", 1, 2, "same passage"), Chunk("/n/b.txt", 7, 8, "same  passage\n"), *CHUNKS[2:5]]
    retriever = HybridRetriever(pasted, lambda query, k: [])
    retriever.rankings = lambda query: {"dense": [(c, 1.0) for c in pasted]}  # type: ignore[method-assign]
    assert [hit.chunk for hit in retriever.search("q", 3)] == [pasted[0], pasted[2], pasted[3]]


def test_the_question_and_its_rewrite_together_are_a_third_query() -> None:
    # chunk 5 holds the question's English name and the rewrite's Chinese term: only the joined query puts it first
    retriever = retriever_with({"mirror layer": {"bm25": [4, 5]}, "镜像层 合并": {"bm25": [6, 5]},
                                "mirror layer 镜像层 合并": {"bm25": [5, 4, 6]}})
    hit = retriever.search("mirror layer", 1, "镜像层 合并")[0]
    assert hit.chunk is CHUNKS[5] and hit.ranks == {"bm25": 2, "bm25 (rewrite)": 2, "bm25 (both)": 1}
    assert retriever.search("mirror layer", 1)[0].chunk is CHUNKS[4]  # without a rewrite: the question alone
