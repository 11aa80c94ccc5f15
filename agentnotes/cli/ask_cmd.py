"""`agentnotes ask`: a cited answer from the notes."""

from __future__ import annotations

import time
from dataclasses import asdict

import typer

from agentnotes.cli.output import console, err_console, print_json
from agentnotes.cli.progress import model_progress


def ask(
    question: str = typer.Argument(..., help="The question to answer from your notes."),
    k: int = typer.Option(5, "-k", help="How many note chunks to give the model."),
    as_json: bool = typer.Option(False, "--json", help="Print the answer, citations, token counts and timings as JSON."),
    allow_secrets: bool = typer.Option(
        False, "--allow-secrets", help="Send chunks flagged as secrets to a remote LLM provider."
    ),
) -> None:
    """Answer QUESTION from your notes, with numbered citations to file and lines."""
    from agentnotes.agents.answer import answer_question, withhold_secrets
    from agentnotes.llm.provider import get_chat_model
    from agentnotes.prompts import load_prompt
    from agentnotes.retrieval.service import retrieve
    from agentnotes.settings import load_settings

    settings = load_settings()
    start = time.perf_counter()
    hits = retrieve(settings, question, k)
    retrieval_s = time.perf_counter() - start
    hits, withheld = withhold_secrets(hits, allow=not settings.is_remote_llm or allow_secrets or settings.allow_secrets_remote)
    if withheld and not as_json:
        err_console().print(f"[yellow]Withheld {withheld} chunk(s) flagged as secrets from the remote model.[/]")
    with model_progress(quiet=as_json) as on_progress:
        model = get_chat_model(settings, on_model_progress=on_progress)
    stream = None if as_json else (lambda token: console().print(token, end="", markup=False, highlight=False))
    from agentnotes.index.embedders import get_embedder

    answer = answer_question(model, load_prompt("answer", settings.prompts_dir), question, hits,
                             on_token=stream, withheld=withheld, embeddings=get_embedder(settings))
    total_s = time.perf_counter() - start
    if as_json:
        print_json({
            "question": question,
            "answer": answer.text,
            "in_notes": answer.in_notes,
            "citations": [asdict(c) for c in answer.citations],
            "tokens": {"prompt": answer.reply.prompt_tokens, "completion": answer.reply.completion_tokens},
            "timings": {"retrieval_s": round(retrieval_s, 3), "first_token_s": answer.reply.first_token_s,
                        "generation_s": round(answer.reply.total_s, 3), "total_s": round(total_s, 3)},
            "withheld_secret_chunks": withheld,
        })
        return
    if not answer.reply.text or answer.text != answer.reply.text.strip():
        if answer.reply.text:
            console().rule("[dim]with citations[/]")
        console().print(answer.text, markup=False, highlight=False)
    console().print()
    for c in answer.citations:
        name = c.source.rsplit("/", 1)[-1]
        snippet = " ".join(c.text.split())[:100]
        how = " (matched)" if c.attributed else ""
        console().print(f"[bold cyan]\\[{c.number}][/]{how} {name}:{c.start_line}-{c.end_line}  [dim]{snippet}[/]")
    console().print(
        f"[dim]{answer.reply.prompt_tokens} prompt + {answer.reply.completion_tokens} completion tokens · "
        f"retrieval {retrieval_s:.1f}s · first token {answer.reply.first_token_s or 0:.1f}s · total {total_s:.1f}s[/]"
    )


def register(app: typer.Typer) -> None:
    app.command()(ask)
