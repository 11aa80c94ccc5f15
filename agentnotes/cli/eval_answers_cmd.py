"""`agentnotes eval answers`: are the answers right, cited and declined when they should be?"""

from __future__ import annotations

from pathlib import Path

import typer

from agentnotes.agents.answer import ANSWER_K
from agentnotes.cli.output import console, err_console, print_json
from agentnotes.cli.search_cmd import eval_app


def _result_json(r) -> dict:
    q = r.item.question
    return {"question": q.question, "source": q.source or None, "contains": q.contains or None,
            "answer": r.answer.text, "in_notes": r.answer.in_notes, "correct": r.fact,
            "cited": r.cited if q.answerable else None, "passage_given": r.passage_given if q.answerable else None,
            "missing_keywords": [list(g) for g in r.missing], "failure": r.failure,
            "citations": [{"source": c.source, "start_line": c.start_line, "end_line": c.end_line} for c in r.answer.citations],
            "seconds": round(r.seconds, 2)}


def eval_answers(
    file: Path = typer.Argument(..., help="JSONL with question, source, contains and answer_keywords "
                                          "(source and contains null for a question the notes do not answer)."),
    k: int = typer.Option(ANSWER_K, "-k", help="How many note chunks the model answers from (as 'ask -k')."),
    limit: int = typer.Option(None, "--limit", "-n", min=1, help="Answer only the first N questions."),
    as_json: bool = typer.Option(False, "--json", help="Print the rates and every answer as JSON."),
) -> None:
    """Answer each question as 'ask' does and score it: the fact stated (every keyword group matched),
    the passage cited, and questions the notes do not answer declined. Wrong answers get the stage
    where they went wrong: retrieval missed, declined, other excerpt cited, or fact wrong."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from agentnotes.agents.answer import ANSWER_SEED
    from agentnotes.evaluation.answer_eval import evaluate_answers, load_answer_questions
    from agentnotes.index.embedders import get_embedder
    from agentnotes.llm.provider import get_chat_model
    from agentnotes.pipeline.ask import ask_notes
    from agentnotes.settings import load_settings

    items = load_answer_questions(file)[:limit]
    settings = load_settings()
    model, embeddings = get_chat_model(settings, seed=ANSWER_SEED), get_embedder(settings)
    share = not settings.is_remote_llm or settings.allow_secrets_remote

    def answer(question: str):  # ask's own path, without the critic (one sample: its verdict picks nothing)
        result = ask_notes(settings, model, question, k=k, share_secrets=share, check=False, embeddings=embeddings)
        return result.answer, result.hits

    columns = (TextColumn("[bold]answers[/]"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
               TimeElapsedColumn())
    with Progress(*columns, console=err_console(), disable=as_json) as progress:
        task = progress.add_task("", total=len(items))
        right = 0

        def on_result(result) -> None:
            nonlocal right
            right += result.fact
            progress.update(task, advance=1, description=f"{right} right")

        report = evaluate_answers(items, answer, on_result)
    summary = report.summary()
    if as_json:
        print_json({**summary, "k": k, "per_question": [_result_json(r) for r in report.results]})
        return
    _print_report(report, summary)


def _print_report(report, summary: dict) -> None:
    from rich.table import Table

    def pct(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.0%}"

    table = Table(title=f"{summary['answerable']} answerable: fact {pct(summary['fact_correct'])}, "
                        f"cited {pct(summary['cites_passage'])}, wrongly declined {pct(summary['declined_answerable'])}; "
                        f"{summary['unanswerable']} unanswerable: declined {pct(summary['declined_unanswerable'])}")
    for column in ("ok", "question", "answer", "why wrong"):
        table.add_column(column, overflow="fold")
    for r in report.results:
        why = r.failure or ("" if r.fact else "answered anyway")
        table.add_row("✓" if r.fact else "✗", r.item.question.question, " ".join(r.answer.text.split())[:200], why)
    console().print(table)
    if summary["failures"]:
        console().print("wrong answers by cause: " + ", ".join(f"{n} {cause}" for cause, n in summary["failures"].items()))
    console().print(f"[dim]{summary['seconds_per_question']} s per question[/]")


def register(app: typer.Typer) -> None:
    eval_app.command("answers")(eval_answers)
