"""`agentnotes search` and `agentnotes eval retrieval`."""

from __future__ import annotations

from pathlib import Path

import typer

from agentnotes.cli.output import console, err_console, print_json

eval_app = typer.Typer(help="Evaluate retrieval and answers on labelled questions.", no_args_is_help=True)


def search(
    query: str = typer.Argument(..., help="What to look for (any language)."),
    k: int = typer.Option(5, "-k", help="Number of results."),
    as_json: bool = typer.Option(False, "--json", help="Print the hits as JSON."),
    rewrite: bool = typer.Option(None, "--rewrite/--no-rewrite", help="Let the LLM add a Chinese translation and key terms (default from settings)."),
    tag: str = typer.Option(None, "--tag", help="Only notes with this tag (front matter or #tag; 'ml' includes 'ml/vision')."),
    path: str = typer.Option(None, "--path", help="Only notes whose path (relative to the ingested folder) matches this glob or starts with this prefix."),
) -> None:
    """Hybrid search (multilingual dense + jieba BM25) over the ingested notes."""
    from rich.table import Table

    from agentnotes.retrieval.filters import NoteFilter
    from agentnotes.retrieval.service import retrieve
    from agentnotes.settings import load_settings

    settings = load_settings()
    only = NoteFilter(tag, path)
    hits = retrieve(settings, query, k, rewrite=rewrite, only=only,
                    on_rewrite=None if as_json else (lambda text: err_console().print(f"[dim]rewrite: {text}[/]")))
    if not hits and _nothing_ingested(settings):
        from agentnotes.errors import StoreError

        raise StoreError(f"No notes are ingested under {settings.home}. Run 'agentnotes ingest PATH' first.")
    if as_json:
        print_json([h.as_dict(i) for i, h in enumerate(hits, start=1)])
        return
    if not hits and only:
        console().print("No ingested note matches --tag/--path.")
        return
    table = Table(show_lines=True)
    for column in ("#", "score", "where", "heading", "text"):
        table.add_column(column, overflow="fold")
    for i, h in enumerate(hits, start=1):
        c = h.chunk
        table.add_row(str(i), f"{h.score:.4f}", c.location,
                      " > ".join(c.heading_path), " ".join(c.text.split())[:240])
    console().print(table)


def _nothing_ingested(settings) -> bool:
    from agentnotes.index.knowledge_base import open_knowledge_base

    with open_knowledge_base(settings) as kb:
        return not kb.catalog.chunk_count()


@eval_app.command("retrieval")
def eval_retrieval(
    file: Path = typer.Argument(..., help="JSONL with question, source (file name), contains (text of the right chunk)."),
    k: int = typer.Option(5, "--k", "-k", help="Cut-off for recall@k."),
    as_json: bool = typer.Option(False, "--json", help="Print metrics and per-question hits as JSON."),
    rewrite: bool = typer.Option(None, "--rewrite/--no-rewrite", help="Use the LLM query rewrite (default from settings)."),
) -> None:
    """Recall@k and MRR@10 of retrieval on labelled questions."""
    from rich.progress import track
    from rich.table import Table

    from agentnotes.evaluation.retrieval_eval import evaluate, load_questions
    from agentnotes.retrieval.service import retrieve
    from agentnotes.settings import load_settings

    settings = load_settings()
    questions = load_questions(file)
    model = None
    if settings.query_rewrite if rewrite is None else rewrite:
        from agentnotes.llm.provider import get_chat_model

        model = get_chat_model(settings)
    results = evaluate(
        list(track(questions, description="questions", console=err_console(), transient=True, disable=as_json)),
        lambda q, depth: retrieve(settings, q, depth, rewrite=rewrite, model=model), k,
    )
    if as_json:
        print_json({
            "k": k, "questions": len(results.results), "skipped_unanswerable": len(questions) - len(results.results),
            "recall_at_k": results.recall_at_k, "mrr_at_10": results.mrr_at_10,
            "per_question": [{"question": r.question.question, "source": r.question.source, "contains": r.question.contains,
                              "rank": r.rank, "hits": [h.as_dict(i) for i, h in enumerate(r.hits, start=1)]}
                             for r in results.results],
        })
        return
    table = Table(title=f"recall@{k} = {results.recall_at_k:.3f}   MRR@10 = {results.mrr_at_10:.3f}")
    for column in ("rank", "question", "expected", "top hit"):
        table.add_column(column, overflow="fold")
    for r in results.results:
        top = r.hits[0].chunk if r.hits else None
        table.add_row(str(r.rank or "-"), r.question.question, f"{r.question.source}: {r.question.contains}",
                      top.location if top else "")
    console().print(table)
    if skipped := len(questions) - len(results.results):
        console().print(f"[dim]{skipped} question(s) the notes do not answer (source null) are not scored here.[/]")


def register(app: typer.Typer) -> None:
    app.command()(search)
    app.add_typer(eval_app, name="eval")
