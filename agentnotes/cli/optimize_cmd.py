"""`agentnotes optimize-prompt NAME --eval FILE`: search better instructions, keep only proven gains."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import typer

from agentnotes.cli.output import console, err_console, print_json


def optimize_prompt(
    name: str = typer.Argument(..., help="The prompt to improve (answer)."),
    eval_file: Path = typer.Option(..., "--eval", exists=True, dir_okay=False,
                                   help="JSONL with question, source, contains (as for 'eval retrieval')."),
    budget: int = typer.Option(60, "--budget", min=1, help="Most answer calls used for scoring candidates."),
    fresh: bool = typer.Option(False, "--fresh", help="Start over instead of resuming the last search."),
    use: bool = typer.Option(False, "--use", help="Make an improved version active right away."),
    audit: bool = typer.Option(False, "--audit", help="First try the fixes of 'prompts check' (contradicting "
                               "instructions, examples that break a rule); worth it with a strong LLM."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Improve a prompt against a metric: candidates are scored on a train split, and a new version
    is saved only when it beats the current prompt on the held-out split."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from agentnotes.optimize.run import optimize_prompt as run_search
    from agentnotes.prompt_versions import PromptVersions
    from agentnotes.settings import load_settings

    settings = load_settings()
    with Progress(TextColumn("[bold]scoring[/]"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                  TimeElapsedColumn(), console=err_console(), disable=as_json) as progress:
        task = progress.add_task("", total=budget)
        scored: list[float] = []

        def on_call(score: float) -> None:
            scored.append(score)
            progress.update(task, advance=1, description=f"mean score so far {sum(scored) / len(scored):.2f}")

        result = run_search(settings, name, eval_file, budget, fresh=fresh, audit=audit, on_call=on_call)
    if use and result.saved_version:
        PromptVersions(settings.prompts_dir, name).use(result.saved_version)
    if as_json:
        print_json({**asdict(result), "state_dir": str(result.state_dir), "active": use and bool(result.saved_version)})
        return
    console().print(f"{name}: held-out score {result.val_before:.3f} ({result.base_version}) -> {result.val_after:.3f} "
                    f"over {result.val_questions} questions; {result.candidates} candidate(s), {result.metric_calls} scoring calls.")
    for finding in result.findings:
        console().print(f"  audit found: {finding}", markup=False)
    for edit in result.edits:
        console().print(f"  proposed: {edit}", markup=False)
    if result.saved_version:
        hint = "now active" if use else f"use it with 'agentnotes prompts use {name} {result.saved_version}'"
        console().print(f"[green]Saved {name} {result.saved_version}[/] ({hint}).")
    else:
        console().print("No candidate beat the current prompt on the held-out split; nothing was changed.")


def register(app: typer.Typer) -> None:
    app.command("optimize-prompt")(optimize_prompt)
