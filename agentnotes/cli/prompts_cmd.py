"""`agentnotes prompts list|show|diff|add|use|check`: the prompt versions in use, their scores, and an audit."""

from __future__ import annotations

from pathlib import Path

import typer

from agentnotes.cli.output import console, err_console, print_json

prompts_app = typer.Typer(help="List, show, compare and choose prompt versions.", no_args_is_help=True)


def _versions(name: str):
    from agentnotes.prompt_versions import PromptVersions
    from agentnotes.settings import load_settings

    return PromptVersions(load_settings().prompts_dir, name)


@prompts_app.command("list")
def list_prompts(as_json: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """Every prompt with its versions, the active one and its best recorded score."""
    from rich.table import Table

    from agentnotes.prompts import shipped_names

    rows = []
    for name in shipped_names():
        pv = _versions(name)
        scores = pv.scores()
        best = max(scores, key=lambda s: s["score"], default=None)
        rows.append({"name": name, "versions": pv.versions(), "active": pv.active(), "best": best})
    if as_json:
        print_json(rows)
        return
    table = Table("prompt", "active", "versions", "best score")
    for r in rows:
        best = r["best"]
        table.add_row(r["name"], r["active"], ", ".join(r["versions"]),
                      f"{best['score']:.3f} ({best['version']}, {best['metric']} on {best['split']})" if best else "-")
    console().print(table)


@prompts_app.command()
def show(name: str = typer.Argument(..., help="Prompt name, e.g. answer."),
         version: str = typer.Option(None, "--version", help="Version to show (default: the active one)."),
         as_json: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """Print a prompt version and its score history."""
    pv = _versions(name)
    version = version or pv.active()
    scores = [s for s in pv.scores() if s["version"] == version]
    if as_json:
        print_json({"name": name, "version": version, "active": pv.active(), "text": pv.text(version), "scores": scores})
        return
    console().rule(f"{name} @ {version}" + (" (active)" if version == pv.active() else ""))
    console().print(pv.text(version), markup=False, highlight=False)
    for s in scores:
        console().print(f"[dim]{s['time']}  {s['metric']} on {s['split']}: {s['score']:.3f} (n={s['n']})[/]")


@prompts_app.command()
def diff(name: str = typer.Argument(..., help="Prompt name."),
         a: str = typer.Argument(..., help='A version, e.g. "shipped" or "v1".'),
         b: str = typer.Argument(..., help="Another version.")) -> None:
    """Unified diff between two versions of a prompt."""
    print(_versions(name).diff(a, b) or f"{name}: {a} and {b} are identical.", end="")


@prompts_app.command()
def add(name: str = typer.Argument(..., help="Prompt name."),
        path: Path = typer.Argument(..., exists=True, dir_okay=False, help="A prompt file you edited."),
        activate: bool = typer.Option(False, "--use", help="Make it the active version.")) -> None:
    """Save an edited prompt file as the next version of NAME."""
    pv = _versions(name)
    version = pv.add(path.read_text(encoding="utf-8"))
    if activate:
        pv.use(version)
    console().print(f"Saved {name} {version}" + (" and made it active." if activate else f"; use it with 'agentnotes prompts use {name} {version}'."))


@prompts_app.command()
def use(name: str = typer.Argument(..., help="Prompt name."),
        version: str = typer.Argument(..., help='Version to use; "shipped" goes back to the built-in prompt.')) -> None:
    """Make VERSION the prompt the commands use."""
    _versions(name).use(version)
    console().print(f"{name}: now using {version}.")


@prompts_app.command()
def check(name: str = typer.Argument(..., help="Prompt name, e.g. answer."),
          as_json: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """Audit a prompt: contradicting instructions, examples that break a rule and rules stated twice,
    each with its fix.

    The configured LLM is asked about every pair of instructions of the active version and every
    example output against every instruction; a user-part sentence that repeats an instruction is
    found without it. `optimize-prompt` tries the repeats' fixes first (with --audit, the others
    too) and keeps one only when it scores better."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from agentnotes.llm.provider import get_chat_model
    from agentnotes.optimize.prompt_audit import audit_prompt, repeated_rules
    from agentnotes.prompts import load_prompt
    from agentnotes.settings import load_settings

    settings = load_settings()
    prompt = load_prompt(name, settings.prompts_dir)
    with Progress(TextColumn("[bold]checking[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err_console(), disable=as_json) as progress:
        task = progress.add_task("", total=None)
        findings, _ = audit_prompt(get_chat_model(settings), prompt.system, settings.prompts_dir,
                                   on_check=lambda done, total: progress.update(task, completed=done, total=total))
    findings = repeated_rules(prompt.text) + findings
    if as_json:
        print_json({"name": name, "version": prompt.version,
                    "findings": [{"kind": f.kind, "description": f.description, "line": f.old, "fix": f.new}
                                 for f in findings]})
        return
    if not findings:
        console().print(f"{name} @ {prompt.version}: the audit found no contradiction, no example that breaks a rule and no rule stated twice.")
    for f in findings:
        console().print(f"[bold]{f.kind}[/]: {f.description}", highlight=False)
        console().print(f"  line: {f.old}\n  fix:  {f.new or '(leave the line out)'}", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.add_typer(prompts_app, name="prompts")
