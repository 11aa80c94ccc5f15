"""`agentnotes ask`: a cited answer from the notes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from agentnotes.agents.answer import ANSWER_K, ANSWER_SEED
from agentnotes.cli.output import console, err_console, print_json
from agentnotes.cli.progress import model_progress

if TYPE_CHECKING:
    from agentnotes.pipeline.ask import AskResult


def ask(
    question: str = typer.Argument(..., help="The question to answer from your notes."),
    k: int = typer.Option(ANSWER_K, "-k", help="How many note chunks to give the model."),
    as_json: bool = typer.Option(False, "--json", help="Print the answer, citations, token counts and timings as JSON."),
    allow_secrets: bool = typer.Option(
        False, "--allow-secrets", help="Send chunks flagged as secrets to a remote LLM provider."
    ),
    check: bool = typer.Option(True, "--check/--no-check", help="Let the critic check each statement against the cited notes."),
    samples: int = typer.Option(1, "--samples", min=1, max=8, help="Draw N answers; the critic keeps the best supported one."),
    tag: str = typer.Option(None, "--tag", help="Only notes with this tag (front matter or #tag; 'ml' includes 'ml/vision')."),
    path: str = typer.Option(None, "--path", help="Only notes whose path (relative to the ingested folder) matches this glob or starts with this prefix."),
) -> None:
    """Answer QUESTION from your notes, with numbered citations to file and lines."""
    from agentnotes.llm.provider import get_chat_model
    from agentnotes.pipeline.ask import ask_notes
    from agentnotes.retrieval.filters import NoteFilter
    from agentnotes.settings import load_settings

    settings = load_settings()
    with model_progress(quiet=as_json) as on_progress:
        model = get_chat_model(settings, seed=ANSWER_SEED, on_model_progress=on_progress)
    stream = None if as_json else (lambda token: console().print(token, end="", markup=False, highlight=False))
    result = ask_notes(settings, model, question, k=k, check=check, samples=samples, on_token=stream,
                       share_secrets=not settings.is_remote_llm or allow_secrets or settings.allow_secrets_remote,
                       only=NoteFilter(tag, path))
    if as_json:
        print_json(result.as_dict())
        return
    print_result(result)


def print_result(result: AskResult) -> None:
    """A streamed answer's ending: the cited text when it changed, the citations, the critic, the figures."""
    answer, verdict, checks, samples = result.answer, result.check, result.checks, len(result.drafts)
    if result.withheld:
        err_console().print(f"[yellow]Withheld {result.withheld} chunk(s) flagged as secrets from the remote model.[/]")
    if samples > 1:
        console().print(f"[dim]best of {samples} answers (support {', '.join(f'{c.support:.0%}' for c in checks)})[/]")
    if samples > 1 or not answer.reply.text or answer.text != answer.reply.text.strip():
        if answer.reply.text:
            console().rule("[dim]with citations[/]")
        console().print(answer.text, markup=False, highlight=False)
    console().print()
    for c in answer.citations:
        snippet = " ".join(c.text.split())[:100]
        how = " (matched)" if c.attributed else ""
        console().print(f"[bold cyan]\\[{c.number}][/]{how} {c.location}  [dim]{snippet}[/]")
    if verdict:
        _print_check(verdict)
    console().print(
        f"[dim]{answer.reply.prompt_tokens} prompt + {answer.reply.completion_tokens} completion tokens · "
        f"retrieval {result.retrieval_s:.1f}s · first token {answer.reply.first_token_s or 0:.1f}s · total {result.total_s:.1f}s[/]"
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
