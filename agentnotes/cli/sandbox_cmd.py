"""`agentnotes run-script`: run any Python script through the experiment sandbox."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import typer

from agentnotes.cli.output import console, err_console, print_json


def run_script(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="The Python script to run."),
    timeout: float = typer.Option(600, "--timeout", help="Time limit, seconds."),
    memory_mb: int = typer.Option(8192, "--memory-mb", help="Memory limit of a CPU run, MB."),
    cpu: bool = typer.Option(False, "--cpu", help="Run on the CPU even when a GPU is free."),
    unsafe: bool = typer.Option(False, "--unsafe", help="Run without isolation if no sandbox is available."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Run SCRIPT in the sandbox: a copy in a fresh run dir is the only thing it can write."""
    from datetime import datetime, timezone

    from agentnotes.runner.sandbox import Limits, run_sandboxed
    from agentnotes.settings import load_settings

    run_dir = load_settings().runs_dir / "scripts" / f"{datetime.now(timezone.utc):%Y%m%d-%H%M%S}-{path.stem}"
    run_dir.mkdir(parents=True)
    shutil.copy2(path, run_dir / path.name)
    result = run_sandboxed([sys.executable, path.name], run_dir, Limits(timeout_s=timeout, memory_mb=memory_mb),
                           use_gpu=not cpu, allow_unsafe=unsafe,
                           on_output=None if as_json else (lambda line: console().print(line, markup=False, highlight=False)))
    if as_json:
        print_json({"status": result.status, "returncode": result.returncode, "reason": result.reason,
                    "duration_s": round(result.duration_s, 3), "isolation": result.isolation, "device": result.device,
                    "run_dir": str(run_dir), "stdout": str(result.stdout_path), "stderr": str(result.stderr_path)})
    else:
        err_console().print(f"[bold]{result.status}[/] ({result.reason}) in {result.duration_s:.2f}s, "
                            f"{result.isolation}, {result.device}; output in {run_dir}")
    if result.status != "ok":
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("run-script")(run_script)
