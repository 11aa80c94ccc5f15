"""The sandbox step of run-experiment, and `experiments rerun`.

Nothing here needs the LLM stack, so a finished run can be rerun on a GPU machine that has only
PyTorch, typer and rich.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from agentnotes.errors import ExperimentError
from agentnotes.experiments.lab.assemble import ARMS_NAME, DESCRIBE_FLAG
from agentnotes.experiments.results import rundir as rd
from agentnotes.experiments.results.report import write_report
from agentnotes.experiments.results.stats import BLOCKING, load_metrics, validate_metrics

if TYPE_CHECKING:
    from agentnotes.runner.sandbox import RunResult


DESCRIBE_TIMEOUT_S = 120
FORMULA_PROBE = Path(__file__).resolve().parents[1] / "experiments" / "lab" / "formula_probe.py"  # torch: never imported here


@dataclass(frozen=True)
class ExperimentOptions:
    """What the user controls; the harness fixes everything else."""

    request: str
    k: int = 4  # few, focused passages: small models get lost in long contexts
    max_attempts: int = 5  # code generations, whatever made the previous one fail
    code_samples: int = 1  # replies drawn for one attempt while the static checks or the arms' build block them
    max_code_rejections: int = 2  # after this many critic rejections the code runs anyway, flagged
    seeds: int = 5
    max_seeds: int = 10  # seeds are doubled up to this while the paired CI includes zero
    budget_min: float = 0  # minutes after which no condition gets more seeds or steps (0: no limit)
    steps: int = 1500
    timeout_s: float = 1200
    memory_mb: int = 8192
    use_gpu: bool = True
    allow_unsafe: bool = False
    llm_seed: int = 0


class Reporter(Protocol):
    """Where the pipeline tells the user what it is doing."""

    def phase(self, name: str, detail: str = "") -> None: ...
    def info(self, message: str) -> None: ...
    def output(self, line: str) -> None: ...


def run_iteration(run: rd.Run, n: int, options: ExperimentOptions, reporter: Reporter) -> RunResult:
    """Run iteration n's experiment.py in the sandbox and record the result."""
    from agentnotes.runner.sandbox import Limits, run_sandboxed

    with run.phase(f"run-{n}"):
        result = run_sandboxed(
            [sys.executable, rd.EXPERIMENT],
            run.iteration_dir(n),
            Limits(timeout_s=options.timeout_s, memory_mb=options.memory_mb),
            use_gpu=options.use_gpu,
            allow_unsafe=options.allow_unsafe,
            on_output=reporter.output,
        )
        run.write_json(f"{rd.ITERATIONS}/{n}/{rd.RESULT}", result)
    return result


def describe_arms(run: rd.Run, n: int, options: ExperimentOptions) -> tuple[dict | None, RunResult]:
    """Build both arms of iteration n's experiment.py without training (`--describe`, in the sandbox):
    the arms.json it writes (None when the build failed) and the sandbox result."""
    import json

    from agentnotes.runner.sandbox import Limits, run_sandboxed

    folder = run.iteration_dir(n)
    with run.phase(f"describe-{n}"):
        result = run_sandboxed([sys.executable, rd.EXPERIMENT, DESCRIBE_FLAG], folder,
                               Limits(timeout_s=DESCRIBE_TIMEOUT_S, memory_mb=options.memory_mb),
                               use_gpu=False, allow_unsafe=options.allow_unsafe)
    try:
        arms = json.loads((folder / ARMS_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, result
    return (None if arms.get("error") or result.status != "ok" else arms), result


def probe_formulas(run: rd.Run, n: int, program: dict, options: ExperimentOptions) -> dict | None:
    """Run the note's formulas beside iteration n's idea hook (lab/formula_probe.py, in the sandbox):
    formula.json's verdict, None when the probe itself failed to run."""
    import json
    import shutil

    from agentnotes.runner.sandbox import Limits, run_sandboxed

    folder = run.iteration_dir(n)
    run.write_json(f"{rd.ITERATIONS}/{n}/{rd.NOTE_PROGRAM}", program)
    shutil.copyfile(FORMULA_PROBE, folder / FORMULA_PROBE.name)
    with run.phase(f"formula-{n}"):
        run_sandboxed([sys.executable, FORMULA_PROBE.name, rd.EXPERIMENT, rd.NOTE_PROGRAM, rd.FORMULA], folder,
                      Limits(timeout_s=DESCRIBE_TIMEOUT_S, memory_mb=options.memory_mb),
                      use_gpu=False, allow_unsafe=options.allow_unsafe)
    try:
        return json.loads((folder / rd.FORMULA).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def rerun(run: rd.Run, *, use_gpu: bool, timeout_s: float, allow_unsafe: bool, reporter: Reporter) -> RunResult:
    """Run the accepted experiment.py again as a new iteration; promote it and rewrite the report if it works."""
    script = run.read_text(rd.EXPERIMENT)
    if script is None:
        raise ExperimentError(f"Run {run.id} has no accepted experiment.py yet; resume it with --resume {run.id}.")
    n = max(run.iterations(), default=0) + 1
    run.write_text(f"{rd.ITERATIONS}/{n}/{rd.EXPERIMENT}", script)
    options = ExperimentOptions(request=run.record().request, use_gpu=use_gpu, timeout_s=timeout_s, allow_unsafe=allow_unsafe)
    result = run_iteration(run, n, options, reporter)
    if result.status == "ok" and not any(p.kind in BLOCKING for p in validate_metrics(load_metrics(run.iteration_dir(n) / rd.METRICS))):
        run.promote(n)
        with run.phase("report"):
            write_report(run)
    return result
