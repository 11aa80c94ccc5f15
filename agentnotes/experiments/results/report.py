"""report.md for a run directory: conclusion, idea source, plan, code, results, plots, verdicts, environment."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from agentnotes.experiments.guards.static_check import ADVICE
from agentnotes.experiments.lab.config import condition_of
from agentnotes.experiments.results import rundir as rd
from agentnotes.experiments.results.ledger import Untraced, measured_values, untraced_numbers
from agentnotes.experiments.results.plots import make_plots
from agentnotes.experiments.results.stats import Comparison, compare_arms, idea_bug_symptoms

_PASSAGE_CHARS = 800
LEDGER = "ledger.json"
_CLAIM_SECTIONS = ("## Conclusion", "## Results", "## Iterations")  # "## Results" covers "## Results by condition"
# The sweep's record (pipeline/sweep.py writes it); read here without importing the pipeline.
CONDITIONS = "conditions.json"
ENDED_BY = {
    "decided": "the 95% CI of the paired difference excludes zero",
    "seed_budget": "the seed budget was spent",
    "neither_learned": "neither arm learned, also with a longer budget",
    "time_budget": "the time budget (--budget) was spent",
}  # where the report states results
_STDERR_LINES = 15


def write_report(run: rd.Run, status: str | None = None) -> Path:
    """Compute stats (stats.json), draw plots and write report.md from the files in the run dir.
    `status`: the run's status once the report is written, shown in its header."""
    record = run.record()
    metrics = run.read_json(rd.METRICS)
    comparison = compare_arms(metrics) if isinstance(metrics, dict) else None
    plots: list[Path] = []
    if comparison is not None:
        run.write_json(rd.STATS, comparison.as_dict())
        plots = make_plots(metrics, run.path)
        record = run.update(conclusion=comparison.conclusion)
    if status:
        record = replace(record, status=status)
    sections = [
        _header(run, record, comparison),
        _conditions(run),
        _source(run.read_json(rd.IDEA)),
        _plan(run.read_text(rd.PLAN_MD)),
        _results(metrics, comparison, plots),
        _compared(run, record),
        _idea_code(run, record),
        _iterations(run),
        _environment(metrics, record),
        _costs(record),
        _reproduce(run),
    ]
    text = "\n\n".join(s.strip() for s in sections if s.strip()) + "\n"
    untraced = untraced_numbers(claim_text(text), run_values(run))
    run.write_json(LEDGER, {"untraced": [str(u) for u in untraced]})
    return run.write_text(rd.REPORT, text + _ledger_section(untraced))


def run_values(run: rd.Run) -> list[float]:
    """Every measured value of the run: each iteration's metrics and statistics, the final ones."""
    sources = [run.read_json(rd.METRICS), run.read_json(rd.STATS)]
    for n in run.iterations():
        metrics = run.read_json(f"{rd.ITERATIONS}/{n}/{rd.METRICS}")
        if isinstance(metrics, dict):
            sources += [metrics, compare_arms(metrics).as_dict()]
    return measured_values(*(s for s in sources if s is not None))


def claim_text(report: str) -> str:
    """The parts of a report that state results: its conclusion and results sections, and each
    iteration's results line and results review (with the critic's concerns)."""
    parts = re.split(r"(?m)^(?=## )", report)
    claims = [p for p in parts if p.startswith(_CLAIM_SECTIONS[:2])]
    for part in (p for p in parts if p.startswith(_CLAIM_SECTIONS[2])):
        keep = False
        for line in part.splitlines():
            keep = line.startswith("- Results") or (keep and line.startswith("  - "))
            claims += [line] if keep else []
    return "\n".join(claims)


def audit_report(run: rd.Run) -> list[Untraced]:
    """The numbers report.md states about results that the measured values do not explain."""
    return untraced_numbers(claim_text(run.read_text(rd.REPORT) or ""), run_values(run))


def _ledger_section(untraced: list[Untraced]) -> str:
    if not untraced:
        return "\n## Claim ledger\n\nEvery number stated in the conclusion, results and iterations comes from metrics.json or stats.json.\n"
    return ("\n## Claim ledger\n\nThese numbers are not in the measured results; do not trust them:\n\n"
            + "\n".join(f"- {u}" for u in untraced) + "\n")


def _header(run: rd.Run, record: rd.RunRecord, comparison: Comparison | None) -> str:
    plan = run.read_json(rd.PLAN_JSON) or {}
    title = plan.get("idea_name") or record.request or run.id
    lines = [f"# Experiment: {title}", "", f"Run `{run.id}` · status **{record.status}** · created {record.created}", ""]
    if record.error:
        lines += [f"Error: {record.error}", ""]
    lines += ["## Conclusion", ""]
    if comparison is None:
        lines.append("No results: the experiment produced no metrics. See the iterations below for what failed.")
        return "\n".join(lines)
    lines.append(f"**{comparison.summary}**")
    if symptoms := idea_bug_symptoms(_finished_metrics(run) or [run.read_json(rd.METRICS)]):
        lines += ["", f"**Check the idea's code before reading this verdict**: under every condition run, the {symptoms[0]}. "
                      "The verdict is about the code that ran, and a bug in it would look the same."]
    lines += ["", *_caveats(run.read_json(rd.METRICS), comparison)]
    return "\n".join(lines)


def _condition_metrics(run: rd.Run) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """Each condition of the sweep (conditions.json, written by pipeline/sweep.py) with the metrics of its run, None
    while it is pending or has none."""
    conditions = run.read_json(CONDITIONS)
    found = []
    for c in conditions if isinstance(conditions, list) else []:
        metrics = run.read_json(f"{rd.ITERATIONS}/{c.get('iteration')}/{rd.METRICS}") if c.get("iteration") else None
        found.append((c, metrics if c.get("state") != "pending" and isinstance(metrics, dict) else None))
    return found


def _finished_metrics(run: rd.Run) -> list[dict[str, Any]]:
    """The metrics of each finished condition of the sweep."""
    return [metrics for _, metrics in _condition_metrics(run) if metrics is not None]


def condition_results(run: rd.Run) -> list[tuple[dict[str, Any], str]]:
    """Each condition of the sweep with its result in words."""
    found = []
    for c, metrics in _condition_metrics(run):
        if metrics is None:
            result = "not run"
        elif c.get("state") == "neither_learned":
            result = "neither arm learned (no better than a constant prediction): nothing can be said here"
        else:
            result = compare_arms(metrics).summary
        found.append((c, result))
    return found


def _conditions(run: rd.Run) -> str:
    """One line per condition of the sweep: its verdict, and what ended it."""
    results = condition_results(run)
    if not results:
        return ""
    lines = ["## Results by condition", "", "| condition | steps | seeds per arm | result | ended by |", "|---|---|---|---|---|"]
    for c, result in results:
        lines.append(f"| {condition_of(c)} | {c.get('steps')} | {c.get('seeds')} | {result} | "
                     f"{ENDED_BY.get(c.get('ended_by'), '')} |")
    return "\n".join(lines)


def _caveats(metrics: dict[str, Any], comparison: Comparison) -> list[str]:
    config = metrics.get("config") or {}
    notes = [
        f"- Budget: task `{metrics.get('task')}`, {len(config.get('seeds') or [])} seeds, {config.get('steps')} steps, "
        f"batch {config.get('batch_size')}, hidden {config.get('hidden')}, {condition_of(config)}. "
        "A small budget: this says how the idea behaves here, not at scale."
    ]
    if not config.get("lr_grid"):
        notes.append(f"- Both arms used the same learning rate ({config.get('lr')}) without tuning; an idea that changes "
                     "the effective step size may prefer another one.")
    else:
        notes.append(f"- Each arm picked its learning rate from {config.get('lr_grid')} on a separate tuning seed "
                     "(the same budget for both).")
        notes += [f"- The {arm} arm scored the same at every rate tried: its training does not use the learning rate "
                  "the harness passes (its step size is fixed in its code), so its rate was not tuned."
                  for arm in _untuned_arms(metrics.get("lr_tuning") or {})]
    base, idea = comparison.baseline, comparison.idea
    if base and idea and base.n_params and idea.n_params and config.get("match_params"):
        notes.append(f"- The baseline's width was matched to the idea's size: {idea.n_params} parameters (idea) vs "
                     f"{base.n_params} (baseline).")
    elif base and idea and base.n_params and idea.n_params and base.n_params != idea.n_params:
        notes.append(f"- The arms differ in size: {idea.n_params} parameters (idea) vs {base.n_params} (baseline).")
    if comparison.conclusion == "no_evidence" and comparison.ci_low is not None and comparison.ci_high is not None:
        half = (comparison.ci_high - comparison.ci_low) / 2
        notes.append(f"- No evidence of a difference is not evidence of no difference: with {comparison.n_pairs} seeds, "
                     f"differences smaller than about ±{half:.3g} go undetected; more seeds narrow this.")
    notes += [f"- {p}" for p in comparison.problems]
    return notes


def _untuned_arms(tuning: dict[str, Any]) -> list[str]:
    """The arms whose validation metric was the same at every one of two or more rates tried."""
    return [arm for arm, found in tuning.items()
            if len(scores := [v for v in (found.get("val_metric") or {}).values() if v is not None]) >= 2
            and len(set(scores)) == 1 and len(scores) == len(found.get("val_metric") or {})]


def _source(idea: Any) -> str:
    if not isinstance(idea, dict):
        return ""
    lines = ["## Request and note passages", "", f"Request: {idea.get('request', '')}", ""]
    for passage in idea.get("passages") or []:
        where = f"{passage.get('source')}:{passage.get('start_line')}-{passage.get('end_line')}"
        heading = " > ".join(passage.get("heading_path") or [])
        text = str(passage.get("text", ""))
        if len(text) > _PASSAGE_CHARS:
            text = text[:_PASSAGE_CHARS] + " …"
        lines += [f"`{where}`" + (f" ({heading})" if heading else ""), "", *("> " + line for line in text.splitlines()), ""]
    return "\n".join(lines)


def _plan(plan_md: str | None) -> str:
    if not plan_md:
        return ""
    body = plan_md.split("\n", 1)[1] if plan_md.startswith("# ") else plan_md
    return "## Plan\n" + body


def _results(metrics: Any, comparison: Comparison | None, plots: list[Path]) -> str:
    if comparison is None:
        return ""
    better = "higher" if comparison.higher_is_better else "lower"
    lines = ["## Results", "",
             f"| arm | {comparison.metric} ({better} is better), mean ± std | finite seeds | per seed | lr | parameters |",
             "|---|---|---|---|---|---|"]
    for arm in (comparison.baseline, comparison.idea):
        if arm is None:
            continue
        per_seed = ", ".join(f"{s}: {'diverged' if v is None else f'{v:.4g}'}" for s, v in zip(arm.seeds, arm.values))
        lines.append(f"| {arm.arm} | {arm.mean_std_text()} | {arm.n}/{len(arm.values)} | {per_seed} | {arm.lr} | {arm.n_params} |")
    lines.append("")
    if comparison.mean_diff is not None:
        level = f"{100 * (1 - comparison.alpha):g}%"
        lines += [
            f"Paired by seed (idea − baseline, n = {comparison.n_pairs}): mean difference {comparison.mean_diff:.4g}, "
            f"{level} CI [{comparison.ci_low:.4g}, {comparison.ci_high:.4g}], paired t-test p = {comparison.p_value:.3g} "
            f"(alpha {comparison.alpha}). Conclusion: `{comparison.conclusion}`.",
            "",
        ]
    tuning = metrics.get("lr_tuning")
    if tuning:
        lines += ["Learning rates, chosen by each arm on a tuning seed that is not a test seed (same grid and budget):", ""]
        for arm, found in tuning.items():
            edge = f", still at the {found['edge']} edge of the grid: the best rate may lie beyond it" if found.get("at_edge") else ""
            lines.append(f"- {arm}: {found.get('chosen')} from {found.get('tried') or list(found.get('val_metric') or {})}{edge}")
            for fallback in (metrics.get("arms") or {}).get(arm, {}).get("lr_fallbacks") or []:
                lines.append(f"  - seeds {fallback['diverged_seeds']} diverged at {fallback['from']}: every seed of this arm "
                             f"ran again at {fallback['to']}")
        lines += ["", "```json", json.dumps(tuning, indent=1), "```", ""]
    lines += [f"![{p.stem}]({p.name})" for p in plots]
    return "\n".join(lines)


def _compared(run: rd.Run, record: rd.RunRecord) -> str:
    """How the idea arm differs from the baseline, as built before the run (the last check at or before the final iteration)."""
    final = _final_iteration(run, record)
    for n in sorted((i for i in run.iterations() if final is None or i <= final), reverse=True):
        if diff := run.read_text(f"{rd.ITERATIONS}/{n}/{rd.ARMS_DIFF}"):
            return f"## What was compared\n\nBoth arms built from one seed before training (iteration {n}):\n\n{diff}"
    return ""


def _final_iteration(run: rd.Run, record: rd.RunRecord) -> int | None:
    iterations = run.iterations()
    return record.final_iteration if record.final_iteration is not None else (iterations[-1] if iterations else None)


def _idea_code(run: rd.Run, record: rd.RunRecord) -> str:
    n = _final_iteration(run, record)
    code = run.read_text(f"{rd.ITERATIONS}/{n}/{rd.IDEA_CODE}") if n is not None else None
    if not code:
        return ""
    return f"## Idea code (iteration {n})\n\n```python\n{code.rstrip()}\n```"


def _verdict_lines(label: str, verdict: Any, ok_key: str, items_key: str) -> list[str]:
    if not isinstance(verdict, dict):
        return []
    if "unchecked" in verdict:  # the critic gave no usable reply
        return [f"- {label}: **unchecked** — {verdict['unchecked']}"]
    lines = [f"- {label}: **{'pass' if verdict.get(ok_key) else 'fail'}**"
             + (f" — {verdict['summary']}" if verdict.get("summary") else "")
             + (f" (request: {verdict['request']})" if verdict.get("request") not in (None, "none") else "")]
    lines += [f"  - {item}" for item in verdict.get(items_key) or []]
    return lines


def _stderr_tail(run: rd.Run, n: int, result: dict[str, Any]) -> list[str]:
    folder = run.path / rd.ITERATIONS / str(n)
    candidates = [Path(result["stderr_path"])] if result.get("stderr_path") else []
    candidates += [folder / "stderr.txt", folder / "stderr.log"]
    for path in candidates:
        path = path if path.is_absolute() else folder / path
        if path.is_file():
            tail = path.read_text(encoding="utf-8", errors="replace").splitlines()[-_STDERR_LINES:]
            return ["  - stderr (last lines):", "", "```text", *tail, "```"] if tail else []
    return []


def _iterations(run: rd.Run) -> str:
    lines = ["## Iterations", ""]
    for n in run.iterations():
        base = f"{rd.ITERATIONS}/{n}"
        lines.append(f"### Iteration {n}")
        if purpose := run.read_text(f"{base}/{rd.PURPOSE}"):
            lines.append(f"- Purpose: {purpose.strip()}")
        static = run.read_json(f"{base}/{rd.STATIC_CHECK}")
        if isinstance(static, list):
            blocked = [p for p in static if not str(p.get("kind", "")).startswith(ADVICE)]
            lines.append(f"- Static check: **{'pass' if not blocked else 'fail'}**"
                         + (f" ({len(static) - len(blocked)} advice)" if len(static) > len(blocked) else ""))
            lines += [f"  - line {p.get('line')}: {p.get('message')}" if p.get("line") else f"  - {p.get('message')}" for p in static]
        lines += _verdict_lines("Code review against the note", run.read_json(f"{base}/{rd.CODE_REVIEW}"), "matches_note", "problems")
        result = run.read_json(f"{base}/{rd.RESULT}")
        if isinstance(result, dict):
            line = f"- Run: status **{result.get('status')}**, exit code {result.get('returncode')}"
            if isinstance(result.get("duration_s"), (int, float)):
                line += f", {result['duration_s']:.1f} s"
            lines.append(f"{line}, isolation {result.get('isolation')}, device {result.get('device')}")
            if result.get("reason"):
                lines.append(f"  - {result['reason']}")
            if result.get("returncode") not in (0, None):
                lines += _stderr_tail(run, n, result)
        metrics = run.read_json(f"{base}/{rd.METRICS}")
        if isinstance(metrics, dict):
            lines.append(f"- Results ({condition_of(metrics.get('config') or {})}): {compare_arms(metrics).summary}")
        lines += _verdict_lines("Results review", run.read_json(f"{base}/{rd.RESULTS_REVIEW}"), "valid", "concerns")
        lines.append("")
    return "\n".join(lines) if len(lines) > 2 else ""


def _environment(metrics: Any, record: rd.RunRecord) -> str:
    env = metrics.get("environment") if isinstance(metrics, dict) else None
    lines = ["## Environment", "", "| | |", "|---|---|"]
    if isinstance(env, dict):
        for key in ("device", "gpu_name", "cuda_available", "cuda_version", "torch", "numpy", "python", "platform", "cpu_threads", "seeds"):
            lines.append(f"| {key} | {env.get(key)} |")
    lines.append(f"| LLM | {record.model or '?'} ({record.provider or '?'}) |")
    return "\n".join(lines)


def _costs(record: rd.RunRecord) -> str:
    lines = ["## Costs", "", f"Tokens: {record.prompt_tokens} prompt, {record.completion_tokens} completion.", ""]
    if record.phases:
        lines += ["| phase | status | wall time (s) |", "|---|---|---|"]
        lines += [f"| {p.name} | {p.status} | {'' if p.wall_s is None else f'{p.wall_s:.1f}'} |" for p in record.phases]
        total = sum(p.wall_s or 0.0 for p in record.phases)
        lines.append(f"| total | | {total:.1f} |")
    return "\n".join(lines)


def _reproduce(run: rd.Run) -> str:
    if not (run.path / rd.EXPERIMENT).is_file():
        return ""
    return ("## Reproduce\n\n"
            f"`experiment.py` in this folder is self-contained (torch, numpy; scikit-learn for digits):\n\n"
            f"```bash\ncd {run.path}\npython experiment.py   # writes metrics.json here\n```\n\n"
            f"or `agentnotes experiments rerun {run.id}` to run it in the sandbox.")
