"""`agentnotes ask`: a cited answer from the notes."""

from __future__ import annotations

import time
from dataclasses import asdict

import typer

from agentnotes.agents.answer import ANSWER_K, ANSWER_SEED
from agentnotes.cli.output import console, err_console, print_json
from agentnotes.cli.progress import model_progress

SAMPLE_TEMPERATURE = 0.7  # extra samples must differ for the critic to have a choice


def ask(
    question: str = typer.Argument(..., help="The question to answer from your notes."),
    k: int = typer.Option(ANSWER_K, "-k", help="How many note chunks to give the model."),
    as_json: bool = typer.Option(False, "--json", help="Print the answer, citations, token counts and timings as JSON."),
    allow_secrets: bool = typer.Option(
        False, "--allow-secrets", help="Send chunks flagged as secrets to a remote LLM provider."
    ),
    check: bool = typer.Option(True, "--check/--no-check", help="Let the critic check each statement against the cited notes."),
    samples: int = typer.Option(1, "--samples", min=1, max=8, help="Draw N answers; the critic keeps the best supported one."),
) -> None:
    """Answer QUESTION from your notes, with numbered citations to file and lines."""
    from agentnotes.agents.answer import answer_question, withhold_secrets
    from agentnotes.agents.answer_check import check_answer, pick_best
    from agentnotes.llm.provider import get_chat_model
    from agentnotes.prompts import load_prompt
    from agentnotes.retrieval.service import retrieve
    from agentnotes.settings import load_settings

    settings = load_settings()
    with model_progress(quiet=as_json) as on_progress:
        model = get_chat_model(settings, seed=ANSWER_SEED, on_model_progress=on_progress)
    start = time.perf_counter()
    hits = retrieve(settings, question, k, model=model)
    retrieval_s = time.perf_counter() - start
    hits, withheld = withhold_secrets(hits, allow=not settings.is_remote_llm or allow_secrets or settings.allow_secrets_remote)
    if withheld and not as_json:
        err_console().print(f"[yellow]Withheld {withheld} chunk(s) flagged as secrets from the remote model.[/]")
    stream = None if as_json or samples > 1 else (lambda token: console().print(token, end="", markup=False, highlight=False))
    from agentnotes.index.embedders import get_embedder

    embeddings, prompt = get_embedder(settings), load_prompt("answer", settings.prompts_dir)
    drafts = [answer_question(model, prompt, question, hits, on_token=stream, withheld=withheld,
                              embeddings=embeddings, seed=None if n == 0 else n,
                              temperature=None if n == 0 else SAMPLE_TEMPERATURE) for n in range(samples)]
    checks = [check_answer(model, load_prompt("verify_answer", settings.prompts_dir), a, hits) for a in drafts] \
        if check or samples > 1 else []
    best = pick_best(drafts, checks) if checks else 0
    answer, verdict = drafts[best], (checks[best] if checks else None)
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
            "check": verdict.as_dict() if verdict else None,
            "samples": [{"answer": a.text, "support": round(c.support, 3)} for a, c in zip(drafts, checks)] if samples > 1 else [],
        })
        return
    if samples > 1:
        console().print(f"[dim]best of {samples} answers (support {', '.join(f'{c.support:.0%}' for c in checks)})[/]")
    if samples > 1 or not answer.reply.text or answer.text != answer.reply.text.strip():
        if answer.reply.text:
            console().rule("[dim]with citations[/]")
        console().print(answer.text, markup=False, highlight=False)
    console().print()
    for c in answer.citations:
        name = c.source.rsplit("/", 1)[-1]
        snippet = " ".join(c.text.split())[:100]
        how = " (matched)" if c.attributed else ""
        console().print(f"[bold cyan]\\[{c.number}][/]{how} {name}:{c.start_line}-{c.end_line}  [dim]{snippet}[/]")
    if verdict:
        _print_check(verdict)
    console().print(
        f"[dim]{answer.reply.prompt_tokens} prompt + {answer.reply.completion_tokens} completion tokens · "
        f"retrieval {retrieval_s:.1f}s · first token {answer.reply.first_token_s or 0:.1f}s · total {total_s:.1f}s[/]"
    )


def _print_check(verdict) -> None:
    """The critic's verdict: one line when all is supported, else each flagged statement."""
    if not verdict.checked:
        console().print("[yellow]Critic: no usable verdict from the model; only numbers and names were checked.[/]")
    if not verdict.flagged:
        console().print(f"[green]Critic: all {len(verdict.statements)} statement(s) supported by the cited notes.[/]")
        return
    console().print(f"[yellow]Critic: {len(verdict.flagged)} of {len(verdict.statements)} statement(s) not supported:[/]")
    for s in verdict.flagged:
        console().print(f"  [bold]{s.verdict}[/]: {s.text}  [dim]{s.reason}[/]", highlight=False)
    console().rule("[dim]answer as checked[/]")
    console().print(verdict.marked_text(), markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(ask)
