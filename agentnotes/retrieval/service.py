"""retrieve(): the one call the agents and commands use to get hits for a question."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from agentnotes.notes.types import Hit
from agentnotes.retrieval.filters import NoteFilter
from agentnotes.retrieval.hybrid import HybridRetriever
from agentnotes.settings import Settings

SECTION_CANDIDATES = 3  # hits searched per wanted section (hits of one section merge)

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings
    from langchain_core.language_models.chat_models import BaseChatModel


def retrieve(
    settings: Settings,
    query: str,
    k: int,
    *,
    rewrite: bool | None = None,
    model: BaseChatModel | None = None,
    on_rewrite: Callable[[str], None] | None = None,
    sections: bool = False,
    embeddings: Embeddings | None = None,
    only: NoteFilter | None = None,
) -> list[Hit]:
    """Top-k hybrid hits for `query`; with rewrite (default from settings) the LLM first writes a
    translation and key terms, searched as a second query. `model` and `embeddings` are reused when given. With
    `sections`, each hit is widened to its note section (sections.py) and k sections are returned.
    With `only`, both rankings see only the notes it keeps (tag, path)."""
    from agentnotes.index.knowledge_base import open_knowledge_base

    with open_knowledge_base(settings, embedder=embeddings) as kb:
        chunks = kb.chunks()
        dense_search = kb.dense_search
        if only:
            chunks = only.keep(chunks, kb.catalog.roots())
            sources = {c.source for c in chunks}
            dense_search = lambda text, n: kb.dense_search(text, n, sources)  # noqa: E731
        if not chunks:
            return []  # nothing to search: no rewrite either (it would load the model for nothing)
        rewritten = ""
        if settings.query_rewrite if rewrite is None else rewrite:
            from agentnotes.llm.provider import get_chat_model
            from agentnotes.prompts import load_prompt
            from agentnotes.retrieval.rewrite import rewrite_query

            prompt = load_prompt("query_rewrite", settings.prompts_dir)
            rewritten = rewrite_query(model or get_chat_model(settings), prompt, query)
            if on_rewrite:
                on_rewrite(rewritten)
        retriever = HybridRetriever(chunks, dense_search)
        if not sections:
            return retriever.search(query, k, rewritten)
        from agentnotes.retrieval.sections import whole_sections

        return whole_sections(retriever.search(query, SECTION_CANDIDATES * k, rewritten), chunks, k)
