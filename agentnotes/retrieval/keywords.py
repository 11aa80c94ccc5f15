"""Keyword search: jieba tokenization (Chinese and English terms alike) + BM25."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from agentnotes.notes.types import Chunk

_TOKEN = re.compile(r"[\w\u4e00-\u9fff]")
_STOPWORDS = frozenset(
    "the a an of to in on for and or is are was be what how why which does do can with by from as at it this that "
    "about when where who use used using into than then there their its these those not no yes "
    "的 了 是 在 和 就 都 而 及 与 着 或 一个 没有 我们 你们 他们 这个 那个 这 那 也 很 吗 呢 吧 啊 把 被 让 给 对 从 要 会 能 可以".split()
)


@cache
def _jieba():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def tokenize(text: str) -> list[str]:
    """Lower-cased search tokens: jieba words for Chinese, whole words for English, no stopwords."""
    words = _jieba().lcut_for_search(text.lower())
    return [w for w in (w.strip() for w in words) if w and _TOKEN.search(w) and w not in _STOPWORDS]


class KeywordIndex:
    """BM25 over chunk texts (with their heading paths)."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        import bm25s

        self.chunks = list(chunks)
        self._bm25 = bm25s.BM25()
        corpus = [tokenize(c.embed_text) or ["∅"] for c in self.chunks]
        if self.chunks:
            self._bm25.index(corpus, show_progress=False)

    def search(self, query: str, k: int) -> list[tuple[Chunk, float]]:
        tokens = tokenize(query)
        if not tokens or not self.chunks:
            return []
        scores = self._bm25.get_scores(tokens)
        order = sorted(range(len(scores)), key=lambda i: -scores[i])[:k]
        return [(self.chunks[i], float(scores[i])) for i in order if scores[i] > 0]
