"""run-experiment: find the idea in the notes, plan, write code, review it, run it in the
sandbox, judge the results, write the report. Every step is recorded in the run directory,
so an interrupted run resumes where it stopped."""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from agentnotes.agents import experimenter as agents
from agentnotes.errors import AgentNotesError, ExperimentError, LLMError
from agentnotes.experiments.results import rundir as rd
from agentnotes.experiments.lab.assemble import assemble_script, explain_failure
from agentnotes.experiments.guards.autofix import Fix, apply_fixes
from agentnotes.experiments.guards.complete import drop_definitions, merge_piece
from agentnotes.experiments.lab.config import ExperimentConfig
from agentnotes.experiments.guards.failure_hints import hints_for
from agentnotes.experiments.guards.idea_sections import (
    formula_lines,
    formulas_in,
    idea_passages,
    note_pairs,
    parts_in_notes,
    passages_for_hook,
    required_hooks,
)
from agentnotes.experiments.guards.problems import Problem, format_problems
from agentnotes.experiments.results.ledger import audit_statement, measured_values
from agentnotes.experiments.results.report import write_report
from agentnotes.experiments.results.result_note import write_result_note
from agentnotes.experiments.guards.static_check import check_idea_code, missing_hooks
from agentnotes.experiments.results.stats import BLOCKING, compare_arms, load_metrics, neither_learned, validate_metrics
from agentnotes.experiments.lab.template import describe_interface
from agentnotes.notes.types import Chunk, Hit
from agentnotes.pipeline.execute import ExperimentOptions, Reporter, run_iteration
from agentnotes.prompts import load_prompt
from agentnotes.settings import Settings

CODE_BLOCK = re.compile(r"```python\n.*?```", re.DOTALL)

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

    from agentnotes.agents.llm_call import LLMReply
    from agentnotes.runner.sandbox import RunResult


def hits_from_idea(idea: dict) -> list[Hit]:
    """The note passages saved in idea.json, as hits again."""
    return [
        Hit(Chunk(p["source"], p["start_line"], p["end_line"], p["text"], tuple(p.get("heading_path", ()))), p.get("score", 0.0))
        for p in idea.get("passages", [])
    ]


def _find_idea(settings: Settings, run: rd.Run, options: ExperimentOptions) -> list[Hit]:
    if not run.phase_done("find-idea"):
        from agentnotes.retrieval.service import retrieve

        with run.phase("find-idea"):
            hits = retrieve(settings, options.request, options.k, sections=True)
            if not hits:
                raise ExperimentError("No note passage matches this request. Run 'agentnotes ingest PATH' first.")
            run.write_idea(options.request, hits)
    return hits_from_idea(run.read_json(rd.IDEA))


def _ground_plan(plan: agents.Plan, request: str, hits: Sequence[Hit]) -> agents.Plan:
    """The plan corrected by the idea's own note sections: the parts their formulas change, and their
    formula lines as the rule when the planner wrote it without a formula."""
    updates: dict[str, object] = {}
    if parts := parts_in_notes(request, hits):
        updates["parts"] = parts
    if "=" not in plan.idea_rule and (formulas := formula_lines(request, hits)):
        updates["idea_rule"] = formulas
    return plan.model_copy(update=updates)


def _plan(model: BaseChatModel, settings: Settings, run: rd.Run, options: ExperimentOptions, hits: Sequence[Hit]) -> agents.Plan:
    if not run.phase_done("plan"):
        with run.phase("plan"):
            plan, replies = agents.make_plan(
                model, load_prompt("plan_experiment", settings.prompts_dir), options.request, hits, seed=options.llm_seed
            )
            run.add_usage(replies)
            run.write_plan(_ground_plan(plan, options.request, hits))
    return agents.Plan.model_validate(run.read_json(rd.PLAN_JSON))


def _failure_feedback(run: rd.Run, n: int, code: str, result: RunResult) -> str:
    """What the code generator needs to fix a failed run: its code and the mapped traceback."""
    script = (run.iteration_dir(n) / rd.EXPERIMENT).read_text(encoding="utf-8")
    stderr = result.stderr_path.read_text(encoding="utf-8", errors="replace") if result.stderr_path.exists() else ""
    why = explain_failure(stderr, script) if stderr.strip() else result.reason
    hints = "".join(f"Hint: {hint}\n" for hint in hints_for(why))
    return (f"The previous code failed when run ({result.status}: {result.reason}).\nError:\n{why}\n{hints}"
            f"Previous code (fix the failing line; do not repeat the error):\n```python\n{code}```")


def _review_code(model: BaseChatModel, settings: Settings, plan: agents.Plan, hits: Sequence[Hit], code: str, seed: int) -> tuple[agents.CodeReview | None, list]:
    try:
        return agents.review_code(model, load_prompt("review_code", settings.prompts_dir), plan, hits, code, seed=seed)
    except LLMError:
        return None, []


def _judge(model: BaseChatModel, settings: Settings, run: rd.Run, n: int, plan: agents.Plan, seed: int) -> agents.ResultsReview | None:
    """Stats from the metrics the harness wrote, then the critic's reading of them."""
    with run.phase(f"review-results-{n}"):
        metrics = load_metrics(run.iteration_dir(n) / rd.METRICS)
        comparison = compare_arms(metrics)
        try:
            review, replies = agents.review_results(
                model, load_prompt("review_results", settings.prompts_dir), plan, comparison.as_text(), seed=seed
            )
        except LLMError as exc:
            run.write_json(f"{rd.ITERATIONS}/{n}/{rd.RESULTS_REVIEW}", {"unchecked": str(exc)})
            return None
        run.add_usage(replies)
        review, rejected = vet_review(review, measured_values(metrics, comparison.as_dict()), comparison.conclusion)
        run.write_json(f"{rd.ITERATIONS}/{n}/{rd.RESULTS_REVIEW}", {**review.model_dump(), "rejected": rejected})
        return review


def vet_review(review: agents.ResultsReview, values: Sequence[float], conclusion: str) -> tuple[agents.ResultsReview, list[str]]:
    """The critic's reading without the statements a program can refute (a number not in the results,
    a p-value outside [0, 1], a winner the statistics do not name); each refuted one with its reason."""
    rejected, concerns = [], []
    for concern in review.concerns:
        objections = audit_statement(concern, values, conclusion)
        (rejected.append(f"{concern} ({'; '.join(objections)})") if objections else concerns.append(concern))
    summary = review.summary
    if objections := audit_statement(summary, values, conclusion):
        rejected.append(f"{summary} ({'; '.join(objections)})")
        summary = ""
    return review.model_copy(update={"concerns": concerns, "summary": summary}), rejected


def without_code(feedback: str) -> str:
    """Feedback with its code blocks left out: a small model shown its failed code writes it out again."""
    return CODE_BLOCK.sub("(the previous code is not shown: write the code anew, without the problem below)", feedback) \
        + "\nDo not repeat the previous code."


def retry_temperature(attempt: int) -> float | None:
    """The model's own temperature first, then hotter: a retry that repeats the same code is wasted."""
    return None if attempt == 0 else min(0.3 + 0.2 * attempt, 0.9)


class _CodeWriter:
    """Writes idea code and reviews it before anything runs: static checks, then the critic."""

    def __init__(self, model: BaseChatModel, settings: Settings, plan: agents.Plan, hits: Sequence[Hit],
                 options: ExperimentOptions) -> None:
        self.model, self.settings, self.plan, self.options = model, settings, plan, options
        self.all_hits, self.hits = hits, idea_passages(options.request, hits)
        self.required_hooks = required_hooks(options.request, hits)
        self.note_pairs = note_pairs(options.request, hits)
        self.prompt = load_prompt("write_idea_code", settings.prompts_dir)
        self.interface = describe_interface()
        self.rejections = 0
        self.attempts = 0
        self.failed: set[str] = set()  # code as the model wrote it that failed a check or a run
        self.last_written = ""

    def attempt(self, run: rd.Run, n: int, feedback: str, reporter: Reporter, last: bool = False) -> tuple[str | None, str]:
        """(code, "") when the code may run, else (None, feedback for the next attempt). On the last
        attempt, code that passed the static checks runs even when the critic rejects it (flagged)."""
        folder, seed = f"{rd.ITERATIONS}/{n}", self.options.llm_seed + n
        reporter.phase(f"code-{n}", "writing the idea code")
        with run.phase(f"codegen-{n}"):
            code, reply = self._write(self.plan, self.hits, feedback, seed, retry_temperature(self.attempts))
            self.attempts += 1
            run.add_usage([reply])
            if code in self.failed:
                reporter.info("The model repeated code that already failed; asking again without showing it.")
                code, reply = self._write(self.plan, self.hits, without_code(feedback), seed + 1,
                                          retry_temperature(self.attempts))
                run.add_usage([reply])
            self.last_written = code
            code, fixes, problems = self._fix_and_check(code, run, folder, seed, reporter)
            if fixes:
                run.write_json(f"{folder}/{rd.AUTOFIX}", [str(f) for f in fixes])
                reporter.info("Fixed mechanically: " + "; ".join(map(str, fixes)))
            run.write_text(f"{folder}/{rd.IDEA_CODE}", code)
            run.write_json(f"{folder}/{rd.STATIC_CHECK}", [p.as_dict() for p in problems])
        if problems:
            self.record_failure()
            reporter.info(f"Static check failed: {len(problems)} problem(s); asking for a fix.")
            return None, f"The previous code was rejected before running.\n```python\n{code}```\nProblems:\n{format_problems(problems)}"
        reporter.phase(f"review-{n}", "critic compares the code with the note")
        with run.phase(f"review-code-{n}"):
            review, replies = _review_code(self.model, self.settings, self.plan, self.hits, code, seed)
            run.add_usage(replies)
            run.write_json(f"{folder}/{rd.CODE_REVIEW}", review if review else {"unchecked": "no valid critic reply"})
        if review and not review.matches_note and self.rejections < self.options.max_code_rejections and not last:
            self.rejections += 1
            reporter.info("Critic: the code does not match the note: " + "; ".join(review.problems)[:300])
            return None, ("A reviewer compared the previous code with the notes and found problems.\n"
                          f"```python\n{code}```\nProblems:\n- " + "\n- ".join(review.problems))
        return code, ""

    def _write(self, plan: agents.Plan, hits: Sequence[Hit], feedback: str, seed: int,
               temperature: float | None = None) -> tuple[str, LLMReply]:
        """One reply of the code generator for `plan` from `hits`, with the harness interface."""
        return agents.write_idea_code(self.model, self.prompt, plan, hits, self.interface, feedback,
                                      seed=seed, temperature=temperature)

    def record_failure(self) -> None:
        """The last code written failed: if the model writes it again, it is asked for anew."""
        self.failed.add(self.last_written)

    def _fix_and_check(self, code: str, run: rd.Run, folder: str, seed: int,
                       reporter: Reporter) -> tuple[str, list[Fix], list[Problem]]:
        """The code after mechanical fixes and, when it lacks a hook the notes call for, completion;
        the fixes made; the problems left (static checks, lines copied from the prompt's example)."""
        code, fixes = apply_fixes(code, self.note_pairs, self.required_hooks)
        problems = check_idea_code(code, self.required_hooks, self.note_pairs)
        if any(p.kind == "missing_hook" for p in problems):
            reporter.info("A hook the notes call for is missing; asking for it on its own.")
            code, replies = self._complete(code, run, folder, seed)
            run.add_usage(replies)
            code, more_fixes = apply_fixes(code, self.note_pairs, self.required_hooks)
            fixes += more_fixes
            problems = check_idea_code(code, self.required_hooks, self.note_pairs)
        if copied := agents.copied_example_rules(code, agents.idea_examples(self.plan.parts)):
            problems.append(Problem("copied_example", "these lines copy the prompt example's own rule, not the idea: "
                                    + "; ".join(f"`{line}`" for line in copied)
                                    + f". Write the idea's formulas there instead: {self.plan.idea_rule}"))
        return code, fixes, problems

    def _complete(self, code: str, run: rd.Run, folder: str, seed: int) -> tuple[str, list[LLMReply]]:
        """Each missing hook (or one that only returns torch's own optimizer) asked for on its own, with
        only the passages that call for it, and merged into the code (experiments/guards/complete.py). A piece
        that copies the example's own rule is asked for once more, with the copied line named.
        Each piece the model wrote is kept in the iteration folder as completion-HOOK.py."""
        replies = []
        for hook, why in missing_hooks(ast.parse(code), self.required_hooks):
            passages, parts = passages_for_hook(self.options.request, self.all_hits, hook)
            if not passages:
                continue
            code = drop_definitions(code, {hook})
            parts = parts or self.plan.parts
            plan = self.plan.model_copy(update={"parts": parts, "idea_name": f"{hook} of {self.plan.idea_name}",
                                                "idea_rule": formulas_in(passages) or self.plan.idea_rule})
            feedback = (f"The rest of the experiment is written already; only `{hook}` is missing ({why}). "
                        f"Write only `{hook}` and the classes it needs, for the {' and '.join(parts)} as the note "
                        "excerpts describe it. Do not write any other hook or class.")
            piece, reply = self._write(plan, passages, feedback, seed)
            replies.append(reply)
            if copied := agents.copied_example_rules(piece, agents.idea_examples(parts)):
                retry = (f"{feedback}\nYour last try copied the example's own rule: "
                         + "; ".join(f"`{line}`" for line in copied) + f". Write the notes' formulas instead: {plan.idea_rule}")
                piece, reply = self._write(plan, passages, retry, seed + 1, retry_temperature(1))
                replies.append(reply)
            run.write_text(f"{folder}/completion-{hook}.py", piece)
            code = merge_piece(code, piece)
        return code, replies


def run_experiment(
    settings: Settings,
    options: ExperimentOptions,
    reporter: Reporter,
    model: BaseChatModel,
    run: rd.Run | None = None,
) -> rd.Run:
    """Run (or resume) the whole flow; returns the run, whose record says how it ended."""
    run = run or rd.create_run(settings.runs_dir, options.request)
    run.update(status="running", model=settings.llm_model, provider=settings.llm_provider)
    reporter.info(f"Run {run.id} in {run.path}")
    reporter.phase("find-idea", options.request)
    hits = _find_idea(settings, run, options)
    reporter.phase("plan")
    plan = _plan(model, settings, run, options, hits)
    reporter.info(f"Plan: {plan.idea_name} on {plan.task} — {plan.hypothesis}")
    config = ExperimentConfig(
        idea_name=plan.idea_name[:60], task=plan.task, seeds=tuple(range(options.seeds)),
        steps=options.steps, input_scale=plan.input_scale,
    )
    writer = _CodeWriter(model, settings, plan, hits, options)
    feedback, reuse_code, accepted, more_seeds_done = "", None, None, False
    start = max(run.iterations(), default=0) + 1
    for n in range(start, start + options.max_attempts):
        folder, last = f"{rd.ITERATIONS}/{n}", n == start + options.max_attempts - 1
        if reuse_code is not None:
            code, reuse_code = reuse_code, None
            run.write_text(f"{folder}/{rd.IDEA_CODE}", code)
        else:
            code, feedback = writer.attempt(run, n, feedback, reporter, last=last)
            if code is None:
                continue
        run.write_text(f"{folder}/{rd.EXPERIMENT}", assemble_script(code, config))
        reporter.phase(f"run-{n}", f"{len(config.seeds)} seeds × 2 arms × {config.steps} steps in the sandbox")
        result = run_iteration(run, n, options, reporter)
        reporter.info(f"Sandbox: {result.status} in {result.duration_s:.1f}s on {result.device} ({result.isolation}).")
        if result.status == "interrupted":
            raise KeyboardInterrupt
        if result.status != "ok":
            writer.record_failure()
            feedback = _failure_feedback(run, n, code, result)
            continue
        metric_problems = validate_metrics(load_metrics(run.iteration_dir(n) / rd.METRICS))
        if any(p.kind in BLOCKING for p in metric_problems):
            writer.record_failure()
            problems_text = format_problems(metric_problems)
            hints = "".join(f"\nHint: {hint}" for hint in hints_for(problems_text))
            feedback = f"The previous code ran but the results are unusable:\n```python\n{code}```\n{problems_text}{hints}"
            continue
        if neither_learned(metric_problems) and config.input_scale < 1 and not last:
            accepted, scale = n, min(1.0, 10 * config.input_scale)
            run.promote(n)
            reporter.info(f"Neither arm did better than a constant prediction at input scale {config.input_scale:g}: "
                          f"running the same code again at input scale {scale:g}.")
            config, reuse_code = replace(config, input_scale=scale), code
            continue
        reporter.phase(f"judge-{n}", "statistics and the critic's reading of the numbers")
        verdict = _judge(model, settings, run, n, plan, options.llm_seed + n)
        accepted = n
        run.promote(n)
        if verdict and verdict.request == "more_seeds" and not more_seeds_done:
            reporter.info("Critic asks for more seeds: running again with twice as many.")
            config, more_seeds_done = replace(config, seeds=tuple(range(2 * len(config.seeds)))), True
            reuse_code = code
            continue
        if verdict and verdict.request == "fix_bug":
            feedback = "A reviewer read the measured results and suspects a bug:\n" \
                       f"```python\n{code}```\n- " + "\n- ".join(verdict.concerns)
            continue
        break
    if accepted is None:
        run.update(status="failed", error=f"no usable result after {options.max_attempts} attempts")
        raise ExperimentError(f"No usable experiment after {options.max_attempts} attempts; see {run.path}.")
    reporter.phase("report")
    with run.phase("report"):
        write_report(run, status="done")
    run.update(status="done")
    _write_back(settings, run, reporter)
    return run


def _write_back(settings: Settings, run: rd.Run, reporter: Reporter) -> None:
    """The run's result note into the results folder, ingested so `ask` can answer from it."""
    from agentnotes.index.ingest import ingest

    path = write_result_note(run, settings.results_dir)
    try:
        ingest(settings, [settings.results_dir], announce=reporter.info)
    except AgentNotesError as exc:  # the result stands; only the write-back into the notes failed
        reporter.info(f"The result note {path} was written but not ingested: {exc}")
        return
    reporter.info(f"Result note {path} added to the notes.")
