"""Experiments, in three parts: `lab` (the fixed harness that idea code plugs into, its config and
assembly), `guards` (idea kinds, note sections, fixes, static checks, confounds, what the lab cannot
test) and `results` (statistics, plots, claim ledger, run dirs, reports, result notes).

Flow: check_idea_code(code, kinds) -> assemble_script(code, ExperimentConfig(...)) -> `experiment.py
--describe` and compare the arms (guards/confounds.py) -> run experiment.py in the sandbox (it writes
metrics.json) -> compare_arms(load_metrics(path)) -> write_report(run).
"""

from agentnotes.experiments.lab.assemble import assemble_script, explain_failure, idea_span
from agentnotes.experiments.lab.config import ExperimentConfig
from agentnotes.experiments.guards.problems import Problem, format_problems
from agentnotes.experiments.lab.progress import Progress, parse_progress
from agentnotes.experiments.results.report import write_report
from agentnotes.experiments.results.rundir import Run, RunRecord, create_run, list_runs, open_run
from agentnotes.experiments.guards.static_check import check_idea_code
from agentnotes.experiments.results.stats import Comparison, compare_arms, load_metrics, validate_metrics
from agentnotes.experiments.lab.template import describe_interface

__all__ = [
    "Comparison", "ExperimentConfig", "Problem", "Progress", "Run", "RunRecord", "assemble_script", "check_idea_code",
    "compare_arms", "create_run", "describe_interface", "explain_failure", "format_problems", "idea_span", "list_runs",
    "load_metrics", "open_run", "parse_progress", "validate_metrics", "write_report",
]

