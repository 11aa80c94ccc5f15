"""The result note: a finished experiment written back into the notes.

A short Markdown note (claim, conditions, effect with its confidence interval, verdict, run id,
link to the report) in the results folder under the home. That folder is ingested like the
user's notes, so `ask "did the idea help?"` answers from the experiment and cites the run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentnotes.experiments.lab.config import condition_of
from agentnotes.experiments.results import rundir as rd
from agentnotes.experiments.results.report import condition_results

VERDICTS = {
    "idea_better": "the idea did better than the baseline",
    "baseline_better": "the baseline did better than the idea",
    "no_evidence": "no evidence of a difference between the idea and the baseline",
    "inconclusive": "inconclusive: the measurements cannot tell the two arms apart",
}


def result_note_text(run: rd.Run) -> str:
    """The note for a finished run, from its plan, statistics and metrics (no LLM)."""
    plan: dict[str, Any] = run.read_json(rd.PLAN_JSON) or {}
    stats: dict[str, Any] = run.read_json(rd.STATS) or {}
    metrics: dict[str, Any] = run.read_json(rd.METRICS) or {}
    config = metrics.get("config") or {}
    idea = plan.get("idea_name") or run.record().request
    sources = ", ".join(f"{Path(p['source']).name}:{p['start_line']}-{p['end_line']}"
                        for p in (run.read_json(rd.IDEA) or {}).get("passages", [])[:3])
    verdict = VERDICTS.get(stats.get("conclusion", "inconclusive"), stats.get("conclusion"))
    by_condition = condition_results(run)
    lines = [
        f"# Experiment result: {idea}",  # the heading goes with every chunk; a verdict in it made the model decline
        "",
        f"Run {run.id} tested the idea \"{idea}\" from the notes ({sources}) against a baseline.",
        f"Claim tested: {plan.get('hypothesis', '(no hypothesis recorded)')}",
        f"Conditions: task {metrics.get('task')}, {condition_of(config)}, {config.get('steps')} steps, "
        f"{len(config.get('seeds') or [])} seeds per arm, baseline {plan.get('baseline', 'plain')}.",
        f"Verdict: {verdict}." + (f" {_per_condition(by_condition)}." if len(by_condition) > 1 else ""),
        f"Result: {stats.get('summary', 'no statistics')}",
        *(f"At {condition_of(c)} ({c.get('steps')} steps, {c.get('seeds')} seeds per arm): {result}"
          for c, result in by_condition),
        f"Report: {run.path / rd.REPORT}",
    ]
    return "\n".join(lines) + "\n"


def _per_condition(results: list[tuple[dict[str, Any], str]]) -> str:
    """The verdict under each condition in one sentence: `At input scale 0.01 neither arm learned; at input scale 1
    no evidence of a difference between the idea and the baseline`."""
    return "; ".join(f"at {condition_of(c)} {result.split(':')[0].split(' (')[0].strip().lower()}"
                     for c, result in results).capitalize()


def write_result_note(run: rd.Run, results_dir: Path) -> Path:
    """Write (or overwrite) the run's result note under `results_dir`; returns its path."""
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{run.id}.md"
    path.write_text(result_note_text(run), encoding="utf-8")
    return path
