"""`agentnotes run-experiment`, `agentnotes experiments list|show|rerun`."""

from __future__ import annotations

import typer

from agentnotes.cli.output import console, err_console, print_json

experiments_app = typer.Typer(help="List, show and re-run experiments.", no_args_is_help=True)


class _ConsoleReporter:
    """Phases as headings, progress lines from the sandbox as they come."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet

    def phase(self, name: str, detail: str = "") -> None:
        if not self.quiet:
            err_console().rule(f"[bold]{name}[/] {detail}", align="left")

    def info(self, message: str) -> None:
        if not self.quiet:
            err_console().print(message, markup=False, highlight=False)

    def output(self, line: str) -> None:
        if not self.quiet:
            err_console().print(f"  [dim]{line}[/]", markup=True, highlight=False) if "[" not in line else \
                err_console().print("  " + line, markup=False, highlight=False)


def run_experiment(
    request: str = typer.Argument(None, help='The idea to test, as in your notes, e.g. "mirror vs baseline".'),
    resume: str = typer.Option(None, "--resume", help="Continue an interrupted or failed run by ID."),
    seeds: int = typer.Option(5, "--seeds", min=3, help="Seeds per arm (at least 3)."),
    max_seeds: int = typer.Option(10, "--max-seeds", min=3,
                                  help="Seeds are doubled up to this many while the 95% CI of the difference includes zero."),
    steps: int = typer.Option(1500, "--steps", min=10, help="Training steps per run."),
    attempts: int = typer.Option(5, "--attempts", min=1, help="Most code generations before giving up."),
    samples: int = typer.Option(1, "--samples", min=1,
                                help="Replies drawn for one attempt while the static checks or building the arms fail (default: one reply)."),
    budget: float = typer.Option(0, "--budget", min=0,
                                 help="Minutes after which no condition gets more seeds or a longer budget (0: no limit)."),
    timeout: float = typer.Option(1200, "--timeout", help="Time limit of one sandboxed run, seconds."),
    memory_mb: int = typer.Option(8192, "--memory-mb", help="Memory limit of a CPU run, MB."),
    cpu: bool = typer.Option(False, "--cpu", help="Run on the CPU even when a GPU is free."),
    unsafe: bool = typer.Option(False, "--unsafe", help="Run generated code without isolation if no sandbox is available."),
    llm_seed: int = typer.Option(0, "--llm-seed", help="Seed for the LLM's sampling."),
    as_json: bool = typer.Option(False, "--json", help="Print the run summary as JSON."),
) -> None:
    """Find an idea in your notes, write a fair experiment for it, run it sandboxed, judge it, report."""
    from agentnotes.errors import AgentNotesError, InputError, Interrupted
    from agentnotes.experiments.results import rundir as rd
    from agentnotes.llm.provider import get_chat_model
    from agentnotes.pipeline.experiment import ExperimentOptions, run_experiment as run_pipeline
    from agentnotes.settings import load_settings

    settings = load_settings()
    run = rd.open_run(settings.runs_dir, resume) if resume else None
    request = run.record().request if run else request
    if not request:
        raise InputError('Name the idea to test, e.g. agentnotes run-experiment "mirror vs baseline", or pass --resume ID.')
    options = ExperimentOptions(request=request, seeds=seeds, max_seeds=max(seeds, max_seeds), steps=steps,
                                max_attempts=attempts, code_samples=samples, budget_min=budget, timeout_s=timeout,
                                memory_mb=memory_mb, use_gpu=not cpu, allow_unsafe=unsafe, llm_seed=llm_seed)
    model = get_chat_model(settings, temperature=0.3, max_tokens=1200, seed=llm_seed)
    run = run or rd.create_run(settings.runs_dir, request)  # here, so a failure can name its run directory
    try:
        run = run_pipeline(settings, options, _ConsoleReporter(as_json), model, run)
    except KeyboardInterrupt:
        raise Interrupted(f"Resume with: agentnotes run-experiment --resume {run.id}", run_dir=run.path) from None
    except AgentNotesError as exc:
        exc.run_dir = exc.run_dir or run.path
        raise
    if as_json:
        print_json(run.summary())
        return
    record = run.record()
    console().print(f"\n[bold]{record.status}[/]: {record.conclusion}\nReport: {run.path / 'report.md'}")


@experiments_app.command("list")
def list_experiments(as_json: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """All experiment runs, newest first."""
    from rich.table import Table

    from agentnotes.experiments.results.rundir import list_runs
    from agentnotes.settings import load_settings

    records = list_runs(load_settings().runs_dir)
    if as_json:
        print_json([r.brief() for r in records])
        return
    table = Table()
    for column in ("id", "status", "request", "conclusion"):
        table.add_column(column, overflow="fold")
    for r in records:
        table.add_row(r.id, r.status, r.request, r.conclusion)
    console().print(table if records else "No experiments yet: agentnotes run-experiment \"IDEA\"")


@experiments_app.command("show")
def show_experiment(run_id: str = typer.Argument(..., help="Run ID (or a unique prefix)."),
                    as_json: bool = typer.Option(False, "--json", help="Print the record as JSON.")) -> None:
    """Show a run's report (or its record as JSON)."""
    from rich.markdown import Markdown

    from agentnotes.experiments.results import rundir as rd
    from agentnotes.settings import load_settings

    run = rd.open_run(load_settings().runs_dir, run_id)
    if as_json:
        print_json(run.summary())
        return
    report = run.read_text(rd.REPORT)
    console().print(Markdown(report) if report else f"No report yet; status {run.record().status}. Resume with --resume {run.id}.")


@experiments_app.command("rerun")
def rerun_experiment(
    run_id: str = typer.Argument(..., help="Run ID (or a unique prefix)."),
    cpu: bool = typer.Option(False, "--cpu", help="Run on the CPU even when a GPU is free."),
    timeout: float = typer.Option(1200, "--timeout", help="Time limit, seconds."),
    unsafe: bool = typer.Option(False, "--unsafe", help="Run without isolation if no sandbox is available."),
) -> None:
    """Run a finished experiment's script again in the sandbox (e.g. on a GPU) and update its report."""
    from agentnotes.experiments.results import rundir as rd
    from agentnotes.pipeline.execute import rerun
    from agentnotes.settings import load_settings

    run = rd.open_run(load_settings().runs_dir, run_id)
    result = rerun(run, use_gpu=not cpu, timeout_s=timeout, allow_unsafe=unsafe, reporter=_ConsoleReporter(False))
    console().print(f"{result.status} on {result.device} in {result.duration_s:.1f}s. Report: {run.path / 'report.md'}")


def register(app: typer.Typer) -> None:
    app.command("run-experiment")(run_experiment)
    app.add_typer(experiments_app, name="experiments")
