"""`agentnotes eval make-qa`: question/answer pairs from the user's own notes."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from agentnotes.cli.output import console, err_console, print_json
from agentnotes.cli.search_cmd import eval_app


def make_qa(
    out: Path = typer.Option(None, "--out", "-o", dir_okay=False,
                             help="JSONL file to write (default: $AGENTNOTES_HOME/eval/qa.jsonl)."),
    n: int = typer.Option(30, "--n", "-n", min=1, help="Number of questions to write (at most twice as many chunks are tried)."),
    seed: int = typer.Option(0, "--seed", help="Chooses the chunks and seeds the model."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing output file."),
    as_json: bool = typer.Option(False, "--json", help="Print the pairs and the dropped chunks as JSON."),
) -> None:
    """Write eval questions from the ingested notes: one per chunk, spread over the files, each
    with a string copied from its chunk so 'eval retrieval' and 'optimize-prompt' can score it."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from agentnotes.errors import InputError
    from agentnotes.evaluation.make_qa import QAPair, make_qa as generate
    from agentnotes.index.knowledge_base import open_knowledge_base
    from agentnotes.llm.provider import get_chat_model
    from agentnotes.prompts import load_prompt
    from agentnotes.settings import load_settings

    settings = load_settings()
    out = out or settings.home / "eval" / "qa.jsonl"
    if out.exists() and not force:
        raise InputError(f"{out} exists; pass --force to overwrite it or --out to write elsewhere.")
    with open_knowledge_base(settings) as kb:
        chunks = kb.chunks()
    if not chunks:
        raise InputError("Nothing is ingested yet. Run 'agentnotes ingest PATH' first.")
    model, prompt = get_chat_model(settings), load_prompt("make_qa", settings.prompts_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    columns = (TextColumn("[bold]questions[/]"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
               TimeElapsedColumn())
    with out.open("w", encoding="utf-8") as sink, Progress(*columns, console=err_console(), disable=as_json) as progress:
        task = progress.add_task("", total=n)

        def on_pair(result) -> None:  # written as it comes, so an interrupted run keeps what it made
            kept = isinstance(result, QAPair)
            if kept:
                sink.write(json.dumps(result.as_dict(), ensure_ascii=False) + "\n")
                sink.flush()
            progress.update(task, advance=int(kept), description="" if kept else "dropped: " + result.reason[:60])

        pairs, rejected, replies = generate(model, prompt, chunks, n, seed=seed, on_pair=on_pair)
    if as_json:
        print_json({"out": str(out), "pairs": [p.as_dict() for p in pairs],
                    "dropped": [{"source": r.chunk.source, "start_line": r.chunk.start_line, "reason": r.reason} for r in rejected],
                    "llm_calls": len(replies), "tokens": sum(r.prompt_tokens + r.completion_tokens for r in replies)})
        return
    console().print(f"Wrote {len(pairs)} question(s) to {out}; dropped {len(rejected)} (answer string not in the chunk, or a vague question; --json lists why).")
    console().print(f"Check a few by hand, then: agentnotes eval retrieval {out}   or   agentnotes optimize-prompt answer --eval {out}")


def register(app: typer.Typer) -> None:
    eval_app.command("make-qa")(make_qa)
